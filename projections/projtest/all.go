package projtest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/projections/approvalproj"
	"github.com/chronicle-crm/chronicle/projections/auditproj"
	"github.com/chronicle-crm/chronicle/projections/contractproj"
	"github.com/chronicle-crm/chronicle/projections/conversionproj"
	"github.com/chronicle-crm/chronicle/projections/customerproj"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/financeproj"
	"github.com/chronicle-crm/chronicle/projections/leadproj"
	"github.com/chronicle-crm/chronicle/projections/loginproj"
	"github.com/chronicle-crm/chronicle/projections/opportunityproj"
	"github.com/chronicle-crm/chronicle/projections/orgproj"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// noConversions completes no conversion (the generated logs convert no lead).
type noConversions struct{}

func (noConversions) CompleteConversion(context.Context, uuid.UUID) error { return nil }

// AllProjectors are the projectors the server runs, in its order (adapters/app modules), with a
// conversion completer that does nothing.
func AllProjectors() []engine.Projector {
	reg := Registry()
	return []engine.Projector{orgproj.New(reg), leadproj.New(reg), customerproj.New(reg),
		opportunityproj.New(reg), contractproj.New(reg), approvalproj.New(reg), financeproj.New(reg), conversionproj.Projector{Completer: noConversions{}},
		auditproj.Projector{}, loginproj.New(reg)}
}

// RunAll starts an engine with every projector over store and db, as the server runs it; stop
// ends it. With CHRONICLE_BENCH_LOG set (and no logger in opts) the engine logs to stderr.
func RunAll(tb testing.TB, store eventstore.Store, db *readmodels.DB, opts engine.Options) (eng *engine.Engine, stop func()) {
	tb.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		if os.Getenv("CHRONICLE_BENCH_LOG") != "" { // the engine's log on stderr (where a rebuild's time goes)
			opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
		}
	}
	eng, err := engine.New(store, db, opts, AllProjectors()...)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := eng.Prepare(ctx); err != nil {
		cancel()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	select {
	case <-eng.Running():
	case err := <-done:
		cancel()
		tb.Fatalf("engine stopped at start: %v", err)
	}
	return eng, func() { cancel(); <-done }
}
