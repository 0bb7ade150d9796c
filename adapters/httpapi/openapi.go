package httpapi

import (
	"net/http"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/openapi"
)

// Document is the OpenAPI 3.1 description of an API made of these modules, served at
// /api/openapi.json: the base document and every module's fragment.
func Document(modules []Module) ([]byte, error) {
	fragments := make([][]byte, len(modules))
	for i, m := range modules {
		fragments[i] = m.OpenAPI
	}
	return openapi.Assemble(openapi.Base, fragments...)
}

// OpenAPI is the served document.
func (s *Server) OpenAPI() []byte { return s.doc }

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.doc)
}
