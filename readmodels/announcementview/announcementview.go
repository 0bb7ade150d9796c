// Package announcementview is the announcement read model: a row per live announcement, its
// audience as keys ("*" for everyone, else department ids) with an index from key to
// announcement, and the read receipts (a row per reader and announcement, first read only).
//
// A reader's announcements are those whose audience holds one of their keys (everyone, their
// department and every department above it: a department includes its sub-departments), not
// expired; the condition is part of every statement. The unread count is one bounded query over
// the reader's keys (the audience index, then the receipt's primary key per announcement): its
// cost is the live announcements addressed to that reader, never the users, and it stops at
// MaxUnread.
package announcementview

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/announcement"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projection owns the announcement tables.
const Projection = "announcements"

// Views are the queries of this read model.
type Views struct{ *readmodels.DB }

// New serves the queries from db.
func New(db *readmodels.DB) *Views { return &Views{DB: db} }

// Audience is whom an announcement is addressed to, as the API shows it.
type Audience struct {
	Everyone    bool     `json:"everyone"`
	Departments []string `json:"departments"`
}

// Announcement is the read view of an announcement. Body is left out of list items; Read and
// ReadAt are the reader's own receipt.
type Announcement struct {
	ID            uuid.UUID  `json:"id"`
	Title         string     `json:"title"`
	Body          string     `json:"body,omitempty"`
	Audience      Audience   `json:"audience"`
	Pinned        bool       `json:"pinned"`
	ExpiresAt     *time.Time `json:"expiresAt"`
	Expired       bool       `json:"expired"`
	PublisherID   uuid.UUID  `json:"publisherId"`
	PublisherName string     `json:"publisherName"`
	PublishedAt   time.Time  `json:"publishedAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
	Version       int64      `json:"version"`
	Read          bool       `json:"read"`
	ReadAt        *time.Time `json:"readAt"`
	Position      uint64     `json:"-"`
}

// Rank orders the list: pinned first, then the newest (a fixed-width text, sorted descending).
func (a *Announcement) Rank() string {
	p := "0"
	if a.Pinned {
		p = "1"
	}
	return p + a.PublishedAt.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// SearchText is what keyword search matches: the title.
func (a *Announcement) SearchText() string { return strings.ToLower(a.Title) }

// Keys are the audience keys of the row.
func (a *Announcement) Keys() []string {
	return announcement.Audience{Everyone: a.Audience.Everyone, Departments: a.Audience.Departments}.Keys()
}

var table = readmodels.Cols([]readmodels.Col[Announcement]{
	readmodels.IDCol("id", "{id} PRIMARY KEY", func(a *Announcement) *uuid.UUID { return &a.ID }),
	readmodels.TextCol("title", func(a *Announcement) *string { return &a.Title }),
	readmodels.TextCol("body", func(a *Announcement) *string { return &a.Body }),
	readmodels.JSONCol("audience", func(a *Announcement) any { return &a.Audience }),
	readmodels.BoolCol("pinned", func(a *Announcement) *bool { return &a.Pinned }),
	readmodels.OptTimeCol("expires_at", func(a *Announcement) **time.Time { return &a.ExpiresAt }),
	readmodels.IDCol("publisher_id", "{id} NOT NULL", func(a *Announcement) *uuid.UUID { return &a.PublisherID }),
	readmodels.TimeCol("published_at", func(a *Announcement) *time.Time { return &a.PublishedAt }),
	readmodels.TimeCol("updated_at", func(a *Announcement) *time.Time { return &a.UpdatedAt }),
	readmodels.Int64Col("version", func(a *Announcement) *int64 { return &a.Version }),
	readmodels.PositionCol("position", func(a *Announcement) *uint64 { return &a.Position }),
	readmodels.WriteOnly("rank", "TEXT NOT NULL", func(_ readmodels.Dialect, a *Announcement) any { return a.Rank() }),
	readmodels.WriteOnly("search", "TEXT NOT NULL", func(_ readmodels.Dialect, a *Announcement) any { return a.SearchText() }),
})

// list is the table without the body (list items).
var list = readmodels.Cols(table.Pick("id", "title", "audience", "pinned", "expires_at", "publisher_id", "published_at", "updated_at",
	"version", "position", "rank"))

// Columns are the readable columns, in Scan order; InsertColumns every column, in Args order.
var (
	Columns       = table.Select()
	InsertColumns = table.Insert()
)

// Args are the row's values in InsertColumns order.
func Args(d readmodels.Dialect, a *Announcement) []any { return table.Args(d, a) }

// Scan reads one row in Columns order.
func Scan(row readmodels.Scanner) (*Announcement, error) { return table.Scan(row) }

// Sorts: the one order of the list, pinned first then newest ("-rank").
var Sorts = map[string]readmodels.SortColumn{"rank": {Column: "rank"}}

var spec = readmodels.ListSpec[*Announcement]{
	Columns:     list.Select(),
	Sorts:       Sorts,
	DefaultSort: "-rank",
	Scan:        func(r readmodels.Scanner) (*Announcement, error) { return list.Scan(r) },
	Value:       func(a *Announcement, _ string) (any, string) { return a.Rank(), a.ID.String() },
}

// Tables are the names of one generation's tables.
type Tables struct{ Rows, Audience, Reads string }

// TablesOf names a generation's tables.
func TablesOf(gen int) Tables {
	n := func(s string) string { return readmodels.TableName(s, gen) }
	return Tables{Rows: n("announcements"), Audience: n("announcement_audience"), Reads: n("announcement_reads")}
}

// TableDDL is the announcement tables of one generation: the rows (by rank for the list), the
// audience (key → announcement: a reader's announcements), the receipts (reader → announcement:
// their read flags and the unread count; announcement → position: the receipts page).
func TableDDL(t Tables) []string {
	return append([]string{table.Create(t.Rows),
		`CREATE TABLE ` + t.Audience + ` (audience_key TEXT NOT NULL, announcement_id {id} NOT NULL, PRIMARY KEY (audience_key, announcement_id))`,
		`CREATE INDEX ` + t.Audience + `_announcement ON ` + t.Audience + ` (announcement_id)`,
		`CREATE TABLE ` + t.Reads + ` (user_id TEXT NOT NULL, announcement_id {id} NOT NULL, at {time} NOT NULL, position {bigint} NOT NULL,
			PRIMARY KEY (user_id, announcement_id))`,
		`CREATE INDEX ` + t.Reads + `_announcement ON ` + t.Reads + ` (announcement_id, position)`,
	}, readmodels.SortIndexes(t.Rows, Sorts, "id", false)...)
}

// Reader is who reads: their id, their audience keys (announcement.ReaderKeys) and whether they
// publish (and so read every announcement, expired ones too, in the view "all").
type Reader struct {
	User      uuid.UUID
	Keys      []string
	Publisher bool
}

// ReaderOf is the reader of an actor.
func ReaderOf(a access.Actor) Reader {
	return Reader{User: a.ID, Keys: announcement.ReaderKeys(a.DeptPath), Publisher: a.Can(role.AnnouncementsPublish)}
}

// The views of the list.
const (
	ViewMine = "mine" // addressed to the reader, not expired
	ViewAll  = "all"  // every live announcement, expired ones included (publishers)
)

// ViewNames lists them.
var ViewNames = []string{ViewMine, ViewAll}

// Query is a search of announcements.
type Query struct {
	Reader Reader
	View   string // "": mine
	Q      string
	Unread bool // only those the reader has not read
	Now    time.Time
	Limit  int
	Cursor string
}

func (v *Views) rows() string  { return v.Gens.Table(Projection, "announcements") }
func (v *Views) reads() string { return v.Gens.Table(Projection, "announcement_reads") }

// addressed is the condition of the rows addressed to the reader and not expired at now.
func (v *Views) addressed(r Reader, now time.Time) (string, []any) {
	args := readmodels.AnySlice(r.Keys)
	cond := v.rows() + ".id IN (SELECT announcement_id FROM " + v.Gens.Table(Projection, "announcement_audience") +
		" WHERE audience_key IN (" + strings.TrimSuffix(strings.Repeat("?,", len(args)), ",") + "))" +
		" AND (expires_at IS NULL OR expires_at > ?)"
	return cond, append(args, v.Dialect.Time(now))
}

// Search lists announcements, pinned first then newest, with keyset pagination; what the reader
// may read is part of the statement.
func (v *Views) Search(ctx context.Context, q Query) (readmodels.Page[*Announcement], error) {
	t := v.rows()
	lq, err := v.SearchQuery(t, readmodels.Scope{All: true}, q.Q, nil)
	if err != nil {
		return readmodels.Page[*Announcement]{}, err
	}
	switch q.View {
	case "", ViewMine:
		cond, args := v.addressed(q.Reader, q.Now)
		lq.Add(cond, args...)
	case ViewAll:
		if !q.Reader.Publisher {
			return readmodels.Page[*Announcement]{}, access.ErrForbidden
		}
	default:
		return readmodels.Page[*Announcement]{}, &readmodels.ValidationError{Field: "view", Message: "must be one of " + strings.Join(ViewNames, ", ")}
	}
	if q.Unread {
		lq.Add("NOT EXISTS (SELECT 1 FROM "+v.reads()+" r WHERE r.user_id = ? AND r.announcement_id = "+t+".id)", q.Reader.User.String())
	}
	lq.Sort, lq.Limit, lq.Cursor = "", q.Limit, q.Cursor
	s := spec
	s.Table = t
	page, err := readmodels.List(ctx, v.DB, s, *lq)
	if err != nil {
		return page, err
	}
	return page, v.complete(ctx, q.Reader.User, q.Now, page.Items)
}

// Get returns one announcement if the reader may read it: addressed to them and not expired, or
// any live one for a publisher.
func (v *Views) Get(ctx context.Context, r Reader, id uuid.UUID, now time.Time) (*Announcement, error) {
	cond, args := "", []any(nil)
	if !r.Publisher {
		cond, args = v.addressed(r, now)
	}
	a, err := readmodels.GetWhere(ctx, v.DB, v.rows(), Columns, cond, args, id, Scan)
	if err != nil {
		return nil, err
	}
	return a, v.complete(ctx, r.User, now, []*Announcement{a})
}

// complete fills in the reader's receipts, whether each has expired and the publishers' names.
func (v *Views) complete(ctx context.Context, user uuid.UUID, now time.Time, items []*Announcement) error {
	if len(items) == 0 {
		return nil
	}
	args := []any{user.String()}
	names := map[string]string{}
	for _, a := range items {
		args = append(args, a.ID.String())
		names[a.PublisherID.String()] = ""
		a.Expired = a.ExpiresAt != nil && !now.Before(*a.ExpiresAt)
		if a.Audience.Departments == nil {
			a.Audience.Departments = []string{}
		}
	}
	rows, err := v.SQL.QueryContext(ctx, v.Q(`SELECT announcement_id, at FROM `+v.reads()+` WHERE user_id = ? AND announcement_id IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(items)), ",")+`)`), args...)
	if err != nil {
		return err
	}
	read := map[string]time.Time{}
	for rows.Next() {
		var id string
		var at readmodels.Time
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return err
		}
		read[strings.ToLower(id)] = at.T
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, a := range items {
		if at, ok := read[a.ID.String()]; ok {
			a.Read, a.ReadAt = true, &at
		}
	}
	if err := v.Names(ctx, v.UsersTable(), "display_name", "", nil, names); err != nil {
		return err
	}
	for _, a := range items {
		a.PublisherName = names[a.PublisherID.String()]
	}
	return nil
}

// MaxUnread bounds the unread count: beyond it the count says "at least" (the UI shows 99+).
const MaxUnread = 99

// Unread is a reader's count of unread announcements (Exact false: at least Count).
type Unread struct {
	Count int64 `json:"count"`
	Exact bool  `json:"exact"`
}

// UnreadCount counts the announcements addressed to the reader, not expired at now, that they
// have not read, up to MaxUnread: by the audience index for each of the reader's keys and the
// receipts' primary key.
func (v *Views) UnreadCount(ctx context.Context, r Reader, now time.Time) (Unread, error) {
	keys := readmodels.AnySlice(r.Keys)
	args := append(append([]any{}, keys...), v.Dialect.Time(now), r.User.String(), MaxUnread+1)
	var n int64
	err := v.SQL.QueryRowContext(ctx, v.Q(`SELECT count(*) FROM (SELECT DISTINCT a.announcement_id FROM `+
		v.Gens.Table(Projection, "announcement_audience")+` a JOIN `+v.rows()+` n ON n.id = a.announcement_id
		WHERE a.audience_key IN (`+strings.TrimSuffix(strings.Repeat("?,", len(keys)), ",")+`) AND (n.expires_at IS NULL OR n.expires_at > ?)
		AND NOT EXISTS (SELECT 1 FROM `+v.reads()+` r WHERE r.user_id = ? AND r.announcement_id = a.announcement_id) LIMIT ?) c`), args...).Scan(&n)
	if err != nil {
		return Unread{}, err
	}
	if n > MaxUnread {
		return Unread{Count: MaxUnread, Exact: false}, nil
	}
	return Unread{Count: n, Exact: true}, nil
}

// Receipt is one reader's first read.
type Receipt struct {
	UserID   uuid.UUID `json:"userId"`
	UserName string    `json:"userName"`
	At       time.Time `json:"at"`
	Position uint64    `json:"-"`
}

// Receipts is a page of an announcement's receipts, the latest first, with how many of its
// audience (the active users in it now) have read it and how many have not.
type Receipts struct {
	Items      []Receipt `json:"items"`
	NextCursor string    `json:"nextCursor"`
	Audience   int64     `json:"audience"`
	Read       int64     `json:"read"`
	Unread     int64     `json:"unread"`
}

// MaxReceipts is the largest page of receipts.
const MaxReceipts = 200

// Receipts reads a page of the receipts of a live announcement (publishers: the caller checks),
// by the index on (announcement, position); the audience's counts are read from the organisation
// (one count each, over the users of the audience's departments by their path index).
func (v *Views) Receipts(ctx context.Context, id uuid.UUID, limit int, cursor string) (Receipts, error) {
	if limit <= 0 {
		limit = 50
	}
	if limit > MaxReceipts {
		return Receipts{}, &readmodels.ValidationError{Field: "limit", Message: "at most " + strconv.Itoa(MaxReceipts)}
	}
	var audJSON string
	err := v.SQL.QueryRowContext(ctx, v.Q(`SELECT audience FROM `+v.rows()+` WHERE id = ?`), id.String()).Scan(&audJSON)
	if errors.Is(err, sql.ErrNoRows) {
		return Receipts{}, readmodels.ErrNotFound
	}
	if err != nil {
		return Receipts{}, err
	}
	stmt := `SELECT user_id, at, position FROM ` + v.reads() + ` WHERE announcement_id = ?`
	args := []any{id.String()}
	if cursor != "" {
		pos, err := strconv.ParseUint(cursor, 10, 63)
		if err != nil {
			return Receipts{}, &readmodels.ValidationError{Field: "cursor", Message: "is not a cursor of this list"}
		}
		stmt += ` AND position < ?`
		args = append(args, int64(pos))
	}
	rows, err := v.SQL.QueryContext(ctx, v.Q(stmt+` ORDER BY position DESC LIMIT ?`), append(args, limit+1)...)
	if err != nil {
		return Receipts{}, err
	}
	out := Receipts{Items: []Receipt{}}
	names := map[string]string{}
	for rows.Next() {
		var r Receipt
		var user string
		var at readmodels.Time
		var pos int64
		if err := rows.Scan(&user, &at, &pos); err != nil {
			rows.Close()
			return Receipts{}, err
		}
		r.UserID, _ = uuid.Parse(user)
		r.At, r.Position = at.T, uint64(pos)
		names[r.UserID.String()] = ""
		out.Items = append(out.Items, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Receipts{}, err
	}
	if len(out.Items) > limit {
		out.Items = out.Items[:limit]
		out.NextCursor = strconv.FormatUint(out.Items[limit-1].Position, 10)
	}
	if err := v.Names(ctx, v.UsersTable(), "display_name", "", nil, names); err != nil {
		return Receipts{}, err
	}
	for i := range out.Items {
		out.Items[i].UserName = names[out.Items[i].UserID.String()]
	}
	var aud Audience
	if err := jsonUnmarshal(audJSON, &aud); err != nil {
		return Receipts{}, err
	}
	cond, cargs, err := v.audienceUsers(ctx, aud)
	if err != nil {
		return Receipts{}, err
	}
	users := v.UsersTable()
	if err := v.SQL.QueryRowContext(ctx, v.Q(`SELECT count(*) FROM `+users+` u WHERE u.disabled = ? AND `+cond),
		append([]any{false}, cargs...)...).Scan(&out.Audience); err != nil {
		return Receipts{}, err
	}
	if err := v.SQL.QueryRowContext(ctx, v.Q(`SELECT count(*) FROM `+v.reads()+` r JOIN `+users+` u ON u.id = r.user_id
		WHERE r.announcement_id = ? AND u.disabled = ? AND `+cond), append([]any{id.String(), false}, cargs...)...).Scan(&out.Read); err != nil {
		return Receipts{}, err
	}
	out.Unread = max(out.Audience-out.Read, 0)
	return out, nil
}

// audienceUsers is the condition on the organisation's users (alias u) of the audience: every
// user, or those in one of its departments or below (by the department's path).
func (v *Views) audienceUsers(ctx context.Context, a Audience) (string, []any, error) {
	if a.Everyone {
		return "1 = 1", nil, nil
	}
	if len(a.Departments) == 0 {
		return "1 = 0", nil, nil
	}
	rows, err := v.SQL.QueryContext(ctx, v.Q(`SELECT path FROM `+v.Gens.Table(readmodels.OrgProjection, "org_departments")+
		` WHERE id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(a.Departments)), ",")+`)`), readmodels.AnySlice(a.Departments)...)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	var ors []string
	var args []any
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return "", nil, err
		}
		ors, args = append(ors, "(u.dept_path >= ? AND u.dept_path < ?)"), append(args, p, p+"\uffff")
	}
	if err := rows.Err(); err != nil {
		return "", nil, err
	}
	if len(ors) == 0 {
		return "1 = 0", nil, nil
	}
	return "(" + strings.Join(ors, " OR ") + ")", args, nil
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
