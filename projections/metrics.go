package projections

import "github.com/prometheus/client_golang/prometheus"

// Collector exposes every projector's counters to Prometheus; register it on the composition
// root's registry.
func (r *Runner) Collector() prometheus.Collector { return collector{r} }

var (
	descPosition = prometheus.NewDesc("infrahub_projection_position",
		"Log position up to which the projection has applied every event.", []string{"projection"}, nil)
	descEvents = prometheus.NewDesc("infrahub_projection_events_total",
		"Events applied by the projection.", []string{"projection"}, nil)
	descSkipped = prometheus.NewDesc("infrahub_projection_skipped_batches_total",
		"Bus batches already covered by the projection's checkpoint.", []string{"projection"}, nil)
	descCatchUps = prometheus.NewDesc("infrahub_projection_catch_ups_total",
		"Gaps in the bus read back from the log.", []string{"projection"}, nil)
	descFailures = prometheus.NewDesc("infrahub_projection_failures_total",
		"Failed applies, reads or checkpoint saves (each retried).", []string{"projection"}, nil)
)

type collector struct{ r *Runner }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPosition, descEvents, descSkipped, descCatchUps, descFailures} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	c.r.mu.Lock()
	stats := make(map[string]ProjectorStats, len(c.r.state))
	for name, st := range c.r.state {
		stats[name] = st.ProjectorStats
	}
	c.r.mu.Unlock()
	for name, s := range stats {
		ch <- prometheus.MustNewConstMetric(descPosition, prometheus.GaugeValue, float64(s.Position), name)
		ch <- prometheus.MustNewConstMetric(descEvents, prometheus.CounterValue, float64(s.Events), name)
		ch <- prometheus.MustNewConstMetric(descSkipped, prometheus.CounterValue, float64(s.Skipped), name)
		ch <- prometheus.MustNewConstMetric(descCatchUps, prometheus.CounterValue, float64(s.CatchUps), name)
		ch <- prometheus.MustNewConstMetric(descFailures, prometheus.CounterValue, float64(s.Failures), name)
	}
}
