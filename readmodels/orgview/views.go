// Package orgview is the organisation read model (the org projection): departments, roles,
// settings, users with their placement, credentials and sessions.
package orgview

import "github.com/chronicle-crm/chronicle/readmodels"

// Views are the queries of this read model over one read-model database.
type Views struct{ *readmodels.DB }

// New serves the queries from db.
func New(db *readmodels.DB) *Views { return &Views{DB: db} }
