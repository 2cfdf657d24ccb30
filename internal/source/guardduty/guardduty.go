package guardduty

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	gd "github.com/aws/aws-sdk-go-v2/service/guardduty"

	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/source/s3"
)

// pruneMargin widens the done-set floor below each listing's start.
const pruneMargin = 7 * 24 * time.Hour

// Source lists GuardDuty findings through the API of one or more regions
// and serves them as objects of at most PageSize findings each.
type Source struct {
	cfg     Config
	regions []*region
	state   source.State
	log     *slog.Logger
	now     func() time.Time

	calls atomic.Int64

	// Floors gives the pipeline, per scope, the key below which the
	// done-set may be pruned, as of the last listing.
	source.Floors

	// mu guards the fields below.
	mu sync.Mutex
	// gen numbers the listings; chunks remember the one that made them.
	gen int64
	// chunks holds the chunks listed and not yet done, by key.
	chunks map[string]*chunk
	// seen holds, per scope, the finding versions committed (Done) whose
	// updatedAt is still inside the listing window, with that time.
	seen map[string]map[string]time.Time
}

var _ source.Source = (*Source)(nil)

// New returns a source for cfg. Credentials come from cfg.Client through
// s3.LoadAWSConfig (default chain, profile, static keys, assumed role);
// they are resolved on the first request. st says what is committed.
func New(ctx context.Context, cfg Config, st source.State, log *slog.Logger) (*Source, error) {
	awsCfg, err := s3.LoadAWSConfig(ctx, cfg.Client)
	if err != nil {
		return nil, err
	}
	return newSource(cfg, awsCfg, st, log)
}

// newSource builds the source on an aws.Config, which tests give a
// retryer without backoff.
func newSource(cfg Config, awsCfg aws.Config, st source.State, log *slog.Logger) (*Source, error) {
	if st == nil {
		return nil, errors.New("guardduty source: state is nil")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	names := cfg.Regions
	if len(names) == 0 {
		if !validName(awsCfg.Region) {
			return nil, fmt.Errorf("guardduty source: region %q: want letters, digits and '-'", awsCfg.Region)
		}
		names = []string{awsCfg.Region}
	}
	s := &Source{
		cfg:    cfg,
		state:  st,
		log:    log.With("source", cfg.Name),
		now:    time.Now,
		chunks: make(map[string]*chunk),
		seen:   make(map[string]map[string]time.Time),
	}
	for _, name := range names {
		client := gd.NewFromConfig(awsCfg, func(o *gd.Options) {
			o.Region = name
			if cfg.Endpoint != "" {
				o.BaseEndpoint = aws.String(cfg.Endpoint)
			}
		})
		s.regions = append(s.regions, &region{name: name, api: client, pacer: newPacer(cfg.RequestsPerSecond)})
	}
	return s, nil
}

// Name returns the configured source name.
func (s *Source) Name() string { return s.cfg.Name }

// Calls returns how many API calls the source has made (SDK retries of a
// call not counted).
func (s *Source) Calls() int64 { return s.calls.Load() }

// List yields, region by region and detector by detector, one object per
// ListFindings page whose findings hold versions not yet committed, in key
// order within each scope. An error ends the listing.
func (s *Source) List(ctx context.Context) iter.Seq2[source.Object, error] {
	return func(yield func(source.Object, error) bool) {
		gen := s.beginListing()
		for _, r := range s.regions {
			detectors, err := s.detectors(ctx, r)
			if err != nil {
				yield(source.Object{}, err)
				return
			}
			for _, d := range detectors {
				if !s.listScope(ctx, r, d, gen, yield) {
					return
				}
			}
		}
	}
}

// listScope yields the new chunks of one (region, detector); false means
// stop. It lists the ids of the findings updated at or after the scope's
// start (the watermark minus Overlap), oldest first, then fetches them
// with GetFindings PageSize at a time, so a finding updated since it was
// listed comes in its newest version.
//
// Key times never pass the moment the id listing began (cap): a finding
// updated after that, even one fetched before the update, has a later
// updatedAt and is listed again by the next poll however long this one
// takes. If the listing was unstable (see listIDs), they stay at start,
// so the next poll lists the same window again.
func (s *Source) listScope(ctx context.Context, r *region, detector string, gen int64, yield func(source.Object, error) bool) bool {
	scope := scopeName(r.name, detector)
	cursor, err := s.state.Cursor(ctx, scope)
	if err != nil {
		yield(source.Object{}, fmt.Errorf("cursor of %s: %w", scope, err))
		return false
	}
	start, err := s.start(r.name, detector, cursor)
	if err != nil {
		yield(source.Object{}, err)
		return false
	}
	s.SetFloor(scope, keyPrefix(r.name, detector)+formatKeyTime(start.Add(-pruneMargin)))
	s.forgetBefore(scope, start)
	limit := s.now()
	ids, stable, err := s.listIDs(ctx, r, detector, start)
	if err != nil {
		yield(source.Object{}, err)
		return false
	}
	if !stable {
		s.log.WarnContext(ctx, "findings moved while being listed; the next poll lists this window again", "scope", scope, "start", start)
		limit = start
	}
	s.log.DebugContext(ctx, "list scope", "scope", scope, "start", start, "cursor", cursor, "findings", len(ids))

	keyTime := start
	listed := make(map[string]bool) // versions in this listing's chunks
	for batch := range slices.Chunk(ids, s.cfg.PageSize) {
		raws, err := s.getFindings(ctx, r, detector, batch)
		if err != nil {
			yield(source.Object{}, err)
			return false
		}
		c := s.newChunk(scope, raws, start, listed)
		if c == nil {
			continue
		}
		keyTime = later(keyTime, earlier(c.newest, limit))
		o, ok, err := s.hold(ctx, r.name, detector, cursor, keyTime, c, gen)
		if err != nil {
			yield(source.Object{}, err)
			return false
		}
		if ok && !yield(o, nil) {
			return false
		}
	}
	return true
}

// listAttempts is how often listIDs lists a window that changed under it.
const listAttempts = 3

// listIDs returns the ids of the findings updated at or after start,
// oldest first, each once. ListFindings pages may be positions in a
// sorted list: a finding updated while the pages are read moves to the
// end, and those after its old place move up, so one may be skipped. Such
// a move shows as an id listed twice; the listing is then done again, up
// to listAttempts times, and stable is false if it kept moving.
func (s *Source) listIDs(ctx context.Context, r *region, detector string, start time.Time) (ids []string, stable bool, err error) {
	for attempt := 1; ; attempt++ {
		ids = ids[:0]
		stable = true
		listed := make(map[string]bool)
		var token *string
		for {
			page, err := s.listFindings(ctx, r, detector, start.UnixMilli(), token)
			if err != nil {
				return nil, false, err
			}
			for _, id := range page.FindingIds {
				if listed[id] {
					stable = false
					continue
				}
				listed[id] = true
				ids = append(ids, id)
			}
			if aws.ToString(page.NextToken) == "" {
				break
			}
			token = page.NextToken
		}
		if stable || attempt == listAttempts {
			return ids, stable, nil
		}
	}
}

// start returns where a scope's listing starts: Overlap before the time in
// its cursor, or on a first run OnlyAfter, else LookBack before now; never
// before OnlyAfter.
func (s *Source) start(region, detector, cursor string) (time.Time, error) {
	var start time.Time
	switch {
	case cursor != "":
		k, err := parseKey(cursor)
		if err == nil && (k.Region != region || k.Detector != detector) {
			err = fmt.Errorf("key of another scope")
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("cursor of %s: %w", scopeName(region, detector), err)
		}
		start = k.Time.Add(-s.cfg.Overlap)
	case !s.cfg.OnlyAfter.IsZero():
		start = s.cfg.OnlyAfter
	default:
		start = s.now().Add(-s.cfg.LookBack)
	}
	start = later(start, s.cfg.OnlyAfter)
	return start.UTC().Truncate(time.Millisecond), nil
}

// hold makes the object of chunk c and keeps c for Open; ok is false when
// the key is already done.
func (s *Source) hold(ctx context.Context, region, detector, cursor string, t time.Time, c *chunk, gen int64) (source.Object, bool, error) {
	key := chunkKey(region, detector, t, c.hash)
	if key <= cursor {
		done, err := s.state.IsDone(ctx, c.scope, key)
		if err != nil {
			return source.Object{}, false, fmt.Errorf("check %s: %w", key, err)
		}
		if done {
			return source.Object{}, false, nil
		}
	}
	c.gen = gen
	s.mu.Lock()
	s.chunks[key] = c
	s.mu.Unlock()
	return source.Object{
		Source:       s.cfg.Name,
		Key:          key,
		Scope:        c.scope,
		Account:      c.account,
		Region:       region,
		Size:         int64(len(c.body)),
		ETag:         c.hash,
		LastModified: t,
	}, true, nil
}

// beginListing starts a listing and forgets the chunks of listings before
// the previous one: those are neither done nor retried any more. The
// previous listing's are kept, for the pipeline's retry of an object that
// failed in it.
func (s *Source) beginListing() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	for k, c := range s.chunks {
		if c.gen < s.gen-1 {
			delete(s.chunks, k)
		}
	}
	return s.gen
}

// forgetBefore drops the versions of scope older than start, which no
// listing asks for again.
func (s *Source) forgetBefore(scope string, start time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for v, t := range s.seen[scope] {
		if t.Before(start) {
			delete(s.seen[scope], v)
		}
	}
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
