package pipeline

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/dutywatch/dutywatch/internal/dedup"
	"github.com/dutywatch/dutywatch/internal/finding"
)

// Workers hand the sequencer what rule evaluation needs through a spool of
// records: one 'F' record per finding version (what the update policy and
// the findings table need), followed by one 'E' record per event of it (the
// event id and the JSON the rules read). Fields are length-prefixed, so no
// value needs escaping, and the sequencer never parses a finding twice.
const (
	recFinding = 'F'
	recEvent   = 'E'
)

// findingVersion is what an 'F' record carries.
type findingVersion struct {
	key, id, typ, title       string
	account, region, instance string
	principal                 string
	version                   dedup.Version
	raw                       []byte
}

func versionOf(f *finding.Finding) findingVersion {
	key, v := dedup.VersionOf(f)
	return findingVersion{
		key: key, id: f.ID, typ: f.Type, title: f.Title, account: f.AccountID, region: f.Region, instance: f.InstanceID,
		principal: cmp.Or(f.UserName, f.PrincipalID), version: v, raw: f.Raw,
	}
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendFindingRecord(dst []byte, v findingVersion) []byte {
	dst = append(dst, recFinding)
	for _, s := range []string{v.key, v.id, v.typ, v.title, v.account, v.region, v.instance, v.principal, v.version.Actor, v.version.Resource} {
		dst = appendStr(dst, s)
	}
	dst = binary.AppendUvarint(dst, math.Float64bits(v.version.Severity))
	dst = binary.AppendVarint(dst, v.version.UpdatedAt.UnixMilli())
	dst = binary.AppendVarint(dst, v.version.Count)
	var flags uint64
	if v.version.Sample {
		flags |= 1
	}
	if v.version.Archived {
		flags |= 2
	}
	dst = binary.AppendUvarint(dst, flags)
	return appendBytes(dst, v.raw)
}

// appendEventRecord appends an 'E' record; decoded is the event in the
// rules' transient form, or empty when the sequencer must decode it itself.
func appendEventRecord(dst []byte, id string, actor finding.RemoteIP, event, decoded []byte) []byte {
	dst = append(dst, recEvent)
	dst = appendStr(dst, id)
	for _, s := range []string{actor.IP, actor.Country, actor.City, actor.ASN, cmp.Or(actor.ASNOrg, actor.Org, actor.ISP)} {
		dst = appendStr(dst, s)
	}
	dst = binary.AppendUvarint(dst, math.Float64bits(actor.Lat))
	dst = binary.AppendUvarint(dst, math.Float64bits(actor.Lon))
	dst = binary.AppendVarint(dst, int64(actor.LocalPort))
	dst = appendBytes(dst, event)
	return appendBytes(dst, decoded)
}

// recordReader reads the records of a rule-input spool.
type recordReader struct {
	r   *bufio.Reader
	buf []byte
}

func newRecordReader(r io.Reader) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(r, 64<<10)}
}

var errBadRecord = errors.New("corrupt rule-input record")

func (rr *recordReader) bytes() ([]byte, error) {
	n, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadRecord, err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(rr.r, b); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadRecord, err)
	}
	return b, nil
}

// scratch reads a length-prefixed value into a buffer that the next call
// reuses.
func (rr *recordReader) scratch() ([]byte, error) {
	n, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadRecord, err)
	}
	if n > maxScratch {
		return nil, fmt.Errorf("%w: value of %d bytes", errBadRecord, n)
	}
	rr.buf = slices.Grow(rr.buf[:0], int(n))[:n]
	if _, err := io.ReadFull(rr.r, rr.buf); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadRecord, err)
	}
	return rr.buf, nil
}

// maxScratch bounds a decoded event: its fields are at most a few times
// its JSON, which decode bounds at Config.MaxRecordBytes.
const maxScratch = 1 << 30

func (rr *recordReader) str() (string, error) {
	b, err := rr.bytes()
	return string(b), err
}

// next reads one record: kind recFinding fills v, recEvent fills id, the
// actor, event and, when its worker decoded it, the event in the rules'
// transient form (valid until the next call). It returns io.EOF at the end.
func (rr *recordReader) next(v *findingVersion, actor *finding.RemoteIP) (kind byte, id string, event, decoded []byte, err error) {
	kind, err = rr.r.ReadByte()
	if err != nil {
		return 0, "", nil, nil, err
	}
	switch kind {
	case recEvent:
		if id, err = rr.str(); err != nil {
			return 0, "", nil, nil, err
		}
		for _, p := range []*string{&actor.IP, &actor.Country, &actor.City, &actor.ASN, &actor.ASNOrg} {
			if *p, err = rr.str(); err != nil {
				return 0, "", nil, nil, err
			}
		}
		var lat, lon uint64
		var port int64
		if lat, err = binary.ReadUvarint(rr.r); err == nil {
			if lon, err = binary.ReadUvarint(rr.r); err == nil {
				port, err = binary.ReadVarint(rr.r)
			}
		}
		if err != nil {
			return 0, "", nil, nil, fmt.Errorf("%w: %w", errBadRecord, err)
		}
		actor.Lat, actor.Lon, actor.LocalPort = math.Float64frombits(lat), math.Float64frombits(lon), int(port)
		if event, err = rr.bytes(); err != nil {
			return 0, "", nil, nil, err
		}
		decoded, err = rr.scratch()
		return kind, id, event, decoded, err
	case recFinding:
		for _, p := range []*string{&v.key, &v.id, &v.typ, &v.title, &v.account, &v.region, &v.instance, &v.principal, &v.version.Actor, &v.version.Resource} {
			if *p, err = rr.str(); err != nil {
				return 0, "", nil, nil, err
			}
		}
		var bits, flags uint64
		var updated int64
		if bits, err = binary.ReadUvarint(rr.r); err == nil {
			if updated, err = binary.ReadVarint(rr.r); err == nil {
				if v.version.Count, err = binary.ReadVarint(rr.r); err == nil {
					flags, err = binary.ReadUvarint(rr.r)
				}
			}
		}
		if err != nil {
			return 0, "", nil, nil, fmt.Errorf("%w: %w", errBadRecord, err)
		}
		v.version.Severity = math.Float64frombits(bits)
		v.version.UpdatedAt = time.UnixMilli(updated).UTC()
		v.version.Sample, v.version.Archived = flags&1 != 0, flags&2 != 0
		v.raw, err = rr.bytes()
		return kind, "", nil, nil, err
	}
	return 0, "", nil, nil, fmt.Errorf("%w: kind %q", errBadRecord, kind)
}
