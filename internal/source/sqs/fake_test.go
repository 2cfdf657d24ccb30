package sqs

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/dutywatch/dutywatch/internal/source"
)

var (
	_ api    = (*fakeSQS)(nil)
	_ opener = fakeOpener{}
)

// fakeSQS is an in-memory queue with SQS's visibility semantics, on
// time.Now, so that synctest drives it.
type fakeSQS struct {
	// mu guards the fields below.
	mu   sync.Mutex
	seq  int
	msgs []*fakeMessage // in send order; deleted ones removed
}

type fakeMessage struct {
	id, body  string
	receipt   string // of the latest receive
	receives  int
	visibleAt time.Time
}

// send queues a body and returns its message id.
func (f *fakeSQS) send(body string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	id := fmt.Sprintf("m%d", f.seq)
	f.msgs = append(f.msgs, &fakeMessage{id: id, body: body})
	return id
}

// message returns a copy of the message with id, and whether it exists.
func (f *fakeSQS) message(id string) (fakeMessage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.msgs {
		if m.id == id {
			return *m, true
		}
	}
	return fakeMessage{}, false
}

// setReceives pretends the message was received n times already.
func (f *fakeSQS) setReceives(id string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.msgs {
		if m.id == id {
			m.receives = n
		}
	}
}

func (f *fakeSQS) size() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.msgs)
}

func (f *fakeSQS) ReceiveMessage(ctx context.Context, in *awssqs.ReceiveMessageInput, _ ...func(*awssqs.Options)) (*awssqs.ReceiveMessageOutput, error) {
	out := f.take(in)
	if len(out) == 0 && in.WaitTimeSeconds > 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(in.WaitTimeSeconds) * time.Second):
		}
		out = f.take(in)
	}
	return &awssqs.ReceiveMessageOutput{Messages: out}, nil
}

func (f *fakeSQS) take(in *awssqs.ReceiveMessageInput) []types.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	vis := time.Duration(in.VisibilityTimeout) * time.Second
	if vis == 0 {
		vis = 30 * time.Second
	}
	var out []types.Message
	for _, m := range f.msgs {
		if len(out) == int(in.MaxNumberOfMessages) {
			break
		}
		if m.visibleAt.After(now) {
			continue
		}
		m.receives++
		m.receipt = fmt.Sprintf("%s#%d", m.id, m.receives)
		m.visibleAt = now.Add(vis)
		out = append(out, types.Message{
			MessageId:     aws.String(m.id),
			ReceiptHandle: aws.String(m.receipt),
			Body:          aws.String(m.body),
			Attributes: map[string]string{
				"ApproximateReceiveCount": fmt.Sprint(m.receives),
				"SentTimestamp":           "1714566896000",
			},
		})
	}
	return out
}

// find returns the message whose latest receipt is receipt; callers hold mu.
func (f *fakeSQS) find(receipt string) (int, error) {
	for i, m := range f.msgs {
		if m.receipt == receipt {
			return i, nil
		}
	}
	return -1, &smithy.GenericAPIError{Code: "ReceiptHandleIsInvalid", Message: "no message with receipt " + receipt}
}

func (f *fakeSQS) DeleteMessage(_ context.Context, in *awssqs.DeleteMessageInput, _ ...func(*awssqs.Options)) (*awssqs.DeleteMessageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.find(aws.ToString(in.ReceiptHandle))
	if err != nil {
		return nil, err
	}
	f.msgs = append(f.msgs[:i], f.msgs[i+1:]...)
	return &awssqs.DeleteMessageOutput{}, nil
}

func (f *fakeSQS) DeleteMessageBatch(ctx context.Context, in *awssqs.DeleteMessageBatchInput, _ ...func(*awssqs.Options)) (*awssqs.DeleteMessageBatchOutput, error) {
	out := &awssqs.DeleteMessageBatchOutput{}
	for _, e := range in.Entries {
		if _, err := f.DeleteMessage(ctx, &awssqs.DeleteMessageInput{ReceiptHandle: e.ReceiptHandle}); err != nil {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("ReceiptHandleIsInvalid"), Message: aws.String(err.Error())})
			continue
		}
		out.Successful = append(out.Successful, types.DeleteMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

func (f *fakeSQS) ChangeMessageVisibility(_ context.Context, in *awssqs.ChangeMessageVisibilityInput, _ ...func(*awssqs.Options)) (*awssqs.ChangeMessageVisibilityOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.find(aws.ToString(in.ReceiptHandle))
	if err != nil {
		return nil, err
	}
	f.msgs[i].visibleAt = time.Now().Add(time.Duration(in.VisibilityTimeout) * time.Second)
	return &awssqs.ChangeMessageVisibilityOutput{}, nil
}

func (f *fakeSQS) ChangeMessageVisibilityBatch(ctx context.Context, in *awssqs.ChangeMessageVisibilityBatchInput, _ ...func(*awssqs.Options)) (*awssqs.ChangeMessageVisibilityBatchOutput, error) {
	out := &awssqs.ChangeMessageVisibilityBatchOutput{}
	for _, e := range in.Entries {
		_, err := f.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{ReceiptHandle: e.ReceiptHandle, VisibilityTimeout: e.VisibilityTimeout})
		if err != nil {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("ReceiptHandleIsInvalid"), Message: aws.String(err.Error())})
			continue
		}
		out.Successful = append(out.Successful, types.ChangeMessageVisibilityBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

// fakeOpener serves each object's key as its body.
type fakeOpener struct{}

func (fakeOpener) Open(_ context.Context, o source.Object) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(o.Key)), nil
}

// s3Body returns an S3 event notification naming keys in bucket, keys
// given unencoded.
func s3Body(bucket string, keys ...string) string {
	var recs []string
	for _, k := range keys {
		recs = append(recs, fmt.Sprintf(`{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":"2024-05-01T12:00:00Z",`+
			`"s3":{"bucket":{"name":%q},"object":{"key":%q,"size":10,"eTag":"e"}}}`, bucket, strings.ReplaceAll(url.QueryEscape(k), "%2F", "/")))
	}
	return `{"Records":[` + strings.Join(recs, ",") + `]}`
}
