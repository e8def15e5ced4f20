package calendar

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"sicherkommunal/ent"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/internal/clock"
)

// benchApps are n appointments like those of app's BenchmarkFeed: every
// 30 minutes from 5 January 2026 on, 25 minutes long, with a description
// and a location.
func benchApps(n int) []*ent.Appointment {
	desc := "Vor-Ort-Termin zur IST-Erhebung: Begehung, Interviews mit IT-Leitung und ISB; bitte Netzplan, Serverliste und Notfallhandbuch bereithalten.\nAnsprechpartner: KITU."
	start := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	apps := make([]*ent.Appointment, n)
	for i := range apps {
		s := start.Add(time.Duration(i) * 30 * time.Minute)
		loc := fmt.Sprintf("Rathaus %d, Marktplatz %d", i%40, i%17)
		apps[i] = &ent.Appointment{ID: pulid.ID(fmt.Sprintf("AP%026d", i)), Kind: appointment.KindONSITE_VISIT,
			Title: fmt.Sprintf("Vor-Ort-Termin IST-Erhebung – Kommune %d", i%40), Description: &desc, Location: &loc,
			StartsAt: s, EndsAt: s.Add(25 * time.Minute), Status: appointment.StatusCONFIRMED, Sequence: i % 3,
			CreatedAt: start, UpdatedAt: start.Add(time.Duration(i) * time.Second)}
	}
	return apps
}

// BenchmarkRender renders a feed of 10,000 appointments and one of 10
// (where the VTIMEZONE is a larger share).
//
//	go test -run '^$' -bench Render ./calendar/
func BenchmarkRender(b *testing.B) {
	for _, n := range []int{10, 10000} {
		apps := benchApps(n)
		berlin := clock.MustLoadZone("Europe/Berlin")
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			var buf bytes.Buffer
			_ = Render(&buf, "Bench", berlin, apps)
			b.SetBytes(int64(buf.Len()))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := Render(io.Discard, "Bench", berlin, apps); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
