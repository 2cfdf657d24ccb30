package config

import (
	"errors"
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Rule modes.
const (
	// RulesDefault evaluates dutywatch's own embedded GuardDuty ruleset
	// (plus any Files, which may override its rules).
	RulesDefault = "default"
	// RulesWazuh evaluates only Files, the user's Wazuh rule files,
	// reproducing stock Wazuh behaviour.
	RulesWazuh = "wazuh"
)

// Rules configures rule evaluation and alerting.
type Rules struct {
	// Mode is RulesDefault or RulesWazuh.
	Mode string
	// Files are rule XML files (or folders of them), loaded in order.
	Files []string
	// Lists maps a CDB list path as rules name it to the file to read.
	Lists map[string]string
	// LogAlertLevel is the minimum level that writes an alert (Wazuh's
	// log_alert_level).
	LogAlertLevel int
	// UpdatePolicy says which finding updates alert again: changes,
	// escalations, every or first.
	UpdatePolicy string
	// AlertSamples and AlertArchived let sample and archived findings alert.
	AlertSamples, AlertArchived bool
}

// DefaultLogAlertLevel is Wazuh's ossec.conf default.
const DefaultLogAlertLevel = 3

func defaultRules() Rules {
	return Rules{Mode: RulesDefault, LogAlertLevel: DefaultLogAlertLevel, UpdatePolicy: "changes"}
}

func (r *reader) yamlRules(out *Rules, n *yaml.Node) error {
	pairs, err := r.pairs(n, 0)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		var v string
		switch p.key {
		case "mode":
			if v, err = r.scalar(p); err == nil {
				if v != RulesDefault && v != RulesWazuh {
					err = r.errAt(p.line, p.key, fmt.Errorf("invalid mode %q (want default or wazuh)", v))
				}
				out.Mode = v
			}
		case "files":
			out.Files, err = r.strings(p)
		case "lists":
			out.Lists, err = r.stringMap(p)
		case "log_alert_level":
			if v, err = r.scalar(p); err == nil {
				out.LogAlertLevel, err = strconv.Atoi(v)
				if err != nil || out.LogAlertLevel < 0 || out.LogAlertLevel > 16 {
					err = r.errAt(p.line, p.key, fmt.Errorf("invalid level %q (want 0 to 16)", v))
				}
			}
		case "update_policy":
			if v, err = r.scalar(p); err == nil {
				switch v {
				case "changes", "escalations", "every", "first":
					out.UpdatePolicy = v
				default:
					err = r.errAt(p.line, p.key, fmt.Errorf("invalid policy %q (want changes, escalations, every or first)", v))
				}
			}
		case "alert_samples", "alert_archived":
			var b bool
			if v, err = r.scalar(p); err == nil {
				if b, err = parseBool(v, true); err != nil {
					err = r.errAt(p.line, p.key, err)
				}
			}
			if p.key == "alert_samples" {
				out.AlertSamples = b
			} else {
				out.AlertArchived = b
			}
		default:
			err = r.errAt(p.line, "", fmt.Errorf("unknown field %q", p.key))
		}
		if err != nil {
			return err
		}
	}
	if out.Mode == RulesWazuh && len(out.Files) == 0 {
		return r.errAt(n.Line, "rules", errors.New("mode wazuh needs the Wazuh rule files to load (files)"))
	}
	return nil
}

// strings reads a list of strings (or one string).
func (r *reader) strings(p pair) ([]string, error) {
	v := deref(p.val)
	if v.Kind != yaml.SequenceNode {
		s, err := r.scalar(p)
		if err != nil || s == "" {
			return nil, err
		}
		return []string{s}, nil
	}
	var out []string
	for _, item := range v.Content {
		s, err := r.scalar(pair{key: p.key, line: item.Line, val: item})
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// stringMap reads a mapping of strings.
func (r *reader) stringMap(p pair) (map[string]string, error) {
	pairs, err := r.pairs(p.val, 0)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(pairs))
	for _, kv := range pairs {
		s, err := r.scalar(kv)
		if err != nil {
			return nil, err
		}
		out[kv.key] = s
	}
	return out, nil
}

// yamlRules is the YAML shape MarshalYAML writes.
type yamlRules struct {
	Mode          string            `yaml:"mode"`
	Files         []string          `yaml:"files,omitempty"`
	Lists         map[string]string `yaml:"lists,omitempty"`
	LogAlertLevel int               `yaml:"log_alert_level"`
	UpdatePolicy  string            `yaml:"update_policy"`
	AlertSamples  bool              `yaml:"alert_samples"`
	AlertArchived bool              `yaml:"alert_archived"`
}

func marshalRules(r Rules) yamlRules {
	return yamlRules{Mode: r.Mode, Files: r.Files, Lists: r.Lists, LogAlertLevel: r.LogAlertLevel,
		UpdatePolicy: r.UpdatePolicy, AlertSamples: r.AlertSamples, AlertArchived: r.AlertArchived}
}
