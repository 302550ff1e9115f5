package crm

// InTxRetrying is inTxRetrying, for the tests outside the package.
var InTxRetrying = inTxRetrying
