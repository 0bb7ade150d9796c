// Package approvalview is the approval inbox: every submission of every kind of subject (a row
// per submission, as its events describe it), who it waits for now, and who decided what. It
// serves "waiting for me", "submitted by me" and "decided by me" from indexes on the user.
package approvalview

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projection owns the approval tables.
const Projection = "approvals"

// Tables are the names of one generation's tables.
type Tables struct{ Rows, Waiting, Decided string }

// Names are the tables of a generation.
func Names(gen int) Tables {
	return Tables{Rows: readmodels.TableName("approvals", gen), Waiting: readmodels.TableName("approval_waiting", gen),
		Decided: readmodels.TableName("approval_decided", gen)}
}

// DDL creates the tables of a generation.
func DDL(t Tables) []string {
	return []string{
		`CREATE TABLE ` + t.Rows + ` (subject_id {id} NOT NULL, seq {bigint} NOT NULL, kind TEXT NOT NULL, purpose TEXT NOT NULL,
			number TEXT NOT NULL, title TEXT NOT NULL, amount {money} NOT NULL, submitter_id {id} NOT NULL, submitted_at {time} NOT NULL,
			status TEXT NOT NULL, step INTEGER NOT NULL, steps {json} NOT NULL, updated_at {time} NOT NULL, position {bigint} NOT NULL,
			PRIMARY KEY (subject_id, seq))`,
		`CREATE INDEX ` + t.Rows + `_submitter ON ` + t.Rows + ` (submitter_id, updated_at, subject_id, seq)`,
		`CREATE TABLE ` + t.Waiting + ` (user_id {id} NOT NULL, subject_id {id} NOT NULL, seq {bigint} NOT NULL, since {time} NOT NULL,
			PRIMARY KEY (user_id, subject_id, seq))`,
		`CREATE INDEX ` + t.Waiting + `_user ON ` + t.Waiting + ` (user_id, since, subject_id, seq)`,
		`CREATE INDEX ` + t.Waiting + `_subject ON ` + t.Waiting + ` (subject_id, seq)`,
		`CREATE TABLE ` + t.Decided + ` (user_id {id} NOT NULL, subject_id {id} NOT NULL, seq {bigint} NOT NULL, step INTEGER NOT NULL,
			decided_at {time} NOT NULL, PRIMARY KEY (user_id, subject_id, seq, step))`,
		`CREATE INDEX ` + t.Decided + `_user ON ` + t.Decided + ` (user_id, decided_at, subject_id, seq)`,
	}
}

// Item is one submission as the inbox shows it.
type Item struct {
	Kind        string          `json:"kind"`
	SubjectID   uuid.UUID       `json:"subjectId"`
	Seq         int64           `json:"seq"`
	Purpose     string          `json:"purpose"`
	Number      string          `json:"number"`
	Title       string          `json:"title"`
	Amount      *string         `json:"amount"` // the subject's amount when it was submitted
	SubmitterID uuid.UUID       `json:"submitterId"`
	SubmittedAt time.Time       `json:"submittedAt"`
	Status      string          `json:"status"`
	Step        int             `json:"step"` // the step waiting (-1: none)
	Steps       []approval.Step `json:"steps"`
	StepName    string          `json:"stepName"`
	ApproverIDs []string        `json:"approverIds"` // of the step waiting
	UpdatedAt   time.Time       `json:"updatedAt"`
}

// Views are the inbox queries.
type Views struct{ *readmodels.DB }

// New serves the queries from db.
func New(db *readmodels.DB) *Views { return &Views{DB: db} }

// Views of the inbox.
const (
	ViewPending   = "pending"
	ViewSubmitted = "submitted"
	ViewDecided   = "decided"
)

// Query is one page of a user's inbox.
type Query struct {
	User   uuid.UUID
	View   string
	Kind   string // "": every kind
	Limit  int
	Cursor string
}

const columns = `a.subject_id, a.seq, a.kind, a.purpose, a.number, a.title, a.amount, a.submitter_id, a.submitted_at, a.status, a.step, a.steps, a.updated_at`

type cursor struct {
	At      time.Time `json:"a"`
	Subject string    `json:"s"`
	Seq     int64     `json:"q"`
}

// MaxLimit bounds a page.
const MaxLimit = 100

// List is a page of the inbox, newest first. Total is exact up to readmodels.TotalBound.
func (v *Views) List(ctx context.Context, q Query) (readmodels.Page[*Item], error) {
	var page readmodels.Page[*Item]
	if q.Limit == 0 {
		q.Limit = 20
	}
	if q.Limit < 0 || q.Limit > MaxLimit {
		return page, &readmodels.ValidationError{Field: "limit", Message: fmt.Sprintf("must be between 1 and %d", MaxLimit)}
	}
	t := Tables{Rows: v.Gens.Table(Projection, "approvals"), Waiting: v.Gens.Table(Projection, "approval_waiting"), Decided: v.Gens.Table(Projection, "approval_decided")}
	var from, order, key, alias string
	args := []any{q.User.String()}
	switch q.View {
	case ViewPending:
		from = t.Waiting + ` w JOIN ` + t.Rows + ` a ON a.subject_id = w.subject_id AND a.seq = w.seq WHERE w.user_id = ?`
		key, alias = "w.since", "w"
	case ViewSubmitted:
		from = t.Rows + ` a WHERE a.submitter_id = ?`
		key, alias = "a.updated_at", "a"
	case ViewDecided:
		from = `(SELECT user_id, subject_id, seq, max(decided_at) AS decided_at FROM ` + t.Decided + ` WHERE user_id = ? GROUP BY user_id, subject_id, seq) w
			JOIN ` + t.Rows + ` a ON a.subject_id = w.subject_id AND a.seq = w.seq WHERE 1 = 1`
		key, alias = "w.decided_at", "w"
	default:
		return page, &readmodels.ValidationError{Field: "view", Message: "must be pending, submitted or decided"}
	}
	subj, seq := alias+".subject_id", alias+".seq"
	order = key + " DESC, " + subj + " DESC, " + seq + " DESC"
	if q.Kind != "" {
		from += ` AND a.kind = ?`
		args = append(args, q.Kind)
	}
	countFrom, countArgs := from, append([]any(nil), args...)
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		var c cursor
		if err == nil {
			err = json.Unmarshal(raw, &c)
		}
		if err != nil {
			return page, &readmodels.ValidationError{Field: "cursor", Message: "is not a cursor of this list"}
		}
		from += ` AND (` + key + ` < ? OR ` + key + ` = ? AND (` + subj + ` < ? OR ` + subj + ` = ? AND ` + seq + ` < ?))`
		at := v.Dialect.Time(c.At)
		args = append(args, at, at, c.Subject, c.Subject, c.Seq)
	}
	rows, err := v.SQL.QueryContext(ctx, v.Q(`SELECT `+columns+`, `+key+` FROM `+from+` ORDER BY `+order+` LIMIT `+strconv.Itoa(q.Limit+1)), args...)
	if err != nil {
		return page, fmt.Errorf("approval inbox: %w", err)
	}
	defer rows.Close()
	var keys []time.Time
	for rows.Next() {
		var it Item
		var subject, submitter, steps string
		var submitted, updated, k readmodels.Time
		var amount readmodels.Money
		if err := rows.Scan(&subject, &it.Seq, &it.Kind, &it.Purpose, &it.Number, &it.Title, &amount, &submitter, &submitted, &it.Status, &it.Step, &steps, &updated, &k); err != nil {
			return page, err
		}
		it.SubjectID, _ = uuid.Parse(subject)
		it.SubmitterID, _ = uuid.Parse(submitter)
		a := amount.A.String()
		it.Amount, it.SubmittedAt, it.UpdatedAt = &a, submitted.T, updated.T
		if err := json.Unmarshal([]byte(steps), &it.Steps); err != nil {
			return page, err
		}
		it.ApproverIDs = []string{}
		if it.Step >= 0 && it.Step < len(it.Steps) {
			it.StepName, it.ApproverIDs = it.Steps[it.Step].Name, it.Steps[it.Step].ApproverIDs
		}
		page.Items = append(page.Items, &it)
		keys = append(keys, k.T)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Items) > q.Limit {
		last := page.Items[q.Limit-1]
		raw, _ := json.Marshal(cursor{At: keys[q.Limit-1], Subject: last.SubjectID.String(), Seq: last.Seq})
		page.NextCursor = base64.RawURLEncoding.EncodeToString(raw)
		page.Items = page.Items[:q.Limit]
	}
	page.Items = readmodels.NonNil(page.Items)
	// Totals: exact up to the bound (a user's inbox is counted from its own index range).
	if page.Total, page.TotalExact, err = v.BoundedCount(ctx, countFrom, countArgs); err != nil {
		return page, fmt.Errorf("approval inbox total: %w", err)
	}
	return page, nil
}
