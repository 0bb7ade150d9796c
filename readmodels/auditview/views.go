// Package auditview is the operation log read model (the audit projection): every event of the
// global log with its actor and command, searchable within the reader's data scope, secrets
// redacted. It indexes the log rather than copying it: the events of a page are read from the
// event store.
package auditview

import "github.com/chronicle-crm/chronicle/readmodels"

// Views are the queries of this read model over one read-model database and the event log.
type Views struct {
	*readmodels.DB
	log Log
}

// New serves the queries from db, with the events of each page read from log.
func New(db *readmodels.DB, log Log) *Views { return &Views{DB: db, log: log} }
