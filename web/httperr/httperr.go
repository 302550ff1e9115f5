// Package httperr is the one JSON error envelope every HTTP handler shares
// (the API, the hooks, the payment callbacks) and the one table mapping
// Leadd's error codes to HTTP statuses. It is a leaf: it imports only crm and clientip,
// so an adapter writing an error pulls in no surface.
package httperr

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/web/clientip"
)

// statusOf maps error codes to HTTP statuses; it is the only such table.
var statusOf = map[string]int{
	crm.EINVALID:      http.StatusUnprocessableEntity,
	crm.EMALFORMED:    http.StatusBadRequest,
	crm.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	crm.ENOTFOUND:     http.StatusNotFound,
	crm.ECONFLICT:     http.StatusConflict,
	crm.EUNAUTHORIZED: http.StatusUnauthorized,
	crm.EFORBIDDEN:    http.StatusForbidden,
	crm.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	crm.ERATELIMITED:  http.StatusTooManyRequests,
	crm.EUNAVAILABLE:  http.StatusServiceUnavailable,
	crm.EINTERNAL:     http.StatusInternalServerError,

	crm.EOWNEDELSEWHERE: http.StatusConflict, // another manager's client
	crm.EMETHOD:         http.StatusMethodNotAllowed,
}

// Status is the HTTP status for err.
func Status(err error) int {
	return statusOf[crm.ErrorCode(err)]
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
		// ExistingID, with a conflict, is the record that already is.
		ExistingID int64 `json:"existing_id,omitempty"`
	} `json:"error"`
}

// Write answers with err as {"error": {"code", "message", "field"}}.
// Internal errors are logged and their detail is not shown.
func Write(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var body errorBody
	if e := crm.AsError(err); e != nil {
		body.Error.Code, body.Error.Message, body.Error.Field, body.Error.ExistingID = e.Code, e.Message, e.Field, e.Existing
	} else {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "client", clientip.Of(r), "err", err)
		body.Error.Code, body.Error.Message = crm.EINTERNAL, "internal error"
	}
	switch body.Error.Code {
	case crm.EUNAUTHORIZED:
		w.Header().Set("WWW-Authenticate", `Bearer realm="leadd"`)
	case crm.EUNAVAILABLE:
		// A client (a form service, a PBX) that sees 503 and Retry-After
		// comes back; a 500 some of them take as final.
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", "5")
		}
	}
	WriteJSON(w, statusOf[body.Error.Code], body)
}

// WriteJSON answers with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
