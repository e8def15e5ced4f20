package app

import (
	"testing"
	"time"

	"sicherkommunal/ent/auditevent"
)

// TestTimestampsFromTheClock: a row's created_at and updated_at and its
// audit event come from the one injected clock.
func TestTimestampsFromTheClock(t *testing.T) {
	s := newTestServer(t)
	at := time.Date(2026, 7, 1, 8, 30, 0, 0, time.UTC)
	s.Clock.Set(at)
	var d struct {
		CreateConsultant struct{ ID, CreatedAt, UpdatedAt string }
	}
	s.must(t, s.Admin, `mutation { createConsultant(input: {name: "Uhr", email: "uhr@bechtle.example"}) { id createdAt updatedAt } }`, nil, &d)
	if d.CreateConsultant.CreatedAt != "2026-07-01T08:30:00Z" || d.CreateConsultant.UpdatedAt != "2026-07-01T08:30:00Z" {
		t.Errorf("created %+v, clock %s", d.CreateConsultant, at)
	}
	s.Clock.Set(at.Add(time.Hour))
	var u struct {
		UpdateConsultant struct{ CreatedAt, UpdatedAt string }
	}
	s.must(t, s.Admin, `mutation($id: ID!) { updateConsultant(id: $id, input: {name: "Uhr 2"}) { createdAt updatedAt } }`, map[string]any{"id": d.CreateConsultant.ID}, &u)
	if u.UpdateConsultant.CreatedAt != "2026-07-01T08:30:00Z" || u.UpdateConsultant.UpdatedAt != "2026-07-01T09:30:00Z" {
		t.Errorf("updated %+v", u.UpdateConsultant)
	}
	ev := s.DB.Client.AuditEvent.Query().Where(auditevent.Operation("createConsultant")).OnlyX(bg())
	if !ev.At.Equal(at) {
		t.Errorf("audit event at %s, row created at %s", ev.At, at)
	}
}
