// Package runtimecfg is how the server sets up the Go runtime, in one place, so that the
// benchmarks that report latencies run the way the server does.
package runtimecfg

import (
	"os"
	"runtime/debug"
	"sync"
)

// ServerGCPercent is the collector's target the server runs with unless GOGC is set.
const ServerGCPercent = 400

var once sync.Once

// ServerGC sets the collector as the server runs it: the server's live heap is small (tens of
// MB) and every request allocates its answer, so at Go's default of 100 the collector took a
// tenth of the CPU of a list load. GOGC set in the environment wins.
func ServerGC() {
	once.Do(func() {
		if os.Getenv("GOGC") == "" {
			debug.SetGCPercent(ServerGCPercent)
		}
	})
}
