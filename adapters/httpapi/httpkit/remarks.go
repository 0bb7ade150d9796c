package httpkit

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/settings"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// PreviousOwnerRemarks is what the next owner of a record released to its pool (a lead, a
// customer) reads of the previous owner's remark (备注), the owner's private note. With the
// setting customerPool.hidePreviousOwnerRemarks (one setting for both pools), a remark written
// before the record's last release is not shown to anyone but its author and administrators
// (settings.manage): not in the record, the lists, the exports, the snapshots or the history.
// Follow-ups and every other field's history stay readable: the business needs them. V is the
// module's read view (a pointer to a row that embeds readmodels.PoolRemark).
type PreviousOwnerRemarks[V any] struct {
	// Setting reports whether the setting is on.
	Setting func(ctx context.Context) (bool, error)
	// Get is the record's current read view in actor's data scope.
	Get func(ctx context.Context, actor access.Actor, id uuid.UUID) (V, error)
	// Remark is v's remark and its block.
	Remark func(v V) (*string, *readmodels.PoolRemark)
}

// Hides reports whether actor's reads hide previous owners' remarks.
func (p PreviousOwnerRemarks[V]) Hides(ctx context.Context, actor access.Actor) (bool, error) {
	if actor.Can(role.SettingsManage) {
		return false, nil
	}
	return p.Setting(ctx)
}

// Apply hides the previous owners' remarks of views (one record, a page of a list or an export)
// from actor where the setting says so.
func (p PreviousOwnerRemarks[V]) Apply(ctx context.Context, actor access.Actor, views ...V) error {
	hide, err := p.Hides(ctx, actor)
	if err != nil || !hide {
		return err
	}
	for _, v := range views {
		remark, block := p.Remark(v)
		block.HidePrevious(remark, actor.ID)
	}
	return nil
}

// HidingRemarks is search with the previous owners' remarks hidden from the searching actor
// (ActorOf(ctx)) where p's setting says so.
func HidingRemarks[Q, V any](p PreviousOwnerRemarks[V], search func(ctx context.Context, q Q) (readmodels.Page[V], error)) func(ctx context.Context, q Q) (readmodels.Page[V], error) {
	return func(ctx context.Context, q Q) (readmodels.Page[V], error) {
		page, err := search(ctx, q)
		if err == nil {
			err = p.Apply(ctx, ActorOf(ctx), page.Items...)
		}
		return page, err
	}
}

// released is the record's current view, when it was last released to its pool, and whether
// actor's reads hide the remarks from before then.
func (p PreviousOwnerRemarks[V]) released(ctx context.Context, actor access.Actor, id uuid.UUID) (V, time.Time, bool, error) {
	var cur V
	hide, err := p.Hides(ctx, actor)
	if err != nil || !hide {
		return cur, time.Time{}, false, err
	}
	cur, err = p.Get(ctx, actor, id)
	if err != nil {
		return cur, time.Time{}, false, err
	}
	_, block := p.Remark(cur)
	if block.ReleasedAt == nil {
		return cur, time.Time{}, false, nil
	}
	return cur, *block.ReleasedAt, true, nil
}

// History is the record's history with the remark's values taken out of the events before the
// last release that others wrote, where the setting says so.
func (p PreviousOwnerRemarks[V]) History(load func(ctx context.Context, actor access.Actor, id uuid.UUID) ([]commands.Change, error)) func(ctx context.Context, actor access.Actor, id uuid.UUID) ([]commands.Change, error) {
	return func(ctx context.Context, actor access.Actor, id uuid.UUID) ([]commands.Change, error) {
		changes, err := load(ctx, actor, id)
		if err != nil {
			return nil, err
		}
		_, released, hide, err := p.released(ctx, actor, id)
		if err != nil || !hide {
			return changes, err
		}
		for i, c := range changes {
			if c.Event.OccurredAt.After(released) || c.Event.Metadata.ActorID == actor.ID.String() {
				continue
			}
			for j, f := range c.Changes {
				if f.Field == "remark" {
					changes[i].Changes[j].From, changes[i].Changes[j].To = hiddenRemark(f.From), hiddenRemark(f.To)
				}
			}
			changes[i].Event.Data = withoutRemark(c.Event.Data)
		}
		return changes, nil
	}
}

// AsOf is the record as it was at a time, its remark hidden where the setting says so: the remark
// it had then is found in the record's history (load), with who wrote it and when, and judged by
// the same rule as the current one.
func (p PreviousOwnerRemarks[V]) AsOf(asOf func(ctx context.Context, actor access.Actor, id uuid.UUID, t time.Time) (map[string]any, error),
	load func(ctx context.Context, actor access.Actor, id uuid.UUID) ([]commands.Change, error)) func(ctx context.Context, actor access.Actor, id uuid.UUID, t time.Time) (map[string]any, error) {
	return func(ctx context.Context, actor access.Actor, id uuid.UUID, t time.Time) (map[string]any, error) {
		v, err := asOf(ctx, actor, id, t)
		if err != nil {
			return nil, err
		}
		remark, _ := v["remark"].(string)
		if remark == "" {
			return v, nil
		}
		_, released, hide, err := p.released(ctx, actor, id)
		if err != nil || !hide {
			return v, err
		}
		changes, err := load(ctx, actor, id)
		if err != nil {
			return nil, err
		}
		var block readmodels.PoolRemark
		block.Released(released)
		for _, c := range changes {
			if c.Event.OccurredAt.After(t) {
				break
			}
			for _, f := range c.Changes {
				if f.Field == "remark" {
					block.RemarkSet(c.Event.Metadata.ActorID, c.Event.OccurredAt)
				}
			}
		}
		if block.RemarkAt == nil { // not found: hidden, to be safe
			block.RemarkSet("", released)
		}
		if block.HidePrevious(&remark, actor.ID); block.RemarkHidden {
			v["remark"], v["remarkHidden"] = "", true
		}
		return v, nil
	}
}

func hiddenRemark(v any) any {
	if s, _ := v.(string); s == "" {
		return v
	}
	return "(hidden)"
}

// withoutRemark takes the remark out of an event's data (a create's fields, an update's patch).
func withoutRemark(data []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return data
	}
	for _, k := range []string{"fields", "patch"} {
		var inner map[string]json.RawMessage
		if raw, ok := m[k]; !ok || json.Unmarshal(raw, &inner) != nil {
			continue
		}
		if _, ok := inner["remark"]; ok {
			inner["remark"] = json.RawMessage(`"(hidden)"`)
			m[k], _ = json.Marshal(inner)
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return data
	}
	return out
}

// RemarksSetting is the setting PreviousOwnerRemarks reads, customerPool.hidePreviousOwnerRemarks,
// from pool (the current pool settings).
func RemarksSetting(pool func(ctx context.Context) (settings.CustomerPool, error)) func(ctx context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		p, err := pool(ctx)
		return p.HidePreviousOwnerRemarks, err
	}
}
