package ruleset

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"

	"github.com/dutywatch/dutywatch/internal/rules"
)

//go:embed *.xml
var files embed.FS

// FS returns the rule files, named as Files lists them.
func FS() fs.FS { return files }

// Files returns the rule file names in load order. The names sort in that
// order: the base rule first, then the family files, then the correlation
// rules (which hang under the family rules of group gd_compromise) and the
// fallback (which must be tried after every family rule).
func Files() []string {
	entries, err := fs.ReadDir(files, ".")
	if err != nil { // the embedded root always reads
		panic(err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// Load loads Wazuh's category root rules, which the base rule hangs under,
// then the ruleset into l. Call it on a new Loader, before any file of the
// user's (those may override dutywatch's rules with overwrite="yes").
func Load(l *rules.Loader) error {
	if err := l.AddCategoryRoots(); err != nil {
		return fmt.Errorf("load category roots: %w", err)
	}
	if err := l.LoadFS(files, Files()...); err != nil {
		return fmt.Errorf("load built-in ruleset: %w", err)
	}
	return nil
}

// New returns the built-in ruleset on its own, with analysisd's defaults
// (log_alert_level 3). Loading is strict: a rule analysisd would skip is
// an error.
func New() (*rules.Ruleset, error) {
	l := rules.Loader{Strict: true}
	if err := Load(&l); err != nil {
		return nil, err
	}
	return l.Ruleset()
}
