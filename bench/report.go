package main

import (
	"fmt"
	"io"
	"runtime"
)

// metricHeader names the columns metricCells fills.
var metricHeader = []string{"seconds", "records/s", "MB/s gzip", "MB/s decompressed", "peak RSS MB", s3Column, "time / floor"}

// s3Column is the header of the S3 requests column, dropped from tables
// of folder runs.
const s3Column = "S3 requests list/get/other"

// metricCells formats what every table shows of a result: rates over the
// records, compressed bytes and JSON bytes of its corpus, and its time over
// the floor's on the same corpus.
func metricCells(r result) []string {
	s := r.took.Seconds()
	if s <= 0 {
		s = 1e-9
	}
	req := "—"
	if r.requests != nil {
		req = r.requests.String()
	}
	ratio := 0.0
	if r.c.floor > 0 {
		ratio = r.took.Seconds() / r.c.floor.Seconds()
	}
	return []string{
		fmtSeconds(r.took.Seconds()),
		fmtRate(float64(r.c.sum.Records) / s),
		fmtRate(float64(r.c.sum.Bytes) / 1e6 / s),
		fmtRate(float64(r.c.decoded) / 1e6 / s),
		fmtMB(r.rss),
		req,
		fmtRatio(ratio),
	}
}

// floorResult is the floor of c as a row.
func floorResult(c *corpus) result {
	return result{name: "floor " + c.layout + ": gunzip + JSON parse", c: c, took: c.floor}
}

// describeCorpus is one line about c.
func describeCorpus(c *corpus) string {
	objects := "objects"
	if c.sum.Objects == 1 {
		objects = "object"
	}
	return fmt.Sprintf("%s corpus: %d findings, %d records (updates included), %d events, %d %s, %s gzip, %s JSON",
		c.layout, c.sum.Findings, c.sum.Records, c.sum.Events, c.sum.Objects, objects, fmtSize(float64(c.sum.Bytes)), fmtSize(float64(c.decoded)))
}

// writeNotes explains the columns under a table.
func writeNotes(w io.Writer, s3 bool) {
	fmt.Fprintf(w, "\nrecords/s counts JSON records, i.e. finding versions (a finding and each later update);\n")
	fmt.Fprintf(w, "MB/s are over the gzip objects and over the JSON inside them. The floor gunzips every object and\n")
	fmt.Fprintf(w, "parses every record with encoding/json on all %d cores, in-process, and does nothing else;\n", runtime.NumCPU())
	fmt.Fprintf(w, "time / floor compares a run with the floor of the same corpus. Peak RSS is dutywatch's (VmHWM).\n")
	if s3 {
		fmt.Fprintf(w, "S3 runs read versitygw (posix backend) on loopback through a counting proxy; its requests\n")
		fmt.Fprintf(w, "are counted as ListObjectsV2/GetObject/other, and both share the cores with dutywatch.\n")
	}
}
