package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/dutywatch/dutywatch/internal/rules"
)

func newRulesCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "rules", Short: "Work with rule files"}
	var rf ruleFlags
	test := &cobra.Command{
		Use:   "test PATH...",
		Short: "Run rule test files in Wazuh's .ini format ([case], log N pass|fail = ..., rule, alert, decoder)",
		Args:  cobra.MinimumNArgs(1),
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
			files, err := iniFiles(args)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			passed, failed := 0, 0
			for _, f := range files {
				p, fl, err := runTestFile(out, rs, f)
				if err != nil {
					return err
				}
				passed, failed = passed+p, failed+fl
			}
			fmt.Fprintf(out, "%d passed, %d failed\n", passed, failed)
			if failed > 0 {
				return fmt.Errorf("%d rule test(s) failed", failed)
			}
			return nil
		},
	}
	rf.add(test)
	cmd.AddCommand(test)
	return cmd
}

func iniFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		m, err := filepath.Glob(filepath.Join(p, "*.ini"))
		if err != nil {
			return nil, err
		}
		sort.Strings(m)
		out = append(out, m...)
	}
	return out, nil
}

func runTestFile(out interface{ Write([]byte) (int, error) }, rs *rules.Ruleset, path string) (passed, failed int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	cases, err := rules.ParseTestFile(f)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	for i := range cases {
		for _, r := range rs.RunTest(&cases[i], time.Now()) {
			if r.Passed {
				passed++
				continue
			}
			failed++
			want := fmt.Sprintf("%s:%s:%s", r.Case.Rule, r.Case.Alert, r.Case.Decoder)
			verb := "pass"
			if !r.Log.Pass {
				verb = "fail"
			}
			fmt.Fprintf(out, "FAIL %s:%d [%s] log %s %s: got %s, want %s\n", path, r.Log.Line, r.Case.Name, r.Log.Name, verb, r.Got, want)
		}
	}
	return passed, failed, nil
}
