package opensearch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/dutywatch/dutywatch/internal/source"
)

// Item is one alert to index: its id, its time (which picks the daily
// index) and its alerts.json line, one JSON object.
//
// Time must not change for an AlertID (take the time the alert was first
// raised): _id overwrites only within one index, so an alert re-sent with
// a time on another UTC day would exist twice.
type Item struct {
	AlertID string
	Time    time.Time
	Doc     []byte
}

// Output indexes alerts into OpenSearch or Elasticsearch.
type Output struct {
	client *opensearchapi.Client
	cfg    Config
	log    *slog.Logger
	// wait sleeps d or until ctx ends; tests replace it to run without
	// real delays.
	wait func(ctx context.Context, d time.Duration) error
	// jitter returns a number in [0, n); tests pin it.
	jitter func(n int64) int64

	indexed  atomic.Int64
	retries  atomic.Int64
	failed   atomic.Int64
	requests atomic.Int64

	// tmplMu guards tmplDone, and is held while the template is
	// installed, so no delivery creates an index before it exists.
	tmplMu   sync.Mutex
	tmplDone bool
}

// Stats counts what an Output did since New.
type Stats struct {
	// Indexed counts documents the cluster acknowledged, re-deliveries
	// included.
	Indexed int64
	// Retries counts requests sent again after a transient failure.
	Retries int64
	// Failed counts alerts reported in a *BulkError.
	Failed int64
	// Requests counts HTTP requests sent (bulk and template).
	Requests int64
}

// New connects an Output to the cluster. With cfg.Template it installs
// the index template (see EnsureTemplate); when the cluster cannot be
// reached yet, it logs that and installs the template before the first
// delivery instead. Other template errors (no permission, a rejected
// template) are returned.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Output, error) {
	cfg.URLs = slices.Clone(cfg.URLs)
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("opensearch config: %w", err)
	}
	osCfg := opensearch.Config{
		Addresses:          cfg.URLs,
		Username:           cfg.Username,
		Password:           cfg.Password,
		InsecureSkipVerify: cfg.InsecureSkipVerify,
		// Deliver retries, item by item; the transport retrying too
		// would multiply the attempts and hide them from Stats.
		DisableRetry: true,
	}
	if cfg.CACert != "" {
		pem, err := os.ReadFile(cfg.CACert)
		if err != nil {
			return nil, fmt.Errorf("read CA certificates: %w", err)
		}
		osCfg.CACert = pem
	}
	if cfg.APIKey != "" {
		osCfg.Header = http.Header{"Authorization": {"ApiKey " + cfg.APIKey}}
	}
	client, err := opensearchapi.NewClient(opensearchapi.Config{Client: osCfg})
	if err != nil {
		return nil, fmt.Errorf("create opensearch client: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := &Output{
		client:   client,
		cfg:      cfg,
		log:      log.With("sink", "opensearch"),
		wait:     sleep,
		jitter:   rand.Int64N,
		tmplDone: !cfg.Template,
	}
	if cfg.Template {
		if err := o.ensureTemplate(ctx); err != nil {
			if !errors.Is(err, source.ErrTransient) {
				client.Close()
				return nil, err
			}
			o.log.Warn("index template not installed yet; retrying before the first delivery", "err", err)
		}
	}
	return o, nil
}

// Name is the sink's name in logs and metrics.
func (o *Output) Name() string { return "opensearch" }

// Close releases the client's connections. Deliver must not be running.
func (o *Output) Close() error { return o.client.Close() }

// Stats returns the counters so far.
func (o *Output) Stats() Stats {
	return Stats{
		Indexed:  o.indexed.Load(),
		Retries:  o.retries.Load(),
		Failed:   o.failed.Load(),
		Requests: o.requests.Load(),
	}
}

// Deliver indexes items, each with _id = AlertID in the daily index of
// its Time (UTC), so delivering a batch again overwrites and never
// duplicates. It returns nil when every item is indexed; a *BulkError
// when every item is indexed except those it names, which the cluster
// rejected for good or which are not JSON objects; any other error when
// some items may be missing, after MaxRetries retries of transient
// failures (wrapping source.ErrTransient), on an error that is not the
// documents' fault (authentication, permissions, a bad response), or
// when ctx ends. Deliver is safe for concurrent use.
func (o *Output) Deliver(ctx context.Context, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	if err := o.ensureTemplate(ctx); err != nil {
		return err
	}
	entries, rejected := prepare(o.cfg.IndexPrefix, items)
	for _, c := range chunk(entries, o.cfg.MaxBulkBytes) {
		failed, err := o.deliverChunk(ctx, c)
		if err != nil {
			return err
		}
		rejected = append(rejected, failed...)
	}
	if len(rejected) > 0 {
		o.failed.Add(int64(len(rejected)))
		return &BulkError{Items: rejected}
	}
	return nil
}

// deliverChunk sends one bulk request and then, as long as retries are
// left, the items that failed transiently. It returns the items rejected
// for good.
func (o *Output) deliverChunk(ctx context.Context, c []entry) ([]ItemError, error) {
	pending := c
	var rejected []ItemError
	err := o.retry(ctx, "bulk index", func(ctx context.Context) error {
		out, err := o.bulk(ctx, pending)
		if err != nil {
			return err
		}
		rejected = append(rejected, out.rejected...)
		pending = out.retry
		if len(pending) > 0 {
			return fmt.Errorf("%w: %d of %d items: %s", source.ErrTransient, len(pending), len(out.sent), out.cause)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rejected, nil
}

// retry calls attempt until it succeeds, fails with an error that is not
// transient, or MaxRetries retries are spent, waiting an exponential,
// jittered backoff between calls.
func (o *Output) retry(ctx context.Context, what string, attempt func(context.Context) error) error {
	for n := 0; ; n++ {
		err := attempt(ctx)
		if err == nil || !errors.Is(err, source.ErrTransient) {
			return err
		}
		if n >= o.cfg.MaxRetries {
			return fmt.Errorf("%s: %d attempts: %w", what, n+1, err)
		}
		d := backoff(o.cfg.Backoff, n, o.jitter)
		o.log.Warn("retrying", "op", what, "attempt", n+1, "wait", d, "err", err)
		if err := o.wait(ctx, d); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		o.retries.Add(1)
	}
}

// backoff is the delay before retry n+1: base doubled n times, capped at
// maxBackoff (or base if larger), half of it fixed and half random, so
// many dutywatch instances do not retry in step.
func backoff(base time.Duration, n int, jitter func(int64) int64) time.Duration {
	limit := max(maxBackoff, base)
	d := base
	for range n {
		if d >= limit/2 {
			d = limit
			break
		}
		d *= 2
	}
	half := d / 2
	return half + time.Duration(jitter(int64(d-half)+1))
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// classify turns a client error into ours: a transient one (wrapping
// source.ErrTransient) for connection errors, timeouts and HTTP
// 408/429/502/503/504, ctx's error when ctx ended, else err as is.
func classify(ctx context.Context, status int, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if status == 0 || retryableStatus(status) {
		return fmt.Errorf("%w: %w", source.ErrTransient, err)
	}
	return err
}

// retryableStatus reports whether a request or item that got status may
// succeed later as it is.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests:
		return true
	}
	return status >= 500
}

// statusOf is the HTTP status of a client response, 0 when there was none.
func statusOf(in opensearchapi.Inspect) int {
	if in.Response == nil {
		return 0
	}
	return in.Response.StatusCode
}
