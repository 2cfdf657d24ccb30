package testenv

import (
	"context"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestVersityGW(t *testing.T) {
	srv := VersityGW(t)
	srv.CreateBucket(t, "bucket")
	srv.Put(t, "bucket", "a/b.txt", []byte("hello"))

	out, err := srv.Client.GetObject(context.Background(), &awss3.GetObjectInput{
		Bucket: aws.String("bucket"), Key: aws.String("a/b.txt"),
	})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil || string(body) != "hello" {
		t.Fatalf("body = %q, %v", body, err)
	}
}

func TestState(t *testing.T) {
	ctx := context.Background()
	var st State
	st.Commit("s", "b")
	st.Commit("s", "a")
	if c, _ := st.Cursor(ctx, "s"); c != "b" {
		t.Errorf("cursor = %q, want b (never moves back)", c)
	}
	if done, _ := st.IsDone(ctx, "s", "a"); !done {
		t.Error("a not done")
	}
	if done, _ := st.IsDone(ctx, "other", "a"); done {
		t.Error("a done in another scope")
	}
	st.Forget("s", "a")
	if done, _ := st.IsDone(ctx, "s", "a"); done {
		t.Error("a still done after Forget")
	}
}
