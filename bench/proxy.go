package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// s3Op is the kind of S3 request the counting proxy tells apart.
type s3Op int

const (
	opList  s3Op = iota // ListObjectsV2: GET /bucket?list-type=2
	opGet               // GetObject: GET /bucket/key
	opOther             // anything else: HEAD, DELETE, bucket-level GETs, PUT
	numOps
)

// classify tells the operation of a path-style S3 request from its method,
// path and query. The AWS SDK adds ?x-id=GetObject to GetObject requests.
func classify(r *http.Request) s3Op {
	if r.Method != http.MethodGet {
		return opOther
	}
	q := r.URL.Query()
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case bucket == "":
		return opOther // ListBuckets
	case key == "":
		if q.Get("list-type") == "2" {
			return opList
		}
		return opOther // ListObjects v1, GetBucketLocation, ...
	}
	for _, sub := range []string{"acl", "tagging", "attributes", "legal-hold", "retention", "torrent", "uploadId"} {
		if q.Has(sub) {
			return opOther
		}
	}
	return opGet
}

// s3Counts is how many requests of each kind were made.
type s3Counts [numOps]int64

func (c s3Counts) total() int64 { return c[opList] + c[opGet] + c[opOther] }

func (c s3Counts) sub(d s3Counts) s3Counts {
	for i := range c {
		c[i] -= d[i]
	}
	return c
}

// String is "list/get/other", the form of the tables' S3 column.
func (c s3Counts) String() string {
	return fmt.Sprintf("%d/%d/%d", c[opList], c[opGet], c[opOther])
}

// countingProxy forwards requests to an S3 server untouched (the Host
// header included, so SigV4 signatures still verify) and counts them by
// operation.
type countingProxy struct {
	URL    string // "http://127.0.0.1:PORT"
	counts [numOps]atomic.Int64
	srv    *http.Server
	done   chan error
}

// startProxy listens on a free loopback port and forwards to upstream.
// Stop ends it.
func startProxy(upstream string) (*countingProxy, error) {
	target, err := url.Parse(upstream)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", upstream, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{URL: "http://" + l.Addr().String(), done: make(chan error, 1)}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host // the client signed this host
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second, DisableCompression: true},
	}
	p.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.counts[classify(r)].Add(1)
			rp.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 30 * time.Second,
	}
	go func() { p.done <- p.srv.Serve(l) }()
	return p, nil
}

// snapshot returns the counts so far.
func (p *countingProxy) snapshot() s3Counts {
	var c s3Counts
	for i := range c {
		c[i] = p.counts[i].Load()
	}
	return c
}

// stop shuts the proxy down and waits for it.
func (p *countingProxy) stop(ctx context.Context) error {
	err := p.srv.Shutdown(ctx)
	if serr := <-p.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
