package doctor

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/dutywatch/dutywatch/internal/layout"
	"github.com/dutywatch/dutywatch/internal/source/dir"
)

// CheckDir checks one dir source, configured as for dir.New: folder (the
// root and path exist and can be read), layout, objects and read, as
// CheckS3 does for a bucket.
func CheckDir(ctx context.Context, cfg dir.Config, opt Options) Report {
	opt = opt.withDefaults()
	path := layout.CleanPath(filepath.ToSlash(cfg.Path))
	abs, err := filepath.Abs(cfg.Root)
	if err != nil {
		abs = cfg.Root
	}
	rep := Report{Source: cfg.Name, Type: "dir", Location: filepath.Join(abs, filepath.FromSlash(path))}
	root, row := openFolder(abs, path, !filepath.IsAbs(cfg.Root))
	rep.add(row)
	if row.Result == Fail {
		rep.add(skipped("the folder cannot be read", "layout", "objects", "read")...)
		return rep
	}
	defer root.Close()
	c := contents{
		tree:     dirTree{root: root, abs: abs},
		path:     path,
		kind:     cfg.Layout,
		accounts: cfg.Accounts, regions: cfg.Regions,
		onlyLogsAfter: cfg.OnlyLogsAfter,
		explain: func(_ op, err error) (string, string) {
			return err.Error(), fileFix(err)
		},
	}
	rep.add(c.check(ctx, opt)...)
	return rep
}

// openFolder opens the root and checks that root/path can be listed;
// rel says the configured root was a relative path.
func openFolder(abs, path string, rel bool) (*os.Root, Check) {
	row := Check{Name: "folder"}
	root, err := os.OpenRoot(abs)
	if err != nil {
		row.Result, row.Detail, row.Fix = Fail, err.Error(), fileFix(err)
		if errors.Is(err, fs.ErrNotExist) {
			row.Detail = "no folder " + abs
			row.Fix = "check dir"
			if rel {
				row.Fix += ": a relative dir is resolved against the working directory"
			}
		}
		return nil, row
	}
	name := dirName(path)
	if _, err := fs.ReadDir(root.FS(), name); err != nil {
		root.Close()
		row.Result, row.Detail, row.Fix = Fail, err.Error(), fileFix(err)
		if errors.Is(err, fs.ErrNotExist) {
			row.Detail = "no folder " + path + " under " + abs
			row.Fix = "check path: it is relative to dir"
		}
		return nil, row
	}
	row.Result, row.Detail = OK, filepath.Join(abs, filepath.FromSlash(path))+" is readable"
	return root, row
}

// fileFix is the fix for a failed file system call.
func fileFix(err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "let the user dutywatch runs as (uid " + strconv.Itoa(os.Getuid()) + ") read it"
	case errors.Is(err, syscall.ENOTDIR):
		return "dir and path must name folders"
	}
	return ""
}

// dirTree is a local folder seen as a bucket: keys are slash paths
// relative to the root, resolved inside it only.
type dirTree struct {
	root *os.Root
	abs  string
}

func (t dirTree) uri(key string) string { return filepath.Join(t.abs, filepath.FromSlash(key)) }

// list returns the folders and regular files in prefix, following
// symbolic links inside the root, skipping dot files as the source does.
func (t dirTree) list(_ context.Context, prefix string) ([]entry, error) {
	fsys := t.root.FS()
	des, err := fs.ReadDir(fsys, dirName(prefix))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".") {
			continue
		}
		fi, err := fs.Stat(fsys, prefix+de.Name())
		if err != nil {
			continue // a dangling link, or removed meanwhile
		}
		switch {
		case fi.IsDir():
			out = append(out, entry{key: prefix + de.Name() + "/", dir: true})
		case fi.Mode().IsRegular():
			out = append(out, entry{key: prefix + de.Name(), size: fi.Size(), mod: fi.ModTime()})
		}
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	return out, nil
}

func (t dirTree) open(_ context.Context, key string) (io.ReadCloser, error) {
	return t.root.Open(filepath.FromSlash(key))
}

// dirName turns a key prefix ("a/b/" or "") into an fs.FS name.
func dirName(prefix string) string {
	if prefix == "" {
		return "."
	}
	return strings.TrimSuffix(prefix, "/")
}
