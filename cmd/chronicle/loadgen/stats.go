package loadgen

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"
)

// SlowThreshold is the response time the report counts requests over.
const SlowThreshold = 10 * time.Second

// Percentile is the nearest-rank percentile p (0 < p <= 100) of sorted durations: the smallest
// value that at least p% of the values do not exceed. It is 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// recorder collects one virtual user's outcomes, so that recording takes no lock; the driver
// merges the recorders when the run is over.
type recorder struct {
	ops map[string]*opRecord
}

type opRecord struct {
	durations []time.Duration // of every request, failed ones included
	errors    map[string]int  // by HTTP status, or "transport" when no answer came
	slow      int             // requests over SlowThreshold
	samples   []string        // the first few error answers, to say what went wrong
}

func newRecorder() *recorder { return &recorder{ops: map[string]*opRecord{}} }

func (r *recorder) op(name string) *opRecord {
	o := r.ops[name]
	if o == nil {
		o = &opRecord{errors: map[string]int{}}
		r.ops[name] = o
	}
	return o
}

// record adds one request: errKey is "" for a success, else the status or "transport"; sample
// says what the error was.
func (r *recorder) record(name string, d time.Duration, errKey, sample string) {
	o := r.op(name)
	o.durations = append(o.durations, d)
	if d > SlowThreshold {
		o.slow++
	}
	if errKey != "" {
		o.errors[errKey]++
		if len(o.samples) < 3 {
			o.samples = append(o.samples, sample)
		}
	}
}

// OpStats are the figures of one operation (or of all: "overall").
type OpStats struct {
	Op         string         `json:"op"`
	Requests   int            `json:"requests"`
	Throughput float64        `json:"throughputPerSecond"`
	P50        float64        `json:"p50Ms"`
	P95        float64        `json:"p95Ms"`
	P99        float64        `json:"p99Ms"`
	Max        float64        `json:"maxMs"`
	Errors     map[string]int `json:"errors"` // by status ("transport": no answer)
	ErrorCount int            `json:"errorCount"`
	Over10s    int            `json:"over10s"`
	Samples    []string       `json:"errorSamples,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	Target   string    `json:"target"`
	As       string    `json:"as"`
	Sessions int       `json:"sessions"`
	VUs      int       `json:"vus"`
	Mix      string    `json:"mix"`
	Seconds  float64   `json:"seconds"` // from the first request to the last answer
	Ops      []OpStats `json:"ops"`
	Overall  OpStats   `json:"overall"`
}

// summarize merges the recorders into per-operation and overall figures over elapsed.
func summarize(recs []*recorder, order []string, elapsed time.Duration) ([]OpStats, OpStats) {
	merged := map[string]*opRecord{}
	all := &opRecord{errors: map[string]int{}}
	for _, r := range recs {
		for name, o := range r.ops {
			m := merged[name]
			if m == nil {
				m = &opRecord{errors: map[string]int{}}
				merged[name] = m
			}
			for _, into := range []*opRecord{m, all} {
				into.durations = append(into.durations, o.durations...)
				into.slow += o.slow
				for k, v := range o.errors {
					into.errors[k] += v
				}
				for _, s := range o.samples {
					if len(into.samples) < 3 {
						into.samples = append(into.samples, s)
					}
				}
			}
		}
	}
	var ops []OpStats
	for _, name := range order {
		if m := merged[name]; m != nil {
			ops = append(ops, m.stats(name, elapsed))
		}
	}
	return ops, all.stats("overall", elapsed)
}

func (o *opRecord) stats(name string, elapsed time.Duration) OpStats {
	d := slices.Clone(o.durations)
	slices.Sort(d)
	ms := func(v time.Duration) float64 { return float64(v.Microseconds()) / 1000 }
	s := OpStats{Op: name, Requests: len(d), P50: ms(Percentile(d, 50)), P95: ms(Percentile(d, 95)), P99: ms(Percentile(d, 99)),
		Errors: o.errors, Over10s: o.slow, Samples: o.samples}
	if len(d) > 0 {
		s.Max = ms(d[len(d)-1])
	}
	if elapsed > 0 {
		s.Throughput = float64(len(d)) / elapsed.Seconds()
	}
	for _, v := range o.errors {
		s.ErrorCount += v
	}
	return s
}

// Print writes the report as a table.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "target %s as %s (%d sessions), %d virtual users, %.1f s, mix %s\n\n", r.Target, r.As, r.Sessions, r.VUs, r.Seconds, r.Mix)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\trequests\treq/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\terrors\t>10 s\t")
	for _, s := range append(r.Ops, r.Overall) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t%d\t\n", s.Op, s.Requests, s.Throughput, s.P50, s.P95, s.P99, s.Max,
			errorText(s), s.Over10s)
	}
	_ = tw.Flush()
	for _, s := range r.Ops {
		for _, e := range s.Samples {
			fmt.Fprintf(w, "  %s error: %s\n", s.Op, e)
		}
	}
}

// errorText is "0", or the count with the statuses: "7 (409:5 503:2)".
func errorText(s OpStats) string {
	if s.ErrorCount == 0 {
		return "0"
	}
	keys := make([]string, 0, len(s.Errors))
	for k := range s.Errors {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := strconv.Itoa(s.ErrorCount) + " ("
	for i, k := range keys {
		if i > 0 {
			out += " "
		}
		out += k + ":" + strconv.Itoa(s.Errors[k])
	}
	return out + ")"
}
