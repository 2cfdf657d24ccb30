package pipeline

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/source/dir"
	"github.com/dutywatch/dutywatch/internal/store"
)

// The done-set keeps only the listing window (widened by a week): a month
// of objects leaves about a week of done rows, and polling again reads
// nothing twice.
func TestDoneSetIsPrunedBelowTheWindow(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	g := generator.DefaultConfig()
	g.Findings, g.PerObject, g.Updates, g.Prefix, g.Span = 600, 5, 0, "firehose/", 30*24*time.Hour
	sum, err := generator.Generate(ctx, g, &generator.DirWriter{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	archives, err := OpenArchive(ctx, st, filepath.Join(t.TempDir(), "archives.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer archives.Close()
	c := dir.DefaultConfig()
	c.Name, c.Root, c.Path = "d", root, "firehose/"
	src, err := dir.New(c, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	p := New(DefaultConfig(), st, archives, nil, slog.New(slog.DiscardHandler), nil)
	first, err := p.Poll(ctx, src, SourceOptions{SkipOnError: true})
	if err != nil || first.Done != sum.Objects {
		t.Fatalf("first poll = %+v, %v; want %d objects", first, err, sum.Objects)
	}
	// The floors are set by a listing that sees the cursor: poll again.
	second, err := p.Poll(ctx, src, SourceOptions{SkipOnError: true})
	if err != nil || second.Done != 0 {
		t.Fatalf("second poll = %+v, %v; want nothing new", second, err)
	}
	counts, err := st.Count(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	if counts.Done == 0 || counts.Done >= int64(sum.Objects)/2 {
		t.Errorf("done-set holds %d of %d objects after pruning; want about a week's worth", counts.Done, sum.Objects)
	}
	third, err := p.Poll(ctx, src, SourceOptions{SkipOnError: true})
	if err != nil || third.Done != 0 {
		t.Errorf("poll after pruning = %+v, %v; want nothing read again", third, err)
	}
}
