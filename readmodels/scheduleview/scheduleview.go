// Package scheduleview is the calendar read model: a row per live schedule entry (its owner in
// the owner columns, so that a data scope is the same WHERE clause as every owned record's) with
// the series' bounds (first start, last end; a series that never ends ends in the far future),
// and the users involved in each entry (owner, creator, participants: they read it whatever their
// scope). A calendar window reads the entries whose bounds overlap it, by the index on the last
// end, and expands their recurrences (domain/schedule) in the window.
package scheduleview

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/schedule"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projection owns the schedule tables.
const Projection = "schedules"

// Views are the queries of this read model.
type Views struct{ *readmodels.DB }

// New serves the queries from db.
func New(db *readmodels.DB) *Views { return &Views{DB: db} }

// FarFuture is the last end of a series that never ends.
var FarFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// State is what the row keeps of the aggregate beyond its columns.
type State struct {
	Start        string                       `json:"start"`
	End          string                       `json:"end"`
	Participants []string                     `json:"participants"`
	Reminders    []int                        `json:"reminders"`
	Cancelled    []string                     `json:"cancelled,omitempty"`
	Overrides    map[string]schedule.Override `json:"overrides,omitempty"`
	Through      time.Time                    `json:"through"`
}

// Entry is the read view of a schedule entry. The owner columns hold its owner.
type Entry struct {
	ID          uuid.UUID  `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Location    string     `json:"location"`
	AllDay      bool       `json:"allDay"`
	Recurrence  string     `json:"recurrence"`
	RelatedKind string     `json:"relatedKind"`
	RelatedID   *uuid.UUID `json:"relatedId"`
	RelatedName string     `json:"relatedName"`
	// StartAt and EndAt are the first occurrence's interval; SeriesEnd the last occurrence's end
	// (FarFuture for a series that never ends).
	StartAt   time.Time `json:"startAt"`
	EndAt     time.Time `json:"endAt"`
	SeriesEnd time.Time `json:"-"`
	readmodels.Ownership
	CreatorID   uuid.UUID  `json:"creatorId"`
	CreatorName string     `json:"creatorName"`
	NextAlertAt *time.Time `json:"-"`
	State       State      `json:"-"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	Version     int64      `json:"version"`
	Position    uint64     `json:"-"`
}

// SearchText is what keyword search matches: the title, the location and the related record's
// name.
func (e *Entry) SearchText() string {
	return strings.ToLower(e.Title + readmodels.Separator + e.Location + readmodels.Separator + e.RelatedName)
}

// FromAggregate sets every column that follows from the aggregate (not the owner's placement or
// the creator's name).
func (e *Entry) FromAggregate(a *schedule.Schedule) {
	s := a.Series()
	f := s.Fields
	e.Title, e.Description, e.Location, e.AllDay, e.Recurrence = f.Title, f.Description, f.Location, f.AllDay, f.Recurrence
	e.RelatedKind, e.RelatedID, e.RelatedName = f.RelatedKind, readmodels.OptID(f.RelatedID), f.RelatedName
	sp := f.Span()
	e.StartAt, e.EndAt = sp.Start.UTC(), sp.End.UTC()
	_, last := s.Bounds()
	e.SeriesEnd = FarFuture
	if !last.IsZero() {
		e.SeriesEnd = last.UTC()
	}
	e.CreatorID = a.Creator()
	e.State = State{Start: f.Start, End: f.End, Participants: f.Participants, Reminders: f.Reminders, Cancelled: s.Cancelled,
		Overrides: s.Overrides, Through: a.Through()}
	if next := a.NextAlert(); !next.IsZero() {
		e.NextAlertAt = &next
	} else {
		e.NextAlertAt = nil
	}
}

// Series is the entry's timing (to expand it).
func (e *Entry) Series() schedule.Series {
	return schedule.Series{Fields: e.fields(), Cancelled: e.State.Cancelled, Overrides: e.State.Overrides}
}

func (e *Entry) fields() schedule.Fields {
	f := schedule.Fields{Title: e.Title, Description: e.Description, Location: e.Location, AllDay: e.AllDay, Start: e.State.Start,
		End: e.State.End, Recurrence: e.Recurrence, RelatedKind: e.RelatedKind, RelatedName: e.RelatedName,
		Participants: e.State.Participants, Reminders: e.State.Reminders}
	if e.RelatedID != nil {
		f.RelatedID = e.RelatedID.String()
	}
	return f
}

// Aggregate is the entry the row holds (the projection folds later events into it).
func (e *Entry) Aggregate() *schedule.Schedule {
	st := schedule.State{Series: e.Series(), Creator: e.CreatorID, Through: e.State.Through, EditVersion: e.Version,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	if e.OwnerID != nil {
		st.Owner = *e.OwnerID
	}
	return schedule.Restore(e.ID, st)
}

var table = readmodels.Cols(
	[]readmodels.Col[Entry]{
		readmodels.IDCol("id", "{id} PRIMARY KEY", func(e *Entry) *uuid.UUID { return &e.ID }),
		readmodels.TextCol("title", func(e *Entry) *string { return &e.Title }),
		readmodels.TextCol("description", func(e *Entry) *string { return &e.Description }),
		readmodels.TextCol("location", func(e *Entry) *string { return &e.Location }),
		readmodels.BoolCol("all_day", func(e *Entry) *bool { return &e.AllDay }),
		readmodels.TextCol("recurrence", func(e *Entry) *string { return &e.Recurrence }),
		readmodels.TextCol("related_kind", func(e *Entry) *string { return &e.RelatedKind }),
		readmodels.OptIDCol("related_id", true, func(e *Entry) **uuid.UUID { return &e.RelatedID }),
		readmodels.TextCol("related_name", func(e *Entry) *string { return &e.RelatedName }),
		readmodels.TimeCol("start_at", func(e *Entry) *time.Time { return &e.StartAt }),
		readmodels.TimeCol("end_at", func(e *Entry) *time.Time { return &e.EndAt }),
		readmodels.TimeCol("series_end", func(e *Entry) *time.Time { return &e.SeriesEnd }),
		// the timing as entered and whether a series has exceptions, beside the state: the
		// calendar expands a month of series without decoding their state
		readmodels.WriteOnly("local_start", "TEXT NOT NULL DEFAULT ''", func(_ readmodels.Dialect, e *Entry) any { return e.State.Start }),
		readmodels.WriteOnly("local_end", "TEXT NOT NULL DEFAULT ''", func(_ readmodels.Dialect, e *Entry) any { return e.State.End }),
		readmodels.WriteOnly("exceptions", "{bool} NOT NULL DEFAULT FALSE", func(_ readmodels.Dialect, e *Entry) any {
			return len(e.State.Cancelled) > 0 || len(e.State.Overrides) > 0
		}),
	},
	readmodels.OwnershipCols(func(e *Entry) *readmodels.Ownership { return &e.Ownership }),
	[]readmodels.Col[Entry]{
		readmodels.IDCol("creator_id", "{id} NOT NULL", func(e *Entry) *uuid.UUID { return &e.CreatorID }),
		readmodels.TextCol("creator_name", func(e *Entry) *string { return &e.CreatorName }),
		readmodels.OptTimeCol("next_alert_at", func(e *Entry) **time.Time { return &e.NextAlertAt }),
		readmodels.JSONCol("state", func(e *Entry) any { return &e.State }),
		readmodels.TimeCol("created_at", func(e *Entry) *time.Time { return &e.CreatedAt }),
		readmodels.TimeCol("updated_at", func(e *Entry) *time.Time { return &e.UpdatedAt }),
		readmodels.Int64Col("version", func(e *Entry) *int64 { return &e.Version }),
		readmodels.PositionCol("position", func(e *Entry) *uint64 { return &e.Position }),
		readmodels.WriteOnly("search", "TEXT NOT NULL", func(_ readmodels.Dialect, e *Entry) any { return e.SearchText() }),
	})

// Columns are the readable columns, in Scan order; InsertColumns every column, in Args order.
var (
	Columns       = table.Select()
	InsertColumns = table.Insert()
)

// Args are the row's values in InsertColumns order.
func Args(d readmodels.Dialect, e *Entry) []any { return table.Args(d, e) }

// Scan reads one row in Columns order.
func Scan(row readmodels.Scanner) (*Entry, error) { return table.Scan(row) }

// Sorts are the orders the list offers (each served by an index in keyset order): by first
// start, by the series' end (the calendar's window reads by it), creation and last change.
var Sorts = map[string]readmodels.SortColumn{
	"startAt":   {Column: "start_at", IsTime: true},
	"seriesEnd": {Column: "series_end", IsTime: true},
	"createdAt": {Column: "created_at", IsTime: true}, "updatedAt": {Column: "updated_at", IsTime: true},
}

// SortKeys are the sorts' names.
func SortKeys() []string { return []string{"startAt", "seriesEnd", "createdAt", "updatedAt"} }

var spec = readmodels.ListSpec[*Entry]{
	Columns:     Columns,
	Sorts:       Sorts,
	DefaultSort: "-startAt",
	Scan:        func(r readmodels.Scanner) (*Entry, error) { return Scan(r) },
	Value: func(e *Entry, col string) (any, string) {
		switch col {
		case "start_at":
			return &e.StartAt, e.ID.String()
		case "series_end":
			return &e.SeriesEnd, e.ID.String()
		case "created_at":
			return &e.CreatedAt, e.ID.String()
		}
		return &e.UpdatedAt, e.ID.String()
	},
}

// Tables are the names of one generation's schedule tables.
type Tables struct{ Rows, Members, Feeds string }

// TablesOf names a generation's tables.
func TablesOf(gen int) Tables {
	n := func(s string) string { return readmodels.TableName(s, gen) }
	return Tables{Rows: n("schedules"), Members: n("schedule_members"), Feeds: n("calendar_feeds")}
}

// TableDDL is the schedule tables of one generation: the rows (an index per offered sort, for
// everyone and per owner; the creator's by series end; the reminder process's by next alert) and
// who is involved in each entry (by user and series end, for a person's calendar); the users' calendar feeds (by the hash of their secret).
func TableDDL(t Tables) []string {
	return append([]string{table.Create(t.Rows),
		`CREATE INDEX ` + t.Rows + `_creator ON ` + t.Rows + ` (creator_id, series_end, id)`,
		`CREATE INDEX ` + t.Rows + `_related ON ` + t.Rows + ` (related_id)`,
		`CREATE INDEX ` + t.Rows + `_alert ON ` + t.Rows + ` (next_alert_at, id)`,
		`CREATE TABLE ` + t.Members + ` (schedule_id {id} NOT NULL, user_id {id} NOT NULL, series_end {time} NOT NULL, PRIMARY KEY (user_id, schedule_id))`,
		`CREATE INDEX ` + t.Members + `_window ON ` + t.Members + ` (user_id, series_end)`,
		`CREATE INDEX ` + t.Members + `_schedule ON ` + t.Members + ` (schedule_id)`,
		`CREATE TABLE ` + t.Feeds + ` (user_id {id} PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, issued_at {time} NOT NULL)`,
	}, readmodels.OwnershipIndexes(t.Rows, Sorts)...)
}

// Reader is who reads: their scope (schedules.read) and their id (the entries they are involved in).
type Reader = readmodels.Involved

// ReaderOf is the reader of an actor.
func ReaderOf(a access.Actor) Reader { return readmodels.InvolvedOf(a, role.SchedulesRead) }

// visible is the reader's condition: involved, or the owner inside the scope.
func (v *Views) visible(r Reader) (string, []any) {
	return r.Condition(v.Gens.Table(Projection, "schedule_members"), "schedule_id")
}

// member is the condition "the reader is involved" (one ? for the reader's id).
func (v *Views) member() string {
	return readmodels.Membership(v.Gens.Table(Projection, "schedule_members"), "schedule_id")
}

// The views of the requirement documents (today is a calendar window).
const (
	ViewMine          = "mine"
	ViewCreated       = "created"
	ViewSubordinates  = "subordinates"
	ViewParticipating = "participating"
	ViewAll           = "all"
)

// ViewNames lists them.
var ViewNames = []string{ViewMine, ViewCreated, ViewSubordinates, ViewParticipating, ViewAll}

// Query is a schedule search.
type Query struct {
	Reader Reader
	// View is one of ViewNames ("": mine: the entries the reader owns or takes part in, not those
	// they only created for someone else).
	View      string
	Q         string
	Owner     *uuid.UUID
	RelatedID *uuid.UUID
	// From and To bound the series (it overlaps [From, To)).
	From, To *time.Time
	Sort     string
	Limit    int
	Cursor   string
}

// conditions adds the view's and the filters' conditions; branch reports whether the reader's
// scope may split into per-owner branches.
func (v *Views) conditions(lq *readmodels.ListQuery, q Query) (branch bool, err error) {
	if cond, args := v.visible(q.Reader); cond != "" {
		lq.Add(cond, args...)
	}
	me := q.Reader.User.String()
	branch = true
	switch q.View {
	case "", ViewMine:
		// owned, or taken part in (the members are the owner, the creator and the participants)
		lq.Add("(owner_id = ? OR ("+v.member()+" AND creator_id <> ?))", me, me, me)
		branch = false
	case ViewCreated:
		lq.Add("creator_id = ?", me)
		branch = false
	case ViewSubordinates:
		prefix := q.Reader.Scope.SubordinatePrefix
		if q.Reader.Scope.None {
			lq.Add("1 = 0")
		} else {
			lq.Add("owner_superior_path >= ? AND owner_superior_path < ?", prefix, prefix+"\uffff")
		}
	case ViewParticipating:
		lq.Add(v.member()+" AND owner_id <> ? AND creator_id <> ?", me, me, me)
		branch = false
	case ViewAll:
	default:
		return false, &readmodels.ValidationError{Field: "view", Message: "must be one of " + strings.Join(ViewNames, ", ")}
	}
	if q.Owner != nil {
		lq.Add("owner_id = ?", q.Owner.String())
		branch = false
	}
	if q.RelatedID != nil {
		lq.Add("related_id = ?", q.RelatedID.String())
	}
	if q.From != nil {
		lq.Add("series_end > ?", v.Dialect.Time(*q.From))
	}
	if q.To != nil {
		lq.Add("start_at < ?", v.Dialect.Time(*q.To))
	}
	return branch, nil
}

// Search lists entries with keyset pagination; what the reader may read is part of the
// statement.
func (v *Views) Search(ctx context.Context, q Query) (readmodels.Page[*Entry], error) {
	t := v.Gens.Table(Projection, "schedules")
	lq, err := v.SearchQuery(t, readmodels.Scope{All: true}, q.Q, nil)
	if err != nil {
		return readmodels.Page[*Entry]{}, err
	}
	branch, err := v.conditions(lq, q)
	if err != nil {
		return readmodels.Page[*Entry]{}, err
	}
	// A reader whose scope is a few owners reads each one's rows in sort order, and the entries
	// they are involved in beside.
	if branch && !q.Reader.Scope.None {
		branches, err := v.OwnerBranches(ctx, v.Gens.Table(Projection, "schedule_org_users"), q.Reader.Scope, nil, nil)
		if err != nil {
			return readmodels.Page[*Entry]{}, err
		}
		if branches != nil {
			lq.Branches = readmodels.Besides(branches, readmodels.Cond{SQL: v.member(), Args: []any{q.Reader.User.String()}})
		}
	}
	lq.Sort, lq.Limit, lq.Cursor = q.Sort, q.Limit, q.Cursor
	s := spec
	s.Table = t
	return readmodels.List(ctx, v.DB, s, *lq)
}

// MaxWindowEntries bounds the entries one calendar window expands.
const MaxWindowEntries = 2000

// MaxWindowOwners is how many owners a window reads by the owner index before it walks the
// series-end index with the scope's condition instead.
const MaxWindowOwners = 1000

// Window is the entries (at most MaxWindowEntries; truncated when more) whose series overlaps
// [from, to) in a view, ordered by start. Each part of the view is read by an index that starts
// with who it is about — the owners the view covers (owner and series end), the reader's
// memberships (user and series end), the creator (creator and series end) — so a window costs
// what the people in it have, not what the table holds; only a reader who sees everyone (or more
// than MaxWindowOwners owners) walks the series-end index.
func (v *Views) Window(ctx context.Context, q Query, from, to time.Time) ([]*Entry, bool, error) {
	var out []*Entry
	truncated, err := v.window(ctx, q, from, to, table, func(e *Entry) {
		c := *e
		out = append(out, &c)
	})
	if err != nil {
		return nil, false, err
	}
	slices.SortFunc(out, func(a, b *Entry) int {
		if c := a.StartAt.Compare(b.StartAt); c != 0 {
			return c
		}
		return bytes.Compare(a.ID[:], b.ID[:])
	})
	return out, truncated, nil
}

// calendarCols are what the calendar reads of a row: what an occurrence shows and who may change
// it, the timing as entered, and the state only of a series with exceptions (cancelled or edited
// occurrences): decoding JSON was a quarter of a manager's month.
var calendarCols = append(table.Only("id", "title", "location", "all_day", "recurrence", "related_kind", "related_id", "related_name",
	"start_at", "end_at", "owner_id", "owner_name", "creator_id", "version"),
	readmodels.TextCol("local_start", func(e *Entry) *string { return &e.State.Start }),
	readmodels.TextCol("local_end", func(e *Entry) *string { return &e.State.End }),
	readmodels.Col[Entry]{Name: "CASE WHEN exceptions THEN state ELSE '' END", Read: func() (any, func(*Entry)) {
		var s string
		return &s, func(e *Entry) {
			if s != "" {
				_ = json.Unmarshal([]byte(s), &e.State)
			}
		}
	}})

// CalendarWindow passes each entry of Window's to each as it is read, in no particular order,
// reading only what the calendar expands and shows (no description, no participants or
// reminders; the state only of series with exceptions): a manager's month is thousands of rows,
// expanded one at a time in one Entry that each must not keep.
func (v *Views) CalendarWindow(ctx context.Context, q Query, from, to time.Time, each func(*Entry)) (truncated bool, err error) {
	return v.window(ctx, q, from, to, calendarCols, each)
}

func (v *Views) window(ctx context.Context, q Query, from, to time.Time, cols readmodels.Table[Entry], each func(*Entry)) (bool, error) {
	t, m := v.Gens.Table(Projection, "schedules"), v.Gens.Table(Projection, "schedule_members")
	where, args := []string{"series_end > ?", "start_at < ?"}, []any{v.Dialect.Time(from), v.Dialect.Time(to)}
	add := func(cond string, a ...any) { where, args = append(where, cond), append(args, a...) }
	if needle := strings.ToLower(strings.TrimSpace(q.Q)); needle != "" {
		if utf8.RuneCountInString(needle) > 100 {
			return false, &readmodels.ValidationError{Field: "q", Message: "at most 100 characters"}
		}
		add(v.Dialect.Contains("search"), needle)
	}
	if q.Owner != nil {
		add("owner_id = ?", q.Owner.String())
	}
	if q.RelatedID != nil {
		add("related_id = ?", q.RelatedID.String())
	}
	r, me := q.Reader, q.Reader.User.String()
	type arm struct {
		cond string
		args []any
	}
	member := func(extra string, a ...any) arm {
		return arm{"id IN (SELECT schedule_id FROM " + m + " WHERE user_id = ? AND series_end > ?)" + extra, append([]any{me, v.Dialect.Time(from)}, a...)}
	}
	owners := func(s readmodels.Scope) ([]arm, error) {
		ids, err := v.CoveredUsers(ctx, v.Gens.Table(Projection, "schedule_org_users"), s, MaxWindowOwners)
		if err != nil {
			return nil, err
		}
		if ids == nil {
			cond, a := s.Condition()
			if cond == "" {
				cond = "1 = 1"
			}
			return []arm{{cond, a}}, nil
		}
		return []arm{{"owner_id IN (" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")", readmodels.AnySlice(ids)}}, nil
	}
	var arms []arm
	switch q.View {
	case "", ViewMine:
		arms = []arm{{"owner_id = ?", []any{me}}, member(" AND creator_id <> ?", me)}
	case ViewCreated:
		arms = []arm{{"creator_id = ?", []any{me}}}
	case ViewParticipating:
		arms = []arm{member(" AND owner_id <> ? AND creator_id <> ?", me, me)}
	case ViewSubordinates:
		if r.Scope.None {
			return false, nil
		}
		prefix := r.Scope.SubordinatePrefix
		add("owner_superior_path >= ? AND owner_superior_path < ?", prefix, prefix+"\uffff")
		sub := readmodels.Scope{Kind: role.ScopeSelfAndSubordinates, UserID: r.User, SubordinatePrefix: prefix}
		var err error
		if arms, err = owners(sub); err != nil {
			return false, err
		}
		if cond, a := r.Scope.Condition(); cond != "" {
			add(cond, a...)
		}
	case ViewAll:
		arms = []arm{member("")}
		if !r.Scope.None {
			more, err := owners(r.Scope)
			if err != nil {
				return false, err
			}
			arms = append(more, arms...)
		}
	default:
		return false, &readmodels.ValidationError{Field: "view", Message: "must be one of " + strings.Join(ViewNames, ", ")}
	}
	// rows two arms read are passed once; one arm reads each row once
	var seen map[uuid.UUID]bool
	if len(arms) > 1 {
		seen = map[uuid.UUID]bool{}
	}
	rr, e, n := cols.Reader(), new(Entry), 0
	errFull := errors.New("full")
	for _, a := range arms {
		err := v.Stream(ctx, `SELECT `+cols.Select()+` FROM `+t+` WHERE `+strings.Join(where, " AND ")+` AND (`+a.cond+`) LIMIT ?`,
			append(append(slices.Clone(args), a.args...), MaxWindowEntries+1), rr.Dests(), func() error {
				*e = Entry{}
				rr.Store(e)
				if seen != nil {
					if seen[e.ID] {
						return nil
					}
					seen[e.ID] = true
				}
				if n == MaxWindowEntries {
					return errFull
				}
				n++
				each(e)
				return nil
			})
		if errors.Is(err, errFull) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
	return false, nil
}

// Get returns one entry if the reader may read it.
func (v *Views) Get(ctx context.Context, r Reader, id uuid.UUID) (*Entry, error) {
	cond, args := v.visible(r)
	return readmodels.GetWhere(ctx, v.DB, v.Gens.Table(Projection, "schedules"), Columns, cond, args, id, Scan)
}

// AlertsDue are entries whose next reminder is due at now, earliest first (the reminder process,
// by the index on next_alert_at).
func (v *Views) AlertsDue(ctx context.Context, now time.Time, limit int) ([]uuid.UUID, error) {
	return v.IDs(ctx, `SELECT id FROM `+v.Gens.Table(Projection, "schedules")+` WHERE next_alert_at <= ? ORDER BY next_alert_at, id LIMIT ?`,
		v.Dialect.Time(now), limit)
}

// MarshalJSON writes the row with its owner, its start and end as the entry keeps them, and the
// state's lists.
func (e Entry) MarshalJSON() ([]byte, error) {
	type plain Entry
	st := e.State
	if st.Participants == nil {
		st.Participants = []string{}
	}
	if st.Reminders == nil {
		st.Reminders = []int{}
	}
	if st.Cancelled == nil {
		st.Cancelled = []string{}
	}
	if st.Overrides == nil {
		st.Overrides = map[string]schedule.Override{}
	}
	var seriesEnd *time.Time
	if e.SeriesEnd.Before(FarFuture) {
		seriesEnd = &e.SeriesEnd
	}
	return json.Marshal(struct {
		plain
		Start        string                       `json:"start"`
		End          string                       `json:"end"`
		SeriesEnd    *time.Time                   `json:"seriesEnd"`
		Participants []string                     `json:"participants"`
		Reminders    []int                        `json:"reminders"`
		Cancelled    []string                     `json:"cancelled"`
		Overrides    map[string]schedule.Override `json:"overrides"`
	}{plain(e), st.Start, st.End, seriesEnd, st.Participants, st.Reminders, st.Cancelled, st.Overrides})
}

// FeedOwner is the user whose calendar feed answers to the secret with that hash (false when none
// does: never issued, revoked or superseded).
func (v *Views) FeedOwner(ctx context.Context, tokenHash string) (uuid.UUID, bool, error) {
	ids, err := v.IDs(ctx, `SELECT user_id FROM `+v.Gens.Table(Projection, "calendar_feeds")+` WHERE token_hash = ?`, tokenHash)
	if err != nil || len(ids) == 0 {
		return uuid.Nil, false, err
	}
	return ids[0], true, nil
}

// FeedIssued is when the user's feed got its current secret (zero when it has none).
func (v *Views) FeedIssued(ctx context.Context, user uuid.UUID) (time.Time, error) {
	var at readmodels.Time
	err := v.SQL.QueryRowContext(ctx, v.Q(`SELECT issued_at FROM `+v.Gens.Table(Projection, "calendar_feeds")+` WHERE user_id = ?`), user.String()).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	return at.T, err
}
