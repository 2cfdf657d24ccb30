package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestFauxQS(t *testing.T) {
	srv := FauxQS(t)
	queue, dlq := srv.CreateQueueWithDLQ(t, "notes", 2)
	srv.Send(t, queue, `{"hello":"world"}`)
	if v, f := srv.Counts(t, queue); v != 1 || f != 0 {
		t.Fatalf("after send: %d visible, %d in flight; want 1, 0", v, f)
	}

	// Receive it, making it visible again each time, until the redrive
	// policy moves it: received twice, then gone to the dead-letter queue.
	// (A zero VisibilityTimeout is not sent by the SDK.)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	receive := func(url string) []types.Message {
		t.Helper()
		out, err := srv.Client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{
			QueueUrl:            aws.String(url),
			MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{
				types.MessageSystemAttributeNameApproximateReceiveCount,
			},
		})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		return out.Messages
	}
	for want := 1; want <= 2; want++ {
		msgs := receive(queue)
		if len(msgs) != 1 {
			t.Fatalf("receive %d: got %d messages", want, len(msgs))
		}
		if got := msgs[0].Attributes["ApproximateReceiveCount"]; got != string(rune('0'+want)) {
			t.Errorf("receive %d: ApproximateReceiveCount = %s", want, got)
		}
		if body := aws.ToString(msgs[0].Body); body != `{"hello":"world"}` {
			t.Errorf("body = %s", body)
		}
		if _, err := srv.Client.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{
			QueueUrl: aws.String(queue), ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 0,
		}); err != nil {
			t.Fatalf("make visible: %v", err)
		}
	}
	if msgs := receive(queue); len(msgs) != 0 {
		t.Fatalf("third receive got %d messages; want the redrive policy to have moved it", len(msgs))
	}
	if msgs := receive(dlq); len(msgs) != 1 {
		t.Fatalf("dead-letter queue holds %d messages, want 1", len(msgs))
	}
}
