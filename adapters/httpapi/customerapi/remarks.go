package customerapi

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

// A customer's remark (备注) is its owner's private note. With the pool setting
// customerPool.hidePreviousOwnerRemarks, a remark written before the customer's last release to
// the pool is not shown to anyone but its author and administrators (settings.manage): not in
// the record, the lists, the "as of" views or the history. Follow-ups and every other field's
// history stay readable: the business needs them.

// hidesRemarks reports whether actor's reads hide previous owners' remarks.
func (a api) hidesRemarks(ctx context.Context, actor access.Actor) (bool, error) {
	if actor.Can(role.SettingsManage) {
		return false, nil
	}
	p, err := a.Settings.CustomerPool(ctx)
	return p.HidePreviousOwnerRemarks, err
}

// search is the customer search with previous owners' remarks hidden where the settings say so.
func (a api) search(ctx context.Context, q customerview.Query) (readmodels.Page[*customerview.Customer], error) {
	page, err := a.CustomerViews.Search(ctx, q)
	if err != nil {
		return page, err
	}
	actor := httpkit.ActorOf(ctx)
	hide, err := a.hidesRemarks(ctx, actor)
	if hide {
		for _, c := range page.Items {
			c.HidePreviousOwnerRemark(actor.ID)
		}
	}
	return page, err
}

// history is the customer's history with the remark's values taken out of the events before the
// last release that others wrote, where the settings say so.
func (a api) history(ctx context.Context, actor access.Actor, id uuid.UUID) ([]commands.Change, error) {
	changes, err := a.Customers.History(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	released, hide, err := a.releasedAt(ctx, actor, id)
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

// asOf is the customer as it was at a time; a remark from before its last release is hidden
// where the settings say so (who wrote it then is not known here, so it is hidden from everyone
// but administrators).
func (a api) asOf(ctx context.Context, actor access.Actor, id uuid.UUID, t time.Time) (map[string]any, error) {
	v, err := a.Customers.AsOf(ctx, actor, id, t)
	if err != nil {
		return nil, err
	}
	released, hide, err := a.releasedAt(ctx, actor, id)
	if err != nil || !hide {
		return v, err
	}
	if r, _ := v["remark"].(string); r != "" {
		cur, err := a.CustomerViews.Get(ctx, customerview.ScopeFor(actor), id)
		if err != nil {
			return nil, err
		}
		cur.HidePreviousOwnerRemark(actor.ID)
		if !t.After(released) || cur.RemarkHidden {
			v["remark"], v["remarkHidden"] = "", true
		}
	}
	return v, nil
}

// releasedAt is when the customer was last released to the pool, and whether actor's reads hide
// the remarks from before then.
func (a api) releasedAt(ctx context.Context, actor access.Actor, id uuid.UUID) (time.Time, bool, error) {
	hide, err := a.hidesRemarks(ctx, actor)
	if err != nil || !hide {
		return time.Time{}, false, err
	}
	cur, err := a.CustomerViews.Get(ctx, customerview.ScopeFor(actor), id)
	if err != nil || cur.ReleasedAt == nil {
		return time.Time{}, false, err
	}
	return *cur.ReleasedAt, true, nil
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
