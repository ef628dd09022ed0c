package obs

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's Prometheus metrics, in a registry of their own
// (two servers in one test process do not collide).
type Metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	pushOutcomes *prometheus.CounterVec
	loginFails   *prometheus.CounterVec
	lockouts     *prometheus.CounterVec
	storeErrors  prometheus.Counter
	busy         prometheus.Counter
}

// NewMetrics registers the server's metrics and Go's process metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airt_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "airt_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		pushOutcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airt_push_mutations_total", Help: "Pushed mutations by outcome (applied, duplicate, rejected, conflict).",
		}, []string{"outcome"}),
		loginFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airt_login_failures_total", Help: "Refused logins by reason (credentials, otp, rate_limited, busy, invalid).",
		}, []string{"reason"}),
		lockouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airt_login_lockouts_total", Help: "Lock-outs begun: a login limit reached (rule) or the TOTP lock-out (otp).",
		}, []string{"rule"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "airt_store_errors_total", Help: "Store operations that failed (answered 500 or not ready).",
		}),
		busy: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "airt_hash_gate_refusals_total", Help: "Password or code checks refused because every hashing slot was taken.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.pushOutcomes, m.loginFails, m.lockouts, m.storeErrors, m.busy,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Request counts one request of route answered status after d.
func (m *Metrics) Request(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// PushOutcome counts n pushed mutations with outcome.
func (m *Metrics) PushOutcome(outcome string, n int) {
	if n > 0 {
		m.pushOutcomes.WithLabelValues(outcome).Add(float64(n))
	}
}

// LoginFailure counts a refused login.
func (m *Metrics) LoginFailure(reason string) { m.loginFails.WithLabelValues(reason).Inc() }

// Lockout counts a lock-out begun under rule.
func (m *Metrics) Lockout(rule string) { m.lockouts.WithLabelValues(rule).Inc() }

// StoreError counts a failed store operation.
func (m *Metrics) StoreError() { m.storeErrors.Inc() }

// Busy counts a check refused by the hashing gate.
func (m *Metrics) Busy() { m.busy.Inc() }
