package decode_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/dutywatch/dutywatch/internal/decode"
)

func ExampleReader() {
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	zw.Write([]byte(`{"detail":{"id":"a"}}{"detail":{"id":"b"}}` + "\n" + `[{"detail":{"id":"c"}}]`))
	zw.Close()

	r := decode.NewReader("s3://bucket/gd/2024/05/01/13/gd-1-2024-05-01-13-05-12-x.gz", &body, decode.Options{})
	defer r.Close()
	for r.Next() {
		rec := r.Record()
		fmt.Printf("%s at byte %d: %s\n", r.Compression(), rec.Offset, rec.Data)
	}
	if err := r.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// gzip at byte 0: {"detail":{"id":"a"}}
	// gzip at byte 21: {"detail":{"id":"b"}}
	// gzip at byte 44: {"detail":{"id":"c"}}
}

func ExampleError() {
	r := decode.NewReader("s3://bucket/key", strings.NewReader("{\"a\":1}\n{\"a\":["), decode.Options{})
	defer r.Close()
	for r.Next() {
		fmt.Printf("record at byte %d: %s\n", r.Record().Offset, r.Record().Data)
	}
	var e *decode.Error
	if errors.As(r.Err(), &e) {
		fmt.Printf("key %s, offset %d\n", e.Key, e.Offset)
	}
	fmt.Println(r.Err())
	// Output:
	// record at byte 0: {"a":1}
	// key s3://bucket/key, offset 14
	// s3://bucket/key: byte 14: record at byte 8 not closed: unexpected EOF
}
