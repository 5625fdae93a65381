package forward

import "github.com/prometheus/client_golang/prometheus"

// Collector exposes the forwarder's counters to Prometheus; register it on the composition
// root's registry.
func (f *Forwarder) Collector() prometheus.Collector { return collector{f} }

var (
	descPublishedBatches = prometheus.NewDesc("infrahub_forwarder_published_batches_total",
		"Messages confirmed by the bus, re-publications included.", []string{"name"}, nil)
	descPublishedEvents = prometheus.NewDesc("infrahub_forwarder_published_events_total",
		"Events in messages confirmed by the bus.", []string{"name"}, nil)
	descPublishErrors = prometheus.NewDesc("infrahub_forwarder_publish_errors_total",
		"Failed publish attempts (each is retried).", []string{"name"}, nil)
	descPosition = prometheus.NewDesc("infrahub_forwarder_position",
		"Highest log position up to which every event is confirmed by the bus.", []string{"name"}, nil)
	descSaved = prometheus.NewDesc("infrahub_forwarder_checkpoint",
		"Log position of the saved checkpoint.", []string{"name"}, nil)
	descInFlight = prometheus.NewDesc("infrahub_forwarder_in_flight",
		"Publishes waiting for their confirm.", []string{"name"}, nil)
)

type collector struct{ f *Forwarder }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPublishedBatches, descPublishedEvents, descPublishErrors, descPosition, descSaved, descInFlight} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.f.Stats()
	name := c.f.Name
	if name == "" {
		name = DefaultName
	}
	ch <- prometheus.MustNewConstMetric(descPublishedBatches, prometheus.CounterValue, float64(s.PublishedBatches), name)
	ch <- prometheus.MustNewConstMetric(descPublishedEvents, prometheus.CounterValue, float64(s.PublishedEvents), name)
	ch <- prometheus.MustNewConstMetric(descPublishErrors, prometheus.CounterValue, float64(s.PublishErrors), name)
	ch <- prometheus.MustNewConstMetric(descPosition, prometheus.GaugeValue, float64(s.Position), name)
	ch <- prometheus.MustNewConstMetric(descSaved, prometheus.GaugeValue, float64(s.Saved), name)
	ch <- prometheus.MustNewConstMetric(descInFlight, prometheus.GaugeValue, float64(s.InFlight), name)
}
