package dir

import (
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"slices"
	"strings"
)

// file is a regular file found by a walk, with its key.
type file struct {
	key  string
	info fs.FileInfo
}

// walker visits the files of a time-folder tree in key order, as S3 lists
// them, starting after a key and skipping whole folders that sort before
// it.
type walker struct {
	fsys       fs.FS
	startAfter string
	// depth is the number of time folders (YYYY/MM/DD[/HH]) above the
	// files; folders of another shape, and files above that depth, are
	// not walked (e.g. processing-failed/, AWSLogs/ beside Firehose
	// folders).
	depth int
}

// files yields the files under prefix with keys greater than startAfter.
func (w walker) files(prefix string) iter.Seq2[file, error] {
	return func(yield func(file, error) bool) {
		w.walk(prefix, 0, yield)
	}
}

// walk visits one folder; it returns false when the caller should stop.
func (w walker) walk(prefix string, level int, yield func(file, error) bool) bool {
	entries, err := fs.ReadDir(w.fsys, dirName(prefix))
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	if err != nil {
		yield(file{}, fmt.Errorf("read folder %s: %w", prefix, err))
		return false
	}
	// Within one folder, a subfolder's keys sort as its name + "/", so
	// sorting entries by that gives the order of the keys below them.
	type item struct {
		key   string
		dir   bool
		entry fs.DirEntry
	}
	items := make([]item, 0, len(entries))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") { // temp files of sync tools
			continue
		}
		it := item{key: prefix + e.Name(), dir: isDir(w.fsys, prefix, e), entry: e}
		if it.dir {
			it.key += "/"
		}
		items = append(items, it)
	}
	slices.SortFunc(items, func(a, b item) int { return strings.Compare(a.key, b.key) })
	for _, it := range items {
		switch {
		case it.dir:
			if level >= w.depth || !timeFolder(it.entry.Name(), level) {
				continue
			}
			// Every key below it sorts before startAfter.
			if it.key < w.startAfter && !strings.HasPrefix(w.startAfter, it.key) {
				continue
			}
			if !w.walk(it.key, level+1, yield) {
				return false
			}
		case level == w.depth && it.key > w.startAfter:
			info, ok := regularInfo(w.fsys, it.key, it.entry)
			if ok && !yield(file{key: it.key, info: info}, nil) {
				return false
			}
		}
	}
	return true
}

// timeFolder reports whether name fits the time folder at level: a
// four-digit year, then two-digit month, day and hour.
func timeFolder(name string, level int) bool {
	want := 2
	if level == 0 {
		want = 4
	}
	if len(name) != want {
		return false
	}
	for i := range len(name) {
		if name[i] < '0' || name[i] > '9' {
			return false
		}
	}
	return true
}

// isDir reports whether e, in folder prefix, is a folder, following a
// symbolic link (within the root only).
func isDir(fsys fs.FS, prefix string, e fs.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return e.IsDir()
	}
	fi, err := fs.Stat(fsys, prefix+e.Name())
	return err == nil && fi.IsDir()
}

// regularInfo returns the FileInfo of e if it is a regular file, following a
// symbolic link (within the root only). A file removed meanwhile is skipped.
func regularInfo(fsys fs.FS, key string, e fs.DirEntry) (fs.FileInfo, bool) {
	var fi fs.FileInfo
	var err error
	if e.Type()&fs.ModeSymlink == 0 {
		fi, err = e.Info()
	} else {
		fi, err = fs.Stat(fsys, key)
	}
	return fi, err == nil && fi.Mode().IsRegular()
}
