package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/projections/engine"
)

// Metrics are the Prometheus metrics of one process.
type Metrics struct {
	registry *prometheus.Registry
	commands *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the metrics; projection gauges are read from the engine at scrape time.
func NewMetrics(engine *engine.Engine) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "chronicle_commands_total", Help: "Commands handled, by command and outcome."}, []string{"command", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "chronicle_command_duration_seconds", Help: "Command latency: authorise, load, decide, append.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"command"}),
	}
	m.registry.MustRegister(m.commands, m.latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if engine != nil {
		m.registry.MustRegister(&projectionCollector{engine: engine})
	}
	return m
}

// Command records one command's outcome and latency.
func (m *Metrics) Command(name string, err error, d time.Duration) {
	outcome := "ok"
	if err != nil {
		p := httpkit.ProblemFor(err)
		outcome = p.Code
	}
	m.commands.WithLabelValues(name, outcome).Inc()
	m.latency.WithLabelValues(name).Observe(d.Seconds())
}

// Register adds a collector of another part of the process (the scheduled backups) to /metrics.
func (m *Metrics) Register(c prometheus.Collector) error { return m.registry.Register(c) }

// Handler serves the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

var (
	descPosition = prometheus.NewDesc("chronicle_projection_position", "Last global position a projection generation committed.", []string{"projection", "generation", "state"}, nil)
	descLag      = prometheus.NewDesc("chronicle_projection_lag_events", "Events in the log after the projection's checkpoint.", []string{"projection", "generation"}, nil)
	descLagSecs  = prometheus.NewDesc("chronicle_projection_lag_seconds", "Age of the oldest event the projection has not processed.", []string{"projection", "generation"}, nil)
	descHead     = prometheus.NewDesc("chronicle_eventstore_head_position", "Position of the last event in the global log.", nil, nil)
)

type projectionCollector struct{ engine *engine.Engine }

func (c *projectionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descPosition
	ch <- descLag
	ch <- descLagSecs
	ch <- descHead
}

func (c *projectionCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.engine.Status(ctx)
	if err != nil {
		return
	}
	for i, s := range st {
		gen := strconv.Itoa(s.Generation)
		ch <- prometheus.MustNewConstMetric(descPosition, prometheus.GaugeValue, float64(s.Position), s.Name, gen, s.State)
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(s.LagEvents), s.Name, gen)
		ch <- prometheus.MustNewConstMetric(descLagSecs, prometheus.GaugeValue, s.LagSeconds, s.Name, gen)
		if i == 0 {
			ch <- prometheus.MustNewConstMetric(descHead, prometheus.GaugeValue, float64(s.Head))
		}
	}
}
