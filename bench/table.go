package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// table is a Markdown table built row by row.
type table struct {
	header []string
	rows   [][]string
}

func newTable(header ...string) *table { return &table{header: header} }

// add appends a row; missing cells are left empty, extra cells dropped.
func (t *table) add(cells ...string) {
	row := make([]string, len(t.header))
	copy(row, cells)
	t.rows = append(t.rows, row)
}

// dropBlank removes the column named name when no row has a value in it
// (every cell empty or an em dash).
func (t *table) dropBlank(name string) {
	i := slices.Index(t.header, name)
	if i < 0 {
		return
	}
	for _, r := range t.rows {
		if r[i] != "" && r[i] != "—" {
			return
		}
	}
	t.header = slices.Delete(t.header, i, i+1)
	for j, r := range t.rows {
		t.rows[j] = slices.Delete(r, i, i+1)
	}
}

// write prints t as a Markdown table with its columns padded to line up,
// numbers (cells starting with a digit) aligned right.
func (t *table) write(w io.Writer) error {
	widths := make([]int, len(t.header))
	numeric := make([]bool, len(t.header))
	for i, h := range t.header {
		widths[i] = max(3, utf8.RuneCountInString(h))
		numeric[i] = len(t.rows) > 0
	}
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
			if c != "" && c != "—" && (c[0] < '0' || c[0] > '9') {
				numeric[i] = false
			}
		}
	}
	var b strings.Builder
	line := func(cells []string, sep bool) {
		b.WriteString("|")
		for i, c := range cells {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			switch {
			case sep && numeric[i]:
				c = strings.Repeat("-", widths[i]-1) + ":"
			case sep:
				c = strings.Repeat("-", widths[i])
			case numeric[i]:
				c = pad + c
			default:
				c += pad
			}
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n")
	}
	line(t.header, false)
	line(t.header, true)
	for _, r := range t.rows {
		line(r, false)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Cell formats. A missing value is an em dash.

func fmtSeconds(s float64) string { return fmt.Sprintf("%.2f", s) }

func fmtRate(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func fmtMB(bytes int64) string {
	if bytes <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f", float64(bytes)/1e6)
}

func fmtRatio(r float64) string {
	if r <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1fx", r)
}

// fmtSize prints a byte count with a decimal unit: 1.2 KB, 10 MB.
func fmtSize(n float64) string {
	units := []string{"B", "KB", "MB", "GB", "TB"}
	i := 0
	for n >= 1000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	if n >= 100 || i == 0 {
		return fmt.Sprintf("%.0f %s", n, units[i])
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}
