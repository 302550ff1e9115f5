// Package documents holds the pure building blocks of invoices and payment
// documents: checksums of Russian requisites, an amount in words, the
// payment QR payload and document numbering. Nothing here touches a
// database or the network; every function takes values and returns values.
package documents
