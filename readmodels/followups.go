package readmodels

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// FollowUp is the read view of a follow-up record.
type FollowUp struct {
	ID             uuid.UUID  `json:"id"`
	Subject        string     `json:"subject"` // "lead:<id>", "customer:<id>" or "contact:<id>"
	CustomerID     *uuid.UUID `json:"customerId,omitempty"`
	ContactID      *uuid.UUID `json:"contactId,omitempty"`
	Type           string     `json:"type"`
	At             time.Time  `json:"at"`
	Content        string     `json:"content"`
	NextFollowUpAt *time.Time `json:"nextFollowUpAt"`
	By             AuditActor `json:"by"`
	Position       uint64     `json:"position"`
}

// FollowUpTableDDL is a follow-up table (the lead and customer projections each have one).
func FollowUpTableDDL(table string) []string {
	return []string{
		`CREATE TABLE ` + table + ` (
		id {id} PRIMARY KEY, subject TEXT NOT NULL, customer_id TEXT NOT NULL DEFAULT '', contact_id TEXT NOT NULL DEFAULT '',
		type TEXT NOT NULL, at {time} NOT NULL, content TEXT NOT NULL, next_follow_up_at {time}, by_id TEXT NOT NULL,
		by_name TEXT NOT NULL, position {bigint} NOT NULL)`,
		`CREATE INDEX ` + table + `_subject ON ` + table + ` (subject, at)`,
		`CREATE INDEX ` + table + `_customer ON ` + table + ` (customer_id, at)`,
		`CREATE INDEX ` + table + `_contact ON ` + table + ` (contact_id, at)`,
	}
}

// FollowUpColumns are the columns of a follow-up table in the order of FollowUpArgs.
const FollowUpColumns = `id, subject, customer_id, contact_id, type, at, content, next_follow_up_at, by_id, by_name, position`

// FollowUpArgs are the values of a follow-up's row, in the order of FollowUpColumns.
func (db *DB) FollowUpArgs(f FollowUp) []any {
	var next any
	if f.NextFollowUpAt != nil {
		next = db.Dialect.Time(*f.NextFollowUpAt)
	}
	opt := func(id *uuid.UUID) string {
		if id == nil {
			return ""
		}
		return id.String()
	}
	return []any{f.ID.String(), f.Subject, opt(f.CustomerID), opt(f.ContactID), f.Type, db.Dialect.Time(f.At), f.Content, next,
		f.By.ID, f.By.Name, int64(f.Position)}
}

// ListFollowUps returns the follow-ups of a follow-up table that match cond (one ? for arg),
// newest first; the lead and customer views say which table and which subject.
func (db *DB) ListFollowUps(ctx context.Context, table, cond, arg string, limit int) ([]FollowUp, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := db.SQL.QueryContext(ctx, db.Q(`SELECT id, subject, customer_id, contact_id, type, at, content, next_follow_up_at, by_id, by_name, position
		FROM `+table+` WHERE `+cond+` ORDER BY at DESC, id DESC LIMIT ?`), arg, limit)
	if err != nil {
		return nil, fmt.Errorf("list follow-ups: %w", err)
	}
	defer rows.Close()
	out := []FollowUp{}
	for rows.Next() {
		var f FollowUp
		var id, cust, cont string
		var at, next Time
		var pos int64
		if err := rows.Scan(&id, &f.Subject, &cust, &cont, &f.Type, &at, &f.Content, &next, &f.By.ID, &f.By.Name, &pos); err != nil {
			return nil, err
		}
		f.ID, _ = uuid.Parse(id)
		f.CustomerID, f.ContactID, f.At, f.NextFollowUpAt, f.Position = OptID(cust), OptID(cont), at.T, next.Ptr(), uint64(pos)
		out = append(out, f)
	}
	return out, rows.Err()
}

// AuditActor is who caused an event.
type AuditActor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}
