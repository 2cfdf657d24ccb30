package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/dutywatch/dutywatch/internal/alert"
	"github.com/dutywatch/dutywatch/internal/dedup"
	"github.com/dutywatch/dutywatch/internal/finding"
	"github.com/dutywatch/dutywatch/internal/rules"
	"github.com/dutywatch/dutywatch/internal/sink/jsonl"
	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/store"
)

// AlertSink is the name under which the alerts file's offset is stored.
const AlertSink = "alerts"

// ruleLocation is the location of every event the rules see, as the aws-s3
// wodle's events have.
const ruleLocation = "Wazuh-AWS"

// Alerter evaluates rules on committed events, applies the finding-update
// policy and writes alerts.json. It runs in the sequencer, in commit order,
// because rule correlation, firedtimes and the update policy depend on the
// order of events; workers only prepare its input.
//
// Time: rules see the event clock — each finding's updatedAt, never moving
// backwards — rather than the wall clock, so that a backfill of months
// correlates the way live data would.
type Alerter struct {
	rules   *rules.Ruleset
	state   *rules.State
	opt     dedup.Options
	derived bool
	format  *alert.Formatter
	out     *jsonl.File
	log     *slog.Logger
	clock   time.Time
	line    []byte
	decoder rules.DecodeOptions
	// correlated holds when each correlation alert (rule and subject)
	// last fired, by the event clock, so that a correlation rule raises one
	// alert per situation per timeframe instead of one per later event.
	correlated map[string]time.Time
	outbox     bool

	// gen is the store generation of the state in memory (0: none saved
	// yet, -1: unknown, reload); pendingGen the one saved in the open
	// commit. changed marks changes outside the rule state (see
	// alertstate.go).
	gen, pendingGen int64
	changed         bool
	mismatchLogged  bool
}

// AlerterConfig configures an Alerter.
type AlerterConfig struct {
	Rules *rules.Ruleset
	// Derived adds the "dutywatch" object of derived fields to each event
	// the rules read (dutywatch's own ruleset needs it; Wazuh's does not).
	Derived bool
	Dedup   dedup.Options
	Host    string
	// Outbox enqueues every alert in the store's outbox, in its commit,
	// for the indexers and notifications (package deliver).
	Outbox bool
}

// NewAlerter returns an Alerter writing to out, opened at the store's
// committed offset for AlertSink (see OpenAlerts).
func NewAlerter(cfg AlerterConfig, out *jsonl.File, log *slog.Logger) *Alerter {
	a := &Alerter{rules: cfg.Rules, state: cfg.Rules.NewState(), opt: cfg.Dedup, derived: cfg.Derived,
		format: alert.NewFormatter(cfg.Host), out: out, log: log, outbox: cfg.Outbox}
	if cfg.Derived {
		// The derived fields come last in the event; analysisd's cap of 256
		// fields would drop them from the largest findings. Wazuh mode
		// keeps the cap, as Wazuh does.
		a.decoder.MaxFields = 4096
	}
	return a
}

// OpenAlerts opens the alerts file at the offset st has committed.
func OpenAlerts(ctx context.Context, st *store.Store, path string) (*jsonl.File, error) {
	return OpenSink(ctx, st, AlertSink, path)
}

// AlertStats counts what the Alerter did.
type AlertStats struct {
	Alerts   int64
	ByLevel  map[int]int64
	Stale    int64 // finding versions already seen
	Updates  int64 // newer versions that did not alert
	Findings int64 // finding versions read
}

func (s *AlertStats) add(o AlertStats) {
	s.Alerts += o.Alerts
	s.Stale += o.Stale
	s.Updates += o.Updates
	s.Findings += o.Findings
	for l, n := range o.ByLevel {
		if s.ByLevel == nil {
			s.ByLevel = map[int]int64{}
		}
		s.ByLevel[l] += n
	}
}

// stage reads one object's rule input, writes its alerts to the alerts file
// and, with its finding versions, to tx.
func (a *Alerter) stage(ctx context.Context, tx *store.Tx, obj source.Object, in io.Reader, stats *AlertStats) error {
	rr := newRecordReader(in)
	var v findingVersion
	var actor finding.RemoteIP
	var decision dedup.Decision
	var stored store.Finding
	haveFinding := false
	flush := func() error {
		if !haveFinding || decision.Outcome == dedup.Stale {
			return nil
		}
		return tx.PutFinding(ctx, stored)
	}
	for {
		kind, id, event, decoded, err := rr.next(&v, &actor)
		if errors.Is(err, io.EOF) {
			return flush()
		}
		if err != nil {
			return err
		}
		if kind == recFinding {
			if err := flush(); err != nil {
				return err
			}
			stats.Findings++
			decision, stored, err = a.decide(ctx, tx, v)
			if err != nil {
				return err
			}
			haveFinding = true
			switch decision.Outcome {
			case dedup.Stale:
				stats.Stale++
			case dedup.Update:
				stats.Updates++
			}
			if t := v.version.UpdatedAt; t.After(a.clock) {
				a.clock = t
				a.changed = true
			}
			continue
		}
		if decision.Outcome == dedup.Stale {
			continue // a duplicate delivery: already evaluated once
		}
		if decision.Outcome == dedup.Update && stored.AlertID != "" {
			// One alert per finding, updated in place.
			if err := tx.UpdateAlertCount(ctx, stored.AlertID, v.version.Count); err != nil {
				return err
			}
		}
		ev, err := a.ruleEvent(event, decoded)
		if err != nil {
			return fmt.Errorf("decode event %s for rules: %w", id, err)
		}
		m := a.state.Eval(ev, a.clock, nil)
		if m == nil || !m.Alert {
			continue
		}
		// A correlation alert is a new signal even on a finding update.
		if decision.Outcome != dedup.Alert && m.Frequency == 0 {
			continue
		}
		if m.Frequency > 0 && a.repeated(m, v.instance) {
			continue
		}
		alertID := alert.ID(id, m.Rule.ID)
		now := time.Now()
		a.line = a.format.Append(a.line[:0], alertID, now, m, event)
		if _, err := a.out.Write(a.line); err != nil {
			return err
		}
		if err := tx.PutAlert(ctx, a.row(alertID, now, m, ev, &v, actor, obj, event)); err != nil {
			return err
		}
		if a.outbox {
			it := store.OutboxItem{AlertID: alertID, Time: now, Level: m.Rule.Level, RuleID: m.Rule.ID,
				Type: v.typ, Doc: bytes.TrimSuffix(a.line, []byte("\n"))}
			if err := tx.Enqueue(ctx, it); err != nil {
				return err
			}
		}
		stats.Alerts++
		if stats.ByLevel == nil {
			stats.ByLevel = map[int]int64{}
		}
		stats.ByLevel[m.Rule.Level]++
		if stored.AlertID == "" || decision.Outcome == dedup.Alert {
			stored.AlertID = alertID
		}
		stored.Alerts++
	}
}

// ruleEvent is the event the rules read: the one its worker decoded, or
// decoded here when the worker could not.
func (a *Alerter) ruleEvent(event, decoded []byte) (*rules.Event, error) {
	if len(decoded) > 0 {
		return rules.ReadTransientEvent(string(event), decoded)
	}
	ev, err := a.decoder.DecodeJSON(event)
	if err != nil {
		return nil, err
	}
	ev.Location = ruleLocation
	return ev, nil
}

// repeated reports whether the correlation alert m already fired for the
// same situation within the rule's timeframe, and records it otherwise. The
// situation is the rule and the finding's instance, or, for findings on no
// instance, the rule and its description.
func (a *Alerter) repeated(m *rules.Match, instance string) bool {
	window := time.Duration(m.Rule.Timeframe) * time.Second
	subject := instance
	if subject == "" {
		subject = m.Description
	}
	key := strconv.Itoa(m.Rule.ID) + "\x00" + subject
	if last, ok := a.correlated[key]; ok && a.clock.Sub(last) < window {
		return true
	}
	if a.correlated == nil {
		a.correlated = map[string]time.Time{}
	}
	if len(a.correlated) >= maxCorrelated {
		for k, t := range a.correlated {
			if a.clock.Sub(t) >= window {
				delete(a.correlated, k)
			}
		}
	}
	if len(a.correlated) < maxCorrelated {
		a.correlated[key] = a.clock
		a.changed = true
	}
	return false
}

// maxCorrelated bounds the memory of repeated; past it, repeats alert.
const maxCorrelated = 100000

// row is the stored form of an alert.
func (a *Alerter) row(id string, now time.Time, m *rules.Match, ev *rules.Event, v *findingVersion, actor finding.RemoteIP, obj source.Object, event []byte) store.Alert {
	r := m.Rule
	api, _ := ev.Get("aws.service.action.awsApiCallAction.api")
	domain, _ := ev.Get("aws.service.action.dnsRequestAction.domain")
	return store.Alert{
		ID: id, Time: now, EventTime: v.version.UpdatedAt, RuleID: r.ID, Level: r.Level, Description: m.Description,
		Groups: r.Groups, MITRE: r.MITRE.IDs, FindingKey: v.key, FindingID: v.id, Type: v.typ, Title: v.title,
		Severity: v.version.Severity, Account: v.account, Region: v.region, InstanceID: v.instance,
		Principal: v.principal, RemoteIP: actor.IP, RemoteCountry: actor.Country, RemoteCity: actor.City,
		RemoteASN: actor.ASN, RemoteOrg: actor.ASNOrg, HasGeo: actor.Lat != 0 || actor.Lon != 0, Lat: actor.Lat, Lon: actor.Lon,
		LocalPort: actor.LocalPort, API: api, Domain: domain, Count: v.version.Count, Source: obj.Source,
		Object: obj.URI(), Data: append([]byte(nil), event...),
	}
}

// decide applies the update policy to v against the stored finding.
func (a *Alerter) decide(ctx context.Context, tx *store.Tx, v findingVersion) (dedup.Decision, store.Finding, error) {
	prev, ok, err := tx.Finding(ctx, v.key)
	if err != nil {
		return dedup.Decision{}, store.Finding{}, err
	}
	var prevState *dedup.State
	now := time.Now().UTC()
	if ok {
		prevState = &prev.State
	} else {
		prev = store.Finding{Key: v.key, FirstSeen: now}
	}
	d, next := dedup.Decide(prevState, v.version, a.opt)
	prev.ID, prev.Type, prev.Title, prev.Account, prev.Region, prev.Instance = v.id, v.typ, v.title, v.account, v.region, v.instance
	prev.State, prev.LastSeen, prev.Raw = next, now, v.raw
	if d.Outcome == dedup.Alert {
		prev.AlertID = "" // set by the version's first alert
	}
	return d, prev, nil
}
