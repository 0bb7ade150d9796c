package auditview

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// AuditProjection owns the operation-log index: one row per event of the log, so compliance
// queries (by actor, type, stream, time) use indexes instead of scanning the event store.
const Projection = readmodels.AuditProjection

// The index keeps of each event only what the filters need, and no payload: its position, when it
// occurred, its stream, and its stream kind, type and actor as numbers of the terms table (an event
// type or an actor id is stored once, not in every row). A page reads its events from the event
// store by position (Log).

// Kinds of the terms table.
const (
	TermKind  = "kind"  // stream kinds (eventstore.StreamKind)
	TermType  = "type"  // event types
	TermActor = "actor" // actor ids (metadata actorId)
)

// TableDDL is the tables of one generation: events, the index, and terms, the stream kinds, event
// types and actor ids its rows refer to by number.
func TableDDL(events, terms string) []string {
	return []string{
		`CREATE TABLE ` + events + ` (
		position {bigint} PRIMARY KEY, occurred_at {time} NOT NULL, kind_term INTEGER NOT NULL, type_term INTEGER NOT NULL,
		actor_term INTEGER NOT NULL, stream_id TEXT NOT NULL)`,
		// One-column indexes: SQLite keeps the rows of a key in rowid (= position) order, and
		// PostgreSQL stores a key once for all its rows.
		`CREATE INDEX ` + events + `_actor ON ` + events + ` (actor_term)`,
		`CREATE INDEX ` + events + `_type ON ` + events + ` (type_term)`,
		`CREATE INDEX ` + events + `_kind ON ` + events + ` (kind_term)`,
		`CREATE INDEX ` + events + `_stream ON ` + events + ` (stream_id)`,
		`CREATE INDEX ` + events + `_time ON ` + events + ` (occurred_at)`,
		`CREATE TABLE ` + terms + ` (term_id INTEGER PRIMARY KEY, kind TEXT NOT NULL, term TEXT NOT NULL)`,
		`CREATE UNIQUE INDEX ` + terms + `_term ON ` + terms + ` (kind, term)`,
	}
}

// Columns of the events table in insert order.
const Columns = `position, occurred_at, kind_term, type_term, actor_term, stream_id`

// TermColumns of the terms table in insert order.
const TermColumns = `term_id, kind, term`

// Log reads the events of a page from the event store (eventstore.Store does).
type Log interface {
	ReadPositions(ctx context.Context, positions []uint64) ([]eventstore.Event, error)
}

// AuditEvent is one row of the operation log.
type Event struct {
	Position   uint64                `json:"position"`
	EventID    string                `json:"eventId"`
	StreamID   string                `json:"streamId"`
	Version    int64                 `json:"version"`
	Type       string                `json:"type"`
	OccurredAt time.Time             `json:"occurredAt"`
	Actor      readmodels.AuditActor `json:"actor"`
	Data       json.RawMessage       `json:"data"`
	Metadata   Meta                  `json:"metadata"`
}

// AuditMeta is the rest of the event metadata.
type Meta struct {
	Command       string `json:"command"`
	CorrelationID string `json:"correlationId"`
	CausationID   string `json:"causationId"`
	RequestID     string `json:"requestId"`
	ClientAddr    string `json:"clientAddr"`
}

// AuditQuery filters the operation log.
type Query struct {
	Scope      readmodels.Scope // whose operations the reader may see (by the actor's place in the organisation)
	Department uuid.UUID        // only operations by members of this department's subtree
	ActorID    string
	Type       string // exact type, or a prefix ending in "." such as "lead."
	StreamID   string
	// StreamPrefix: only streams whose id starts with it (the export's stream=lead-…*).
	StreamPrefix string
	StreamKind   string
	From, To     *time.Time
	// Until: only events at or before this position (0: no bound), so that an export stops at the
	// log's head as it was when it began.
	Until  uint64
	Desc   bool
	Limit  int
	Cursor string // a cursor this server issued
}

// Search pages through the operation log by position: the index picks the page's positions, the
// event store gives their events.
func (db *Views) Search(ctx context.Context, q Query) (readmodels.Page[Event], error) {
	table, terms := db.Gens.Table(Projection, "audit_events"), db.Gens.Table(Projection, "audit_terms")
	var where []string
	var args []any
	add := func(c string, a ...any) { where = append(where, c); args = append(args, a...) }
	// A filter on a kind of terms (an actor id, a type or a type prefix, a stream kind) becomes the
	// numbers of the matching terms, looked up first so that the planner sees the values.
	var err error
	addTerms := func(column, kind, cond string, a ...any) {
		if err != nil {
			return
		}
		var ids []any
		if ids, err = db.termIDs(ctx, terms, kind, cond, a...); err == nil {
			add(column+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+")", ids...)
		}
	}
	if q.ActorID != "" {
		addTerms("actor_term", TermActor, "term = ?", q.ActorID)
	}
	if q.Type != "" {
		if strings.HasSuffix(q.Type, ".") {
			addTerms("type_term", TermType, "term LIKE ? ESCAPE '\\'", readmodels.LikeEscape(q.Type)+"%")
		} else {
			addTerms("type_term", TermType, "term = ?", q.Type)
		}
	}
	if q.StreamKind != "" {
		addTerms("kind_term", TermKind, "term = ?", q.StreamKind)
	}
	if err != nil {
		return readmodels.Page[Event]{}, err
	}
	// The reader's scope and the department are sets of users: subqueries.
	users := db.Gens.Table(readmodels.OrgProjection, "org_users")
	actors := func(cond string, a ...any) {
		add("actor_term IN (SELECT term_id FROM "+terms+" WHERE kind = ? AND "+cond+")", append([]any{TermActor}, a...)...)
	}
	if cond, a := q.Scope.UserCondition(users, "term"); cond != "" {
		actors(cond, a...)
	}
	if q.Department != uuid.Nil {
		var path string
		err := db.SQL.QueryRowContext(ctx, db.Q(`SELECT path FROM `+db.Gens.Table(readmodels.OrgProjection, "org_departments")+` WHERE id = ?`), q.Department.String()).Scan(&path)
		if err != nil {
			return readmodels.Page[Event]{}, &readmodels.ValidationError{Field: "department", Message: "no such department"}
		}
		actors("term IN (SELECT id FROM "+users+" WHERE dept_path >= ? AND dept_path < ?)", path, path+"\uffff")
	}
	if q.StreamID != "" {
		add("stream_id = ?", q.StreamID)
	}
	if q.StreamPrefix != "" {
		add("stream_id LIKE ? ESCAPE '\\'", readmodels.LikeEscape(q.StreamPrefix)+"%")
	}
	if q.Until > 0 {
		add("position <= ?", int64(q.Until))
	}
	if q.From != nil {
		add("occurred_at >= ?", db.Dialect.Time(*q.From))
	}
	if q.To != nil {
		add("occurred_at < ?", db.Dialect.Time(*q.To))
	}
	sort := "position"
	if q.Desc {
		sort = "-position"
	}
	page, err := readmodels.List(ctx, db.DB, readmodels.ListSpec[Event]{Table: table, Columns: "position", Key: "position", KeyInt: true,
		Sorts: map[string]readmodels.SortColumn{"position": {Column: "position"}}, DefaultSort: "position", Scan: scanPosition,
		Value: func(e Event, _ string) (any, string) { return nil, strconv.FormatUint(e.Position, 10) }},
		readmodels.ListQuery{Where: where, Args: args, Sort: sort, Limit: q.Limit, Cursor: q.Cursor})
	if err != nil || len(page.Items) == 0 {
		return page, err
	}
	return page, db.fill(ctx, page.Items)
}

// termIDs are the numbers of the terms of a kind that match cond; -1, which numbers no term, when
// none does.
func (db *Views) termIDs(ctx context.Context, terms, kind, cond string, args ...any) ([]any, error) {
	rows, err := db.SQL.QueryContext(ctx, db.Q(`SELECT term_id FROM `+terms+` WHERE kind = ? AND `+cond), append([]any{kind}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("operation log terms: %w", err)
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		ids = append(ids, int64(-1))
	}
	return ids, rows.Err()
}

// scanPosition reads a row of the index: its position; fill adds the rest.
func scanPosition(row readmodels.Scanner) (Event, error) {
	var pos int64
	if err := row.Scan(&pos); err != nil {
		return Event{}, err
	}
	return Event{Position: uint64(pos)}, nil
}

// Events returns the operation-log view of the events at positions, in that order, secrets
// redacted (other read models that pick positions from the index, such as the workbench's recent
// activity, show them through it).
func (db *Views) Events(ctx context.Context, positions []uint64) ([]Event, error) {
	items := make([]Event, len(positions))
	for i, p := range positions {
		items[i].Position = p
	}
	if len(items) == 0 {
		return items, nil
	}
	return items, db.fill(ctx, items)
}

// fill completes the items of a page from their events in the log, secrets redacted.
func (db *Views) fill(ctx context.Context, items []Event) error {
	positions := make([]uint64, len(items))
	for i, it := range items {
		positions[i] = it.Position
	}
	events, err := db.log.ReadPositions(ctx, positions)
	if err != nil {
		return fmt.Errorf("operation log: read events: %w", err)
	}
	byPosition := make(map[uint64]eventstore.Event, len(events))
	for _, e := range events {
		byPosition[e.Position] = e
	}
	for i, it := range items {
		e, ok := byPosition[it.Position]
		if !ok {
			return fmt.Errorf("operation log: the event store holds no event at position %d", it.Position)
		}
		items[i] = fromLog(e)
	}
	return nil
}

// fromLog is the operation-log view of an event. Times are shown to the microsecond, as every
// store and read model keeps them.
func fromLog(e eventstore.Event) Event {
	m := e.Metadata
	return Event{Position: e.Position, EventID: e.ID.String(), StreamID: e.StreamID, Version: e.Version, Type: e.Type,
		OccurredAt: e.OccurredAt.UTC().Truncate(time.Microsecond), Actor: readmodels.AuditActor{ID: m.ActorID, Name: m.ActorName},
		Data: json.RawMessage(readmodels.Redact(e.Data)),
		Metadata: Meta{Command: m.Command, CorrelationID: m.CorrelationID, CausationID: m.CausationID, RequestID: m.RequestID,
			ClientAddr: m.ClientAddr}}
}
