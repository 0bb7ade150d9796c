package auditview

import (
	"context"
	"encoding/json"
	"regexp"
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

// AuditTableDDL is the audit table of one generation.
func TableDDL(table string) []string {
	return []string{
		`CREATE TABLE ` + table + ` (
		position {bigint} PRIMARY KEY,
		event_id TEXT NOT NULL, stream_id TEXT NOT NULL, stream_kind TEXT NOT NULL, version {bigint} NOT NULL,
		type TEXT NOT NULL, occurred_at {time} NOT NULL, actor_id TEXT NOT NULL, actor_name TEXT NOT NULL,
		command TEXT NOT NULL, correlation_id TEXT NOT NULL, causation_id TEXT NOT NULL, request_id TEXT NOT NULL,
		client_addr TEXT NOT NULL, data TEXT NOT NULL)`,
		`CREATE INDEX ` + table + `_actor ON ` + table + ` (actor_id, position)`,
		`CREATE INDEX ` + table + `_type ON ` + table + ` (type, position)`,
		`CREATE INDEX ` + table + `_stream ON ` + table + ` (stream_id, position)`,
		`CREATE INDEX ` + table + `_kind ON ` + table + ` (stream_kind, position)`,
		`CREATE INDEX ` + table + `_time ON ` + table + ` (occurred_at)`,
	}
}

// AuditColumns in insert order.
const Columns = `position, event_id, stream_id, stream_kind, version, type, occurred_at, actor_id, actor_name,
	command, correlation_id, causation_id, request_id, client_addr, data`

// Args are an event's values in AuditColumns order, with secrets redacted.
func Args(d readmodels.Dialect, e eventstore.Event) []any {
	m := e.Metadata
	return []any{int64(e.Position), e.ID.String(), e.StreamID, eventstore.StreamKind(e.StreamID), e.Version, e.Type,
		d.Time(e.OccurredAt), m.ActorID, m.ActorName, m.Command, m.CorrelationID, m.CausationID, m.RequestID,
		m.ClientAddr, string(Redact(e.Data))}
}

var secretKey = regexp.MustCompile(`(?i)"(passwordHash|password|secret|totpSecret|recoveryCodes)"\s*:\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\])`)

// Redact replaces the values of secret fields (password hashes, 2FA secrets) in event data.
func Redact(data []byte) []byte {
	return secretKey.ReplaceAll(data, []byte(`"$1":"[redacted]"`))
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

// Search pages through the operation log by position.
func (db *Views) Search(ctx context.Context, q Query) (readmodels.Page[Event], error) {
	table := db.Gens.Table(Projection, "audit_events")
	var where []string
	var args []any
	add := func(c string, a ...any) { where = append(where, c); args = append(args, a...) }
	if q.ActorID != "" {
		add("actor_id = ?", q.ActorID)
	}
	users := db.Gens.Table(readmodels.OrgProjection, "org_users")
	if cond, a := q.Scope.UserCondition(users, "actor_id"); cond != "" {
		add(cond, a...)
	}
	if q.Department != uuid.Nil {
		var path string
		err := db.SQL.QueryRowContext(ctx, db.Q(`SELECT path FROM `+db.Gens.Table(readmodels.OrgProjection, "org_departments")+` WHERE id = ?`), q.Department.String()).Scan(&path)
		if err != nil {
			return readmodels.Page[Event]{}, &readmodels.ValidationError{Field: "department", Message: "no such department"}
		}
		add("actor_id IN (SELECT id FROM "+users+" WHERE dept_path >= ? AND dept_path < ?)", path, path+"\uffff")
	}
	if q.Type != "" {
		if strings.HasSuffix(q.Type, ".") {
			add("type LIKE ? ESCAPE '\\'", readmodels.LikeEscape(q.Type)+"%")
		} else {
			add("type = ?", q.Type)
		}
	}
	if q.StreamID != "" {
		add("stream_id = ?", q.StreamID)
	}
	if q.StreamKind != "" {
		add("stream_kind = ?", q.StreamKind)
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
	return readmodels.List(ctx, db.DB, readmodels.ListSpec[Event]{Table: table, Columns: Columns, Key: "position", KeyInt: true,
		Sorts: map[string]readmodels.SortColumn{"position": {Column: "position"}}, DefaultSort: "position", Scan: scan,
		Value: func(e Event, _ string) (any, string) { return nil, strconv.FormatUint(e.Position, 10) }},
		readmodels.ListQuery{Where: where, Args: args, Sort: sort, Limit: q.Limit, Cursor: q.Cursor})
}

// scan reads one row in Columns order.
func scan(row readmodels.Scanner) (Event, error) {
	var (
		e        Event
		pos      int64
		kind     string
		occurred readmodels.Time
		data     string
	)
	if err := row.Scan(&pos, &e.EventID, &e.StreamID, &kind, &e.Version, &e.Type, &occurred, &e.Actor.ID, &e.Actor.Name,
		&e.Metadata.Command, &e.Metadata.CorrelationID, &e.Metadata.CausationID, &e.Metadata.RequestID, &e.Metadata.ClientAddr, &data); err != nil {
		return Event{}, err
	}
	e.Position, e.OccurredAt, e.Data = uint64(pos), occurred.T, json.RawMessage(data)
	return e, nil
}
