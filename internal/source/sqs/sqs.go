package sqs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/dutywatch/dutywatch/internal/layout"
	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/source/s3"
)

// api is the part of the SQS API the source uses; *awssqs.Client has it.
type api interface {
	ReceiveMessage(ctx context.Context, in *awssqs.ReceiveMessageInput, opts ...func(*awssqs.Options)) (*awssqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *awssqs.DeleteMessageInput, opts ...func(*awssqs.Options)) (*awssqs.DeleteMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *awssqs.DeleteMessageBatchInput, opts ...func(*awssqs.Options)) (*awssqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *awssqs.ChangeMessageVisibilityInput, opts ...func(*awssqs.Options)) (*awssqs.ChangeMessageVisibilityOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *awssqs.ChangeMessageVisibilityBatchInput, opts ...func(*awssqs.Options)) (*awssqs.ChangeMessageVisibilityBatchOutput, error)
}

var _ api = (*awssqs.Client)(nil)

// opener streams object bodies; *s3.Source has it.
type opener interface {
	Open(ctx context.Context, o source.Object) (io.ReadCloser, error)
}

// Stats counts what a source has done since it was created.
type Stats struct {
	Received  int64 // messages received
	Deleted   int64 // messages deleted: all their objects done, or nothing to do
	Ignored   int64 // messages naming no wanted created object (test events, removals, other buckets)
	Malformed int64 // receipts of bodies that are no S3 notification; left for the redrive policy
	Poisoned  int64 // receipts past MaxReceives; left for the redrive policy
	Released  int64 // messages made visible again for a retry
	// Extensions counts visibility extensions, one per message.
	Extensions  int64
	Objects     int64 // objects yielded
	AlreadyDone int64 // notified objects found done in state
}

// Source yields the objects named by S3 notifications in an SQS queue.
type Source struct {
	cfg   Config
	api   api
	open  opener
	state source.State
	log   *slog.Logger

	received, deleted, ignored, malformed, poisoned atomic.Int64
	released, extensions, objects, alreadyDone      atomic.Int64

	// slotFreed wakes a List waiting for room in the in-flight bound.
	slotFreed chan struct{}

	// mu guards the fields below.
	mu sync.Mutex
	// inflight holds the objects yielded and neither Done nor released.
	inflight map[objectID]*entry
	// messages holds the received messages with objects in flight, by
	// message id.
	messages map[string]*message
	// gen numbers the List calls; entries of earlier ones are dropped
	// when a new one starts.
	gen uint64
	// warned holds the ids of poisoned messages already logged.
	warned map[string]bool
}

var _ source.Source = (*Source)(nil)

// New returns a source reading cfg.QueueURL with sqsClient (see NewClient)
// and opening the notified objects with s3Client (see s3.NewClient), with
// the stall protection of source/s3. Objects that st says are done are
// not yielded. Zero fields of cfg take their defaults.
func New(cfg Config, sqsClient *awssqs.Client, s3Client *awss3.Client, st source.State, log *slog.Logger) (*Source, error) {
	if sqsClient == nil || s3Client == nil {
		return nil, errors.New("sqs source: client is nil")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	op := &bucketOpener{client: s3Client, timeout: cfg.withDefaults().RequestTimeout, log: log, sources: map[string]*s3.Source{}}
	return newSource(cfg, sqsClient, op, st, log)
}

func newSource(cfg Config, client api, op opener, st source.State, log *slog.Logger) (*Source, error) {
	if cfg.QueueURL == "" {
		return nil, errors.New("sqs source: queue URL is empty")
	}
	if st == nil {
		return nil, errors.New("sqs source: state is nil")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Source{
		cfg:       cfg.withDefaults(),
		api:       client,
		open:      op,
		state:     st,
		log:       log.With("source", cfg.Name, "queue", cfg.QueueURL),
		slotFreed: make(chan struct{}, 1),
		inflight:  map[objectID]*entry{},
		messages:  map[string]*message{},
		warned:    map[string]bool{},
	}, nil
}

// Name returns the configured source name.
func (s *Source) Name() string { return s.cfg.Name }

// Stats returns the counts so far.
func (s *Source) Stats() Stats {
	return Stats{
		Received:    s.received.Load(),
		Deleted:     s.deleted.Load(),
		Ignored:     s.ignored.Load(),
		Malformed:   s.malformed.Load(),
		Poisoned:    s.poisoned.Load(),
		Released:    s.released.Load(),
		Extensions:  s.extensions.Load(),
		Objects:     s.objects.Load(),
		AlreadyDone: s.alreadyDone.Load(),
	}
}

// Open streams the body of o from S3.
func (s *Source) Open(ctx context.Context, o source.Object) (io.ReadCloser, error) {
	return s.open.Open(ctx, o)
}

// List receives notifications and yields the objects they name that are
// not done, until a receive comes back empty or ctx ends. Messages whose
// objects are all done, or that name nothing wanted, are deleted at once.
// While an object is in flight (yielded, neither Done nor released) its
// message's visibility is extended by a goroutine that ends once List has
// returned and nothing it yielded is in flight, or when ctx ends; then
// the objects still in flight are forgotten, and their messages come back
// when their visibility ends. The pipeline ends a poll's ctx after the
// poll, so objects it failed (and did not Release) are retried that way.
func (s *Source) List(ctx context.Context) iter.Seq2[source.Object, error] {
	return func(yield func(source.Object, error) bool) {
		gen := s.startGeneration()
		var listed atomic.Bool
		go s.keepVisible(ctx, gen, &listed)
		defer listed.Store(true)
		for {
			n := s.roomFor(ctx)
			if n == 0 {
				return // full for a whole long poll: let the caller finish its work
			}
			msgs, err := s.receive(ctx, n)
			if err != nil {
				if ctx.Err() == nil {
					yield(source.Object{}, err)
				}
				return
			}
			if len(msgs) == 0 {
				return
			}
			objs, err := s.accept(ctx, gen, msgs)
			if err != nil {
				yield(source.Object{}, err)
				return
			}
			for i, o := range objs {
				s.objects.Add(1)
				if !yield(o, nil) {
					s.abandon(objs[i+1:])
					return
				}
			}
		}
	}
}

// roomFor returns how many messages the next receive may ask for: up to
// MaxMessages, and no more than the free room in the in-flight bound.
// When there is none it waits for a slot, at most one long poll, and
// returns 0 if none came or ctx ended.
func (s *Source) roomFor(ctx context.Context) int {
	timer := time.NewTimer(s.cfg.WaitTime)
	defer timer.Stop()
	for {
		s.mu.Lock()
		free := s.cfg.MaxInFlight - len(s.inflight)
		s.mu.Unlock()
		if free > 0 {
			return min(free, s.cfg.MaxMessages)
		}
		select {
		case <-ctx.Done():
			return 0
		case <-timer.C:
			return 0
		case <-s.slotFreed:
		}
	}
}

// receive long-polls for up to n messages.
func (s *Source) receive(ctx context.Context, n int) ([]types.Message, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WaitTime+s.cfg.RequestTimeout)
	defer cancel()
	out, err := s.api.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{
		QueueUrl:            aws.String(s.cfg.QueueURL),
		MaxNumberOfMessages: int32(n),
		WaitTimeSeconds:     int32(s.cfg.WaitTime / time.Second),
		VisibilityTimeout:   int32(s.cfg.VisibilityTimeout / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{
			types.MessageSystemAttributeNameApproximateReceiveCount,
			types.MessageSystemAttributeNameSentTimestamp,
		},
	})
	if err != nil {
		return nil, wrapError("receive from", s.cfg.QueueURL, err)
	}
	s.received.Add(int64(len(out.Messages)))
	return out.Messages, nil
}

// accept turns received messages into the objects to yield, tracking
// them as in flight, and deletes the messages with nothing left to do.
func (s *Source) accept(ctx context.Context, gen uint64, msgs []types.Message) ([]source.Object, error) {
	var yield []source.Object
	var finished []types.Message
	for _, m := range msgs {
		objs, done, err := s.acceptOne(ctx, gen, m)
		if err != nil {
			return nil, err
		}
		yield = append(yield, objs...)
		if done {
			finished = append(finished, m)
		}
	}
	if len(finished) > 0 {
		if err := s.deleteBatch(ctx, finished); err != nil {
			s.log.WarnContext(ctx, "delete finished messages", "err", err)
		}
	}
	return yield, nil
}

// acceptOne handles one message. It returns the objects to yield, and
// done when the message has nothing left to do and may be deleted.
func (s *Source) acceptOne(ctx context.Context, gen uint64, m types.Message) ([]source.Object, bool, error) {
	id := aws.ToString(m.MessageId)
	count, _ := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	n, err := ParseMessage([]byte(aws.ToString(m.Body)))
	if err != nil {
		s.malformed.Add(1)
		s.log.WarnContext(ctx, "malformed notification left for the dead-letter queue",
			"message_id", id, "receive_count", count, "err", err)
		return nil, false, nil
	}
	var wanted []source.Object
	found := 0 // objects found done
	for _, ev := range n.Created {
		o, ok := s.object(ev)
		if !ok {
			continue
		}
		done, err := s.state.IsDone(ctx, o.Scope, o.Key)
		if err != nil {
			return nil, false, fmt.Errorf("check %s: %w", o.URI(), err)
		}
		if done {
			s.alreadyDone.Add(1)
			found++
			continue
		}
		wanted = append(wanted, o)
	}
	if len(wanted) == 0 {
		if found == 0 {
			s.ignored.Add(1)
		}
		return nil, true, nil
	}
	if count > s.cfg.MaxReceives {
		s.poison(ctx, id, count, wanted)
		return nil, false, nil
	}
	return s.track(gen, m, wanted), false, nil
}

// poison leaves a message past MaxReceives to the redrive policy, logging
// it once.
func (s *Source) poison(ctx context.Context, id string, count int, objs []source.Object) {
	s.poisoned.Add(1)
	s.mu.Lock()
	seen := s.warned[id]
	if len(s.warned) > 10000 {
		clear(s.warned) // bounded: a message may be logged again later
	}
	s.warned[id] = true
	s.mu.Unlock()
	if !seen {
		s.log.WarnContext(ctx, "message received too often; left for the dead-letter queue",
			"message_id", id, "key", objs[0].Key, "objects", len(objs), "receive_count", count,
			"max_receives", s.cfg.MaxReceives)
	}
}

// object turns a notified event into an Object; ok is false when the
// filters exclude it or it is a folder marker.
func (s *Source) object(ev Event) (source.Object, bool) {
	if len(s.cfg.Buckets) > 0 && !slices.Contains(s.cfg.Buckets, ev.Bucket) ||
		!strings.HasPrefix(ev.Key, s.cfg.KeyPrefix) || strings.HasSuffix(ev.Key, "/") {
		return source.Object{}, false
	}
	o := source.Object{
		Source:       s.cfg.Name,
		Bucket:       ev.Bucket,
		Key:          ev.Key,
		Scope:        "s3://" + ev.Bucket + "/" + s.cfg.KeyPrefix,
		Size:         ev.Size,
		ETag:         ev.ETag,
		LastModified: ev.Time,
	}
	if info, err := layout.Parse(s.cfg.KeyPrefix, ev.Key); err == nil && info.Kind == layout.Native {
		o.Account, o.Region = info.Account, info.Region
		o.Scope = "s3://" + ev.Bucket + "/" + nativeScopePrefix(ev.Key)
	}
	return o, true
}

// nativeScopePrefix returns the ".../AWSLogs/[...]<acct>/GuardDuty/<region>/"
// prefix of a native key: the key without its YYYY/MM/DD/<file> tail, as
// the S3 source names its native scopes.
func nativeScopePrefix(key string) string {
	end := len(key)
	for range 4 {
		end = strings.LastIndexByte(key[:end], '/')
	}
	return key[:end+1]
}

// bucketOpener opens objects with one s3.Source per bucket, for its
// request timeout and stall protection.
type bucketOpener struct {
	client  *awss3.Client
	timeout time.Duration
	log     *slog.Logger

	// mu guards the field below.
	mu      sync.Mutex
	sources map[string]*s3.Source
}

func (b *bucketOpener) Open(ctx context.Context, o source.Object) (io.ReadCloser, error) {
	b.mu.Lock()
	src, ok := b.sources[o.Bucket]
	if !ok {
		cfg := s3.DefaultConfig()
		cfg.Name, cfg.Bucket, cfg.RequestTimeout = o.Source, o.Bucket, b.timeout
		var err error
		if src, err = s3.New(cfg, b.client, noState{}, b.log); err != nil {
			b.mu.Unlock()
			return nil, err
		}
		b.sources[o.Bucket] = src
	}
	b.mu.Unlock()
	return src.Open(ctx, o)
}

// noState is the state of the s3.Sources used only to open objects.
type noState struct{}

func (noState) Cursor(context.Context, string) (string, error)       { return "", nil }
func (noState) IsDone(context.Context, string, string) (bool, error) { return false, nil }
