package programme

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/internal/clock"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

func TestZone(t *testing.T) {
	for _, c := range []struct {
		zone, want string
		ok         bool
	}{
		{"Europe/Berlin", "Europe/Berlin", true},
		{"America/New_York", "America/New_York", true},
		{"UTC", "UTC", true},
		{"Mars/Olympus_Mons", "", false},
		{"", "UTC", true}, // the tz database's empty name; the schema refuses an empty zone
	} {
		loc, err := Zone(&ent.Program{TimeZone: c.zone})
		if (err == nil) != c.ok {
			t.Errorf("%q: error %v", c.zone, err)
			continue
		}
		if c.ok && loc.String() != c.want {
			t.Errorf("%q: %s", c.zone, loc)
		}
		if !c.ok && !strings.Contains(err.Error(), c.zone) {
			t.Errorf("%q: the error does not name the zone: %v", c.zone, err)
		}
	}
	// The same location every time.
	a, _ := Zone(&ent.Program{TimeZone: "Europe/Berlin"})
	b, _ := Zone(&ent.Program{TimeZone: "Europe/Berlin"})
	if a != b {
		t.Error("Zone loads the zone again")
	}
}

func TestInstallationZone(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	sys := auth.SystemContext(context.Background())
	c := db.Client
	// No programme yet: the default zone.
	loc, err := InstallationZone(sys, c)
	if err != nil || loc.String() != DefaultTimeZone {
		t.Fatalf("empty installation: %v %v", loc, err)
	}
	create := func(name, zone string, created time.Time) {
		t.Helper()
		end := day("2026-12-31")
		c.Program.Create().SetName(name).SetTimeZone(zone).
			SetStage1Amount(decimal.RequireFromString("100.00")).SetTotalCap(decimal.RequireFromString("200.00")).
			SetStartsOn(day("2025-12-02")).SetStage2OpensOn(day("2026-01-01")).SetEndsOn(end).
			SetStepTemplate(DefaultStepTemplate(end)).SetCreatedAt(created).SetUpdatedAt(created).
			SaveX(sys)
	}
	create("Lissabon", "Europe/Lisbon", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	if loc, err := InstallationZone(sys, c); err != nil || loc.String() != "Europe/Lisbon" {
		t.Errorf("one programme: %v %v", loc, err)
	}
	// The oldest programme decides, not the first or last written.
	create("Berlin", "Europe/Berlin", time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC))
	create("New York", "America/New_York", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	loc, err = InstallationZone(sys, c)
	if err != nil || loc.String() != "Europe/Berlin" {
		t.Errorf("three programmes: %v %v", loc, err)
	}
	// A reader who may not read programmes gets an error, not the
	// default zone.
	if _, err := InstallationZone(context.Background(), c); err == nil {
		t.Error("no viewer: no error")
	}
}

// berlin is the zone of the seeded programme, for the tests' times.
var berlin = clock.MustLoadZone(DefaultTimeZone)
