package finding

import (
	"os"
	"path/filepath"
	"testing"
)

// benchCases are ~3 KB findings: a compact Firehose record, a pretty-printed
// one and a port probe that splits into three events.
var benchCases = []string{"firehose-envelope", "pretty-dup-source", "portprobe-three"}

func readCase(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name, "input.json"))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkParse(b *testing.B) {
	for _, name := range benchCases {
		data := readCase(b, name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func BenchmarkWazuhEvents(b *testing.B) {
	info := LogInfo{AccountAlias: "demo", LogFile: "guardduty/2025/01/15/10/gd-1-2025-01-15-10-41-12-0b7e8d2a.gz", S3Bucket: "bucket"}
	for _, name := range benchCases {
		r, err := Parse(readCase(b, name))
		if err != nil {
			b.Fatal(err)
		}
		f := r.Finding
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(f.Raw)))
			b.ReportAllocs()
			events := 0
			emit := func([]byte) error { events++; return nil }
			for b.Loop() {
				if err := f.WazuhEvents(info, emit); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func BenchmarkDiscard(b *testing.B) {
	r, err := Parse(readCase(b, "portprobe-three"))
	if err != nil {
		b.Fatal(err)
	}
	d, err := NewDiscard("service.action.portProbeAction.portProbeDetails.remoteIpDetails.ipAddressV4", `10\.`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		d.Match(r.Finding)
	}
}
