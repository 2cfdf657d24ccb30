package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// A rowsStmt writes many rows with one statement: query names the rows'
// source {rows}, a table u whose columns are column1, column2, ... (as a
// VALUES list names them on both backends). A statement that only Commit
// runs may write INSERT {or fail} or UPDATE {or fail}: on SQLite it then
// stops at a failed constraint without undoing its own earlier rows,
// which spares SQLite a statement journal (a copy of every page the
// statement changes; a sixth of a commit's time), and Commit rolls the
// whole transaction back anyway. On SQLite {rows} becomes a
// VALUES list, one statement per chunk of rows that stays under SQLite's
// 32766 variables; on PostgreSQL it becomes unnest over one array
// parameter per column, so any number of rows is one statement whose text
// never changes (prepared once, no parameter limit). types are the
// columns' PostgreSQL element types: text, int8, float8 (nil is NULL),
// bytea or bool.
type rowsStmt struct {
	query string
	types []string
}

// sqliteMaxVars is SQLite's limit on variables in one statement.
const sqliteMaxVars = 32766

// sqliteMaxRows caps the rows of one SQLite statement: past a few hundred
// rows a longer statement saves nothing and costs more to parse.
const sqliteMaxRows = 256

// execRows writes rows (each with len(st.types) values) with st. each,
// if set, reads the rows the statements return.
func (t *Tx) execRows(ctx context.Context, st rowsStmt, rows [][]any, each func(*sql.Rows) error) error {
	if len(rows) == 0 {
		return nil
	}
	if t.store.d.positional {
		cols, err := columns(st.types, rows)
		if err != nil {
			return err
		}
		query := strings.Replace(expandRows(st.query, pgRows(st.types)), " {or fail}", "", 1)
		return t.runRows(ctx, t.store.q(query), cols, each)
	}
	query := strings.Replace(st.query, "{or fail}", "OR FAIL", 1)
	per := min(sqliteMaxRows, sqliteMaxVars/len(st.types))
	for len(rows) > 0 {
		n := min(per, len(rows))
		args := make([]any, 0, n*len(st.types))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if err := t.runRows(ctx, expandRows(query, sqliteRows(n, len(st.types))), args, each); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// runRows runs one statement of execRows.
func (t *Tx) runRows(ctx context.Context, query string, args []any, each func(*sql.Rows) error) error {
	if each == nil {
		_, err := t.tx.ExecContext(ctx, query, args...)
		return err
	}
	rs, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		if err := each(rs); err != nil {
			return err
		}
	}
	return rs.Err()
}

// expandRows puts the rows' source into query.
func expandRows(query, rows string) string {
	return strings.Replace(query, "{rows}", rows, 1)
}

// sqliteRows is a VALUES list of n rows of cols variables.
func sqliteRows(n, cols int) string {
	row := "(?" + strings.Repeat(", ?", cols-1) + ")"
	var b strings.Builder
	b.Grow(len("(VALUES ) AS u") + n*(len(row)+2))
	b.WriteString("(VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(") AS u")
	return b.String()
}

// pgRows is unnest over one array parameter per column.
func pgRows(types []string) string {
	var args, names []string
	for i, typ := range types {
		args = append(args, "CAST(? AS "+typ+"[])")
		names = append(names, fmt.Sprintf("column%d", i+1))
	}
	return "unnest(" + strings.Join(args, ", ") + ") AS u (" + strings.Join(names, ", ") + ")"
}

// columns turns rows into one typed slice per column, the arrays pgRows
// takes.
func columns(types []string, rows [][]any) ([]any, error) {
	cols := make([]any, len(types))
	for c, typ := range types {
		var err error
		switch typ {
		case "text":
			cols[c], err = column[string](rows, c)
		case "int8":
			cols[c], err = column[int64](rows, c)
		case "bytea":
			cols[c], err = column[[]byte](rows, c)
		case "bool":
			cols[c], err = column[bool](rows, c)
		case "float8":
			col := make([]*float64, len(rows))
			for i, r := range rows {
				if r[c] == nil {
					continue
				}
				v, ok := r[c].(float64)
				if !ok {
					return nil, fmt.Errorf("column %d: %T is not float64", c+1, r[c])
				}
				col[i] = &v
			}
			cols[c] = col
		default:
			return nil, fmt.Errorf("column %d: unknown type %s", c+1, typ)
		}
		if err != nil {
			return nil, err
		}
	}
	return cols, nil
}

// column collects the values of column c, all of type T.
func column[T any](rows [][]any, c int) ([]T, error) {
	col := make([]T, len(rows))
	for i, r := range rows {
		v, ok := r[c].(T)
		if !ok {
			var zero T
			return nil, fmt.Errorf("column %d: %T is not %T", c+1, r[c], zero)
		}
		col[i] = v
	}
	return col, nil
}
