package generator

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Writer stores one object.
type Writer interface {
	Put(ctx context.Context, key string, body []byte) error
}

// DirWriter writes objects as files under Root, creating folders. Each
// file is written to a temporary name starting with "." in its folder and
// renamed into place, so a reader never sees half an object.
type DirWriter struct {
	Root string
}

// Put writes body to Root/key. key must be a local, slash-separated path.
func (d DirWriter) Put(ctx context.Context, key string, body []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rel := filepath.FromSlash(key)
	if !filepath.IsLocal(rel) {
		return fmt.Errorf("key %q leaves the root folder", key)
	}
	name := filepath.Join(d.Root, rel)
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(body); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), name); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// S3PutAPI is the one S3 call S3Writer makes; *s3.Client satisfies it.
type S3PutAPI interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// S3Writer puts objects into Bucket with Client.
type S3Writer struct {
	Client S3PutAPI
	Bucket string
}

// Put uploads body as Bucket/key.
func (w S3Writer) Put(ctx context.Context, key string, body []byte) error {
	_, err := w.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(w.Bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", w.Bucket, key, err)
	}
	return nil
}
