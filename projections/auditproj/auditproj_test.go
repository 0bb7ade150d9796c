package auditproj_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/projections/auditproj"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

var (
	alice = uuid.MustParse("0190c000-0000-7000-8000-0000000000a1")
	bob   = uuid.MustParse("0190c000-0000-7000-8000-0000000000b2")
	base  = time.Date(2026, 3, 2, 9, 0, 0, 123456000, time.UTC)
)

// logged is an event to append: its stream, type, actor, minutes after base, and data.
type logged struct {
	stream, typ string
	actor       uuid.UUID
	minute      int
	data        string
}

// TestOperationLog: the index answers every filter of the operation log, in both orders and page
// by page, with the events the log holds (secrets redacted), and a rebuilt index answers the same.
func TestOperationLog(t *testing.T) {
	for _, be := range projtest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			env := projtest.Start(t, be, engine.Options{}, auditproj.Projector{})
			ctx := context.Background()
			lead1, lead2, cust, usr := "lead-"+uuid.NewString(), "lead-"+uuid.NewString(), "customer-"+uuid.NewString(), "user-"+uuid.NewString()
			other := "leadership-" + uuid.NewString() // a kind that starts like "lead"
			appendAll(t, env.Store, []logged{
				{lead1, "lead.created.v1", alice, 0, `{"name":"王小明","company":"北京星河科技有限公司"}`},
				{usr, "user.created.v1", uuid.Nil, 1, `{"username":"li","passwordHash":"$argon2id$v=19$secret"}`},
				{cust, "customer.created.v1", bob, 2, `{"name":"上海华信贸易有限公司"}`},
				{lead1, "lead.updated.v1", alice, 3, `{"patch":{"remark":"下周回访"}}`},
				{cust, "customer.claimed.v1", alice, 4, `{"by":"alice"}`},
				{other, "leadership.noted.v1", bob, 5, `{"note":"x_y%"}`},
				{lead2, "lead.created.v1", bob, 6, `{"name":"李四"}`},
				{"lead", "lead.odd.v1", bob, 7, `{}`}, // a stream id that is only a kind
				{cust, "customer.released.v1", alice, 8, `{"reason":"无意向"}`},
				{cust, "customer.claimed.v1", alice, 9, `{"by":"alice"}`},
				{lead2, "lead.updated.v1", alice, 10, `{"patch":{"status":"following"}}`},
			})
			head, err := env.Store.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			all, err := env.Store.ReadAll(ctx, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			waitAudit(t, env, head)
			views := auditview.New(env.DB, env.Store)

			from, to := base.Add(3*time.Minute), base.Add(9*time.Minute)
			queries := []struct {
				name string
				q    auditview.Query
				keep func(e eventstore.Event) bool
			}{
				{"everything", auditview.Query{}, func(eventstore.Event) bool { return true }},
				{"actor", auditview.Query{ActorID: alice.String()}, func(e eventstore.Event) bool { return e.Metadata.ActorID == alice.String() }},
				{"type", auditview.Query{Type: "customer.claimed.v1"}, func(e eventstore.Event) bool { return e.Type == "customer.claimed.v1" }},
				{"type prefix", auditview.Query{Type: "lead."}, func(e eventstore.Event) bool { return strings.HasPrefix(e.Type, "lead.") }},
				{"stream", auditview.Query{StreamID: cust}, func(e eventstore.Event) bool { return e.StreamID == cust }},
				{"kind", auditview.Query{StreamKind: "lead"}, func(e eventstore.Event) bool { return eventstore.StreamKind(e.StreamID) == "lead" }},
				{"time", auditview.Query{From: &from, To: &to}, func(e eventstore.Event) bool { return !e.OccurredAt.Before(from) && e.OccurredAt.Before(to) }},
				{"own operations", auditview.Query{Scope: readmodels.Scope{Kind: role.ScopeSelf, UserID: bob}}, func(e eventstore.Event) bool { return e.Metadata.ActorID == bob.String() }},
				{"combined", auditview.Query{ActorID: alice.String(), StreamKind: "customer", From: &from},
					func(e eventstore.Event) bool {
						return e.Metadata.ActorID == alice.String() && strings.HasPrefix(e.StreamID, "customer-") && !e.OccurredAt.Before(from)
					}},
				{"unknown actor", auditview.Query{ActorID: uuid.NewString()}, func(eventstore.Event) bool { return false }},
				{"unknown type", auditview.Query{Type: "lead.vanished.v1"}, func(eventstore.Event) bool { return false }},
				{"kind with a dash", auditview.Query{StreamKind: "lead-"}, func(eventstore.Event) bool { return false }},
			}
			check := func(t *testing.T) {
				for _, c := range queries {
					var want []auditview.Event
					for _, e := range all {
						if c.keep(e) {
							want = append(want, view(e))
						}
					}
					for _, desc := range []bool{false, true} {
						q := c.q
						if q.Scope == (readmodels.Scope{}) {
							q.Scope.All = true // an administrator's
						}
						q.Desc, q.Limit = desc, 3
						got, total := pages(t, views, q)
						if desc {
							got = reversed(got)
						}
						if total != int64(len(want)) || !reflect.DeepEqual(got, want) {
							t.Errorf("%s (desc %v): total %d, %d items\n got %s\nwant %s", c.name, desc, total, len(got), brief(got), brief(want))
						}
					}
				}
			}
			check(t)

			// The password hash never shows; the rest of the event does.
			page, err := views.Search(ctx, auditview.Query{Scope: readmodels.Scope{All: true}, StreamID: usr})
			if err != nil || len(page.Items) != 1 {
				t.Fatalf("user stream: %v, %v", page, err)
			}
			if d := string(page.Items[0].Data); strings.Contains(d, "secret") || !strings.Contains(d, `"passwordHash":"[redacted]"`) || !strings.Contains(d, `"li"`) {
				t.Errorf("user.created data in the operation log: %s", d)
			}

			// The customer module counts claims from the index.
			claims, err := customerview.New(env.DB).CustomerClaimsSince(ctx, alice, base.Add(5*time.Minute))
			if err != nil || claims != 1 {
				t.Errorf("alice's claims since +5m = %d, %v; want 1", claims, err)
			}

			// A rebuilt index (its terms numbered anew) answers the same.
			gen, err := env.Engine.Rebuild(ctx, auditview.Projection)
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for env.DB.Gens.Active(auditview.Projection) != gen {
				if time.Now().After(deadline) {
					t.Fatalf("the rebuilt operation log (generation %d) never served", gen)
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Run("rebuilt", check)
		})
	}
}

func appendAll(t *testing.T, store eventstore.Store, events []logged) {
	t.Helper()
	versions := map[string]int64{}
	for i, l := range events {
		e := eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: l.typ, OccurredAt: base.Add(time.Duration(l.minute) * time.Minute),
			Data: json.RawMessage(l.data), Metadata: eventstore.Metadata{ActorID: l.actor.String(), ActorName: "用户" + l.actor.String()[34:],
				CorrelationID: fmt.Sprintf("corr-%d", i), CausationID: fmt.Sprintf("cause-%d", i), Command: "test.command" + fmt.Sprint(i),
				RequestID: fmt.Sprintf("req-%d", i), ClientAddr: "10.0.0." + fmt.Sprint(i)}}
		res, err := store.Append(context.Background(), l.stream, versions[l.stream], []eventstore.EventData{e})
		if err != nil {
			t.Fatal(err)
		}
		versions[l.stream] = res.Version
	}
}

func waitAudit(t *testing.T, env *projtest.Env, head uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := env.Engine.WaitFor(ctx, head, auditview.Projection); err != nil {
		t.Fatalf("operation log did not reach %d: %v", head, err)
	}
}

// view is what the operation log shows of an event.
func view(e eventstore.Event) auditview.Event {
	m := e.Metadata
	return auditview.Event{Position: e.Position, EventID: e.ID.String(), StreamID: e.StreamID, Version: e.Version, Type: e.Type,
		OccurredAt: e.OccurredAt.UTC(), Actor: readmodels.AuditActor{ID: m.ActorID, Name: m.ActorName},
		Data: json.RawMessage(readmodels.Redact(e.Data)), Metadata: auditview.Meta{Command: m.Command, CorrelationID: m.CorrelationID,
			CausationID: m.CausationID, RequestID: m.RequestID, ClientAddr: m.ClientAddr}}
}

// pages reads every page of a query; the total is the first page's.
func pages(t *testing.T, views *auditview.Views, q auditview.Query) ([]auditview.Event, int64) {
	t.Helper()
	var out []auditview.Event
	var total int64
	for first := true; first || q.Cursor != ""; first = false {
		page, err := views.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if first {
			total = page.Total
		} else if page.Total != total {
			t.Errorf("a later page says total %d, the first %d", page.Total, total)
		}
		out = append(out, page.Items...)
		q.Cursor = page.NextCursor
	}
	return out, total
}

func reversed(s []auditview.Event) []auditview.Event {
	if len(s) == 0 {
		return nil
	}
	out := make([]auditview.Event, len(s))
	for i, e := range s {
		out[len(s)-1-i] = e
	}
	return out
}

func brief(events []auditview.Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "%d:%s:%s ", e.Position, e.StreamID[:min(len(e.StreamID), 10)], e.Type)
	}
	return b.String()
}
