package pipeline

import (
	"log/slog"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the pipeline's Prometheus series.
type Metrics struct {
	objectsListed *prometheus.CounterVec
	objectsDone   *prometheus.CounterVec
	objectsFailed *prometheus.CounterVec
	records       *prometheus.CounterVec
	events        *prometheus.CounterVec
	skipped       *prometheus.CounterVec
	bytesRead     *prometheus.CounterVec
	bytesDecoded  *prometheus.CounterVec
	pollDuration  *prometheus.HistogramVec
	findings      *prometheus.CounterVec
	alerts        *prometheus.CounterVec
	lag           *prometheus.GaugeVec
}

// NewMetrics creates the series and registers them with reg, if not nil.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "dutywatch", Subsystem: "pipeline", Name: name, Help: help}, labels)
	}
	m := &Metrics{
		objectsListed: counter("objects_listed_total", "Objects listed for processing (new and retried).", "source"),
		objectsDone:   counter("objects_done_total", "Objects committed as done.", "source"),
		objectsFailed: counter("objects_failed_total", "Objects that failed, by kind (fetch, data).", "source", "kind"),
		records:       counter("records_total", "JSON records decoded.", "source"),
		events:        counter("events_total", "Wazuh-compatible events committed.", "source"),
		skipped:       counter("records_skipped_total", "Records skipped: other EventBridge detail types, discarded findings.", "source", "reason"),
		bytesRead:     counter("bytes_read_total", "Object bytes read as stored (compressed).", "source"),
		bytesDecoded:  counter("bytes_decoded_total", "Object bytes after decompression.", "source"),
		findings:      counter("findings_total", "GuardDuty findings decoded (records that are findings).", "source"),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "dutywatch", Subsystem: "alerts",
			Name: "written_total", Help: "Alerts written, by rule level."}, []string{"level"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "dutywatch", Subsystem: "pipeline",
			Name: "lag_seconds", Help: "Time between now and the last-modified time of the newest object committed, at the end of each poll."},
			[]string{"source"}),
		pollDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "dutywatch", Subsystem: "pipeline", Name: "poll_duration_seconds",
			Help: "Duration of one poll of a source.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}, []string{"source"}),
	}
	if reg != nil {
		reg.MustRegister(m.objectsListed, m.objectsDone, m.objectsFailed, m.records, m.events, m.skipped,
			m.bytesRead, m.bytesDecoded, m.pollDuration, m.findings, m.alerts, m.lag)
	}
	return m
}

// report counts a committed (or recorded) result and logs its failure once.
func (p *Pipeline) report(r *result, stats *Stats, log *slog.Logger) {
	src := r.obj.Source
	if r.duplicate {
		stats.Duplicates++
		log.Debug("object already committed by another instance", "key", r.obj.Key)
		return
	}
	stats.add(r)
	p.metrics.records.WithLabelValues(src).Add(float64(r.records))
	p.metrics.findings.WithLabelValues(src).Add(float64(r.records - r.skipped - r.badRecords))
	for level, n := range r.alerts.ByLevel {
		p.metrics.alerts.WithLabelValues(strconv.Itoa(level)).Add(float64(n))
	}
	if r.kind != failFetch && r.obj.LastModified.After(stats.Newest) {
		stats.Newest = r.obj.LastModified
	}
	p.metrics.skipped.WithLabelValues(src, "detail_type").Add(float64(r.skipped))
	p.metrics.skipped.WithLabelValues(src, "discarded").Add(float64(r.discarded))
	p.metrics.bytesRead.WithLabelValues(src).Add(float64(r.bytesRead))
	p.metrics.bytesDecoded.WithLabelValues(src).Add(float64(r.bytesDecoded))
	switch r.kind {
	case failNone:
		stats.Done++
		p.metrics.objectsDone.WithLabelValues(src).Inc()
		p.metrics.events.WithLabelValues(src).Add(float64(r.events))
		log.Debug("object done", "key", r.obj.Key, "records", r.records, "events", r.events, "compression", r.compression)
	case failData:
		stats.Failed++
		p.metrics.objectsFailed.WithLabelValues(src, "data").Inc()
		if r.events > 0 || r.records > 0 {
			stats.Partial++
			p.metrics.events.WithLabelValues(src).Add(float64(r.events))
		}
		log.Error("object has bad data", "key", r.obj.Key, "events_kept", r.events, "err", r.err)
	case failFetch:
		stats.Failed++
		p.metrics.objectsFailed.WithLabelValues(src, "fetch").Inc()
		// Logged once: a bucket policy or KMS key that denies access fails
		// the same way on every poll until someone fixes it; the health page
		// and the failure metric keep counting.
		if r.attempts <= 1 {
			log.Error("object could not be read; will retry on later polls", "key", r.obj.Key, "err", r.err)
		} else {
			log.Debug("object still cannot be read", "key", r.obj.Key, "attempts", r.attempts, "err", r.err)
		}
	}
}
