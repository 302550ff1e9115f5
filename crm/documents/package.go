package documents

import (
	"fmt"

	"github.com/leadd/leadd/crm"
)

// DefaultPackage is the set of documents a legal entity gets in one call
// when documents.package is not given: an invoice, a contract, an act.
var DefaultPackage = []string{crm.DocInvoice, crm.DocContract, crm.DocAct}

// CheckPackage returns a problem per unknown or repeated type of a
// documents.package list, each naming its key under prefix.
func CheckPackage(prefix string, types []string) []error {
	var errs []error
	seen := map[string]bool{}
	for i, t := range types {
		switch {
		case !known(t):
			errs = append(errs, fmt.Errorf("%s[%d]: unknown document type %q; the types are %v", prefix, i, t, crm.DocumentTypes))
		case seen[t]:
			errs = append(errs, fmt.Errorf("%s[%d]: %q is named twice", prefix, i, t))
		}
		seen[t] = true
	}
	return errs
}
