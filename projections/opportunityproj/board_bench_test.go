package opportunityproj_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/opportunityproj"
	"github.com/chronicle-crm/chronicle/projections/orgproj"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/opportunityview"
)

// benchOpportunities is the size of BenchmarkOpportunityBoard's data set.
const benchOpportunities = 100_000

// BenchmarkOpportunityBoard measures the kanban board and the funnel over 100,000 opportunities
// (projected through the engine from a generated log: creates, stage moves, wins and losses by
// 50 owners over a year) at 32 concurrent readers, for a reader who sees everything and for a
// sales user who sees their own. It reports p50 and p99 latencies, and those of a primary-key read
// of one opportunity at the same concurrency in the same run (the reference: the cheapest query
// the database answers).
//
//	CHRONICLE_TEST_POSTGRES_URL='postgres://...' go test -run '^$' -bench OpportunityBoard -benchtime 1x -timeout 30m ./projections/opportunityproj/
func BenchmarkOpportunityBoard(b *testing.B) {
	for _, be := range projtest.BenchBackends() {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			store, _ := be.Store(b)
			db := be.DB(b)
			owners := make([]uuid.UUID, 50)
			for i := range owners {
				owners[i] = uuid.New()
			}
			ids := seedOpportunities(b, store, owners)
			head, err := store.Head(ctx)
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			reg := projtest.Registry()
			eng, err := engine.New(store, db, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, orgproj.New(reg), opportunityproj.New(reg))
			if err != nil {
				b.Fatal(err)
			}
			runCtx, cancel := context.WithCancel(ctx)
			if err := eng.Prepare(runCtx); err != nil {
				b.Fatal(err)
			}
			done := make(chan struct{})
			go func() { defer close(done); _ = eng.Run(runCtx) }()
			wctx, wcancel := context.WithTimeout(ctx, 20*time.Minute)
			if err := eng.WaitFor(wctx, head, opportunityview.Projection); err != nil {
				b.Fatal(err)
			}
			wcancel()
			cancel()
			<-done
			b.Logf("%s: projected %d events into %d opportunities in %v", be.Name, head, len(ids), time.Since(t0).Round(time.Millisecond))
			if be.Name == "postgres" {
				for _, t := range []string{"opportunities", "opportunity_visits", "opportunity_totals"} {
					if _, err := db.SQL.ExecContext(ctx, "ANALYZE "+db.Gens.Table(opportunityview.Projection, t)); err != nil {
						b.Fatal(err)
					}
				}
			}
			v := opportunityview.New(db)
			stages := []string{"qualify", "needs", "proposal", "negotiation"}
			all := opportunityview.Reader{Scope: readmodels.Scope{All: true}}
			sales := opportunityview.Reader{Scope: readmodels.Scope{UserID: owners[0]}, User: owners[0]}
			now := time.Now().UTC()
			year := opportunityview.FunnelQuery{PipelineID: opportunity.DefaultPipelineID, Stages: stages, From: now.AddDate(-1, 0, 0).Format("2006-01"), To: now.Format("2006-01")}
			table := v.Gens.Table(opportunityview.Projection, "opportunities")
			cases := []struct {
				name string
				run  func() error
			}{
				{"reference-pk", func() error {
					_, err := opportunityview.Scan(db.SQL.QueryRowContext(ctx, db.Q(`SELECT `+opportunityview.Columns+` FROM `+table+` WHERE id = ?`), ids[rand.IntN(len(ids))].String()))
					return err
				}},
				{"kanban-all", func() error { _, err := v.Kanban(ctx, all, opportunity.DefaultPipelineID, stages, 20); return err }},
				{"kanban-sales", func() error { _, err := v.Kanban(ctx, sales, opportunity.DefaultPipelineID, stages, 20); return err }},
				{"funnel-all", func() error { q := year; q.Reader = all; _, err := v.Funnel(ctx, q); return err }},
				{"funnel-sales", func() error { q := year; q.Reader = sales; _, err := v.Funnel(ctx, q); return err }},
				{"forecast-all", func() error { _, err := v.Forecast(ctx, all, nil, now, 12); return err }},
			}
			board, err := v.Kanban(ctx, all, opportunity.DefaultPipelineID, stages, 20)
			if err != nil || board.Count == 0 {
				b.Fatalf("board: %v %+v", err, board.Count)
			}
			b.Logf("board: %d open opportunities, %s", board.Count, board.Amount)
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) { projtest.Concurrently(b, c.run) })
			}
		})
	}
}

// seedOpportunities appends a year of opportunity histories: each opportunity is created in the
// default pipeline; most move a stage or two; a quarter are won and a fifth lost.
func seedOpportunities(b *testing.B, store eventstore.Store, owners []uuid.UUID) []uuid.UUID {
	b.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 9))
	start := time.Now().UTC().AddDate(-1, 0, 0)
	ids := make([]uuid.UUID, benchOpportunities)
	ev := func(e any, typ string, at time.Time) eventstore.EventData {
		data, err := json.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		return eventstore.EventData{ID: uuid.New(), Type: typ, Data: data, OccurredAt: at, Metadata: eventstore.Metadata{ActorID: owners[0].String(), ActorName: "bench"}}
	}
	stages := opportunity.DefaultStages
	var batch []eventstore.StreamAppend
	flush := func() {
		out, err := store.AppendEach(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range out {
			if o.Err != nil {
				b.Fatal(o.Err)
			}
		}
		batch = batch[:0]
	}
	for i := range ids {
		id := uuid.New()
		ids[i] = id
		at := start.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
		owner := owners[r.IntN(len(owners))]
		amount := money.Fen(r.Int64N(50_000_000)).String()
		events := []eventstore.EventData{ev(opportunity.Created{OpportunityID: id.String(), Fields: opportunity.Fields{Name: fmt.Sprintf("商机%d", i),
			CustomerID: uuid.NewString(), ExpectedCloseDate: at.AddDate(0, 2, 0).Format(time.DateOnly)}, PipelineID: opportunity.DefaultPipelineID.String(),
			Stage: stages[0].Key, StageProb: stages[0].Probability, OwnerID: owner.String(), Amount: amount, By: owner.String(), At: at},
			(opportunity.Created{}).EventType(), at)}
		cur := 0
		for range r.IntN(3) {
			next := min(cur+1+r.IntN(2), len(stages)-1)
			if next == cur {
				break
			}
			at = at.Add(time.Duration(1+r.IntN(20)) * 24 * time.Hour)
			events = append(events, ev(opportunity.StageChanged{OpportunityID: id.String(), From: stages[cur].Key, To: stages[next].Key,
				Probability: stages[next].Probability, Forward: true, By: owner.String(), At: at}, (opportunity.StageChanged{}).EventType(), at))
			cur = next
		}
		switch x := r.IntN(20); {
		case x < 5:
			at = at.Add(72 * time.Hour)
			events = append(events, ev(opportunity.Won{OpportunityID: id.String(), Stage: stages[cur].Key, Amount: amount, Date: at.Format(time.DateOnly),
				By: owner.String(), At: at}, (opportunity.Won{}).EventType(), at))
		case x < 9:
			at = at.Add(72 * time.Hour)
			events = append(events, ev(opportunity.Lost{OpportunityID: id.String(), Stage: stages[cur].Key, Reason: "price", By: owner.String(), At: at},
				(opportunity.Lost{}).EventType(), at))
		}
		batch = append(batch, eventstore.StreamAppend{Stream: opportunity.Stream(id), ExpectedVersion: 0, Events: events})
		if len(batch) == 1000 {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
	return ids
}
