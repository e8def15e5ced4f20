package programme

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"sicherkommunal/auth"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

func TestEligibleKommunen(t *testing.T) {
	ks, err := EligibleKommunen()
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 133 {
		t.Fatalf("%d Kommunen, want 133", len(ks))
	}
	kinds := map[string]int{}
	ags, ars, names := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, k := range ks {
		kinds[k.Kind]++
		// The AGS is 8 digits of the state; a Verbandsgemeinde has none.
		// The ARS is 5 digits for a Landkreis, 9 for a Verbandsgemeinde and
		// 12 for a kreisfreie Stadt or Einheitsgemeinde, and starts with
		// the AGS's Kreis.
		wantARS := map[string]int{"LANDKREIS": 5, "VERBANDSGEMEINDE": 9, "KREISFREIE_STADT": 12, "EINHEITSGEMEINDE": 12}[k.Kind]
		if len(k.ARS) != wantARS || types.ValidateARS(k.ARS) != nil {
			t.Errorf("%s (%s): ARS %q", k.Name, k.Kind, k.ARS)
		}
		if k.Kind == "VERBANDSGEMEINDE" {
			if k.AGS != "" {
				t.Errorf("%s: Verbandsgemeinde with AGS %q", k.Name, k.AGS)
			}
		} else {
			if types.ValidateAGS(k.AGS) != nil || !strings.HasPrefix(k.AGS, k.ARS[:5]) {
				t.Errorf("%s (%s): AGS %q, ARS %q", k.Name, k.Kind, k.AGS, k.ARS)
			}
			if ags[k.AGS] {
				t.Errorf("AGS %s twice", k.AGS)
			}
			ags[k.AGS] = true
		}
		if k.Kind == "LANDKREIS" && !strings.HasSuffix(k.AGS, "000") {
			t.Errorf("Landkreis %s: AGS %s", k.Name, k.AGS)
		}
		if ars[k.ARS] || names[k.Name] {
			t.Errorf("%s / %s twice", k.ARS, k.Name)
		}
		ars[k.ARS], names[k.Name] = true, true
		if strings.TrimSpace(k.Name) != k.Name || k.Name == "" {
			t.Errorf("name %q", k.Name)
		}
	}
	// Member municipalities are represented by their Verbandsgemeinde.
	want := map[string]int{"KREISFREIE_STADT": 3, "LANDKREIS": 11, "EINHEITSGEMEINDE": 101, "VERBANDSGEMEINDE": 18}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d of kind %s, want %d", kinds[k], k, n)
		}
	}
	if len(kinds) != len(want) {
		t.Errorf("kinds %v", kinds)
	}
	for _, k := range []Kommune{
		{AGS: "15001000", ARS: "150010000000", Name: "Dessau-Roßlau", Kind: "KREISFREIE_STADT"},
		{AGS: "15003000", ARS: "150030000000", Name: "Magdeburg", Kind: "KREISFREIE_STADT"},
		{AGS: "15081000", ARS: "15081", Name: "Altmarkkreis Salzwedel", Kind: "LANDKREIS"},
		{ARS: "150815051", Name: "Verbandsgemeinde Beetzendorf-Diesdorf", Kind: "VERBANDSGEMEINDE"},
		{AGS: "15081135", ARS: "150810135135", Name: "Gardelegen", Kind: "EINHEITSGEMEINDE"},
	} {
		found := false
		for _, got := range ks {
			found = found || got == k
		}
		if !found {
			t.Errorf("%+v missing", k)
		}
	}
}

func TestSeed(t *testing.T) {
	f := newFixture(t) // seeded once
	if err := Seed(f.sys, f.c, f.db.Dialect); err != nil {
		t.Fatalf("second seed: %v", err)
	}
	p := f.c.Program.Query().OnlyX(f.sys) // still one programme
	if p.Name != SicherKommunalName || p.Stage1Amount.StringFixed(2) != "16100.00" || p.TotalCap.StringFixed(2) != "30000.00" ||
		p.TimeZone != DefaultTimeZone || len(p.StepTemplate) != len(types.StepKinds) {
		t.Errorf("programme %+v", p)
	}
	for name, d := range map[string]time.Time{"startsOn": p.StartsOn, "stage2OpensOn": p.Stage2OpensOn, "endsOn": p.EndsOn} {
		want := map[string]string{"startsOn": "2025-12-02", "stage2OpensOn": "2026-01-01", "endsOn": "2026-12-31"}[name]
		if got := types.NormalizeDate(d).Format(time.DateOnly); got != want {
			t.Errorf("%s %s, want %s", name, got, want)
		}
	}
	if n := f.c.Municipality.Query().CountX(f.sys); n != 133 {
		t.Errorf("%d municipalities after two seeds", n)
	}
	if n := f.c.Municipality.Query().Where(municipality.AgsIsNil()).CountX(f.sys); n != 18 {
		t.Errorf("%d without AGS, want the 18 Verbandsgemeinden", n)
	}
	m := f.c.Municipality.Query().Where(municipality.Ags("15003000")).OnlyX(f.sys)
	if m.Name != "Magdeburg" || m.Kind != municipality.KindKREISFREIE_STADT || m.Ars == nil || *m.Ars != "150030000000" {
		t.Errorf("Magdeburg: %+v", m)
	}
}

// TestSeedConcurrently: replicas starting together seed once.
func TestSeedConcurrently(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	f := &fixture{db: db, c: db.Client, sys: auth.SystemContext(context.Background())}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = Seed(f.sys, f.c, f.db.Dialect) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := f.c.Program.Query().CountX(f.sys); n != 1 {
		t.Errorf("%d programmes", n)
	}
	if n := f.c.Municipality.Query().CountX(f.sys); n != 133 {
		t.Errorf("%d municipalities", n)
	}
}
