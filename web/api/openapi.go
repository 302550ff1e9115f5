package api

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the OpenAPI 3 document of this API; the tests check every
// response against it.
//
//go:embed openapi.yaml
var OpenAPI []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, _ = w.Write(OpenAPI)
}
