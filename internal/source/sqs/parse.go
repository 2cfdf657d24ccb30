package sqs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Format is the envelope a notification came in.
type Format int

const (
	// FormatS3 is an S3 event notification sent to SQS directly, or
	// through SNS with raw message delivery.
	FormatS3 Format = iota + 1
	// FormatSNS is an S3 event notification in an SNS envelope.
	FormatSNS
	// FormatEventBridge is an S3 event delivered by an EventBridge rule.
	FormatEventBridge
)

// String returns "s3", "sns" or "eventbridge".
func (f Format) String() string {
	switch f {
	case FormatS3:
		return "s3"
	case FormatSNS:
		return "sns"
	case FormatEventBridge:
		return "eventbridge"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Event is one created object a notification names.
type Event struct {
	Bucket string
	// Key is the object key, URL-decoded.
	Key  string
	Size int64
	// ETag is the entity tag without quotes.
	ETag string
	// Time is when S3 created the object (the event time), UTC.
	Time time.Time
	// Region is the bucket's region, when the notification says.
	Region string
}

// Notification is what one SQS message body says.
type Notification struct {
	Format Format
	// Created lists the objects created, in the notification's order.
	Created []Event
	// Ignored counts the records about anything else: removals, restores,
	// test events, SNS subscription confirmations.
	Ignored int
}

// ErrMalformed is wrapped by ParseMessage errors: the body is no S3
// notification in any supported envelope.
var ErrMalformed = errors.New("malformed notification")

// maxBody bounds a body: SQS messages are at most 1 MiB (256 KiB before
// 2025), so anything larger is no SQS message.
const maxBody = 1 << 20

// ParseMessage reads an SQS message body in any of the three envelopes S3
// notifications come in, detected from its fields: S3 sending directly
// ({"Records":[...]}), S3 through SNS ({"Type":"Notification","Message":
// "<S3 event JSON>"}) or EventBridge ({"detail-type":"Object Created",
// "source":"aws.s3",...}). Test events and non-create events are counted
// as ignored. An error wraps ErrMalformed.
func ParseMessage(body []byte) (Notification, error) {
	if len(body) > maxBody {
		return Notification{}, fmt.Errorf("%w: body of %d bytes", ErrMalformed, len(body))
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Notification{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	switch {
	case env.Type != "":
		return parseSNS(env)
	case env.DetailType != "":
		return parseEventBridge(env)
	default:
		n, err := parseS3(env)
		n.Format = FormatS3
		return n, err
	}
}

// envelope holds the top-level fields of all three formats; which ones
// are set tells the format.
type envelope struct {
	// S3 event notification.
	Records []s3Record `json:"Records"`
	Event   string     `json:"Event"` // "s3:TestEvent"
	Service string     `json:"Service"`
	// SNS envelope.
	Type    string  `json:"Type"`
	Message *string `json:"Message"`
	// EventBridge event.
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Detail     json.RawMessage `json:"detail"`
}

type s3Record struct {
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	EventTime   string `json:"eventTime"`
	AWSRegion   string `json:"awsRegion"`
	S3          *struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key  string `json:"key"`
			Size int64  `json:"size"`
			ETag string `json:"eTag"`
		} `json:"object"`
	} `json:"s3"`
}

// parseS3 reads an S3 event notification: records, or a test event.
func parseS3(env envelope) (Notification, error) {
	if env.Records == nil {
		if env.Event == "s3:TestEvent" {
			return Notification{Ignored: 1}, nil
		}
		return Notification{}, fmt.Errorf("%w: no Records, Type or detail-type field", ErrMalformed)
	}
	var n Notification
	for i, r := range env.Records {
		if r.EventSource != "" && r.EventSource != "aws:s3" {
			n.Ignored++
			continue
		}
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			n.Ignored++
			continue
		}
		if r.S3 == nil || r.S3.Bucket.Name == "" || r.S3.Object.Key == "" {
			return Notification{}, fmt.Errorf("%w: record %d: no bucket or key", ErrMalformed, i)
		}
		// S3 encodes keys as in an HTML form: %XX escapes, '+' for space.
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			return Notification{}, fmt.Errorf("%w: record %d: key %q: %w", ErrMalformed, i, r.S3.Object.Key, err)
		}
		t, err := parseTime(r.EventTime)
		if err != nil {
			return Notification{}, fmt.Errorf("%w: record %d: %w", ErrMalformed, i, err)
		}
		n.Created = append(n.Created, Event{
			Bucket: r.S3.Bucket.Name,
			Key:    key,
			Size:   r.S3.Object.Size,
			ETag:   strings.Trim(r.S3.Object.ETag, `"`),
			Time:   t,
			Region: r.AWSRegion,
		})
	}
	return n, nil
}

// parseSNS reads an SNS envelope (raw message delivery off) holding an S3
// event notification as a string.
func parseSNS(env envelope) (Notification, error) {
	switch env.Type {
	case "Notification":
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		return Notification{Format: FormatSNS, Ignored: 1}, nil
	default:
		return Notification{}, fmt.Errorf("%w: SNS message of type %q", ErrMalformed, env.Type)
	}
	if env.Message == nil {
		return Notification{}, fmt.Errorf("%w: SNS notification without Message", ErrMalformed)
	}
	var inner envelope
	if err := json.Unmarshal([]byte(*env.Message), &inner); err != nil {
		return Notification{}, fmt.Errorf("%w: SNS Message: %w", ErrMalformed, err)
	}
	var n Notification
	var err error
	if inner.DetailType != "" {
		n, err = parseEventBridge(inner) // an EventBridge rule may target SNS
	} else {
		n, err = parseS3(inner)
	}
	n.Format = FormatSNS
	return n, err
}

type ebDetail struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key  string `json:"key"`
		Size int64  `json:"size"`
		ETag string `json:"etag"`
	} `json:"object"`
}

// parseEventBridge reads an S3 event delivered by EventBridge. Its key is
// not URL-encoded.
func parseEventBridge(env envelope) (Notification, error) {
	n := Notification{Format: FormatEventBridge}
	if env.Source != "aws.s3" || env.DetailType != "Object Created" {
		n.Ignored = 1
		return n, nil
	}
	var d ebDetail
	if len(bytes.TrimSpace(env.Detail)) == 0 {
		return Notification{}, fmt.Errorf("%w: EventBridge event without detail", ErrMalformed)
	}
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return Notification{}, fmt.Errorf("%w: EventBridge detail: %w", ErrMalformed, err)
	}
	if d.Bucket.Name == "" || d.Object.Key == "" {
		return Notification{}, fmt.Errorf("%w: EventBridge detail: no bucket or key", ErrMalformed)
	}
	t, err := parseTime(env.Time)
	if err != nil {
		return Notification{}, fmt.Errorf("%w: EventBridge %w", ErrMalformed, err)
	}
	n.Created = []Event{{
		Bucket: d.Bucket.Name,
		Key:    d.Object.Key,
		Size:   d.Object.Size,
		ETag:   strings.Trim(d.Object.ETag, `"`),
		Time:   t,
		Region: env.Region,
	}}
	return n, nil
}

// parseTime reads an ISO 8601 event time ("2024-05-01T12:00:00.123Z");
// empty gives the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: %w", s, err)
	}
	return t.UTC(), nil
}
