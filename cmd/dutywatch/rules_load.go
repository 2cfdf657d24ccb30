package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dutywatch/dutywatch/internal/config"
	"github.com/dutywatch/dutywatch/internal/dedup"
	"github.com/dutywatch/dutywatch/internal/pipeline"
	"github.com/dutywatch/dutywatch/internal/rules"
	"github.com/dutywatch/dutywatch/ruleset"
)

// loadRules builds the ruleset cfg asks for: in default mode dutywatch's
// embedded GuardDuty rules followed by the user's files (which may override
// them), in wazuh mode only the user's files.
func loadRules(cfg config.Rules, log *slog.Logger) (*rules.Ruleset, error) {
	l := &rules.Loader{LogAlertLevel: cfg.LogAlertLevel}
	if len(cfg.Lists) > 0 {
		l.Lists = map[string]*rules.List{}
		for name, path := range cfg.Lists {
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("rules list %s: %w", name, err)
			}
			list, err := rules.ParseList(f)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("rules list %s (%s): %w", name, path, err)
			}
			l.Lists[name] = list
		}
	}
	files, err := ruleFiles(cfg.Files)
	if err != nil {
		return nil, err
	}
	if cfg.Mode == config.RulesWazuh {
		if !hasCategoryRoots(files) {
			if err := l.AddCategoryRoots(); err != nil {
				return nil, err
			}
		}
	} else {
		if err := l.AddCategoryRoots(); err != nil {
			return nil, err
		}
		if err := l.LoadFS(ruleset.FS(), ruleset.Files()...); err != nil {
			return nil, fmt.Errorf("built-in ruleset: %w", err)
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if err := l.LoadFile(f, data); err != nil {
			return nil, err
		}
	}
	for _, w := range l.Warnings() {
		log.Warn("rule skipped, as wazuh-analysisd would skip it", "err", w)
	}
	return l.Ruleset()
}

// ruleFiles expands folders into their *.xml files, sorted by name as
// analysisd loads a rule_dir.
func ruleFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(p, "*.xml"))
		if err != nil {
			return nil, err
		}
		sort.Strings(matches)
		out = append(out, matches...)
	}
	return out, nil
}

// hasCategoryRoots reports whether the user loads Wazuh's own root rules.
func hasCategoryRoots(files []string) bool {
	for _, f := range files {
		if strings.HasSuffix(filepath.Base(f), "rules_config.xml") {
			return true
		}
	}
	return false
}

// alerterConfig gives the rule evaluation and update policy of cfg.
func alerterConfig(cfg config.Config, rs *rules.Ruleset, host string) (pipeline.AlerterConfig, error) {
	policy, err := dedup.ParsePolicy(cfg.Rules.UpdatePolicy)
	if err != nil {
		return pipeline.AlerterConfig{}, err
	}
	return pipeline.AlerterConfig{
		Rules:   rs,
		Derived: cfg.Rules.Mode != config.RulesWazuh,
		Dedup:   dedup.Options{Policy: policy, AlertSamples: cfg.Rules.AlertSamples, AlertArchived: cfg.Rules.AlertArchived},
		Host:    host,
	}, nil
}
