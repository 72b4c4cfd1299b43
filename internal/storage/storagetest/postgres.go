package storagetest

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresDSN returns COGNATE_TEST_POSTGRES_DSN. Without it the tests skip, but
// fail in CI (CI=true) or with COGNATE_REQUIRE_POSTGRES=1, so that CI never
// passes by skipping them.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("COGNATE_TEST_POSTGRES_DSN")
	if dsn != "" {
		return dsn
	}
	const example = "(e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)"
	if os.Getenv("CI") == "true" || os.Getenv("COGNATE_REQUIRE_POSTGRES") == "1" {
		t.Fatal("PostgreSQL tests must run here (CI=true or COGNATE_REQUIRE_POSTGRES=1): set COGNATE_TEST_POSTGRES_DSN " + example)
	}
	t.Skip("PostgreSQL tests SKIPPED: set COGNATE_TEST_POSTGRES_DSN " + example + " to run them")
	return ""
}

// PostgresSchema creates an empty schema on the PostgresDSN server, dropped by t.Cleanup, and returns a
// DSN whose search_path selects it.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	dsn := PostgresDSN(t)
	ctx := context.Background()
	schema := "t_" + strings.ToLower(rand.Text())
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to COGNATE_TEST_POSTGRES_DSN: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		admin, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(t, dsn, schema)
}

// withSearchPath adds search_path=schema to a URL or key=value DSN.
func withSearchPath(t testing.TB, dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("parse COGNATE_TEST_POSTGRES_DSN: %v", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}
