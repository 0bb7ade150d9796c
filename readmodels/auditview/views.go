// Package auditview is the operation log read model (the audit projection): every event of the
// global log with its actor and command, searchable within the reader's data scope, secrets
// redacted.
package auditview

import "github.com/chronicle-crm/chronicle/readmodels"

// Views are the queries of this read model over one read-model database.
type Views struct{ *readmodels.DB }

// New serves the queries from db.
func New(db *readmodels.DB) *Views { return &Views{DB: db} }
