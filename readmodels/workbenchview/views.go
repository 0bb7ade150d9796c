// Package workbenchview is the workbench read model: the figures of one signed-in user's working
// day (their leads by status, their customers, follow-ups due today and overdue, customers the pool
// rules will soon take back, new customers per ISO week) and their recent activity. It owns no
// table: it reads the lead, customer and operation-log tables of their projections, every figure a
// bounded read of an index (counts stop at readmodels.TotalBound, as list totals do).
package workbenchview

import (
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
)

// Views are the queries of this read model over one read-model database; the events of the recent
// activity are read through the operation log's views.
type Views struct {
	*readmodels.DB
	audit *auditview.Views
}

// New serves the queries from db, with events read through audit.
func New(db *readmodels.DB, audit *auditview.Views) *Views { return &Views{DB: db, audit: audit} }
