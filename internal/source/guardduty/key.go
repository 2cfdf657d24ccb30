package guardduty

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Keys and scopes. One scope per (region, detector):
//
//	scope: guardduty-api://<region>/<detector>/
//	key:   guardduty-api/<region>/<detector>/<time>/<hash>
//
// <time> is the newest updatedAt of the chunk's findings (never below the
// listing's start, never below the previous chunk's) in the fixed-width
// UTC form 2006-01-02T15:04:05.000Z, so keys sort by time and the
// greatest committed key, the scope's cursor, carries the watermark.
// <hash> is 32 hex digits of SHA-256 over the chunk's sorted (id,
// updatedAt) pairs: the same finding versions give the same key.

const (
	keyRoot    = "guardduty-api/"
	scopeRoot  = "guardduty-api://"
	timeLayout = "2006-01-02T15:04:05.000Z"
	hashLen    = 32
)

// scopeName returns the cursor name of (region, detector).
func scopeName(region, detector string) string {
	return scopeRoot + region + "/" + detector + "/"
}

// keyPrefix returns the part of every key of (region, detector) before
// the time.
func keyPrefix(region, detector string) string {
	return keyRoot + region + "/" + detector + "/"
}

// formatKeyTime writes t in the key's fixed-width form. Times outside
// years 0000–9999 are clamped, so the width never changes.
func formatKeyTime(t time.Time) string {
	t = t.UTC()
	switch {
	case t.Year() < 0:
		t = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	case t.Year() > 9999:
		t = time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC)
	}
	return t.Truncate(time.Millisecond).Format(timeLayout)
}

// chunkKey returns the key of a chunk of (region, detector) whose time is
// t and whose hash is h.
func chunkKey(region, detector string, t time.Time, h string) string {
	return keyPrefix(region, detector) + formatKeyTime(t) + "/" + h
}

// keyParts is a parsed key.
type keyParts struct {
	Region, Detector string
	Time             time.Time
	Hash             string
}

var errBadKey = errors.New("not a guardduty-api key")

// parseKey reads a key written by chunkKey. It is strict: anything else,
// cursors of a later key scheme included, is an error wrapping errBadKey.
func parseKey(key string) (keyParts, error) {
	rest, ok := strings.CutPrefix(key, keyRoot)
	if !ok {
		return keyParts{}, fmt.Errorf("key %q: %w", key, errBadKey)
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 4 || !validName(parts[0]) || !validName(parts[1]) || !isHash(parts[3]) {
		return keyParts{}, fmt.Errorf("key %q: %w", key, errBadKey)
	}
	t, err := time.Parse(timeLayout, parts[2])
	if err != nil || t.Format(timeLayout) != parts[2] {
		return keyParts{}, fmt.Errorf("key %q: time: %w", key, errBadKey)
	}
	return keyParts{Region: parts[0], Detector: parts[1], Time: t, Hash: parts[3]}, nil
}

func isHash(s string) bool {
	if len(s) != hashLen {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') }) < 0
}

// version is one finding version: its id and updatedAt.
type version struct {
	ID        string
	UpdatedAt time.Time
}

// String is the version's identity, used in hashes and the seen-set.
func (v version) String() string {
	return v.ID + "\x00" + v.UpdatedAt.UTC().Format(time.RFC3339Nano)
}

// chunkHash hashes a set of versions, in any order.
func chunkHash(vs []version) string {
	ids := make([]string, len(vs))
	for i, v := range vs {
		ids[i] = v.String()
	}
	slices.Sort(ids)
	h := sha256.New()
	for _, s := range ids {
		h.Write([]byte(s))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))[:hashLen]
}
