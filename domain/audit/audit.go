// Package audit holds the events that record reads worth auditing: contact details revealed in
// full, and exports. They decide nothing (nothing is refused because of them), so each is written
// to a stream of its own (Stream) with no expected version to contend for; the operation log
// lists them by type (audit.contact_revealed.v1, audit.exported.v1) and actor. They never hold
// the values that were read.
package audit

import (
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
)

// StreamPrefix is the stream kind of audit entries.
const StreamPrefix = "audit"

// Stream is the stream of one audit entry: one entry per stream, id chosen by the writer.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// ContactRevealed: the actor asked for the contact details of a record in full (POST
// …/{id}/reveal). It names the record and the fields asked for, never their values.
type ContactRevealed struct {
	// RecordKind is lead, customer or contact.
	RecordKind string `json:"recordKind"`
	RecordID   string `json:"recordId"`
	// OwnerID is the record's owner when it was revealed ("" for a record in its pool).
	OwnerID string `json:"ownerId,omitempty"`
	// Fields are the fields revealed (phone, mobile, email, officePhone, fax).
	Fields []string  `json:"fields"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Exported: the actor downloaded an export (a CSV or XLSX file of a list).
type Exported struct {
	// Resource is the list exported: leads, customers, contacts, products, contracts,
	// opportunities, receipts, installments, payables, payment-vouchers, tasks, schedules; audit
	// for the operation log's signed export (GET /audit/export, format jsonl or csv).
	Resource string `json:"resource"`
	Format   string `json:"format"`
	// Query is the export request's query string as sent: the filter the export applied (the
	// reader's data scope applies besides).
	Query string `json:"query"`
	// Rows is how many data rows the file holds (the header and a totals row not counted).
	Rows int64 `json:"rows"`
	// Incomplete: the export ended before its last row (the client hung up, or a read failed);
	// Rows were written.
	Incomplete bool      `json:"incomplete,omitempty"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

func (ContactRevealed) EventType() string { return "audit.contact_revealed.v1" }
func (Exported) EventType() string        { return "audit.exported.v1" }

// Register adds the audit events to a registry.
func Register(r *event.Registry) {
	r.Register(func() event.Event { return &ContactRevealed{} }, func() event.Event { return &Exported{} })
}
