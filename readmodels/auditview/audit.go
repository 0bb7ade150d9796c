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
// occurred, its stream, and its type and actor as numbers of the terms table (an event type or an
// actor id is stored once, not in every row). A page reads its events from the event store by
// position (Log).

// Kinds of the terms table.
const (
	TermType  = "type"  // event types
	TermActor = "actor" // actor ids (metadata actorId)
)

// TableDDL is the tables of one generation: events, the index, and terms, the event types and
// actor ids its rows refer to by number.
func TableDDL(events, terms string) []string {
	return []string{
		`CREATE TABLE ` + events + ` (
		position {bigint} PRIMARY KEY, occurred_at {time} NOT NULL, type_term INTEGER NOT NULL, actor_term INTEGER NOT NULL,
		stream_id {path} NOT NULL)`,
		// One-column indexes: SQLite keeps the rows of a key in rowid (= position) order, and
		// PostgreSQL stores a key once for all its rows. A stream kind is a prefix range of
		// stream_id (byte-ordered, see kindCondition).
		`CREATE INDEX ` + events + `_actor ON ` + events + ` (actor_term)`,
		`CREATE INDEX ` + events + `_type ON ` + events + ` (type_term)`,
		`CREATE INDEX ` + events + `_stream ON ` + events + ` (stream_id)`,
		`CREATE INDEX ` + events + `_time ON ` + events + ` {brin} (occurred_at)`,
		`CREATE TABLE ` + terms + ` (term_id INTEGER PRIMARY KEY, kind TEXT NOT NULL, term TEXT NOT NULL)`,
		`CREATE UNIQUE INDEX ` + terms + `_term ON ` + terms + ` (kind, term)`,
	}
}

// Columns of the events table in insert order.
const Columns = `position, occurred_at, type_term, actor_term, stream_id`

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
	StreamKind string
	From, To   *time.Time
	Desc       bool
	Limit      int
	Cursor     string // a cursor this server issued
}

// Search pages through the operation log by position: the index picks the page's positions, the
// event store gives their events.
func (db *Views) Search(ctx context.Context, q Query) (readmodels.Page[Event], error) {
	table, terms := db.Gens.Table(Projection, "audit_events"), db.Gens.Table(Projection, "audit_terms")
	var where []string
	var args []any
	add := func(c string, a ...any) { where = append(where, c); args = append(args, a...) }
	// A condition on the terms of a kind selects the rows that refer to one of the matching terms.
	addTerms := func(column, kind, cond string, a ...any) {
		add(column+" IN (SELECT term_id FROM "+terms+" WHERE kind = ? AND "+cond+")", append([]any{kind}, a...)...)
	}
	if q.ActorID != "" {
		addTerms("actor_term", TermActor, "term = ?", q.ActorID)
	}
	users := db.Gens.Table(readmodels.OrgProjection, "org_users")
	if cond, a := q.Scope.UserCondition(users, "term"); cond != "" {
		addTerms("actor_term", TermActor, cond, a...)
	}
	if q.Department != uuid.Nil {
		var path string
		err := db.SQL.QueryRowContext(ctx, db.Q(`SELECT path FROM `+db.Gens.Table(readmodels.OrgProjection, "org_departments")+` WHERE id = ?`), q.Department.String()).Scan(&path)
		if err != nil {
			return readmodels.Page[Event]{}, &readmodels.ValidationError{Field: "department", Message: "no such department"}
		}
		addTerms("actor_term", TermActor, "term IN (SELECT id FROM "+users+" WHERE dept_path >= ? AND dept_path < ?)", path, path+"\uffff")
	}
	if q.Type != "" {
		if strings.HasSuffix(q.Type, ".") {
			addTerms("type_term", TermType, "term LIKE ? ESCAPE '\\'", readmodels.LikeEscape(q.Type)+"%")
		} else {
			addTerms("type_term", TermType, "term = ?", q.Type)
		}
	}
	if q.StreamID != "" {
		add("stream_id = ?", q.StreamID)
	}
	if q.StreamKind != "" {
		cond, a := kindCondition(q.StreamKind)
		add(cond, a...)
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

// kindCondition selects the streams of a kind (eventstore.StreamKind): "lead" and those that
// start with "lead-", a range of the byte-ordered stream_id ('.' follows '-'). A kind never holds
// a dash.
func kindCondition(kind string) (string, []any) {
	if strings.Contains(kind, "-") {
		return "1 = 0", nil
	}
	return "(stream_id = ? OR (stream_id >= ? AND stream_id < ?))", []any{kind, kind + "-", kind + "."}
}

// scanPosition reads a row of the index: its position; fill adds the rest.
func scanPosition(row readmodels.Scanner) (Event, error) {
	var pos int64
	if err := row.Scan(&pos); err != nil {
		return Event{}, err
	}
	return Event{Position: uint64(pos)}, nil
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
