// Package leadview is the lead read model: the lead table of the leads projection, the lead
// search (scope, Chinese substring, filters, keyset pages) and the counts lead commands need.
package leadview

import "github.com/chronicle-crm/chronicle/readmodels"

// Views are the queries of this read model over one read-model database.
type Views struct{ *readmodels.DB }

// New serves the queries from db.
func New(db *readmodels.DB) *Views { return &Views{DB: db} }
