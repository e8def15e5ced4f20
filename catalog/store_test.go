package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/catalog"
	"sicherkommunal/ent"
	"sicherkommunal/ent/auditevent"
	"sicherkommunal/ent/privacy"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/oscal/oscaltest"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

var importedAt = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// storeFixture is a fresh database (SQLite, or PostgreSQL when
// SK_TEST_POSTGRES_URL is set) that writes the audit trail as in
// production and counts statements, an ADMIN's context and the service.
func storeFixture(t *testing.T) (*store.DB, *storetest.Counter, context.Context, *catalog.Service) {
	t.Helper()
	counter := &storetest.Counter{}
	db := storetest.Open(t, store.Options{Wrap: counter.Wrap})
	now := func() time.Time { return importedAt }
	db.Client.Use(auth.AuditHook(now))
	admin := auth.NewContext(context.Background(), &auth.Viewer{TokenID: "tkADMIN", Name: "Admin (KITU)", Role: types.RoleAdmin})
	return db, counter, admin, &catalog.Service{Now: now}
}

// importTx imports cat in a transaction of its own, recording the
// statements it sends.
func importTx(t *testing.T, db *store.DB, counter *storetest.Counter, ctx context.Context, svc *catalog.Service, cat *catalog.Catalogue) (*ent.Catalog, []string, error) {
	t.Helper()
	var got *ent.Catalog
	counter.Record()
	err := store.InTx(ctx, db.Client, func(ctx context.Context, c *ent.Client) (err error) {
		got, err = svc.Import(ctx, c, cat)
		return err
	})
	return got, counter.Recorded(), err
}

// rows counts what is stored.
func rows(t *testing.T, db *store.DB) string {
	t.Helper()
	ctx := auth.SystemContext(context.Background())
	return fmt.Sprintf("%d catalogues, %d checklists, %d questions, %d audit events",
		db.Client.Catalog.Query().CountX(ctx), db.Client.CatalogGroup.Query().CountX(ctx),
		db.Client.Requirement.Query().CountX(ctx), db.Client.AuditEvent.Query().CountX(ctx))
}

// kinds sums up statements as "SELECT catalogs", "INSERT catalog_groups" …
func kinds(stmts []string) []string {
	var out []string
	for _, s := range stmts {
		f := strings.Fields(strings.ReplaceAll(strings.ReplaceAll(s, `"`, ""), "`", ""))
		switch {
		case len(f) > 2 && f[0] == "INSERT":
			out = append(out, "INSERT "+f[2])
		case len(f) > 0 && f[0] == "SELECT":
			for i, w := range f {
				if w == "FROM" && i+1 < len(f) {
					out = append(out, "SELECT "+f[i+1])
					break
				}
			}
		default:
			out = append(out, s)
		}
	}
	return out
}

// TestImportTwice: a catalogue is stored once in five statements (its
// audit trail in one); importing it again returns it and writes nothing.
func TestImportTwice(t *testing.T) {
	db, counter, ctx, svc := storeFixture(t)
	first, stmts, err := importTx(t, db, counter, ctx, svc, catalog.Demo())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"SELECT catalogs", "INSERT catalogs", "INSERT catalog_groups", "INSERT requirements", "INSERT audit_events"}
	if got := kinds(stmts); !reflect.DeepEqual(got, want) {
		t.Errorf("statements %q, want %q", got, want)
	}
	const stored = "1 catalogues, 19 checklists, 77 questions, 97 audit events"
	if got := rows(t, db); got != stored {
		t.Errorf("stored %s, want %s", got, stored)
	}
	if first.Digest != catalog.Demo().Digest() || first.Name != catalog.DemoName || !first.CreatedAt.Equal(importedAt) {
		t.Errorf("catalogue %+v", first)
	}
	sys := auth.SystemContext(context.Background())
	for _, e := range db.Client.AuditEvent.Query().AllX(sys) {
		if e.Action != auditevent.ActionCREATE || e.Actor != "Admin (KITU)" || !e.At.Equal(importedAt) {
			t.Fatalf("audit event %+v", e)
		}
	}

	again, stmts, err := importTx(t, db, counter, ctx, svc, catalog.Demo())
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID {
		t.Errorf("the second import returns %s, want %s", again.ID, first.ID)
	}
	if got := kinds(stmts); !reflect.DeepEqual(got, []string{"SELECT catalogs"}) {
		t.Errorf("the second import sends %q", got)
	}
	if got := rows(t, db); got != stored {
		t.Errorf("after the second import: %s, want %s", got, stored)
	}
	// The same content in another order, from another source, is the same
	// edition.
	shuffled := catalog.Demo()
	shuffled.Source = "anders"
	shuffled.Groups[0], shuffled.Groups[1] = shuffled.Groups[1], shuffled.Groups[0]
	if again, _, err := importTx(t, db, counter, ctx, svc, shuffled); err != nil || again.ID != first.ID {
		t.Errorf("the shuffled catalogue: %v, %v", again, err)
	}
}

// TestImportConflict: other content under a stored name and version is a
// CONFLICT and writes nothing; under a new version it is a new catalogue.
func TestImportConflict(t *testing.T) {
	db, counter, ctx, svc := storeFixture(t)
	first, _, err := importTx(t, db, counter, ctx, svc, catalog.Demo())
	if err != nil {
		t.Fatal(err)
	}
	before := rows(t, db)
	changed := catalog.Demo()
	changed.Groups[2].Requirements[0].Question = "Eine andere Frage?"
	_, stmts, err := importTx(t, db, counter, ctx, svc, changed)
	if apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("error %v, want CONFLICT", err)
	}
	if !strings.Contains(err.Error(), `catalogue "SicherKOMMUNAL Demonstrationskatalog (keine BSI-Texte)" version "2026.1" exists with other content: a new edition needs a new version`) {
		t.Errorf("message %q", err)
	}
	var e *apperr.Error
	if errors.As(err, &e); e.Details["catalogId"] != first.ID {
		t.Errorf("details %v", e.Details)
	}
	if got := kinds(stmts); !reflect.DeepEqual(got, []string{"SELECT catalogs"}) {
		t.Errorf("the refused import sends %q", got)
	}
	if got := rows(t, db); got != before {
		t.Errorf("after the conflict: %s, want %s", got, before)
	}
	changed.Version = "2026.2"
	second, _, err := importTx(t, db, counter, ctx, svc, changed)
	if err != nil || second.ID == first.ID {
		t.Fatalf("a new version: %v, %v", second, err)
	}
	if got := rows(t, db); got != "2 catalogues, 38 checklists, 154 questions, 194 audit events" {
		t.Errorf("after a new version: %s", got)
	}
}

func TestImportRefusals(t *testing.T) {
	db, counter, ctx, svc := storeFixture(t)
	invalid := catalog.Demo()
	invalid.Groups[0].Priority = 7
	_, stmts, err := importTx(t, db, counter, ctx, svc, invalid)
	wantValidation(t, err, "checklist 1 (Arbeit außerhalb der Institution): priority 7 is not in 1 to 4")
	if len(stmts) != 0 {
		t.Errorf("an invalid catalogue sends %q", stmts)
	}
	mid := pulid.ID("MU01JD3K8Z6W8M2X1Q4R5T7V9B0C")
	kommune := auth.NewContext(context.Background(), &auth.Viewer{TokenID: "tkK", Name: "Kommune", Role: types.RoleMunicipality, MunicipalityID: &mid})
	if _, _, err := importTx(t, db, counter, kommune, svc, catalog.Demo()); !errors.Is(err, privacy.Deny) {
		t.Errorf("a Kommune imports: %v, want a privacy denial", err)
	}
	if got := rows(t, db); got != "0 catalogues, 0 checklists, 0 questions, 0 audit events" {
		t.Errorf("after the refusals: %s", got)
	}
}

// TestImportLarge: a catalogue of more questions than one INSERT (or one
// write of the audit trail) takes is stored in batches.
func TestImportLarge(t *testing.T) {
	db, counter, ctx, svc := storeFixture(t)
	big := &catalog.Catalogue{Name: "Groß", Version: "1"}
	for g := 1; g <= 19; g++ {
		grp := catalog.Group{Number: g, Priority: 1 + g%4, Title: fmt.Sprintf("Checkliste %d", g)}
		for n := 1; n <= 160; n++ {
			grp.Requirements = append(grp.Requirements, catalog.Requirement{Ref: fmt.Sprintf("G%d-%d", g, n), Number: n,
				Question: "Frage?", Help: "Hilfe", Effort: "gering"})
		}
		big.Groups = append(big.Groups, grp)
	}
	_, stmts, err := importTx(t, db, counter, ctx, svc, big)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"SELECT catalogs", "INSERT catalogs", "INSERT catalog_groups"}
	for range 4 {
		want = append(want, "INSERT requirements", "INSERT audit_events")
	}
	if got := kinds(stmts); !reflect.DeepEqual(got, want) {
		t.Errorf("statements %q, want %q", got, want)
	}
	if got := rows(t, db); got != "1 catalogues, 19 checklists, 3040 questions, 3060 audit events" {
		t.Errorf("stored %s", got)
	}
}

// TestLoad: a stored catalogue reads back as it was imported, in three
// statements, and goes on to OSCAL.
func TestLoad(t *testing.T) {
	db, counter, ctx, svc := storeFixture(t)
	for name, cat := range map[string]*catalog.Catalogue{"demo": catalog.Demo(), "small": small()} {
		t.Run(name, func(t *testing.T) {
			stored, _, err := importTx(t, db, counter, ctx, svc, cat)
			if err != nil {
				t.Fatal(err)
			}
			counter.Reset()
			got, err := catalog.Load(ctx, db.Client, stored.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n := counter.Count(); n != 3 {
				t.Errorf("Load sends %d statements, want 3", n)
			}
			want := cat
			if name == "small" {
				// Load orders the checklists by number, their questions by
				// number; small is in that order already.
				want = small()
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load:\n got %+v\nwant %+v", got, want)
			}
			doc, err := catalog.WriteOSCAL(got, seqUUID(), exported)
			if err != nil {
				t.Fatal(err)
			}
			back, err := catalog.ParseOSCAL(bytes.NewReader(doc))
			if err != nil || !reflect.DeepEqual(back, want) {
				t.Errorf("database → OSCAL → catalogue: %v\n got %+v\nwant %+v", err, back, want)
			}
			oscaltest.MustValidate(t, oscaltest.CatalogSchema, doc)
		})
	}
	_, err := catalog.Load(ctx, db.Client, "CA01JD3K8Z6W8M2X1Q4R5T7V9B0C")
	if apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("an unknown catalogue: %v, want NOT_FOUND", err)
	}
}
