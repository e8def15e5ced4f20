package store_test

import (
	"context"
	"os"
	"sicherkommunal/auth"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

// TestBackend proves which database the suite runs on: PostgreSQL when
// SK_TEST_POSTGRES_URL is set (CI fails here if it cannot connect), SQLite
// with the settings the program relies on otherwise.
func TestBackend(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	ctx := auth.SystemContext(context.Background())
	if storetest.PostgresURL() != "" {
		if db.Dialect != dialect.Postgres {
			t.Fatalf("SK_TEST_POSTGRES_URL is set but the store is %s", db.Dialect)
		}
		var v string
		if err := db.SQL.QueryRowContext(ctx, "SHOW server_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		t.Logf("running on PostgreSQL %s", v)
		return
	}
	if os.Getenv("SK_TEST_REQUIRE_POSTGRES") != "" {
		t.Fatal("SK_TEST_REQUIRE_POSTGRES is set but SK_TEST_POSTGRES_URL is empty")
	}
	if db.Dialect != dialect.SQLite {
		t.Fatalf("dialect %s", db.Dialect)
	}
	for pragma, want := range map[string]string{
		"foreign_keys": "1", "journal_mode": "wal", "synchronous": "2", "busy_timeout": "10000",
	} {
		var got string
		if err := db.SQL.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

// TestMoneyIsStoredAsCents: amounts are BIGINT cents in the database.
func TestMoneyIsStoredAsCents(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	ctx := auth.SystemContext(context.Background())
	if _, err := db.Client.Program.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	q := "SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'programs' AND column_name = 'total_cap'"
	if db.Dialect == dialect.SQLite {
		q = "SELECT type FROM pragma_table_info('programs') WHERE name = 'total_cap'"
	}
	var typ string
	if err := db.SQL.QueryRowContext(ctx, q).Scan(&typ); err != nil {
		t.Fatal(err)
	}
	if l := strings.ToLower(typ); l != "bigint" && l != "integer" {
		t.Fatalf("total_cap column type %s", typ)
	}
}
