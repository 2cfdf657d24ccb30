package finding

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// referenceDir holds public GuardDuty samples and Wazuh data gathered for
// the project; it is not shipped with the code.
const referenceDir = "/work/shared/reference/data"

func needReference(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(referenceDir); err != nil {
		t.Skipf("reference data %s absent: %v", referenceDir, err)
	}
}

// TestReferenceSamples runs the public samples (real and AWS-generated
// findings from several projects) through Parse and WazuhEvents.
func TestReferenceSamples(t *testing.T) {
	needReference(t)
	files, err := filepath.Glob(filepath.Join(referenceDir, "guardduty-samples", "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	notFindings := map[string]bool{
		"guard_duty_all.json": true, // a StreamAlert test wrapper
		"sample_event.json":   true, // Elastic's ECS-mapped document
	}
	for _, file := range files {
		t.Run(filepath.Base(filepath.Dir(file))+"/"+filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Parse(data)
			if notFindings[filepath.Base(file)] {
				if err == nil {
					t.Fatal("parsed a file that holds no finding")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f := r.Finding
			if f.ID == "" || f.Type == "" || f.Severity == 0 || f.CreatedAt.IsZero() {
				t.Errorf("thin finding: %+v", f)
			}
			err = f.WazuhEvents(LogInfo{}, func(ev []byte) error {
				if !json.Valid(ev) {
					t.Errorf("invalid event %s", ev)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestReferenceWazuhAlert compares our event for Wazuh's own QA sample
// with the data.aws of the alert Wazuh makes from it (derived from its
// source), after applying what analysisd's JSON decoder does to values
// (see asAnalysisd).
func TestReferenceWazuhAlert(t *testing.T) {
	needReference(t)
	in, err := os.ReadFile(filepath.Join(referenceDir, "wazuh", "qa_kinesis_guardduty_sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	alertJSON, err := os.ReadFile(filepath.Join(referenceDir, "wazuh", "wazuh-guardduty-alert-example-derived.json"))
	if err != nil {
		t.Fatal(err)
	}
	var alert struct {
		Data struct {
			AWS map[string]any `json:"aws"`
		} `json:"data"`
	}
	if err := json.Unmarshal(alertJSON, &alert); err != nil {
		t.Fatal(err)
	}
	logInfo := alert.Data.AWS["log_info"].(map[string]any)
	r, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	err = r.Finding.WazuhEvents(LogInfo{LogFile: logInfo["log_file"].(string), S3Bucket: logInfo["s3bucket"].(string)},
		func(ev []byte) error {
			dec := json.NewDecoder(bytes.NewReader(ev))
			dec.UseNumber()
			var msg struct {
				AWS map[string]any `json:"aws"`
			}
			if err := dec.Decode(&msg); err != nil {
				return err
			}
			got = append(got, asAnalysisd(msg.AWS).(map[string]any))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], alert.Data.AWS) {
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(alert.Data.AWS)
		t.Errorf("event differs from Wazuh's alert data\n got %s\nwant %s", a, b)
	}
}

// asAnalysisd turns decoded JSON into what analysisd's JSON decoder keeps
// in an alert: scalars become strings (decimals printed with %f), empty
// strings and the objects left empty by that are dropped.
func asAnalysisd(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			if e = asAnalysisd(e); e != nil {
				out[k] = e
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		out := []any{}
		for _, e := range v {
			out = append(out, asAnalysisd(e))
		}
		return out
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return v.String()
		}
		f, _ := v.Float64()
		return fmt.Sprintf("%f", f)
	case bool:
		return fmt.Sprint(v)
	case string:
		if v == "" {
			return nil
		}
	}
	return v
}
