// Package notifyview is the in-app inbox's read model: each user's notifications, newest first,
// and a row per user with their unread count and the position of their newest notification (the
// bell's count and the live stream read that one row, never count the notifications).
//
// A notification names what it is about in data, not in sentences: its kind, the subject (a task,
// a lead, a customer, an opportunity) with the subject's name, who did it, and a detail (a due
// time, a completion note); the UI words it in the reader's language.
package notifyview

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projection owns the notification tables.
const Projection = "notifications"

// Views are the queries of this read model.
type Views struct{ *readmodels.DB }

// New serves the queries from db.
func New(db *readmodels.DB) *Views { return &Views{DB: db} }

// Notification is one notification of a user.
type Notification struct {
	ID          uuid.UUID `json:"id"`
	Kind        string    `json:"kind"`
	SubjectKind string    `json:"subjectKind"`
	SubjectID   string    `json:"subjectId"`
	Title       string    `json:"title"`
	Detail      string    `json:"detail"`
	ActorID     string    `json:"actorId"`
	ActorName   string    `json:"actorName"`
	At          time.Time `json:"at"`
	Read        bool      `json:"read"`
	Position    uint64    `json:"position,string"`
	UserID      uuid.UUID `json:"-"`
}

var table = readmodels.Cols([]readmodels.Col[Notification]{
	readmodels.IDCol("id", "{id} PRIMARY KEY", func(n *Notification) *uuid.UUID { return &n.ID }),
	readmodels.IDCol("user_id", "{id} NOT NULL", func(n *Notification) *uuid.UUID { return &n.UserID }),
	readmodels.TextCol("kind", func(n *Notification) *string { return &n.Kind }),
	readmodels.TextCol("subject_kind", func(n *Notification) *string { return &n.SubjectKind }),
	readmodels.TextCol("subject_id", func(n *Notification) *string { return &n.SubjectID }),
	readmodels.TextCol("title", func(n *Notification) *string { return &n.Title }),
	readmodels.TextCol("detail", func(n *Notification) *string { return &n.Detail }),
	readmodels.TextCol("actor_id", func(n *Notification) *string { return &n.ActorID }),
	readmodels.TextCol("actor_name", func(n *Notification) *string { return &n.ActorName }),
	readmodels.TimeCol("at", func(n *Notification) *time.Time { return &n.At }),
	readmodels.BoolCol("is_read", func(n *Notification) *bool { return &n.Read }),
	readmodels.PositionCol("position", func(n *Notification) *uint64 { return &n.Position }),
})

// Columns are the readable columns, in Scan order; InsertColumns every column, in Args order.
var (
	Columns       = table.Select()
	InsertColumns = table.Insert()
)

// Args are the row's values in InsertColumns order.
func Args(d readmodels.Dialect, n *Notification) []any { return table.Args(d, n) }

// Tables are the names of one generation's tables.
type Tables struct{ Rows, Counts string }

// TablesOf names a generation's tables.
func TablesOf(gen int) Tables {
	return Tables{Rows: readmodels.TableName("notifications", gen), Counts: readmodels.TableName("notification_counts", gen)}
}

// TableDDL is the notification tables of one generation.
func TableDDL(t Tables) []string {
	return []string{table.Create(t.Rows),
		`CREATE INDEX ` + t.Rows + `_user ON ` + t.Rows + ` (user_id, position, id)`,
		`CREATE INDEX ` + t.Rows + `_unread ON ` + t.Rows + ` (user_id, is_read, position, id)`,
		// the mailer reads everyone's new notifications in log order (After)
		`CREATE INDEX ` + t.Rows + `_position ON ` + t.Rows + ` (position, id)`,
		`CREATE TABLE ` + t.Counts + ` (user_id {id} PRIMARY KEY, unread {bigint} NOT NULL, latest {bigint} NOT NULL, changed {bigint} NOT NULL)`,
		`CREATE INDEX ` + t.Counts + `_changed ON ` + t.Counts + ` (changed)`,
	}
}

// Count is a user's unread count and the log position of their newest notification (0: none).
type Count struct {
	Unread int64  `json:"unread"`
	Latest uint64 `json:"latest,string"`
}

// CountOf reads a user's count row.
func (v *Views) CountOf(ctx context.Context, user uuid.UUID) (Count, error) {
	var c Count
	var latest int64
	err := v.SQL.QueryRowContext(ctx, v.Q(`SELECT unread, latest FROM `+v.Gens.Table(Projection, "notification_counts")+` WHERE user_id = ?`),
		user.String()).Scan(&c.Unread, &latest)
	if errors.Is(err, sql.ErrNoRows) {
		return Count{}, nil
	}
	c.Latest = uint64(latest)
	return c, err
}

// Changed is a user's count row that changed at log position At.
type Changed struct {
	User  uuid.UUID
	Count Count
	At    uint64
}

// MaxChanged bounds one ChangedSince.
const MaxChanged = 1000

// ChangedSince are the count rows that changed after the log position after, in the order they
// changed (at most MaxChanged: read again from the last one's At for more). The live streams of
// a process read this once per tick for all their users, by the index on changed.
func (v *Views) ChangedSince(ctx context.Context, after uint64) ([]Changed, error) {
	rows, err := v.SQL.QueryContext(ctx, v.Q(`SELECT user_id, unread, latest, changed FROM `+v.Gens.Table(Projection, "notification_counts")+
		` WHERE changed > ? ORDER BY changed LIMIT ?`), int64(after), MaxChanged)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Changed
	for rows.Next() {
		var c Changed
		var user string
		var latest, at int64
		if err := rows.Scan(&user, &c.Count.Unread, &latest, &at); err != nil {
			return nil, err
		}
		c.User, _ = uuid.Parse(user)
		c.Count.Latest, c.At = uint64(latest), uint64(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// LastChange is the log position of the latest change of any count row (0: none).
func (v *Views) LastChange(ctx context.Context) (uint64, error) {
	var n sql.NullInt64
	err := v.SQL.QueryRowContext(ctx, `SELECT MAX(changed) FROM `+v.Gens.Table(Projection, "notification_counts")).Scan(&n)
	return uint64(n.Int64), err
}

// Page is a page of a user's notifications, newest first, with their count.
type Page struct {
	Items      []*Notification `json:"items"`
	NextCursor string          `json:"nextCursor"`
	Count      Count           `json:"count"`
}

// Query is a page of one user's notifications.
type Query struct {
	User   uuid.UUID
	Unread bool // only those not read
	After  uint64
	Limit  int
	Cursor string
}

// List reads a page of a user's notifications, newest first (by log position), from the index
// on (user_id[, read], position).
func (v *Views) List(ctx context.Context, q Query) (Page, error) {
	if q.Limit <= 0 {
		q.Limit = 20
	}
	if q.Limit > 100 {
		return Page{}, &readmodels.ValidationError{Field: "limit", Message: "at most 100"}
	}
	stmt := `SELECT ` + Columns + ` FROM ` + v.Gens.Table(Projection, "notifications") + ` WHERE user_id = ?`
	args := []any{q.User.String()}
	if q.Unread {
		stmt += ` AND is_read = ?`
		args = append(args, false)
	}
	if q.Cursor != "" {
		pos, err := strconv.ParseUint(q.Cursor, 10, 63)
		if err != nil {
			return Page{}, &readmodels.ValidationError{Field: "cursor", Message: "is not a cursor of this list"}
		}
		stmt += ` AND position < ?`
		args = append(args, int64(pos))
	}
	if q.After > 0 {
		stmt += ` AND position > ?`
		args = append(args, int64(q.After))
	}
	stmt += ` ORDER BY position DESC, id DESC LIMIT ?`
	args = append(args, q.Limit+1)
	rows, err := v.SQL.QueryContext(ctx, v.Q(stmt), args...)
	if err != nil {
		return Page{}, err
	}
	p := Page{Items: []*Notification{}}
	items, err := table.All(rows)
	if err != nil {
		return Page{}, err
	}
	p.Items = append(p.Items, items...)
	if len(p.Items) > q.Limit {
		p.Items = p.Items[:q.Limit]
		// a page ends between two log positions: one event makes one notification per user
		p.NextCursor = strconv.FormatUint(p.Items[q.Limit-1].Position, 10)
	}
	p.Count, err = v.CountOf(ctx, q.User)
	return p, err
}

// After reads everyone's notifications after the log position after, in log order, by the index
// on position: at least limit of them unless there are fewer, and never part of one event's
// notifications (all the notifications of the last position read are in, so the next read can
// start after it).
func (v *Views) After(ctx context.Context, after uint64, limit int) ([]*Notification, error) {
	t := v.Gens.Table(Projection, "notifications")
	read := func(stmt string, args ...any) ([]*Notification, error) {
		rows, err := v.SQL.QueryContext(ctx, v.Q(stmt), args...)
		if err != nil {
			return nil, err
		}
		return table.All(rows)
	}
	out, err := read(`SELECT `+Columns+` FROM `+t+` WHERE position > ? ORDER BY position, id LIMIT ?`, int64(after), limit)
	if err != nil || len(out) < limit {
		return out, err
	}
	return read(`SELECT `+Columns+` FROM `+t+` WHERE position > ? AND position <= ? ORDER BY position, id`, int64(after), int64(out[len(out)-1].Position))
}
