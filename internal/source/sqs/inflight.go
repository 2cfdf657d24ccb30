package sqs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/source/awserr"
)

// objectID names an object across buckets.
type objectID struct{ bucket, key string }

// entry is an object in flight and the messages that named it: usually
// one, more when S3 notified it twice.
type entry struct {
	msgs []*message
}

// message is a received message with objects in flight.
type message struct {
	id      string
	receipt string
	gen     uint64
	// pending counts its objects in flight; at 0 the message is resolved.
	pending int
	// expires is when its visibility ends, as last set.
	expires time.Time
	// retry is set when one of its objects was released (or never handed
	// out): once resolved it is made visible after retryAfter instead of
	// being deleted.
	retry      bool
	retryAfter time.Duration
}

// startGeneration numbers a List call; its objects are extended, and
// tracked, until its ctx ends.
func (s *Source) startGeneration() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	return s.gen
}

// dropGeneration forgets gen's objects in flight once its List's ctx has
// ended: nothing extends their messages any more, which come back when
// their visibility ends, and they no longer hold room in the in-flight
// bound. A Done for one of them finds nothing to delete; the message is
// then found done when it comes back, and deleted.
func (s *Source) dropGeneration(gen uint64) int {
	s.mu.Lock()
	n := 0
	for k, e := range s.inflight {
		e.msgs = slices.DeleteFunc(e.msgs, func(m *message) bool { return m.gen == gen })
		if len(e.msgs) == 0 {
			delete(s.inflight, k)
			n++
		}
	}
	for id, m := range s.messages {
		if m.gen == gen {
			delete(s.messages, id)
		}
	}
	s.mu.Unlock()
	if n > 0 {
		s.signalSlot()
	}
	return n
}

// signalSlot wakes a List waiting for room in the in-flight bound.
func (s *Source) signalSlot() {
	select {
	case s.slotFreed <- struct{}{}:
	default:
	}
}

// track records m's wanted objects as in flight and returns those to
// yield: an object already in flight (S3 notified it twice) is not
// yielded again, and m is resolved with it. A message received again
// while still tracked (its visibility ran out) gets its new receipt
// handle and yields nothing.
func (s *Source) track(gen uint64, m types.Message, wanted []source.Object) []source.Object {
	now := time.Now()
	id := aws.ToString(m.MessageId)
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg, ok := s.messages[id]; ok {
		msg.receipt = aws.ToString(m.ReceiptHandle)
		msg.expires = now.Add(s.cfg.VisibilityTimeout)
		return nil
	}
	msg := &message{id: id, receipt: aws.ToString(m.ReceiptHandle), gen: gen, expires: now.Add(s.cfg.VisibilityTimeout)}
	var out []source.Object
	for _, o := range wanted {
		msg.pending++
		k := objectID{o.Bucket, o.Key}
		if e, ok := s.inflight[k]; ok {
			e.msgs = append(e.msgs, msg)
			continue
		}
		s.inflight[k] = &entry{msgs: []*message{msg}}
		out = append(out, o)
	}
	s.messages[id] = msg
	return out
}

// finish takes o out of flight and returns the messages that have no
// object in flight left. With release, they are made visible again after
// retryAfter rather than deleted.
func (s *Source) finish(o source.Object, release bool, retryAfter time.Duration) []*message {
	s.mu.Lock()
	k := objectID{o.Bucket, o.Key}
	e, ok := s.inflight[k]
	if !ok {
		s.mu.Unlock()
		return nil
	}
	delete(s.inflight, k)
	var resolved []*message
	for _, m := range e.msgs {
		if release {
			m.retry = true
			m.retryAfter = max(m.retryAfter, retryAfter)
		}
		m.pending--
		if m.pending == 0 {
			if s.messages[m.id] == m {
				delete(s.messages, m.id)
			}
			resolved = append(resolved, m)
		}
	}
	s.mu.Unlock()
	s.signalSlot()
	return resolved
}

// Done deletes o's message once every object it names is done. The
// pipeline calls it after o's results are committed. A message that
// cannot be deleted comes back, and is then found done and deleted.
func (s *Source) Done(ctx context.Context, o source.Object) error {
	return s.settle(ctx, s.finish(o, false, 0))
}

// Release makes o's message visible again after retryAfter (at most 12h),
// so that whichever instance receives it then retries o; the pipeline
// calls it for an object it could not fetch. Until the message's other
// objects are finished too, it stays in flight.
func (s *Source) Release(ctx context.Context, o source.Object, retryAfter time.Duration) error {
	return s.settle(ctx, s.finish(o, true, min(max(retryAfter, 0), maxVisibility)))
}

// abandon releases objects received but never handed out, so that the
// queue offers them again at once.
func (s *Source) abandon(objs []source.Object) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RequestTimeout)
	defer cancel()
	for _, o := range objs {
		if err := s.settle(ctx, s.finish(o, true, 0)); err != nil {
			s.log.Debug("release objects not handed out", "key", o.Key, "err", err)
		}
	}
}

// settle deletes the resolved messages, or makes them visible again when
// one of their objects was released.
func (s *Source) settle(ctx context.Context, resolved []*message) error {
	var errs []error
	for _, m := range resolved {
		rctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
		if m.retry {
			_, err := s.api.ChangeMessageVisibility(rctx, &awssqs.ChangeMessageVisibilityInput{
				QueueUrl:          aws.String(s.cfg.QueueURL),
				ReceiptHandle:     aws.String(m.receipt),
				VisibilityTimeout: int32(m.retryAfter / time.Second),
			})
			if err != nil {
				errs = append(errs, wrapError("release message "+m.id+" of", s.cfg.QueueURL, err))
			} else {
				s.released.Add(1)
			}
		} else {
			_, err := s.api.DeleteMessage(rctx, &awssqs.DeleteMessageInput{
				QueueUrl:      aws.String(s.cfg.QueueURL),
				ReceiptHandle: aws.String(m.receipt),
			})
			if err != nil {
				errs = append(errs, wrapError("delete message "+m.id+" from", s.cfg.QueueURL, err))
			} else {
				s.deleted.Add(1)
			}
		}
		cancel()
	}
	return errors.Join(errs...)
}

// deleteBatch deletes messages with nothing left to do, ten per call.
func (s *Source) deleteBatch(ctx context.Context, msgs []types.Message) error {
	var errs []error
	for chunk := range chunks(msgs) {
		entries := make([]types.DeleteMessageBatchRequestEntry, len(chunk))
		for i, m := range chunk {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		rctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
		out, err := s.api.DeleteMessageBatch(rctx, &awssqs.DeleteMessageBatchInput{
			QueueUrl: aws.String(s.cfg.QueueURL), Entries: entries,
		})
		cancel()
		if err != nil {
			errs = append(errs, wrapError("delete messages from", s.cfg.QueueURL, err))
			continue
		}
		s.deleted.Add(int64(len(out.Successful)))
		for _, f := range out.Failed {
			errs = append(errs, batchError("delete", chunk, f))
		}
	}
	return errors.Join(errs...)
}

// keepVisible extends the visibility of gen's messages in flight before it
// ends: every quarter of the visibility timeout, each message with at most
// half of it left is extended by a whole one. It returns once listed is
// set and none of gen's messages are in flight, or when ctx ends, then
// forgetting gen's objects still in flight.
func (s *Source) keepVisible(ctx context.Context, gen uint64, listed *atomic.Bool) {
	tick := time.NewTicker(s.cfg.VisibilityTimeout / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if n := s.dropGeneration(gen); n > 0 {
				s.log.Debug("listing ended with objects unfinished; their messages come back", "objects", n)
			}
			return
		case <-tick.C:
		}
		now := time.Now()
		due, idle := s.due(gen, now)
		if idle && listed.Load() {
			return
		}
		for chunk := range chunks(due) {
			s.extend(ctx, now, chunk)
		}
	}
}

// due returns gen's messages whose visibility ends within half the
// timeout, and idle when gen has none in flight.
func (s *Source) due(gen uint64, now time.Time) (due []*message, idle bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	idle = true
	for _, m := range s.messages {
		if m.gen != gen {
			continue
		}
		idle = false
		if m.expires.Sub(now) <= s.cfg.VisibilityTimeout/2 {
			due = append(due, m)
		}
	}
	return due, idle
}

// extend sets the visibility of up to ten messages to a whole timeout.
func (s *Source) extend(ctx context.Context, now time.Time, msgs []*message) {
	entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(msgs))
	s.mu.Lock()
	for i, m := range msgs {
		entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{
			Id:                aws.String(strconv.Itoa(i)),
			ReceiptHandle:     aws.String(m.receipt),
			VisibilityTimeout: int32(s.cfg.VisibilityTimeout / time.Second),
		}
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	out, err := s.api.ChangeMessageVisibilityBatch(ctx, &awssqs.ChangeMessageVisibilityBatchInput{
		QueueUrl: aws.String(s.cfg.QueueURL), Entries: entries,
	})
	if err != nil {
		if ctx.Err() == nil {
			s.log.WarnContext(ctx, "extend visibility", "messages", len(msgs), "err", wrapError("extend visibility in", s.cfg.QueueURL, err))
		}
		return
	}
	s.mu.Lock()
	for _, ok := range out.Successful {
		if i, err := strconv.Atoi(aws.ToString(ok.Id)); err == nil && i < len(msgs) {
			msgs[i].expires = now.Add(s.cfg.VisibilityTimeout)
		}
	}
	s.mu.Unlock()
	s.extensions.Add(int64(len(out.Successful)))
	for _, f := range out.Failed {
		i, _ := strconv.Atoi(aws.ToString(f.Id))
		id := ""
		if i >= 0 && i < len(msgs) {
			id = msgs[i].id
		}
		s.log.WarnContext(ctx, "extend visibility", "message_id", id, "code", aws.ToString(f.Code), "err", aws.ToString(f.Message))
	}
}

// chunks splits s into slices of at most ten, the batch limit of SQS.
func chunks[T any](s []T) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			n := min(len(s), 10)
			if !yield(s[:n]) {
				return
			}
			s = s[n:]
		}
	}
}

// batchError describes a failed entry of a batch call.
func batchError(op string, msgs []types.Message, f types.BatchResultErrorEntry) error {
	id := aws.ToString(f.Id)
	if i, err := strconv.Atoi(id); err == nil && i >= 0 && i < len(msgs) {
		id = aws.ToString(msgs[i].MessageId)
	}
	return fmt.Errorf("%s message %s: %s: %s", op, id, aws.ToString(f.Code), aws.ToString(f.Message))
}

// transientCodes are SQS error codes, beyond the SDK's retryable ones,
// that clear up by themselves.
var transientCodes = map[string]bool{
	"RequestThrottled":                 true,
	"ThrottlingException":              true,
	"KmsThrottled":                     true,
	"KMS.ThrottlingException":          true,
	"ServiceUnavailable":               true,
	"InternalError":                    true,
	"InternalFailure":                  true,
	"AWS.SimpleQueueService.Throttled": true,
}

// wrapError names the operation and queue of err and marks errors worth
// retrying with source.ErrTransient.
func wrapError(op, queue string, err error) error {
	if isTransient(err) {
		return fmt.Errorf("%s %s: %w: %w", op, queue, source.ErrTransient, err)
	}
	return fmt.Errorf("%s %s: %w", op, queue, err)
}

// isTransient reports whether err is worth retrying later.
func isTransient(err error) bool { return awserr.Transient(err, transientCodes) }
