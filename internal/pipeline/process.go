package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/dutywatch/dutywatch/internal/archive"
	"github.com/dutywatch/dutywatch/internal/decode"
	"github.com/dutywatch/dutywatch/internal/finding"
	"github.com/dutywatch/dutywatch/internal/source"
)

// failKind says what went wrong with an object.
type failKind int

const (
	failNone failKind = iota
	// failFetch: the object could not be read (throttling, reset, truncated
	// body, access denied, KMS). Nothing of it is kept; it is retried on
	// later polls.
	failFetch
	// failData: the object's content is bad from some byte on. Reading it
	// again gives the same result, so retrying is pointless.
	failData
	// failCanceled: shutdown cut the object short; it is simply not done.
	failCanceled
)

// result is one processed object, waiting for the sequencer.
type result struct {
	seq int
	obj source.Object
	out *spool
	// rin holds the rule input (see ruleinput.go) when alerting is on.
	rin  *spool
	kind failKind
	err  error
	// attempts is how often the object has failed, once its failure is recorded.
	attempts int
	// duplicate is set when another instance committed the object first;
	// nothing of it was committed here.
	duplicate bool
	// findingKeys are the object's finding keys, for the commit to read
	// their stored state in one query; nil past maxPrefetch (a huge object
	// reads them one by one, keeping memory flat).
	findingKeys []string
	tooManyKeys bool

	records, events, skipped int64
	discarded, badRecords    int64
	bytesRead, bytesDecoded  int64
	compression              decode.Compression
	alerts                   AlertStats
}

// maxPrefetch bounds the finding keys kept per object for prefetching.
const maxPrefetch = 4096

func (r *result) noteFindingKey(key string) {
	if r.tooManyKeys {
		return
	}
	if len(r.findingKeys) >= maxPrefetch {
		r.findingKeys, r.tooManyKeys = nil, true
		return
	}
	// A copy: the key is cut from the finding's text, which it would
	// otherwise keep in memory until the commit.
	r.findingKeys = append(r.findingKeys, strings.Clone(key))
}

// process reads one object, retrying fetch failures that are transient.
func (p *Pipeline) process(ctx context.Context, src source.Source, opt SourceOptions, j job) *result {
	backoff := p.cfg.RetryBackoff
	for attempt := 0; ; attempt++ {
		r := p.processOnce(ctx, src, opt, j)
		if r.kind != failFetch || !errors.Is(r.err, source.ErrTransient) || attempt >= p.cfg.FetchRetries {
			return r
		}
		r.close()
		// Full jitter keeps many workers from retrying in step.
		wait := backoff/2 + rand.N(backoff/2+1)
		backoff *= 2
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return r
		}
	}
}

func (p *Pipeline) processOnce(ctx context.Context, src source.Source, opt SourceOptions, j job) *result {
	o := j.obj
	r := &result{seq: j.seq, obj: o, out: newSpool(p.cfg.SpoolDir, p.cfg.SpoolBytes, &p.spoolMemory)}
	if p.alerter != nil {
		r.rin = newSpool(p.cfg.SpoolDir, p.cfg.SpoolBytes, &p.spoolMemory)
	}
	body, err := src.Open(ctx, o)
	if err != nil {
		r.fail(ctx, failFetch, fmt.Errorf("open %s: %w", o.URI(), err))
		return r
	}
	defer body.Close()
	checked := &bodyReader{r: body, key: o.URI(), size: o.Size}
	dec := decode.NewReader(o.URI(), checked, decode.Options{MaxRecordBytes: p.cfg.MaxRecordBytes})
	defer dec.Close()

	info := finding.LogInfo{AccountAlias: opt.AccountAlias, LogFile: o.Key, S3Bucket: o.Bucket}
	now := time.Now()
	var line, rec, derived, transient []byte
	var firstBad error
	for dec.Next() {
		record := dec.Record()
		r.records++
		parsed, err := finding.Parse(record.Data)
		if err != nil {
			r.badRecords++
			bad := &decode.Error{Key: o.URI(), Offset: record.Offset, Err: err}
			if !opt.SkipOnError {
				r.fail(ctx, failData, bad)
				return r
			}
			if firstBad == nil {
				firstBad = bad
			}
			continue
		}
		if parsed.Skipped != "" {
			r.skipped++
			continue
		}
		f := parsed.Finding
		if opt.Discard != nil && opt.Discard.Match(f) {
			r.discarded++
			continue
		}
		if r.rin != nil {
			v := versionOf(f)
			rec = appendFindingRecord(rec[:0], v)
			if _, err := r.rin.Write(rec); err != nil {
				r.fail(ctx, failFetch, err)
				return r
			}
			r.noteFindingKey(v.key)
		}
		index := 0
		err = f.WazuhEvents(info, func(ev []byte) error {
			id := archive.EventID(o.Bucket, o.Key, record.Offset, index)
			line = p.format.Append(line[:0], id, now, ev)
			if _, err := r.out.Write(line); err != nil {
				return err
			}
			if r.rin != nil {
				if p.alerter.derived {
					derived = f.WithDerived(derived[:0], ev, index)
					ev = derived
				}
				actor, _ := f.Actor(index)
				// Decoding for the rules is stateless: done here, in
				// parallel, the sequencer only evaluates. An event that
				// does not decode is left for the sequencer, which
				// reports the error.
				transient = transient[:0]
				if decoded, err := p.alerter.decoder.DecodeJSON(ev); err == nil {
					decoded.Location = ruleLocation
					transient = decoded.AppendTransient(transient)
				}
				rec = appendEventRecord(rec[:0], id, actor, ev, transient)
				if _, err := r.rin.Write(rec); err != nil {
					return err
				}
			}
			index++
			return nil
		})
		if err != nil {
			r.fail(ctx, failData, &decode.Error{Key: o.URI(), Offset: record.Offset, Err: err})
			return r
		}
		r.events += int64(index)
	}
	r.bytesRead, r.bytesDecoded, r.compression = dec.BytesRead(), dec.BytesDecoded(), dec.Compression()
	if err := dec.Err(); err != nil {
		if errors.Is(err, source.ErrTransient) || errors.Is(err, errBodyRead) {
			r.fail(ctx, failFetch, err)
		} else {
			r.fail(ctx, failData, err)
		}
		return r
	}
	if firstBad != nil {
		r.kind, r.err = failData, fmt.Errorf("%w (and %d bad records in all)", firstBad, r.badRecords)
	}
	return r
}

// close releases the result's spools.
func (r *result) close() {
	r.out.Close()
	if r.rin != nil {
		r.rin.Close()
	}
}

// fail records why the object failed; a cancellation wins over the error
// it caused.
func (r *result) fail(ctx context.Context, kind failKind, err error) {
	if ctx.Err() != nil {
		kind = failCanceled
	}
	r.kind, r.err = kind, err
}

// errBodyRead marks an error of the body stream itself (as opposed to its
// content): the connection, not the object, is at fault.
var errBodyRead = errors.New("read body")

// bodyReader turns a body that ends before its announced size, or fails
// while being read, into an error the pipeline retries, so that a cut
// connection is not mistaken for a corrupt object.
type bodyReader struct {
	r    io.Reader
	key  string
	size int64
	n    int64
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	switch {
	case err == io.EOF && b.size > 0 && b.n < b.size:
		return n, fmt.Errorf("%w %s: %w: body ended at byte %d of %d", errBodyRead, b.key, source.ErrTransient, b.n, b.size)
	case err != nil && err != io.EOF:
		return n, fmt.Errorf("%w %s at byte %d: %w: %w", errBodyRead, b.key, b.n, source.ErrTransient, err)
	}
	return n, err
}
