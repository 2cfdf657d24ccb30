package s3

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// fakeS3 is an in-memory bucket with ListObjectsV2 semantics close to S3's
// (prefix, delimiter, StartAfter, continuation, MaxKeys), for unit tests;
// the integration tests run against versitygw.
type fakeS3 struct {
	// mu guards the fields below.
	mu      sync.Mutex
	objects map[string][]byte
	// getErr, when it returns non-nil for a key, fails GetObject.
	getErr func(ctx context.Context, key string) error
	// body, when set, replaces the body of every object.
	body func(key string) io.ReadCloser
	// listErr, when set, fails every ListObjectsV2.
	listErr error
}

var _ api = (*fakeS3)(nil)

func newFake(keys ...string) *fakeS3 {
	f := &fakeS3{objects: make(map[string][]byte)}
	for _, k := range keys {
		f.put(k)
	}
	return f
}

func (f *fakeS3) put(keys ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range keys {
		f.objects[k] = []byte(k)
	}
}

func (f *fakeS3) has(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.objects[key]
	return ok
}

// cpToken marks a continuation token that ends on a common prefix: 0xff
// never occurs in UTF-8, so every key under the prefix sorts before it.
const cpToken = "\xff"

func (f *fakeS3) ListObjectsV2(_ context.Context, in *awss3.ListObjectsV2Input, _ ...func(*awss3.Options)) (*awss3.ListObjectsV2Output, error) {
	f.mu.Lock()
	if f.listErr != nil {
		f.mu.Unlock()
		return nil, f.listErr
	}
	keys := make([]string, 0, len(f.objects))
	for k := range f.objects {
		keys = append(keys, k)
	}
	f.mu.Unlock()
	slices.Sort(keys)

	prefix, delim := aws.ToString(in.Prefix), aws.ToString(in.Delimiter)
	start := max(aws.ToString(in.StartAfter), aws.ToString(in.ContinuationToken))
	limit := int(aws.ToInt32(in.MaxKeys))
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	out := &awss3.ListObjectsV2Output{}
	last, n := "", 0
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) || k <= start {
			continue
		}
		cp := ""
		if i := strings.Index(k[len(prefix):], delim); delim != "" && i >= 0 {
			cp = k[:len(prefix)+i+len(delim)]
			if last == cp+cpToken {
				continue
			}
		}
		if n == limit {
			out.IsTruncated = aws.Bool(true)
			out.NextContinuationToken = aws.String(last)
			break
		}
		n++
		if cp != "" {
			out.CommonPrefixes = append(out.CommonPrefixes, types.CommonPrefix{Prefix: aws.String(cp)})
			last = cp + cpToken
			continue
		}
		out.Contents = append(out.Contents, types.Object{
			Key: aws.String(k), Size: aws.Int64(int64(len(k))), ETag: aws.String(`"etag"`),
			LastModified: aws.Time(time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC)),
		})
		last = k
	}
	out.KeyCount = aws.Int32(int32(n))
	return out, nil
}

func (f *fakeS3) GetObject(ctx context.Context, in *awss3.GetObjectInput, _ ...func(*awss3.Options)) (*awss3.GetObjectOutput, error) {
	key := aws.ToString(in.Key)
	if f.getErr != nil {
		if err := f.getErr(ctx, key); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.body != nil {
		return &awss3.GetObjectOutput{Body: f.body(key)}, nil
	}
	b, ok := f.objects[key]
	if !ok {
		return nil, &types.NoSuchKey{Message: aws.String("The specified key does not exist.")}
	}
	return &awss3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b))}, nil
}

func (f *fakeS3) DeleteObject(_ context.Context, in *awss3.DeleteObjectInput, _ ...func(*awss3.Options)) (*awss3.DeleteObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.objects, aws.ToString(in.Key))
	return &awss3.DeleteObjectOutput{}, nil
}
