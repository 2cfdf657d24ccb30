package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dutywatch/dutywatch/internal/config"
	"github.com/dutywatch/dutywatch/internal/decode"
	"github.com/dutywatch/dutywatch/internal/dedup"
	"github.com/dutywatch/dutywatch/internal/finding"
	"github.com/dutywatch/dutywatch/internal/rules"
)

// ruleFlags select a ruleset on the command line, or from a config file.
type ruleFlags struct {
	config string
	mode   string
	files  []string
}

func (f *ruleFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.config, "config", "", "take the rules section from this configuration file")
	cmd.Flags().StringVar(&f.mode, "mode", "", "rule mode: default (dutywatch's ruleset) or wazuh (only --rules)")
	cmd.Flags().StringArrayVar(&f.files, "rules", nil, "rule XML file or folder to load (repeatable, in order)")
}

func (f *ruleFlags) rulesConfig() (config.Rules, error) {
	rc := config.Default().Rules
	if f.config != "" {
		cfg, _, err := config.Load(f.config)
		if err != nil {
			return rc, err
		}
		rc = cfg.Rules
	}
	if f.mode != "" {
		if f.mode != config.RulesDefault && f.mode != config.RulesWazuh {
			return rc, fmt.Errorf("--mode: want default or wazuh, got %q", f.mode)
		}
		rc.Mode = f.mode
	}
	rc.Files = append(rc.Files, f.files...)
	if rc.Mode == config.RulesWazuh && len(rc.Files) == 0 {
		return rc, fmt.Errorf("wazuh mode needs rule files: give --rules")
	}
	return rc, nil
}

func newLogtestCommand(g *globalFlags) *cobra.Command {
	var rf ruleFlags
	var verbose bool
	cmd := &cobra.Command{
		Use:   "logtest [FILE]",
		Short: "Show how findings decode and which rule they reach, and why (like wazuh-logtest)",
		Long: `logtest reads findings from FILE or standard input: bare findings (native export lines),
EventBridge envelopes (Firehose records, concatenated or one per line), or Wazuh messages
("1:Wazuh-AWS:{...}" or the {"integration":"aws",...} event). For every event it prints the
decoded fields, the rule the tree walk ended on with its level and description, whether an
alert is written, and the finding-update decision. -v prints every rule tried, in order.
The update policy runs across the inputs of one session, so re-sending a finding shows
how updates are treated.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			rc, err := rf.rulesConfig()
			if err != nil {
				return err
			}
			rs, err := loadRules(rc, log)
			if err != nil {
				return err
			}
			in := cmd.InOrStdin()
			name := "stdin"
			if len(args) == 1 {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				in, name = f, args[0]
			}
			lt := &logtest{out: cmd.OutOrStdout(), rules: rs, state: rs.NewState(), verbose: verbose,
				derived: rc.Mode != config.RulesWazuh, findings: map[string]*dedup.State{},
				dedup: dedup.Options{Policy: dedup.Policy(rc.UpdatePolicy), AlertSamples: rc.AlertSamples, AlertArchived: rc.AlertArchived}}
			if lt.derived {
				lt.decoder.MaxFields = 4096 // as the pipeline does: keep the derived fields
			}
			return lt.run(cmd.Context(), name, in)
		},
	}
	rf.add(cmd)
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every rule tried")
	return cmd
}

type logtest struct {
	out      io.Writer
	rules    *rules.Ruleset
	state    *rules.State
	verbose  bool
	derived  bool
	dedup    dedup.Options
	findings map[string]*dedup.State
	decoder  rules.DecodeOptions
	n        int
}

// queueHeader is the "1:Wazuh-AWS:" prefix of a message to analysisd.
var queueHeader = regexp.MustCompile(`(?m)^[0-9]:[^:{\n]*:`)

func (lt *logtest) run(ctx context.Context, name string, in io.Reader) error {
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	data = queueHeader.ReplaceAll(data, nil)
	sp := decode.NewSplitter(bytes.NewReader(data), decode.Options{})
	for sp.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := sp.Record()
		if err := lt.record(rec.Data); err != nil {
			fmt.Fprintf(lt.out, "**Error: %s: byte %d: %v\n\n", name, rec.Offset, err)
		}
	}
	return sp.Err()
}

func (lt *logtest) record(data []byte) error {
	if bytes.Contains(data[:min(len(data), 64)], []byte(`"integration"`)) {
		return lt.event(data, "", nil)
	}
	rec, err := finding.Parse(data)
	if err != nil {
		return err
	}
	if rec.Skipped != "" {
		fmt.Fprintf(lt.out, "**Skipped: EventBridge detail-type %q is not a finding.\n\n", rec.Skipped)
		return nil
	}
	f := rec.Finding
	decision := lt.decide(f)
	index := 0
	return f.WazuhEvents(finding.LogInfo{LogFile: "logtest"}, func(ev []byte) error {
		if lt.derived {
			ev = f.WithDerived(nil, ev, index)
		}
		header := fmt.Sprintf("finding %s, %s, severity %.1f", f.ID, f.Type, f.Severity)
		if f.ActionType == "PORT_PROBE" && len(f.RemoteIPs) > 1 {
			header += fmt.Sprintf(", probe detail %d of %d", index+1, len(f.RemoteIPs))
		}
		index++
		return lt.event(append([]byte(nil), ev...), header, &decision)
	})
}

func (lt *logtest) decide(f *finding.Finding) dedup.Decision {
	key, v := dedup.VersionOf(f)
	d, next := dedup.Decide(lt.findings[key], v, lt.dedup)
	lt.findings[key] = &next
	return d
}

func (lt *logtest) event(data []byte, header string, decision *dedup.Decision) error {
	ev, err := lt.decoder.DecodeJSON(data)
	if err != nil {
		return err
	}
	ev.Location = "Wazuh-AWS"
	lt.n++
	w := lt.out
	fmt.Fprintf(w, "**Event %d", lt.n)
	if header != "" {
		fmt.Fprintf(w, " (%s)", header)
	}
	fmt.Fprintf(w, "\n**Phase 2: Completed decoding.\n\tname: '%s'\n", ev.Decoder)
	for _, fld := range ev.Fields() {
		fmt.Fprintf(w, "\t%s: '%s'\n", fld.Key, fld.Value)
	}
	var trace *rules.Trace
	if lt.verbose {
		trace = &rules.Trace{}
	}
	m := lt.state.Eval(ev, time.Now(), trace)
	if trace != nil {
		fmt.Fprintf(w, "\n**Rules tried:\n%s", indent(trace.String()))
	}
	fmt.Fprintln(w, "\n**Phase 3: Completed filtering (rules).")
	if m == nil {
		fmt.Fprintln(w, "\tno rule matched\n**No alert: no rule matched.")
		fmt.Fprintln(w)
		return nil
	}
	r := m.Rule
	fmt.Fprintf(w, "\tid: '%d'\n\tlevel: '%d'\n\tdescription: '%s'\n\tgroups: %q\n", r.ID, r.Level, m.Description, r.Groups)
	for _, c := range r.Compliance {
		fmt.Fprintf(w, "\t%s: %q\n", c.Framework, c.Controls)
	}
	if len(r.MITRE.IDs) > 0 {
		fmt.Fprintf(w, "\tmitre.id: %q\n", r.MITRE.IDs)
	}
	fmt.Fprintf(w, "\tfiredtimes: '%d'\n\tmail: '%v'\n\trule file: %s:%d\n", m.FiredTimes, m.Mail, r.File, r.Line)
	switch {
	case !m.Alert:
		fmt.Fprintf(w, "**No alert: level %d is below log_alert_level (or the rule says no_log).\n", r.Level)
	case decision != nil && decision.Outcome != dedup.Alert && m.Frequency == 0:
		fmt.Fprintf(w, "**No alert: finding update policy: %s.\n", decision.Reason)
	default:
		fmt.Fprintln(w, "**Alert to be generated.")
		if decision != nil {
			fmt.Fprintf(w, "\tfinding update policy: %s\n", decision.Reason)
		}
	}
	fmt.Fprintln(w)
	return nil
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "\t" + l
	}
	return strings.Join(lines, "\n") + "\n"
}
