// Package storetest opens a fresh, migrated database for one test: SQLite in
// t.TempDir(), or, when SK_TEST_POSTGRES_URL is set, a new PostgreSQL schema
// that is dropped when the test ends. Tests never share a database.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"sicherkommunal/store"
)

// PostgresURL returns SK_TEST_POSTGRES_URL ("" when tests run on SQLite).
func PostgresURL() string { return os.Getenv("SK_TEST_POSTGRES_URL") }

// URL returns a database URL for a fresh, empty database of the backend
// under test. On PostgreSQL it creates a schema and drops it at cleanup.
func URL(t testing.TB) string {
	t.Helper()
	pg := PostgresURL()
	if pg == "" {
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	}
	admin, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		// SK_TEST_POSTGRES_URL is set: PostgreSQL tests must run, never skip.
		t.Fatalf("postgres tests requested by SK_TEST_POSTGRES_URL but the database is not usable: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(pg)
	if err != nil {
		t.Fatalf("SK_TEST_POSTGRES_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenEmpty returns a store on a fresh, unmigrated database, closed at cleanup.
func OpenEmpty(t testing.TB, opts store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), URL(t), opts)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Open returns a migrated store on a fresh database, closed at cleanup.
func Open(t testing.TB, opts store.Options) *store.DB {
	t.Helper()
	db := OpenEmpty(t, opts)
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}
