package pgtest

import (
	"slices"
	"testing"
)

// Engine skips a test (or subtest) of one engine when CHRONICLE_TEST_ENGINES leaves that engine
// out: `make test` runs the PostgreSQL tests in its pass under the race detector and the SQLite
// tests in its pass without it, so each runs once.
func Engine(tb testing.TB, engine string) {
	tb.Helper()
	if !slices.Contains(Engines(), engine) {
		tb.Skipf("a %s test: %s=%q leaves %s to the other pass of make test", engine, EnvEngines, Engines(), engine)
	}
}

// NotUnderRace skips a test under the race detector: for tests that are CPU-bound and run no
// concurrent code worth watching (decoding a large file, seeding a million rows), which the
// detector slows five- to tenfold. `make test` runs every test again without the detector, so
// these run there.
func NotUnderRace(tb testing.TB) {
	tb.Helper()
	if raceDetector {
		tb.Skip("CPU-bound and without concurrency worth watching: runs in make test's pass without the race detector")
	}
}
