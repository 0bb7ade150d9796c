// Package customerview is the customer read model: customers and their contacts (the customers
// projection), the customer pool, duplicate search and the counts customer commands need.
package customerview

import "github.com/chronicle-crm/chronicle/readmodels"

// Views are the queries of this read model over one read-model database.
type Views struct{ *readmodels.DB }

// New serves the queries from db.
func New(db *readmodels.DB) *Views { return &Views{DB: db} }
