// Package worklogview is the work log read model: a row per log (its writer in the owner
// columns, so that a superior's data scope is the same WHERE clause as every owned record's), the
// recipients of each submitted log with their read receipts, the comments, and the submission
// statistics: per department, kind and period the number of logs submitted, and per department
// its active members (the expected count), both kept by the projection as counters so that the
// statistics read a row per department and period, never the logs.
//
// The views — mine, received (submitted to me), subordinates (the submitted logs of the people
// below me), all (every log I may read) — are conditions on the row.
package worklogview

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/worklog"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projection owns the work log tables.
const Projection = "worklogs"

// Views are the queries of this read model.
type Views struct{ *readmodels.DB }

// New serves the queries from db.
func New(db *readmodels.DB) *Views { return &Views{DB: db} }

// State is what the row keeps of the aggregate beyond its columns.
type State struct {
	Links           []worklog.Link `json:"links"`
	ExtraRecipients []string       `json:"extraRecipients"`
	Recipients      []string       `json:"recipients"`
	ReadBy          []string       `json:"readBy,omitempty"`
}

// Log is the read view of a work log. The owner columns hold the writer.
type Log struct {
	ID       uuid.UUID `json:"id"`
	Kind     string    `json:"kind"`
	Period   string    `json:"period"`
	Status   string    `json:"status"`
	WorkDone string    `json:"workDone"`
	Plan     string    `json:"plan"`
	Problems string    `json:"problems"`
	readmodels.Ownership
	// DepartmentID is the writer's department when the log was submitted (the statistics count it
	// there); "" before the submission.
	DepartmentID   string     `json:"-"`
	RecipientCount int64      `json:"recipientCount"`
	ReadCount      int64      `json:"readCount"`
	CommentCount   int64      `json:"commentCount"`
	SubmittedAt    *time.Time `json:"submittedAt"`
	State          State      `json:"-"`
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`
	Version        int64      `json:"version"`
	Position       uint64     `json:"-"`
	// Unread is set for the reader: the log was submitted to them and they have not opened it.
	Unread bool `json:"-"`
}

// SearchText is what keyword search matches: the writer's name and the texts.
func (l *Log) SearchText() string {
	parts := []string{l.OwnerName, l.WorkDone, l.Plan, l.Problems}
	for _, k := range l.State.Links {
		parts = append(parts, k.Name)
	}
	return strings.ToLower(strings.Join(parts, readmodels.Separator))
}

// FromAggregate sets every column that follows from the aggregate (not the writer's placement).
func (l *Log) FromAggregate(a *worklog.Log) {
	f := a.Fields()
	l.Kind, l.Period, l.Status = string(a.Kind()), a.Period().Format(time.DateOnly), string(a.Status())
	l.WorkDone, l.Plan, l.Problems = f.WorkDone, f.Plan, f.Problems
	l.State = State{Links: f.Links, ExtraRecipients: f.ExtraRecipients, Recipients: a.Recipients(), ReadBy: a.ReadBy()}
	l.RecipientCount, l.ReadCount, l.CommentCount = int64(len(l.State.Recipients)), int64(len(l.State.ReadBy)), int64(a.Comments())
	l.SubmittedAt = nil
	if t := a.SubmittedAt(); !t.IsZero() {
		l.SubmittedAt = &t
	}
}

// Aggregate is the log the row holds (the projection folds later events into it).
func (l *Log) Aggregate() *worklog.Log {
	period, _ := time.Parse(time.DateOnly, l.Period)
	s := worklog.State{Kind: worklog.Kind(l.Kind), Period: period, Status: worklog.Status(l.Status),
		Fields:     worklog.Fields{WorkDone: l.WorkDone, Plan: l.Plan, Problems: l.Problems, Links: l.State.Links, ExtraRecipients: l.State.ExtraRecipients},
		Recipients: l.State.Recipients, ReadBy: l.State.ReadBy, Comments: int(l.CommentCount), EditVersion: l.Version,
		CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt}
	if l.OwnerID != nil {
		s.Writer = *l.OwnerID
	}
	if l.SubmittedAt != nil {
		s.SubmittedAt = *l.SubmittedAt
	}
	return worklog.Restore(l.ID, s)
}

var table = readmodels.Cols(
	[]readmodels.Col[Log]{
		readmodels.IDCol("id", "{id} PRIMARY KEY", func(l *Log) *uuid.UUID { return &l.ID }),
		readmodels.TextCol("kind", func(l *Log) *string { return &l.Kind }),
		readmodels.TextCol("period", func(l *Log) *string { return &l.Period }),
		readmodels.TextCol("status", func(l *Log) *string { return &l.Status }),
		readmodels.TextCol("work_done", func(l *Log) *string { return &l.WorkDone }),
		readmodels.TextCol("plan", func(l *Log) *string { return &l.Plan }),
		readmodels.TextCol("problems", func(l *Log) *string { return &l.Problems }),
	},
	readmodels.OwnershipCols(func(l *Log) *readmodels.Ownership { return &l.Ownership }),
	[]readmodels.Col[Log]{
		readmodels.TextCol("department_id", func(l *Log) *string { return &l.DepartmentID }),
		readmodels.Int64Col("recipient_count", func(l *Log) *int64 { return &l.RecipientCount }),
		readmodels.Int64Col("read_count", func(l *Log) *int64 { return &l.ReadCount }),
		readmodels.Int64Col("comment_count", func(l *Log) *int64 { return &l.CommentCount }),
		readmodels.OptTimeCol("submitted_at", func(l *Log) **time.Time { return &l.SubmittedAt }),
		readmodels.JSONCol("state", func(l *Log) any { return &l.State }),
		readmodels.TimeCol("created_at", func(l *Log) *time.Time { return &l.CreatedAt }),
		readmodels.TimeCol("updated_at", func(l *Log) *time.Time { return &l.UpdatedAt }),
		readmodels.Int64Col("version", func(l *Log) *int64 { return &l.Version }),
		readmodels.PositionCol("position", func(l *Log) *uint64 { return &l.Position }),
		readmodels.WriteOnly("search", "TEXT NOT NULL", func(_ readmodels.Dialect, l *Log) any { return l.SearchText() }),
	})

// Columns are the readable columns, in Scan order; InsertColumns every column, in Args order.
var (
	Columns       = table.Select()
	InsertColumns = table.Insert()
)

// Args are the row's values in InsertColumns order.
func Args(d readmodels.Dialect, l *Log) []any { return table.Args(d, l) }

// Scan reads one row in Columns order.
func Scan(row readmodels.Scanner) (*Log, error) { return table.Scan(row) }

// Sorts are the orders the list offers (each served by an index in keyset order): by period,
// submission (drafts last) and last change.
var Sorts = map[string]readmodels.SortColumn{
	"period":      {Column: "period"},
	"submittedAt": {Column: "submitted_at", IsTime: true, Nullable: true},
	"updatedAt":   {Column: "updated_at", IsTime: true},
}

// SortKeys are the sorts' names.
func SortKeys() []string { return []string{"period", "submittedAt", "updatedAt"} }

var spec = readmodels.ListSpec[*Log]{
	Columns:     Columns,
	Sorts:       Sorts,
	DefaultSort: "-period",
	Scan:        func(r readmodels.Scanner) (*Log, error) { return Scan(r) },
	Value: func(l *Log, col string) (any, string) {
		switch col {
		case "period":
			return l.Period, l.ID.String()
		case "submitted_at":
			return l.SubmittedAt, l.ID.String()
		}
		return &l.UpdatedAt, l.ID.String()
	},
}

// Tables are the names of one generation's work log tables.
type Tables struct{ Rows, Recipients, Comments, Depts, Staff, Counts string }

// TablesOf names a generation's tables.
func TablesOf(gen int) Tables {
	n := func(s string) string { return readmodels.TableName(s, gen) }
	return Tables{Rows: n("worklogs"), Recipients: n("worklog_recipients"), Comments: n("worklog_comments"),
		Depts: n("worklog_depts"), Staff: n("worklog_staff"), Counts: n("worklog_counts")}
}

// TableDDL is the work log tables of one generation: the rows (with an index per offered sort,
// for everyone and per writer), the recipients with their receipts (by recipient for the received
// view, by log for the receipts), the comments, and the statistics' counters — the departments
// with their names and active members, each user's department and whether they are active, and
// the submissions per kind, period and department.
func TableDDL(t Tables) []string {
	return append([]string{table.Create(t.Rows),
		`CREATE TABLE ` + t.Recipients + ` (log_id {id} NOT NULL, user_id {id} NOT NULL, name TEXT NOT NULL DEFAULT '',
			read_at {time}, PRIMARY KEY (user_id, log_id))`,
		`CREATE INDEX ` + t.Recipients + `_log ON ` + t.Recipients + ` (log_id)`,
		`CREATE TABLE ` + t.Comments + ` (id {id} PRIMARY KEY, log_id {id} NOT NULL, text TEXT NOT NULL, by_id {id} NOT NULL,
			by_name TEXT NOT NULL, at {time} NOT NULL, position {bigint} NOT NULL)`,
		`CREATE INDEX ` + t.Comments + `_log ON ` + t.Comments + ` (log_id, position)`,
		`CREATE TABLE ` + t.Depts + ` (id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', members {bigint} NOT NULL DEFAULT 0)`,
		`CREATE TABLE ` + t.Staff + ` (id TEXT PRIMARY KEY, department_id TEXT NOT NULL DEFAULT '', active {bool} NOT NULL)`,
		`CREATE TABLE ` + t.Counts + ` (kind TEXT NOT NULL, period TEXT NOT NULL, department_id TEXT NOT NULL,
			submitted {bigint} NOT NULL, PRIMARY KEY (kind, department_id, period))`,
	}, readmodels.OwnershipIndexes(t.Rows, Sorts)...)
}

// Reader is who reads: their scope (worklogs.read: the submitted logs of the people in it) and
// their id (their own logs, and those submitted to them).
type Reader struct {
	Scope readmodels.Scope
	User  uuid.UUID
}

// ReaderOf is the reader of an actor.
func ReaderOf(a access.Actor) Reader {
	s := readmodels.ScopeOf(a, false)
	s.None = !a.Can(role.WorklogsRead)
	return Reader{Scope: s, User: a.ID}
}

func (v *Views) received(unread bool) string {
	cond := "id IN (SELECT log_id FROM " + v.Gens.Table(Projection, "worklog_recipients") + " WHERE user_id = ?"
	if unread {
		cond += " AND read_at IS NULL"
	}
	return cond + ")"
}

const submitted = "status = 'submitted'"

// visible is the reader's condition: their own, or submitted and either sent to them or written
// by someone in their scope.
func (v *Views) visible(r Reader) (string, []any) {
	me := r.User.String()
	if r.Scope.None {
		return "(owner_id = ? OR " + v.received(false) + ")", []any{me, me}
	}
	cond, args := r.Scope.Condition()
	if cond == "" {
		return "(owner_id = ? OR " + submitted + ")", []any{me}
	}
	return "(owner_id = ? OR (" + submitted + " AND (" + cond + " OR " + v.received(false) + ")))", append(append([]any{me}, args...), me)
}

// The views of the list.
const (
	ViewMine         = "mine"
	ViewReceived     = "received"
	ViewSubordinates = "subordinates"
	ViewAll          = "all"
)

// ViewNames lists them.
var ViewNames = []string{ViewMine, ViewReceived, ViewSubordinates, ViewAll}

// Query is a work log search.
type Query struct {
	Reader Reader
	// View is one of ViewNames ("": mine).
	View   string
	Q      string
	Kind   []string
	Status []string
	// PeriodFrom and PeriodTo bound the period's first day (both included; "2006-01-02").
	PeriodFrom, PeriodTo string
	Writer               *uuid.UUID
	// Unread keeps the logs submitted to the reader that they have not opened.
	Unread bool
	Sort   string
	Limit  int
	Cursor string
}

// Search lists work logs with keyset pagination; what the reader may read is part of the
// statement.
func (v *Views) Search(ctx context.Context, q Query) (readmodels.Page[*Log], error) {
	t := v.Gens.Table(Projection, "worklogs")
	lq, err := v.SearchQuery(t, readmodels.Scope{All: true}, q.Q, q.Status)
	if err != nil {
		return readmodels.Page[*Log]{}, err
	}
	cond, args := v.visible(q.Reader)
	lq.Add(cond, args...)
	me := q.Reader.User.String()
	switch q.View {
	case "", ViewMine:
		lq.Add("owner_id = ?", me)
	case ViewReceived:
		lq.Add(v.received(false), me)
	case ViewSubordinates:
		prefix := q.Reader.Scope.SubordinatePrefix
		if q.Reader.Scope.None {
			lq.Add("1 = 0")
		} else {
			lq.Add(submitted+" AND owner_superior_path >= ? AND owner_superior_path < ?", prefix, prefix+"\uffff")
		}
	case ViewAll:
	default:
		return readmodels.Page[*Log]{}, &readmodels.ValidationError{Field: "view", Message: "must be one of " + strings.Join(ViewNames, ", ")}
	}
	if len(q.Kind) > 0 {
		lq.Add("kind IN ("+strings.TrimSuffix(strings.Repeat("?,", len(q.Kind)), ",")+")", readmodels.AnySlice(q.Kind)...)
	}
	if q.PeriodFrom != "" {
		lq.Add("period >= ?", q.PeriodFrom)
	}
	if q.PeriodTo != "" {
		lq.Add("period <= ?", q.PeriodTo)
	}
	if q.Writer != nil {
		lq.Add("owner_id = ?", q.Writer.String())
	}
	if q.Unread {
		lq.Add(v.received(true), me)
	}
	lq.Sort, lq.Limit, lq.Cursor = q.Sort, q.Limit, q.Cursor
	s := spec
	s.Table = t
	page, err := readmodels.List(ctx, v.DB, s, *lq)
	if err != nil {
		return page, err
	}
	return page, v.markUnread(ctx, q.Reader.User, page.Items...)
}

// markUnread sets Unread on the logs submitted to user that they have not opened (one query by
// the recipients' primary key).
func (v *Views) markUnread(ctx context.Context, user uuid.UUID, logs ...*Log) error {
	if len(logs) == 0 {
		return nil
	}
	byID := map[string]*Log{}
	args := []any{user.String()}
	for _, l := range logs {
		if l.Status == string(worklog.StatusSubmitted) && l.OwnerID != nil && *l.OwnerID != user {
			byID[l.ID.String()] = l
			args = append(args, l.ID.String())
		}
	}
	if len(byID) == 0 {
		return nil
	}
	rows, err := v.SQL.QueryContext(ctx, v.Q(`SELECT log_id FROM `+v.Gens.Table(Projection, "worklog_recipients")+
		` WHERE user_id = ? AND read_at IS NULL AND log_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(args)-1), ",")+`)`), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		if l := byID[id]; l != nil {
			l.Unread = true
		}
	}
	return rows.Err()
}

// Get returns one log if the reader may read it.
func (v *Views) Get(ctx context.Context, r Reader, id uuid.UUID) (*Log, error) {
	cond, args := v.visible(r)
	l, err := readmodels.GetWhere(ctx, v.DB, v.Gens.Table(Projection, "worklogs"), Columns, cond, args, id, Scan)
	if err != nil {
		return nil, err
	}
	return l, v.markUnread(ctx, r.User, l)
}

// Comment is a comment as the log's page shows it.
type Comment = readmodels.Comment

// MaxComments is how many comments one read returns (the newest).
const MaxComments = readmodels.MaxComments

// Comments are a readable log's comments, oldest first.
func (v *Views) Comments(ctx context.Context, r Reader, id uuid.UUID) ([]Comment, error) {
	if _, err := v.Get(ctx, r, id); err != nil {
		return nil, err
	}
	return v.LatestComments(ctx, v.Gens.Table(Projection, "worklog_comments"), "log_id", id)
}

// Receipt is a recipient of a log and when they first opened it (nil: not yet).
type Receipt struct {
	UserID uuid.UUID  `json:"userId"`
	Name   string     `json:"name"`
	ReadAt *time.Time `json:"readAt"`
}

// Receipts are a readable log's recipients with their read receipts, by name.
func (v *Views) Receipts(ctx context.Context, r Reader, id uuid.UUID) ([]Receipt, error) {
	if _, err := v.Get(ctx, r, id); err != nil {
		return nil, err
	}
	rows, err := v.SQL.QueryContext(ctx, v.Q(`SELECT user_id, name, read_at FROM `+v.Gens.Table(Projection, "worklog_recipients")+
		` WHERE log_id = ? ORDER BY name, user_id`), id.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Receipt{}
	for rows.Next() {
		var rc Receipt
		var uid string
		var at readmodels.Time
		if err := rows.Scan(&uid, &rc.Name, &at); err != nil {
			return nil, err
		}
		rc.UserID, _ = uuid.Parse(uid)
		rc.ReadAt = at.Ptr()
		out = append(out, rc)
	}
	return out, rows.Err()
}

// MarshalJSON writes the row with the writer named as such and the state's lists.
func (l Log) MarshalJSON() ([]byte, error) {
	type plain Log
	var writer uuid.UUID
	if l.OwnerID != nil {
		writer = *l.OwnerID
	}
	links := l.State.Links
	if links == nil {
		links = []worklog.Link{}
	}
	return json.Marshal(struct {
		plain
		WriterID        uuid.UUID      `json:"writerId"`
		WriterName      string         `json:"writerName"`
		Links           []worklog.Link `json:"links"`
		ExtraRecipients []string       `json:"extraRecipients"`
		Recipients      []string       `json:"recipients"`
		Unread          bool           `json:"unread"`
		Editable        bool           `json:"editable"`
	}{plain(l), writer, l.OwnerName, links, readmodels.NonNil(l.State.ExtraRecipients), readmodels.NonNil(l.State.Recipients), l.Unread, l.CommentCount == 0})
}
