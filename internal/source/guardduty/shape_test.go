package guardduty

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/finding"
)

// serveRaw puts the findings of a GetFindings response body on gd as
// they are written there.
func serveRaw(t *testing.T, gd *fakeGuardDuty, region, detector string, body []byte) []json.RawMessage {
	t.Helper()
	raws, err := findingsOf(body)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range raws {
		v, _ := identify(raw)
		gd.put(region, detector, fakeFinding{id: v.ID, updatedAt: v.UpdatedAt, raw: raw})
	}
	return raws
}

// The findings the source emits read, through package finding, exactly as
// the S3 export form of the same findings, and keep GuardDuty's bytes.
func TestShapeMatchesExport(t *testing.T) {
	apiBody, err := os.ReadFile("testdata/api/get_findings.json")
	if err != nil {
		t.Fatal(err)
	}
	export := readExport(t, "testdata/export/findings.jsonl")
	gd := newFakeGuardDuty(t)
	gd.addDetector("eu-central-1", det)
	raws := serveRaw(t, gd, "eu-central-1", det, apiBody)
	st := newFakeState()
	clk := &clock{t: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	s := newTestSource(t, gd, Config{Regions: []string{"eu-central-1"}}, st, clk)
	res, err := poll(t, s, st, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.findings) != len(export) {
		t.Fatalf("emitted %d findings, the export has %d", len(res.findings), len(export))
	}
	for i, got := range res.findings {
		if !bytes.Equal(got.Raw, raws[i]) {
			t.Errorf("finding %d: bytes differ from GetFindings'", i)
		}
		want := export[got.ID]
		if want == nil {
			t.Fatalf("finding %s is not in the export", got.ID)
		}
		if g, w := coreOf(got), coreOf(want); !reflect.DeepEqual(g, w) {
			t.Errorf("finding %s:\n api    %+v\n export %+v", got.ID, g, w)
		}
		if g, w := wazuhEvents(t, got), wazuhEvents(t, want); !reflect.DeepEqual(g, w) {
			t.Errorf("finding %s: Wazuh events differ:\n api    %v\n export %v", got.ID, g, w)
		}
	}
	if o := res.objects[0]; o.Account != "210987654321" || o.Region != "eu-central-1" {
		t.Errorf("object %+v: want account 210987654321, region eu-central-1", o)
	}
}

// core is what dutywatch reads from a finding, with Raw left out.
type core struct {
	ID, Type, Account, Region, Instance, ResourceType, ActionType, AccessKey string
	Severity                                                                 float64
	UpdatedAt, CreatedAt                                                     time.Time
	Count                                                                    int64
	Archived                                                                 bool
	RemoteIPs                                                                []finding.RemoteIP
}

func coreOf(f *finding.Finding) core {
	return core{
		ID: f.ID, Type: f.Type, Account: f.AccountID, Region: f.Region, Instance: f.InstanceID,
		ResourceType: f.ResourceType, ActionType: f.ActionType, AccessKey: f.AccessKeyID,
		Severity: f.Severity, UpdatedAt: f.UpdatedAt, CreatedAt: f.CreatedAt, Count: f.Count,
		Archived: f.Archived, RemoteIPs: f.RemoteIPs,
	}
}

// wazuhEvents returns f's Wazuh events decoded, so member order does not
// count.
func wazuhEvents(t *testing.T, f *finding.Finding) []any {
	t.Helper()
	var out []any
	err := f.WazuhEvents(finding.LogInfo{LogFile: "k"}, func(ev []byte) error {
		var v any
		if err := json.Unmarshal(ev, &v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readExport(t *testing.T, path string) map[string]*finding.Finding {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	out := make(map[string]*finding.Finding)
	sc := bufio.NewScanner(file)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		rec, err := finding.Parse(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		out[rec.Finding.ID] = rec.Finding
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A finding the SDK's types cannot hold (a member of an unexpected type)
// still reaches the pipeline as sent.
func TestUnparsableBySDK(t *testing.T) {
	gd := newFakeGuardDuty(t)
	gd.addDetector(east, det)
	raw := json.RawMessage(`{"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1","id":"` + fid(7) +
		`","type":"Recon:EC2/PortProbeUnprotectedPort","severity":2,"updatedAt":"2024-05-01T11:00:00.000Z",` +
		`"service":{"count":"many","archived":"no"},"resource":{"resourceType":"Instance","instanceDetails":{"instanceId":["i-1"]}}}`)
	gd.put(east, det, fakeFinding{id: fid(7), updatedAt: time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC), raw: raw})
	st := newFakeState()
	s := newTestSource(t, gd, Config{}, st, &clock{t: t0})
	res, err := poll(t, s, st, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.findings) != 1 || !bytes.Equal(res.findings[0].Raw, raw) {
		t.Errorf("got %d findings; want the one as sent", len(res.findings))
	}
}
