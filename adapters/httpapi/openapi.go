package httpapi

import (
	"net/http"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/openapi"
)

// OpenAPIDocument is the OpenAPI 3.1 description of this API, served at /api/openapi.json: the
// base document and every module's fragment.
var OpenAPIDocument = assembleOpenAPI()

func assembleOpenAPI() []byte {
	var fragments [][]byte
	for _, m := range (&Server{}).modules() {
		fragments = append(fragments, m.openapi)
	}
	doc, err := openapi.Assemble(openapi.Base, fragments...)
	if err != nil {
		panic("httpapi: " + err.Error())
	}
	return doc
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(OpenAPIDocument)
}
