package generator

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Summary tells what Generate wrote.
type Summary struct {
	Objects int
	// Records is the number of JSON records written: finding versions
	// plus noise events.
	Records int
	// Findings is the number of distinct finding ids written; Updates the
	// number of later versions among the records.
	Findings int
	Updates  int
	// Skipped is the number of noise events (other detail types), which
	// yield no Wazuh event.
	Skipped int
	// Events is the number of Wazuh events the records yield: one per
	// finding version, or one per portProbeDetails element when a port
	// probe has more than one.
	Events int
	// Bytes is the total size of the objects as written (compressed).
	Bytes int64
	// Keys lists the objects in the order written (oldest first).
	Keys []string
}

// record is one JSON value of an object.
type record struct {
	version
	json  []byte // envelope (Firehose) or bare finding (native)
	noise bool
}

type plannedObject struct {
	key     string
	at      time.Time
	records []record
}

// Generate writes the objects cfg describes through w, oldest first, and
// reports what it wrote. The same cfg always yields the same keys and
// bytes. It stops at the first error of w, or when ctx ends.
func Generate(ctx context.Context, cfg Config, w Writer) (Summary, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	recs, sum, err := records(cfg)
	if err != nil {
		return Summary{}, err
	}
	var enc encoder
	for _, o := range plan(cfg, recs) {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		body, err := enc.encodeObject(cfg, o)
		if err != nil {
			return sum, fmt.Errorf("encode %s: %w", o.key, err)
		}
		if err := w.Put(ctx, o.key, body); err != nil {
			return sum, err // writers name the key
		}
		sum.Objects++
		sum.Bytes += int64(len(body))
		sum.Keys = append(sum.Keys, o.key)
	}
	return sum, nil
}

// records makes every record of the run, sorted by emission time, and
// counts them (all but Objects, Bytes and Keys).
func records(cfg Config) ([]record, Summary, error) {
	var sum Summary
	w := newWorld(cfg)
	var recs []record
	for i := range cfg.Findings {
		vs, err := w.versions(i)
		if err != nil {
			return nil, sum, err
		}
		written := false
		for _, v := range vs {
			if cfg.Layout == LayoutNative && v.archived {
				continue
			}
			rec := record{version: v, json: v.body}
			if cfg.Layout == LayoutFirehose {
				r := newRand(cfg.Seed, streamEvent, uint64(i)<<8|uint64(v.seq))
				rec.json = Envelope(v.body, uuid(r), v.sc.account, v.sc.region, v.at)
			}
			recs = append(recs, rec)
			written = true
			sum.Records++
			sum.Events += v.events
			if v.seq > 0 {
				sum.Updates++
			}
		}
		if written {
			sum.Findings++
		}
	}
	if cfg.Layout == LayoutFirehose {
		n := int(cfg.Noise*float64(cfg.Findings) + 0.5)
		for j := range n {
			recs = append(recs, w.noise(j))
			sum.Records++
			sum.Skipped++
		}
	}
	slices.SortStableFunc(recs, func(a, b record) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.findingI, b.findingI), cmp.Compare(a.seq, b.seq))
	})
	return recs, sum, nil
}

// plan groups records into objects and names them.
func plan(cfg Config, recs []record) []plannedObject {
	r := newRand(cfg.Seed, streamObject, 0)
	prefix := cfg.Prefix
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	var objs []plannedObject
	chunk := func(rs []record, name func(at time.Time) string) {
		for len(rs) > 0 {
			n := min(cfg.PerObject, len(rs))
			at := rs[0].at
			objs = append(objs, plannedObject{key: name(at), at: at, records: rs[:n]})
			rs = rs[n:]
		}
	}
	if cfg.Layout == LayoutFirehose {
		ext := map[string]string{CompressGzip: ".gz", CompressZip: ".zip", CompressSnappy: ".snappy", CompressHadoopSnappy: ".snappy"}[cfg.Compression]
		chunk(recs, func(at time.Time) string {
			return fmt.Sprintf("%s%s/%s-1-%s-%s%s", prefix, at.Format("2006/01/02/15"), cfg.Stream, at.Format("2006-01-02-15-04-05"), uuid(r), ext)
		})
		return objs
	}
	byScope := map[scope][]record{}
	var scopes []scope
	for _, rec := range recs {
		if _, ok := byScope[rec.sc]; !ok {
			scopes = append(scopes, rec.sc)
		}
		byScope[rec.sc] = append(byScope[rec.sc], rec)
	}
	for _, sc := range scopes {
		chunk(byScope[sc], func(at time.Time) string {
			return fmt.Sprintf("%sAWSLogs/%s/GuardDuty/%s/%s/%s.jsonl.gz", prefix, sc.account, sc.region, at.Format("2006/01/02"), uuid(r))
		})
	}
	slices.SortStableFunc(objs, func(a, b plannedObject) int { return cmp.Or(a.at.Compare(b.at), strings.Compare(a.key, b.key)) })
	return objs
}

// Envelope wraps a finding in the EventBridge event that carries it, as
// Firehose stores it: eventID is the event's id, at its emission time.
func Envelope(finding []byte, eventID, account, region string, at time.Time) []byte {
	return envelope("GuardDuty Finding", finding, eventID, account, region, at)
}

func envelope(detailType string, detail []byte, eventID, account, region string, at time.Time) []byte {
	b := make([]byte, 0, len(detail)+256)
	b = append(b, `{"version":"0","id":`...)
	b = appendQuoted(b, eventID)
	b = append(b, `,"detail-type":`...)
	b = appendQuoted(b, detailType)
	b = append(b, `,"source":"aws.guardduty","account":`...)
	b = appendQuoted(b, account)
	b = append(b, `,"time":"`...)
	b = at.UTC().AppendFormat(b, timeSeconds)
	b = append(b, `","region":`...)
	b = appendQuoted(b, region)
	b = append(b, `,"resources":[],"detail":`...)
	b = append(b, detail...)
	return append(b, '}')
}

func appendQuoted(b []byte, s string) []byte {
	q, _ := marshal(s)
	return append(b, q...)
}

// noise makes the j-th event of another GuardDuty detail type.
func (w *world) noise(j int) record {
	r := newRand(w.cfg.Seed, streamNoise, uint64(j))
	h := pick(r, w.instances)
	at := w.cfg.Start.Add(time.Duration(r.Float64() * float64(w.cfg.Span))).Truncate(time.Second)
	var dt string
	var detail object
	if r.IntN(2) == 0 {
		dt = "GuardDuty Runtime Protection Unhealthy"
		detail = object{{"schemaVersion", "1.0"}, {"resourceType", "EC2"}, {"instanceId", h.id},
			{"coverageStatus", "UNHEALTHY"}, {"issue", "The runtime agent stopped reporting."}, {"lastUpdatedAt", at.Format(timeMillis)}}
	} else {
		dt = "GuardDuty Malware Protection Object Scan Result"
		detail = object{{"schemaVersion", "1.0"}, {"scanStatus", "COMPLETED"}, {"resourceType", "S3_OBJECT"},
			{"s3ObjectDetails", object{{"bucketName", h.account + "-uploads"}, {"objectKey", "incoming/" + hexString(r, 8) + ".zip"}}},
			{"scanResultDetails", object{{"scanResultStatus", "NO_THREATS_FOUND"}, {"threats", nil}}}}
	}
	body, _ := marshal(detail)
	b := envelope(dt, body, uuid(r), h.account, h.region, at)
	return record{version: version{at: at, sc: h.scope, findingI: w.cfg.Findings + j}, json: b, noise: true}
}

// Finding returns the first version of finding i of DefaultConfig with
// the given seed: the JSON GuardDuty would write for a new finding.
func Finding(seed int64, i int) []byte {
	cfg := DefaultConfig()
	cfg.Seed = seed
	b, err := cfg.Finding(i)
	if err != nil {
		panic(err) // DefaultConfig is valid and our structs always encode
	}
	return b
}

// Finding returns the first version of finding i exactly as Generate
// writes it for c (the detail of its Firehose record, or its native line).
func (c Config) Finding(i int) ([]byte, error) {
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	vs, err := newWorld(c).versions(i)
	if err != nil {
		return nil, err
	}
	return vs[0].body, nil
}

// FindingOfType returns finding i of c forced to the given type, for tests
// that need a realistic finding of one type.
func (c Config) FindingOfType(i int, typ string) ([]byte, error) {
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	t, ok := lookupType(typ)
	if !ok {
		return nil, fmt.Errorf("unknown finding type %q", typ)
	}
	w := newWorld(c)
	r := newRand(c.Seed, streamFinding, uint64(i))
	b := &builder{w: w, r: r, t: t, created: c.Start.Add(time.Duration(i) * time.Minute)}
	b.build()
	v, err := b.version(b.created)
	return v.body, err
}

func lookupType(name string) (Type, bool) {
	for _, t := range typeTable {
		if t.Name == name {
			return t, true
		}
	}
	return Type{}, false
}
