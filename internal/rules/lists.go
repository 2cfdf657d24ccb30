package rules

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// List is a CDB list: keys with optional values, looked up by <list> rule
// elements. Keys are case-sensitive; when a key repeats, the first value
// wins (cdb_find returns the first record).
type List struct {
	m map[string]string
}

// NewList returns a list holding the given keys and values.
func NewList(entries map[string]string) *List {
	l := &List{m: make(map[string]string, len(entries))}
	for k, v := range entries {
		l.m[k] = v
	}
	return l
}

// Len returns the number of keys.
func (l *List) Len() int { return len(l.m) }

// Lookup returns the value of key.
func (l *List) Lookup(key string) (string, bool) {
	v, ok := l.m[key]
	return v, ok
}

// ParseList reads a list in Wazuh's text format, one "key:value" per line,
// as Lists_OP_MakeCDB compiles it: the key ends at the first ':'; a key may
// be quoted ("a:b":value) when its quote comes before the first ':'; the
// value may be quoted; lines without ':' are skipped.
func ParseList(r io.Reader) (*List, error) {
	l := &List{m: make(map[string]string)}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		k, v, ok := parseListLine(sc.Text())
		if !ok {
			continue
		}
		if _, dup := l.m[k]; !dup {
			l.m[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read list: %w", err)
	}
	return l, nil
}

func parseListLine(line string) (key, val string, ok bool) {
	if i := strings.IndexByte(line, '\r'); i >= 0 {
		line = line[:i]
	}
	rest := line
	quotedKey := false
	if q := strings.IndexByte(line, '"'); q >= 0 {
		if c := strings.IndexByte(line, ':'); c >= 0 && c > q {
			end := strings.IndexByte(line[q+1:], '"')
			if end < 0 {
				return "", "", false
			}
			key = line[q+1 : q+1+end]
			rest = line[q+1+end+1:]
			quotedKey = true
		}
	}
	c := strings.IndexByte(rest, ':')
	if c < 0 {
		return "", "", false
	}
	if !quotedKey {
		key = rest[:c]
	}
	val = rest[c+1:]
	if q := strings.IndexByte(val, '"'); q >= 0 {
		end := strings.IndexByte(val[q+1:], '"')
		if end < 0 {
			return "", "", false
		}
		val = val[q+1 : q+1+end]
	}
	return key, val, true
}

// list lookups (lists_list.c OS_DBSearch).
type listLookup uint8

const (
	lookupMatchKey listLookup = iota
	lookupNotMatchKey
	lookupMatchKeyValue
	lookupAddressMatchKey
	lookupNotAddressMatchKey
	lookupAddressMatchKeyValue
)

var listLookups = map[string]listLookup{
	"match_key":               lookupMatchKey,
	"not_match_key":           lookupNotMatchKey,
	"match_key_value":         lookupMatchKeyValue,
	"address_match_key":       lookupAddressMatchKey,
	"not_address_match_key":   lookupNotAddressMatchKey,
	"address_match_key_value": lookupAddressMatchKeyValue,
}

// search is OS_DBSearch for one key.
func (l *List) search(how listLookup, check Matcher, key string) bool {
	switch how {
	case lookupMatchKey:
		_, ok := l.m[key]
		return ok
	case lookupNotMatchKey:
		_, ok := l.m[key]
		return !ok
	case lookupMatchKeyValue:
		v, ok := l.m[key]
		return ok && check != nil && check.Match(v)
	case lookupAddressMatchKey:
		_, ok := l.addressValue(key)
		return ok
	case lookupNotAddressMatchKey:
		_, ok := l.addressValue(key)
		return !ok
	case lookupAddressMatchKeyValue:
		// analysisd returns a match when OS_DBSearchKeyAddressValue is
		// 0: the key is absent or its value fails check_value. Kept.
		v, ok := l.addressValue(key)
		return !(ok && check != nil && check.Match(v))
	}
	return false
}

// addressValue looks key up, then each shorter prefix of it that ends in
// '.', longest first ("10.1.2.3", "10.1.2.", "10.1.", "10.").
func (l *List) addressValue(key string) (string, bool) {
	if v, ok := l.m[key]; ok {
		return v, true
	}
	for k := key; len(k) > 0; k = k[:len(k)-1] {
		if k[len(k)-1] == '.' {
			if v, ok := l.m[k]; ok {
				return v, true
			}
		}
	}
	return "", false
}
