// Package api is Leadd's REST API v1: JSON bodies, bearer tokens, and the
// error envelope of web/httperr.
package api

import (
	"log/slog"
	"net/http"

	"github.com/leadd/leadd/web/httperr"
)

// Status is the HTTP status for err.
func Status(err error) int { return httperr.Status(err) }

// WriteError answers with err in the one JSON error envelope.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	httperr.Write(w, r, log, err)
}

// WriteJSON answers with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) { httperr.WriteJSON(w, status, v) }
