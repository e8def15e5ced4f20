package app

import (
	"testing"

	"sicherkommunal/store/storetest"
)

// TestZoneFromTheProgramme: the programme's stored time zone is the one
// every service works in, whatever it is; nothing else names a zone.
func TestZoneFromTheProgramme(t *testing.T) {
	url := storetest.URL(t)
	first := newTestServerOn(t, url)
	if got := first.App.calendar.Zone.String(); got != "Europe/Berlin" {
		t.Fatalf("seeded zone: %s", got)
	}
	first.DB.Client.Program.Update().SetTimeZone("America/New_York").ExecX(bg())
	s := newTestServerOn(t, url)
	a := s.App
	for name, got := range map[string]string{
		"calendar": a.calendar.Zone.String(), "ledger": a.ledger.Zone.String(),
		"reconcile": a.recon.Zone.String(), "monitoring": a.monitoring.Location.String(),
	} {
		if got != "America/New_York" {
			t.Errorf("%s works in %s", name, got)
		}
	}
}
