package workbenchview

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// Activity is one recent event: one the reader caused, or one on a lead or customer they own.
// It carries no payload: what happened (type), when, who, and on which record.
type Activity struct {
	Position   uint64                `json:"position"`
	Type       string                `json:"type"`
	OccurredAt time.Time             `json:"occurredAt"`
	Actor      readmodels.AuditActor `json:"actor"`
	ByMe       bool                  `json:"byMe"`
	Record     Record                `json:"record"`
}

// Record is what an event happened to: the kind of its stream (lead, customer, contact, user, …)
// and, for a lead or a customer the reader may see now, its id and name.
type Record struct {
	Kind string     `json:"kind"`
	ID   *uuid.UUID `json:"id"`
	Name string     `json:"name"`
}

// activity is the last ActivityItems events the reader caused or that happened to their own leads
// and customers. Both are bounded reads: the reader's events through the operation log's actor
// index (newest first), and the events of their most recently changed leads and customers (the
// (owner_id, position) indexes; a row's position is its stream's last event, so the streams of
// the newest ActivityItems events are among the ActivityItems rows with the highest positions)
// through the stream index.
func (v *Views) activity(ctx context.Context, q Query) ([]Activity, error) {
	terms := v.Gens.Table(readmodels.AuditProjection, "audit_terms")
	var positions []uint64
	var term int64
	err := v.SQL.QueryRowContext(ctx, v.Q(`SELECT term_id FROM `+terms+` WHERE kind = ? AND term = ?`), auditview.TermActor, q.Actor.ID.String()).Scan(&term)
	switch {
	case err == nil:
		stmt, args := v.byActorStatement(term)
		if positions, err = v.positions(ctx, stmt, args...); err != nil {
			return nil, err
		}
	case !errors.Is(err, sql.ErrNoRows): // none: the reader has caused no event yet
		return nil, fmt.Errorf("workbench activity: %w", err)
	}
	var streams []any
	for _, src := range []struct {
		perm, projection, table, prefix string
	}{{role.LeadsRead, leadview.Projection, "leads", lead.StreamPrefix}, {role.CustomersRead, customerview.Projection, "customers", customer.StreamPrefix}} {
		if !q.Actor.Can(src.perm) {
			continue
		}
		ids, err := v.IDs(ctx, v.recentStatement(v.Gens.Table(src.projection, src.table)), q.Actor.ID.String(), ActivityItems)
		if err != nil {
			return nil, fmt.Errorf("workbench recent records: %w", err)
		}
		for _, id := range ids {
			streams = append(streams, src.prefix+"-"+id.String())
		}
	}
	if len(streams) > 0 {
		stmt, args := v.byStreamsStatement(streams)
		more, err := v.positions(ctx, stmt, args...)
		if err != nil {
			return nil, err
		}
		positions = append(positions, more...)
	}
	slices.SortFunc(positions, func(a, b uint64) int { return cmp.Compare(b, a) })
	positions = slices.Compact(positions)
	if len(positions) > ActivityItems {
		positions = positions[:ActivityItems]
	}
	logged, err := v.audit.Events(ctx, positions)
	if err != nil {
		return nil, err
	}
	out := make([]Activity, len(logged))
	visible := map[string]map[string]string{lead.StreamPrefix: {}, customer.StreamPrefix: {}}
	for i, e := range logged {
		kind := eventstore.StreamKind(e.StreamID)
		out[i] = Activity{Position: e.Position, Type: e.Type, OccurredAt: e.OccurredAt, Actor: e.Actor, ByMe: e.Actor.ID == q.Actor.ID.String(),
			Record: Record{Kind: kind}}
		if names, ok := visible[kind]; ok {
			names[strings.TrimPrefix(e.StreamID, kind+"-")] = ""
		}
	}
	// Names (and links) only for the records the reader may see now.
	if err := v.names(ctx, v.Gens.Table(leadview.Projection, "leads"), leadview.ScopeFor(q.Actor), visible[lead.StreamPrefix]); err != nil {
		return nil, err
	}
	if err := v.names(ctx, v.Gens.Table(customerview.Projection, "customers"), customerview.ScopeFor(q.Actor), visible[customer.StreamPrefix]); err != nil {
		return nil, err
	}
	for i, e := range logged {
		names := visible[out[i].Record.Kind]
		id := strings.TrimPrefix(e.StreamID, out[i].Record.Kind+"-")
		if name, ok := names[id]; ok && name != "" {
			if uid, err := uuid.Parse(id); err == nil {
				out[i].Record.ID, out[i].Record.Name = &uid, name
			}
		}
	}
	return out, nil
}

// byActorStatement reads the newest positions of one actor's events.
func (v *Views) byActorStatement(term int64) (string, []any) {
	return `SELECT position FROM ` + v.Gens.Table(readmodels.AuditProjection, "audit_events") + ` WHERE actor_term = ? ORDER BY position DESC LIMIT ?`,
		[]any{term, ActivityItems}
}

// byStreamsStatement reads the newest positions of the events of some streams.
func (v *Views) byStreamsStatement(streams []any) (string, []any) {
	return `SELECT position FROM ` + v.Gens.Table(readmodels.AuditProjection, "audit_events") + ` WHERE stream_id IN (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(streams)), ", ") + `) ORDER BY position DESC LIMIT ?`, append(slices.Clone(streams), ActivityItems)
}

// recentStatement reads the ids of an owner's most recently changed rows (owner, limit).
func (v *Views) recentStatement(table string) string {
	return `SELECT id FROM ` + table + ` WHERE owner_id = ? ORDER BY position DESC LIMIT ?`
}

// positions runs a query of one position column.
func (v *Views) positions(ctx context.Context, stmt string, args ...any) ([]uint64, error) {
	rows, err := v.SQL.QueryContext(ctx, v.Q(stmt), args...)
	if err != nil {
		return nil, fmt.Errorf("workbench activity: %w", err)
	}
	defer rows.Close()
	var out []uint64
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, uint64(p))
	}
	return out, rows.Err()
}

// names fills in the names of the rows of table (keys of names, ids) that scope covers; the others
// stay "".
func (v *Views) names(ctx context.Context, table string, scope readmodels.Scope, names map[string]string) error {
	if len(names) == 0 || scope.None {
		return nil
	}
	cond, args := scope.Condition()
	if err := v.Names(ctx, table, "name", cond, args, names); err != nil {
		return fmt.Errorf("workbench record names: %w", err)
	}
	return nil
}
