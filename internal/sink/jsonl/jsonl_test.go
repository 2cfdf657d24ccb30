package jsonl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenTruncatesToCommitted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "archives.json")
	f, err := Open(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("one\n"))
	committed, err := f.Sync()
	if err != nil || committed != 4 {
		t.Fatalf("Sync = %d, %v", committed, err)
	}
	f.ReadFrom(strings.NewReader("two\nthr")) // a torn, uncommitted write
	f.Close()

	f, err = Open(path, committed)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("three\n"))
	f.Sync()
	f.Close()
	got, _ := os.ReadFile(path)
	if string(got) != "one\nthree\n" {
		t.Errorf("file = %q; want the uncommitted tail dropped", got)
	}
}

func TestOpenRefusesAShorterFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "archives.json")
	os.WriteFile(path, []byte("x\n"), 0o600)
	if _, err := Open(path, 100); err == nil || !strings.Contains(err.Error(), "100 were committed") {
		t.Errorf("Open of a truncated file = %v; want an error", err)
	}
}

func TestRewind(t *testing.T) {
	path := filepath.Join(t.TempDir(), "archives.json")
	f, _ := Open(path, 0)
	defer f.Close()
	f.Write([]byte("keep\n"))
	f.Write([]byte("drop\n"))
	if err := f.Rewind(5); err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("next\n"))
	got, _ := os.ReadFile(path)
	if string(got) != "keep\nnext\n" || f.Size() != 10 {
		t.Errorf("after rewind: %q size %d", got, f.Size())
	}
}
