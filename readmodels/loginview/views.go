// Package loginview is the sign-in log read model (the logins projection): every sign-in, failure,
// lock and unlock, searchable within the reader's data scope, and the failure counts that
// throttle sign-in.
package loginview

import "github.com/chronicle-crm/chronicle/readmodels"

// Views are the queries of this read model over one read-model database.
type Views struct{ *readmodels.DB }

// New serves the queries from db.
func New(db *readmodels.DB) *Views { return &Views{DB: db} }
