package commands

import "time"

// Recorder observes commands: name, outcome and duration. The HTTP adapter's Prometheus metrics
// implement it; modules decorate their command ports with it (see Measure), so the transport
// never names commands.
type Recorder interface {
	Command(name string, err error, d time.Duration)
}

// Measure runs one command and records it under name.
func Measure[T any](rec Recorder, name string, run func() (T, error)) (T, error) {
	start := time.Now()
	out, err := run()
	rec.Command(name, err, time.Since(start))
	return out, err
}

// Discard is a Recorder that records nothing.
type Discard struct{}

// Command implements Recorder.
func (Discard) Command(string, error, time.Duration) {}
