package rules

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ipEntry is one <srcip>/<dstip> element: an address or network,
// optionally negated with a leading '!'.
type ipEntry struct {
	prefix netip.Prefix
	any    bool
	negate bool
	raw    string
}

// parseIPEntry accepts what OS_IsValidIP accepts in practice: "any", an
// IPv4 or IPv6 address, address/prefix-length, or IPv4 address/dotted
// netmask, each optionally preceded by '!'.
func parseIPEntry(s string) (ipEntry, error) {
	e := ipEntry{raw: s}
	if strings.HasPrefix(s, "!") {
		e.negate = true
		s = s[1:]
	}
	if s == "any" {
		e.any = true
		return e, nil
	}
	addrPart, maskPart, hasMask := strings.Cut(s, "/")
	addr, err := netip.ParseAddr(addrPart)
	if err != nil {
		return e, fmt.Errorf("invalid ip %q", e.raw)
	}
	addr = addr.Unmap()
	bits := addr.BitLen()
	if hasMask {
		if n, err := strconv.Atoi(maskPart); err == nil && len(maskPart) <= 3 {
			bits = n
		} else if m, err := netip.ParseAddr(maskPart); err == nil && m.Is4() && addr.Is4() {
			bits = maskBits(m)
		} else {
			return e, fmt.Errorf("invalid netmask in %q", e.raw)
		}
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return e, fmt.Errorf("invalid ip %q: %w", e.raw, err)
	}
	e.prefix = p
	return e, nil
}

func maskBits(m netip.Addr) int {
	b := m.As4()
	n := 0
	for _, x := range b {
		for i := 7; i >= 0; i-- {
			if x&(1<<i) == 0 {
				return n
			}
			n++
		}
	}
	return n
}

// ipListMatcher is OS_IPFoundList: the first entry containing the address
// decides, and a negated entry turns the answer around for itself and every
// entry after it (analysisd's _true flag is sticky). When no entry
// contains the address, the answer is "match" only if a negated entry was
// seen.
type ipListMatcher struct {
	entries []ipEntry
}

func (m *ipListMatcher) Match(v string) bool {
	addr, err := netip.ParseAddr(v)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	result := true
	for _, e := range m.entries {
		if e.negate {
			result = false
		}
		if (e.any && addr.Is4()) || (e.prefix.IsValid() && e.prefix.Contains(addr)) {
			return result
		}
	}
	return !result
}

func (m *ipListMatcher) String() string {
	raw := make([]string, len(m.entries))
	for i, e := range m.entries {
		raw[i] = e.raw
	}
	return "ip:" + strings.Join(raw, ",")
}
