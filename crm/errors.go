package crm

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Error codes a caller can act on. The HTTP edge maps each to one status.
const (
	ECONFLICT     = "conflict"
	EINVALID      = "invalid"
	EMALFORMED    = "malformed"   // the request cannot be read at all
	EUNSUPPORTED  = "unsupported" // a content type we do not read
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ETOOLARGE     = "too_large"
	ERATELIMITED  = "rate_limited"
	EUNAVAILABLE  = "unavailable"
	EINTERNAL     = "internal"

	// EOWNEDELSEWHERE: a manager's input names another manager's client;
	// the message names only that manager (409, as a conflict).
	EOWNEDELSEWHERE = "owned_elsewhere"
	// EMETHOD: a route that does not serve the request's method (405).
	EMETHOD = "method_not_allowed"
)

// ErrEarly is wrapped by a landing error for an event that came before
// the one it depends on (a call's recording before its ringing): normal
// for providers that deliver out of order, and retried.
var ErrEarly = errors.New("arrived before the event it follows")

// Error is an error the caller can fix or act on: it carries a code, a
// human-readable message and, for invalid input, the field at fault.
type Error struct {
	Code    string
	Message string
	Field   string
	// Owner is, for EOWNEDELSEWHERE, the responsible manager's name, for
	// surfaces that word the refusal themselves.
	Owner string
	// Existing, with a conflict, is the record that already is: the
	// contact a phone is, the company an INN or a name is.
	Existing int64

	// format and args are what Message was made from: Localized puts
	// the same refusal in another language with the same args.
	format string
	args   []any
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error with the code and a formatted message. The
// format must be a literal with an entry in the Russian catalogue
// (errors_ru.go); a test holds every call to it.
func Errorf(code, format string, args ...any) *Error {
	return FieldErrorf(code, "", format, args...)
}

// Invalid returns an EINVALID error naming the field at fault.
func Invalid(field, format string, args ...any) *Error {
	return FieldErrorf(EINVALID, field, format, args...)
}

// FieldErrorf returns an *Error with the code, the field at fault (""
// for none) and a formatted message: the constructor for the codes
// Invalid does not make (a field too large, a conflict on a field).
func FieldErrorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...), format: format, args: args}
}

// At returns a copy of e blamed on another field: for a refusal passed on
// from a part of the input to the whole (a range's bound to its filter).
func (e *Error) At(field string) *Error {
	c := *e
	c.Field = field
	return &c
}

// ErrorCode returns the code of an *Error in err's chain, or of the
// class of a database error (see AsError), or EINTERNAL.
func ErrorCode(err error) string {
	if e := AsError(err); e != nil {
		return e.Code
	}
	return EINTERNAL
}

// AsError returns the *Error in err's chain; failing that, it classifies
// what the database said once, for every caller: a value it cannot store
// (data exceptions, class 22) is EINVALID, one past a size limit (an
// index row, a column) ETOOLARGE, a database that cannot be reached or
// is shutting down EUNAVAILABLE. Anything else is nil: an internal error.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case pg.Code == "54000" || pg.Code == "22001":
			return FieldErrorf(ETOOLARGE, pg.ColumnName, "a value is too large to store: %s", pg.Message)
		case strings.HasPrefix(pg.Code, "22"):
			return FieldErrorf(EINVALID, pg.ColumnName, "a value cannot be stored: %s", pg.Message)
		case strings.HasPrefix(pg.Code, "08"), strings.HasPrefix(pg.Code, "57P"), pg.Code == "53300":
			return Unavailable()
		}
		return nil
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.SafeToRetry(err) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return Unavailable()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return Unavailable()
	}
	return nil
}

// Unavailable is the EUNAVAILABLE error of a database that cannot be
// reached: the caller should try again shortly.
func Unavailable() *Error {
	return Errorf(EUNAVAILABLE, "the database is unavailable; try again in a few seconds")
}

// translate turns driver errors into coded errors once, at the storage
// edge: a missing row is not_found, a unique violation is a conflict, a
// foreign key or check violation is invalid input.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return Errorf(ENOTFOUND, "%s not found", what)
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return Errorf(ECONFLICT, "%s already exists (%s)", what, pg.ConstraintName)
		case "23503":
			return Errorf(EINVALID, "%s refers to a missing record (%s)", what, pg.ConstraintName)
		case "23514":
			return Errorf(EINVALID, "%s breaks a rule (%s)", what, pg.ConstraintName)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// conflictWith marks a conflict with the record that already is.
func conflictWith(existing int64, e *Error) *Error {
	e.Existing = existing
	return e
}
