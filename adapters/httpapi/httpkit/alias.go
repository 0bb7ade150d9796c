package httpkit

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
)

// AliasID lets the {id} of a route also name its record another way: when the path variable is
// not a UUID, alias turns it into the record's id before h reads it (roles are addressed by name
// as well as by id: DELETE /api/v1/roles/admin).
func AliasID(h Handler, alias func(string) uuid.UUID) Handler {
	return func(r *http.Request) (Reply, error) {
		vars := mux.Vars(r)
		if v := vars["id"]; v != "" {
			if _, err := uuid.Parse(v); err != nil {
				next := make(map[string]string, len(vars))
				for k, x := range vars {
					next[k] = x
				}
				next["id"] = alias(v).String()
				r = mux.SetURLVars(r, next)
			}
		}
		return h(r)
	}
}
