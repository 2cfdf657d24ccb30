package guardduty

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/dutywatch/dutywatch/internal/finding"
	"github.com/dutywatch/dutywatch/internal/source"
)

// chunk is the body of one object: the new finding versions of one
// GetFindings call, as a JSON array of the findings exactly as sent.
type chunk struct {
	scope    string
	body     []byte
	versions []version
	newest   time.Time // greatest updatedAt among versions
	start    time.Time // the listing's start
	hash     string
	account  string // the findings' accountId when they share one
	gen      int64
}

// newChunk builds a chunk of the findings in raws whose versions are
// neither committed (seen) nor already in this listing's chunks (listed,
// which it extends); nil when none is left.
func (s *Source) newChunk(scope string, raws []json.RawMessage, start time.Time, listed map[string]bool) *chunk {
	s.mu.Lock()
	seen := s.seen[scope]
	var fresh []json.RawMessage
	var versions []version
	var accounts []string
	for _, raw := range raws {
		v, account := identify(raw)
		id := v.String()
		if listed[id] {
			continue
		}
		if _, ok := seen[id]; ok {
			continue
		}
		listed[id] = true
		fresh = append(fresh, raw)
		versions = append(versions, v)
		accounts = append(accounts, account)
	}
	s.mu.Unlock()
	if len(fresh) == 0 {
		return nil
	}
	c := &chunk{scope: scope, versions: versions, start: start, hash: chunkHash(versions), account: accounts[0]}
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, raw := range fresh {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.Write(raw)
		c.newest = later(c.newest, versions[i].UpdatedAt)
		if accounts[i] != c.account {
			c.account = ""
		}
	}
	b.WriteString("\n]\n")
	c.body = b.Bytes()
	return c
}

// identify returns the version and account of a raw finding, read by the
// pipeline's own parser so both agree on them. A finding it cannot read
// is named by a hash of its bytes and passed on: the pipeline reports it
// with its offset.
func identify(raw json.RawMessage) (version, string) {
	rec, err := finding.Parse(raw)
	if err != nil || rec.Finding == nil || rec.Finding.ID == "" {
		sum := sha256.Sum256(raw)
		return version{ID: "unreadable:" + hex.EncodeToString(sum[:16])}, ""
	}
	f := rec.Finding
	return version{ID: f.ID, UpdatedAt: f.UpdatedAt}, f.AccountID
}

// Open returns the body of o from memory: o must come from this source's
// current or previous listing. Any other object — after a restart, a
// retry the pipeline kept from an earlier run — is a transient error; its
// findings are fetched again by a listing, which starts before them as
// long as the cursor has not passed them (see the package doc).
func (s *Source) Open(_ context.Context, o source.Object) (io.ReadCloser, error) {
	s.mu.Lock()
	c := s.chunks[o.Key]
	s.mu.Unlock()
	if c == nil || c.scope != o.Scope {
		return nil, fmt.Errorf("open %s: %w: chunk not held in memory; a later listing fetches its findings again", o.Key, source.ErrTransient)
	}
	return io.NopCloser(bytes.NewReader(c.body)), nil
}

// Done forgets o's chunk and remembers its versions as committed, so the
// overlap of later listings does not deliver them again.
func (s *Source) Done(_ context.Context, o source.Object) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chunks[o.Key]
	if c == nil || c.scope != o.Scope {
		return nil
	}
	delete(s.chunks, o.Key)
	seen := s.seen[c.scope]
	if seen == nil {
		seen = make(map[string]time.Time)
		s.seen[c.scope] = seen
	}
	for _, v := range c.versions {
		seen[v.String()] = later(v.UpdatedAt, c.start)
	}
	return nil
}
