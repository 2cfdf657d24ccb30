package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dutywatch/dutywatch/internal/archive"
	"github.com/dutywatch/dutywatch/internal/finding"
	"github.com/dutywatch/dutywatch/internal/sink/jsonl"
	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/store"
)

// ArchiveSink is the name under which the archives file's offset is stored.
const ArchiveSink = "archives"

// Config tunes a Pipeline. DefaultConfig gives the defaults.
type Config struct {
	Workers int
	// SpoolBytes is how much of one object's output a worker keeps in memory
	// before spilling to a temporary file in SpoolDir.
	SpoolBytes int
	SpoolDir   string
	// SpoolMemory bounds the memory of all objects' spools together:
	// objects waiting for the sequencer past it spill to SpoolDir.
	SpoolMemory int64
	// BatchObjects, BatchRecords and BatchBytes bound one commit
	// transaction: its objects, their records and their spooled output.
	// (The store bounds the memory of the rows it buffers on its own.)
	BatchObjects int
	BatchRecords int64
	BatchBytes   int64
	// MaxRecordBytes bounds one JSON record.
	MaxRecordBytes int
	// FetchRetries is how often a transient error is retried within a poll.
	FetchRetries int
	// RetryBackoff is the first backoff; it doubles with jitter.
	RetryBackoff time.Duration
	// MaxAttempts is how many polls retry a transiently failed object.
	MaxAttempts int
	// ShutdownGrace bounds finishing in-flight objects after cancellation.
	ShutdownGrace time.Duration
	// Host names the manager and agent in archive lines.
	Host string
	// ProgressInterval is how often a long poll reports its progress (0:
	// never); Terminal, when set, gets a progress bar instead of log lines.
	ProgressInterval time.Duration
	Terminal         io.Writer
	// Instance, when set, names this process among several sharing one
	// state database: its local files' committed offsets are stored as
	// SinkName(Instance, ...). Empty for a state of its own.
	Instance string
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	if host == "" {
		host = "dutywatch"
	}
	return Config{
		Workers:        4,
		SpoolBytes:     4 << 20,
		SpoolMemory:    8 << 20,
		SpoolDir:       os.TempDir(),
		BatchObjects:   64,
		BatchRecords:   8000,
		BatchBytes:     32 << 20,
		MaxRecordBytes: 64 << 20,
		FetchRetries:   3,
		RetryBackoff:   200 * time.Millisecond,
		MaxAttempts:    10,
		ShutdownGrace:  2 * time.Minute,
		Host:           host,

		ProgressInterval: 30 * time.Second,
	}
}

// SourceOptions are the per-source settings that change how objects are
// processed.
type SourceOptions struct {
	SkipOnError  bool
	AccountAlias string
	// Discard drops findings that match, as Wazuh's discard_regex does.
	Discard *finding.Discard
}

// Pipeline processes sources into the archive sink and the store.
type Pipeline struct {
	cfg     Config
	store   *store.Store
	format  *archive.Formatter
	log     *slog.Logger
	metrics *Metrics

	// commitMu serializes commits of concurrent polls, and guards archive
	// and alerter.
	commitMu sync.Mutex
	archive  *jsonl.File
	alerter  *Alerter

	// spoolMemory is what remains of Config.SpoolMemory.
	spoolMemory atomic.Int64
}

// New returns a Pipeline writing to archive (opened at the store's committed
// offset) and st.
// alerter may be nil: then no rules run and no alerts are written.
func New(cfg Config, st *store.Store, archives *jsonl.File, alerter *Alerter, log *slog.Logger, m *Metrics) *Pipeline {
	if cfg.Workers < 1 {
		cfg.Workers = 1
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	p := &Pipeline{cfg: cfg, store: st, archive: archives, alerter: alerter, format: archive.NewFormatter(cfg.Host), log: log, metrics: m}
	p.spoolMemory.Store(cfg.SpoolMemory)
	if cfg.SpoolMemory <= 0 {
		p.spoolMemory.Store(math.MaxInt64 / 2)
	}
	return p
}

// OpenArchive opens the archives file at the offset st has committed.
func OpenArchive(ctx context.Context, st *store.Store, path string) (*jsonl.File, error) {
	return OpenSink(ctx, st, ArchiveSink, path)
}

// OpenSink opens the JSON-lines file at path at the offset st has
// committed for the sink name.
func OpenSink(ctx context.Context, st *store.Store, name, path string) (*jsonl.File, error) {
	off, err := st.SinkOffset(ctx, name)
	if err != nil {
		return nil, err
	}
	return jsonl.Open(path, off)
}

// SinkName is the name a local file's offset is stored under: base alone
// for a state of its own, "instance/base" in a shared one, where each
// instance has its own files.
func SinkName(instance, base string) string {
	if instance == "" {
		return base
	}
	return instance + "/" + base
}

// queueSource is implemented by sources whose objects come from a queue
// (source/sqs): there is no listing order to stop at, and an object that
// failed goes back to the queue for a later attempt, by any instance,
// instead of the store's retry list.
type queueSource interface {
	Release(ctx context.Context, o source.Object, retryAfter time.Duration) error
}

// Stats counts what one poll did.
type Stats struct {
	Listed, Done, Partial, Failed int
	// Duplicates are objects another instance committed first.
	Duplicates               int
	Records, Events, Skipped int64
	Discarded, BadRecords    int64
	BytesRead, BytesDecoded  int64
	Alerts                   AlertStats
	// Newest is the last-modified time of the newest object committed.
	Newest time.Time
}

func (s *Stats) add(r *result) {
	s.Records += r.records
	s.Events += r.events
	s.Skipped += r.skipped
	s.Discarded += r.discarded
	s.BadRecords += r.badRecords
	s.BytesRead += r.bytesRead
	s.BytesDecoded += r.bytesDecoded
	s.Alerts.add(r.alerts)
}

// ErrStopped is returned by Poll when a source stopped at a bad object
// because skip_on_error is off.
var ErrStopped = errors.New("source stopped at a failed object")

// Poll lists src once and processes every new object, returning when all
// are committed, the source stopped at a failure, or ctx ended.
func (p *Pipeline) Poll(ctx context.Context, src source.Source, opt SourceOptions) (Stats, error) {
	log := p.log.With("source", src.Name())
	start := time.Now()
	// Failure series exist from the first poll on, so dashboards and alert
	// rules on them see 0 rather than nothing.
	p.metrics.objectsFailed.WithLabelValues(src.Name(), "fetch")
	p.metrics.objectsFailed.WithLabelValues(src.Name(), "data")
	stats, err := p.poll(ctx, src, opt, log)
	p.metrics.pollDuration.WithLabelValues(src.Name()).Observe(time.Since(start).Seconds())
	if !stats.Newest.IsZero() {
		p.metrics.lag.WithLabelValues(src.Name()).Set(time.Since(stats.Newest).Seconds())
	}
	if rerr := p.store.RecordPoll(context.WithoutCancel(ctx), src.Name(), start, err); rerr != nil && err == nil {
		err = rerr
	}
	if err == nil {
		p.pruneDone(ctx, src, log)
	}
	return stats, err
}

// doneFloors is implemented by sources that know, per scope, the key below
// which they never list again (source/s3, source/dir).
type doneFloors interface {
	DoneFloors() map[string]string
}

// pruneDone forgets done objects the source will never list again, so the
// done-set holds only the listing windows and state stays bounded.
func (p *Pipeline) pruneDone(ctx context.Context, src source.Source, log *slog.Logger) {
	f, ok := src.(doneFloors)
	if !ok {
		return
	}
	for scope, floor := range f.DoneFloors() {
		n, err := p.store.PruneDoneBelow(ctx, scope, floor)
		if err != nil {
			log.Warn("prune the done-set", "scope", scope, "err", err)
			continue
		}
		if n > 0 {
			log.Debug("pruned the done-set", "scope", scope, "below", floor, "objects", n)
		}
	}
}

func (p *Pipeline) poll(ctx context.Context, src source.Source, opt SourceOptions, log *slog.Logger) (Stats, error) {
	var stats Stats
	// listCtx ends the lister and the workers' intake; work already taken
	// runs on under work, which ignores ctx's cancellation.
	listCtx, stopListing := context.WithCancel(ctx)
	defer stopListing()
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	// A grace deadline starts when ctx ends, so a stuck fetch cannot hold
	// shutdown forever.
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(p.cfg.ShutdownGrace, cancelWork)
		context.AfterFunc(work, func() { t.Stop() })
	})
	defer stopGrace()

	jobs := make(chan job)
	// Results wait here while a commit runs: room for a whole batch keeps
	// the workers busy meanwhile, and lets the next commit carry a full
	// batch of small objects, for one sync of each file instead of one per
	// few objects. Their memory is bounded by the spools' (SpoolMemory).
	results := make(chan *result, max(p.cfg.Workers, p.cfg.BatchObjects))
	var listErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(jobs)
		listErr = p.list(listCtx, src, jobs, log)
	})
	var workers sync.WaitGroup
	for range p.cfg.Workers {
		workers.Go(func() {
			for j := range jobs {
				r := p.process(work, src, opt, j)
				results <- r
			}
		})
	}
	go func() {
		workers.Wait()
		close(results)
	}()

	var prog progress
	progressCtx, stopProgress := context.WithCancel(ctx)
	var reporter sync.WaitGroup
	reporter.Go(func() { reportProgress(progressCtx, &prog, p.cfg.ProgressInterval, p.cfg.Terminal, log) })
	err := p.sequence(work, src, results, opt, &stats, &prog, log)
	stopProgress()
	reporter.Wait()
	if err != nil {
		// Stop intake and the objects in flight (their results are dropped:
		// nothing after a stop is committed), then drain so every goroutine
		// exits before we return.
		stopListing()
		cancelWork()
	}
	for r := range results {
		r.close()
	}
	wg.Wait()
	if err == nil && listErr != nil && ctx.Err() == nil {
		err = fmt.Errorf("list %s: %w", src.Name(), listErr)
	}
	if err == nil {
		err = ctx.Err()
	}
	return stats, err
}

type job struct {
	seq int
	obj source.Object
}

// list sends the objects to retry, then the newly listed ones, numbered.
func (p *Pipeline) list(ctx context.Context, src source.Source, jobs chan<- job, log *slog.Logger) error {
	seq := 0
	send := func(o source.Object) bool {
		select {
		case jobs <- job{seq: seq, obj: o}:
			seq++
			p.metrics.objectsListed.WithLabelValues(src.Name()).Inc()
			return true
		case <-ctx.Done():
			return false
		}
	}
	var retry []source.Object
	if _, ok := src.(queueSource); !ok {
		var err error
		if retry, err = p.store.Retryable(ctx, src.Name(), p.cfg.MaxAttempts); err != nil {
			return err
		}
	}
	queued := make(map[[2]string]bool, len(retry))
	for _, o := range retry {
		log.Info("retrying failed object", "key", o.Key)
		queued[[2]string{o.Scope, o.Key}] = true
		if !send(o) {
			return nil
		}
	}
	for o, err := range src.List(ctx) {
		if err != nil {
			return err
		}
		if queued[[2]string{o.Scope, o.Key}] {
			continue
		}
		if !send(o) {
			return nil
		}
	}
	return nil
}
