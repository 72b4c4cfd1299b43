package server

import (
	"math"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds cognate's Prometheus metrics in a registry of its own
// (not the global default one), so that tests and several servers in one
// process never share series.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	messages *prometheus.CounterVec
	triggers *prometheus.CounterVec
	triggerT *prometheus.HistogramVec
	logs     *prometheus.CounterVec
}

// NewMetrics returns metrics with the request series and the Go runtime
// and process collectors registered.
func NewMetrics() *Metrics {
	labels := []string{"service", "operation", "outcome"}
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cognate_requests_total",
			Help: "API requests handled, by service, operation and outcome.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cognate_request_duration_seconds",
			Help:    "Time to handle an API request, by service, operation and outcome.",
			Buckets: DurationBuckets,
		}, labels),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cognate_messages_total",
			Help: "Messages (codes, invitations) handed to a sender, by channel, sender and outcome.",
		}, []string{"channel", "via", "outcome"}),
		triggers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cognate_trigger_invocations_total",
			Help: "Lambda trigger invocations, by trigger and outcome.",
		}, []string{"trigger", "outcome"}),
		triggerT: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cognate_trigger_duration_seconds",
			Help:    "Time of a Lambda trigger invocation over all its attempts, by trigger and outcome.",
			Buckets: prometheus.DefBuckets,
		}, []string{"trigger", "outcome"}),
		logs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cognate_log_records_total",
			Help: "Exported log records (SetLogDeliveryConfiguration), by where they went (logs, s3, firehose, file, stdout, webhook) and outcome (delivered, failed, dropped).",
		}, []string{"via", "outcome"}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests,
		m.duration,
		m.messages,
		m.triggers,
		m.triggerT,
		m.logs,
	)
	return m
}

// DurationBuckets are the upper edges, in seconds, of the request-duration
// histogram's buckets: ten a decade (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6 and
// 8 times a power of ten) from 100 µs to 30 s, so that a quantile read from
// them, as Prometheus's histogram_quantile or cognate bench reads it, is
// off by at most a third of its value (no edge is more than 4/3 of the one
// below it), not the factor of two or more of
// the client library's default buckets. 56 buckets per series.
var DurationBuckets = durationBuckets()

func durationBuckets() []float64 {
	var out []float64
	for scale := 1e-4; scale < 100; scale *= 10 {
		for _, m := range []float64{1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8} {
			v := m * scale
			if v > 30 {
				return out
			}
			// Round to a few significant digits: 3 × 1e-4 is
			// 0.00030000000000000003 in binary, which reads badly as le.
			out = append(out, math.Round(v*1e7)/1e7)
		}
	}
	return out
}

// ObserveRequest records one API request. The caller keeps the label
// values bounded: service and operation come from the operation table
// (an unknown operation is reported as one fixed name), and outcome is
// the API's success marker or an exception name.
func (m *Metrics) ObserveRequest(service, operation, outcome string, elapsed time.Duration) {
	m.requests.WithLabelValues(service, operation, outcome).Inc()
	m.duration.WithLabelValues(service, operation, outcome).Observe(elapsed.Seconds())
}

// MessageDelivered records one message delivery; a failed delivery counts
// with outcome "failure", so an alert can watch for codes that never left.
func (m *Metrics) MessageDelivered(channel, via string, err error) {
	outcome := "success"
	if err != nil {
		outcome = "failure"
	}
	m.messages.WithLabelValues(channel, via, outcome).Inc()
}

// TriggerInvoked records one Lambda trigger invocation. trigger is a
// LambdaConfig member's name and outcome one of the triggers package's
// outcomes: both bounded sets.
func (m *Metrics) TriggerInvoked(trigger, outcome string, elapsed time.Duration) {
	m.triggers.WithLabelValues(trigger, outcome).Inc()
	m.triggerT.WithLabelValues(trigger, outcome).Observe(elapsed.Seconds())
}

// LogRecordsExported records n exported log records; via and outcome are
// the messaging package's bounded sets.
func (m *Metrics) LogRecordsExported(via, outcome string, n int) {
	m.logs.WithLabelValues(via, outcome).Add(float64(n))
}

// Registerer lets other packages' collectors join the registry.
func (m *Metrics) Registerer() prometheus.Registerer { return m.registry }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}
