// Package dbdump reads every row of every table of a cognate database,
// each column as the bytes it holds: what a copy of the database gives
// away. The tests of secrets at rest and of deletion search the dump for
// what must not be there. It drives the database from outside, with its
// own connection, and imports none of cognate's packages.
package dbdump

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// SQLite dumps the SQLite database at path, opened read-only.
func SQLite(path string) (string, error) {
	db, err := sql.Open("sqlite", path+"?mode=ro")
	if err != nil {
		return "", err
	}
	defer db.Close()
	tables, err := tableNames(db)
	if err != nil {
		return "", err
	}
	var out strings.Builder
	for _, table := range tables {
		if err := dumpSQLiteTable(db, table, &out); err != nil {
			return "", fmt.Errorf("dump %s: %w", table, err)
		}
	}
	return out.String(), nil
}

func tableNames(db *sql.DB) ([]string, error) {
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func dumpSQLiteTable(db *sql.DB, table string, out *strings.Builder) error {
	rows, err := db.Query(`SELECT * FROM "` + table + `"`)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		writeRow(out, table, vals)
	}
	return rows.Err()
}

// Postgres dumps the schema the DSN's search_path names, bytea columns as
// their bytes. A schema of fewer than three tables is an error: the DSN
// names no migrated cognate schema.
func Postgres(dsn string) (string, error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		return "", err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", err
	}
	if len(tables) < 3 {
		return "", fmt.Errorf("the schema has only the tables %q", tables)
	}
	var out strings.Builder
	for _, table := range tables {
		rows, err := conn.Query(ctx, `SELECT * FROM "`+table+`"`)
		if err != nil {
			return "", fmt.Errorf("dump %s: %w", table, err)
		}
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				rows.Close()
				return "", fmt.Errorf("dump %s: %w", table, err)
			}
			writeRow(&out, table, vals)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", fmt.Errorf("dump %s: %w", table, err)
		}
	}
	return out.String(), nil
}

// writeRow writes one row as a line: the table's name, then each column
// after a tab, bytes as they are and anything else as fmt prints it.
func writeRow(out *strings.Builder, table string, vals []any) {
	out.WriteString(table)
	for _, v := range vals {
		out.WriteString("\t")
		if b, ok := v.([]byte); ok {
			out.Write(b)
		} else {
			fmt.Fprint(out, v)
		}
	}
	out.WriteString("\n")
}
