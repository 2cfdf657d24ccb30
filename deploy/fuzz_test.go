package deploy

import (
	"os"
	"path/filepath"
	"testing"
)

// addFiles seeds f with the files matching each pattern.
func addFiles(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		files, err := filepath.Glob(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// FuzzTemplate checks that no input makes the template parser or the
// checks panic.
func FuzzTemplate(f *testing.F) {
	addFiles(f, "cloudformation/*.yaml", "testdata/cfn/*.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, err := parseTemplate(data)
		if err != nil {
			return
		}
		checkTemplate(tpl, resourceTypes())
		checkFirehose(tpl)
		checkNativeExport(tpl)
		checkReaderRole(tpl)
	})
}

// FuzzPolicy checks that no input makes the policy parser or checks panic.
func FuzzPolicy(f *testing.F) {
	addFiles(f, "iam/*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parsePolicy(data)
		if err != nil {
			return
		}
		checkReaderPolicy(p)
		checkAssumePolicy(p)
	})
}

// FuzzUnit checks that no input makes the unit parser or checks panic.
func FuzzUnit(f *testing.F) {
	addFiles(f, "systemd/*.service")
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := parseUnit(string(data))
		if err != nil {
			return
		}
		checkUnit(u)
	})
}
