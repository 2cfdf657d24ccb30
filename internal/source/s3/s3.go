package s3

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/dutywatch/dutywatch/internal/layout"
	"github.com/dutywatch/dutywatch/internal/source"
)

// api is the part of the S3 API the source uses; *awss3.Client has it.
type api interface {
	ListObjectsV2(ctx context.Context, in *awss3.ListObjectsV2Input, opts ...func(*awss3.Options)) (*awss3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *awss3.GetObjectInput, opts ...func(*awss3.Options)) (*awss3.GetObjectOutput, error)
	DeleteObject(ctx context.Context, in *awss3.DeleteObjectInput, opts ...func(*awss3.Options)) (*awss3.DeleteObjectOutput, error)
}

var _ api = (*awss3.Client)(nil)

// Stats counts the requests a source has made since it was created.
type Stats struct {
	ListCalls   int64 // ListObjectsV2 requests (detection and discovery included)
	KeysListed  int64 // keys returned by them
	GetCalls    int64
	DeleteCalls int64
}

// Source lists and opens GuardDuty objects in one bucket and path.
type Source struct {
	cfg    Config
	path   string // cleaned key prefix
	suffix string // cleaned native path suffix
	api    api
	state  source.State
	log    *slog.Logger
	now    func() time.Time
	// maxKeys is the page size of listings; 0 lets S3 choose (1000).
	maxKeys int32

	lists, keys, gets, deletes atomic.Int64

	// Floors gives the pipeline, per scope, the key below which the
	// done-set may be pruned, as of the last listing.
	source.Floors

	// mu guards the field below.
	mu sync.Mutex
	// kind is the layout in use: cfg.Layout, or once detected, the layout
	// found; Auto until then.
	kind layout.Kind
}

var _ source.Source = (*Source)(nil)

// New returns a source reading cfg.Bucket with client (see NewClient),
// listing only what st says is not done. Zero durations in cfg take their
// defaults.
func New(cfg Config, client *awss3.Client, st source.State, log *slog.Logger) (*Source, error) {
	if client == nil {
		return nil, errors.New("s3 source: client is nil")
	}
	return newSource(cfg, client, st, log)
}

func newSource(cfg Config, client api, st source.State, log *slog.Logger) (*Source, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3 source: bucket is empty")
	}
	if st == nil {
		return nil, errors.New("s3 source: state is nil")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	return &Source{
		cfg:    cfg,
		path:   layout.CleanPath(cfg.Path),
		suffix: layout.CleanPath(cfg.PathSuffix),
		api:    client,
		state:  st,
		log:    log.With("source", cfg.Name, "bucket", cfg.Bucket),
		now:    time.Now,
		kind:   cfg.Layout,
	}, nil
}

// Name returns the configured source name.
func (s *Source) Name() string { return s.cfg.Name }

// Stats returns the requests made so far. Differences between two calls
// give the cost of the polls between them.
func (s *Source) Stats() Stats {
	return Stats{
		ListCalls:   s.lists.Load(),
		KeysListed:  s.keys.Load(),
		GetCalls:    s.gets.Load(),
		DeleteCalls: s.deletes.Load(),
	}
}

// scope is one cursor's worth of keys: the Firehose path, or one native
// (account, region) prefix.
type scope struct {
	kind   layout.Kind
	prefix string
}

// scopeName is the cursor name of sc, "s3://bucket/prefix".
func (s *Source) scopeName(sc scope) string { return "s3://" + s.cfg.Bucket + "/" + sc.prefix }

// List yields the objects not yet done, scope by scope, in key order
// within each scope.
func (s *Source) List(ctx context.Context) iter.Seq2[source.Object, error] {
	return func(yield func(source.Object, error) bool) {
		kind, err := s.layout(ctx)
		if err != nil {
			yield(source.Object{}, err)
			return
		}
		if kind == layout.Firehose {
			s.listScope(ctx, scope{kind: layout.Firehose, prefix: s.path}, yield)
			return
		}
		for sc, err := range s.nativeScopes(ctx) {
			if err != nil {
				yield(source.Object{}, err)
				return
			}
			if !s.listScope(ctx, sc, yield) {
				return
			}
		}
	}
}

// layout returns the layout to list, detecting it when configured Auto:
// anything under PATH+"AWSLogs/" means native. Native, once found, sticks;
// Firehose sticks once a Firehose key was listed, so that an AWSLogs/ tree
// added later (say, CloudTrail in the same bucket) does not hide the
// Firehose objects in the middle of a run.
func (s *Source) layout(ctx context.Context) (layout.Kind, error) {
	s.mu.Lock()
	kind := s.kind
	s.mu.Unlock()
	if kind != layout.Auto {
		return kind, nil
	}
	out, err := s.listCall(ctx, &awss3.ListObjectsV2Input{
		Bucket:    aws.String(s.cfg.Bucket),
		Prefix:    aws.String(layout.NativeRoot(s.path, "")),
		Delimiter: aws.String("/"),
		MaxKeys:   aws.Int32(1),
	})
	if err != nil {
		return layout.Auto, err
	}
	if len(out.Contents) == 0 && len(out.CommonPrefixes) == 0 {
		return layout.Firehose, nil
	}
	s.setLayout(ctx, layout.Native)
	return layout.Native, nil
}

func (s *Source) setLayout(ctx context.Context, kind layout.Kind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kind == layout.Auto {
		s.kind = kind
		s.log.InfoContext(ctx, "detected layout", "layout", kind, "path", s.path)
	}
}

// nativeScopes discovers the accounts under AWSLogs/ (and under any
// organization folder there), then each account's own regions — never the
// first account's regions for all, Wazuh's defect — and yields one scope
// per (account, region) that passes the filters.
func (s *Source) nativeScopes(ctx context.Context) iter.Seq2[scope, error] {
	return func(yield func(scope, error) bool) {
		accounts, err := s.accountPrefixes(ctx, layout.NativeRoot(s.path, s.suffix), true)
		if err != nil {
			yield(scope{}, err)
			return
		}
		for _, acct := range accounts {
			regions, err := s.folders(ctx, acct+"GuardDuty/")
			if err != nil {
				yield(scope{}, err)
				return
			}
			for _, r := range regions {
				if !layout.IsRegion(r) || !wanted(s.cfg.Regions, r) {
					continue
				}
				if !yield(scope{kind: layout.Native, prefix: acct + "GuardDuty/" + r + "/"}, nil) {
					return
				}
			}
		}
	}
}

// accountPrefixes returns the prefixes of the wanted account folders under
// root, looking one level into organization folders when orgs is set.
func (s *Source) accountPrefixes(ctx context.Context, root string, orgs bool) ([]string, error) {
	names, err := s.folders(ctx, root)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		switch {
		case layout.IsAccount(n):
			if wanted(s.cfg.Accounts, n) {
				out = append(out, root+n+"/")
			}
		case orgs && layout.IsOrgFolder(n):
			inner, err := s.accountPrefixes(ctx, root+n+"/", false)
			if err != nil {
				return nil, err
			}
			out = append(out, inner...)
		}
	}
	return out, nil
}

// folders returns the names of the "folders" right under prefix.
func (s *Source) folders(ctx context.Context, prefix string) ([]string, error) {
	var names []string
	in := awss3.ListObjectsV2Input{Prefix: aws.String(prefix), Delimiter: aws.String("/")}
	for out, err := range s.pages(ctx, in) {
		if err != nil {
			return nil, err
		}
		for _, cp := range out.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/")
			if name != "" {
				names = append(names, name)
			}
		}
	}
	return names, nil
}

// listScope yields the scope's objects that are not done; false means stop.
//
// The listing starts at the scope's window (layout.Window): LookBack hours
// or NativeLookBackDays day folders behind the cursor, or OnlyLogsAfter,
// or today. Keys above the cursor were never committed; keys at or below
// it (late Firehose objects, native objects with smaller random names)
// are checked against the done-set. The listing ends at the first key
// whose time folder cannot start with a digit: error output such as
// processing-failed/ and an AWSLogs/ tree sort after the time folders, and
// are never paged through.
func (s *Source) listScope(ctx context.Context, sc scope, yield func(source.Object, error) bool) bool {
	name := s.scopeName(sc)
	cursor, err := s.state.Cursor(ctx, name)
	if err != nil {
		yield(source.Object{}, fmt.Errorf("cursor of %s: %w", name, err))
		return false // an error ends the listing
	}
	w := layout.Window{LookBack: s.cfg.LookBack, LookBackDays: s.cfg.NativeLookBackDays, OnlyLogsAfter: s.cfg.OnlyLogsAfter}
	start := w.NativeStart(sc.prefix, cursor, s.now())
	if sc.kind == layout.Firehose {
		start = w.FirehoseStart(sc.prefix, cursor, s.now())
	}
	s.SetFloor(name, w.PruneFloor(sc.kind, sc.prefix, cursor))
	s.log.DebugContext(ctx, "list scope", "scope", name, "start_after", start, "cursor", cursor)
	in := awss3.ListObjectsV2Input{Prefix: aws.String(sc.prefix), StartAfter: aws.String(start)}
	for out, err := range s.pages(ctx, in) {
		if err != nil {
			yield(source.Object{}, err)
			return false
		}
		for _, obj := range out.Contents {
			rest, _ := strings.CutPrefix(aws.ToString(obj.Key), sc.prefix)
			if rest != "" && rest[0] > '9' {
				return true
			}
			o, ok, err := s.object(ctx, sc, name, cursor, obj)
			if err != nil {
				yield(source.Object{}, err)
				return false
			}
			if ok && !yield(o, nil) {
				return false
			}
		}
	}
	return true
}

// object turns a listed key into an Object; ok is false when the key is
// skipped (not in the layout, or already done).
func (s *Source) object(ctx context.Context, sc scope, scopeName, cursor string, obj types.Object) (source.Object, bool, error) {
	key := aws.ToString(obj.Key)
	info, err := layout.Parse(s.path, key)
	if err != nil || info.Kind != sc.kind {
		s.log.DebugContext(ctx, "skip key outside the layout", "key", key, "layout", sc.kind)
		return source.Object{}, false, nil
	}
	if sc.kind == layout.Firehose {
		s.setLayout(ctx, layout.Firehose)
	}
	if key <= cursor {
		done, err := s.state.IsDone(ctx, scopeName, key)
		if err != nil {
			return source.Object{}, false, fmt.Errorf("check s3://%s/%s: %w", s.cfg.Bucket, key, err)
		}
		if done {
			return source.Object{}, false, nil
		}
	}
	return source.Object{
		Source:       s.cfg.Name,
		Bucket:       s.cfg.Bucket,
		Key:          key,
		Scope:        scopeName,
		Account:      info.Account,
		Region:       info.Region,
		Size:         aws.ToInt64(obj.Size),
		ETag:         strings.Trim(aws.ToString(obj.ETag), `"`),
		LastModified: aws.ToTime(obj.LastModified).UTC(),
	}, true, nil
}

// pages runs a paginated listing of the bucket.
func (s *Source) pages(ctx context.Context, in awss3.ListObjectsV2Input) iter.Seq2[*awss3.ListObjectsV2Output, error] {
	return func(yield func(*awss3.ListObjectsV2Output, error) bool) {
		in.Bucket = aws.String(s.cfg.Bucket)
		if s.maxKeys > 0 {
			in.MaxKeys = aws.Int32(s.maxKeys)
		}
		for {
			out, err := s.listCall(ctx, &in)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(out, nil) {
				return
			}
			if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextContinuationToken) == "" {
				return
			}
			in.ContinuationToken = out.NextContinuationToken
		}
	}
}

// listCall makes one ListObjectsV2 request, bounded by RequestTimeout.
// listAttempts is how often listCall tries a page: the SDK's retryer does
// not retry a listing whose body is cut short, which a poll should survive.
const listAttempts = 4

func (s *Source) listCall(ctx context.Context, in *awss3.ListObjectsV2Input) (*awss3.ListObjectsV2Output, error) {
	backoff := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		out, err := s.listOnce(ctx, in)
		if err == nil || attempt == listAttempts || !errors.Is(err, source.ErrTransient) || ctx.Err() != nil {
			return out, err
		}
		s.log.Warn("listing failed; retrying", "prefix", aws.ToString(in.Prefix), "attempt", attempt, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		backoff *= 2
	}
}

func (s *Source) listOnce(ctx context.Context, in *awss3.ListObjectsV2Input) (*awss3.ListObjectsV2Output, error) {
	s.lists.Add(1)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	out, err := s.api.ListObjectsV2(ctx, in)
	if err != nil {
		return nil, wrapError("list", "s3://"+s.cfg.Bucket+"/"+aws.ToString(in.Prefix), err)
	}
	s.keys.Add(int64(len(out.Contents)))
	return out, nil
}

// wanted reports whether v passes a filter; an empty filter passes all.
func wanted(filter []string, v string) bool {
	return len(filter) == 0 || slices.Contains(filter, v)
}
