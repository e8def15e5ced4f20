package reconcile

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"sicherkommunal/ent/bankstatementimport"
	"sicherkommunal/internal/clock"
)

// newYork is a zone whose days begin six hours after Berlin's (in March
// 2026, before Berlin's DST change): an instant can be on another day
// there, and a wall time is another instant.
var newYork = clock.MustLoadZone("America/New_York")

// TestParseDayInZone: a date-time with an offset is the day it is in the
// zone given; one without an offset is a wall time there, read and dated
// in that same zone, so its day is the one written whatever the zone (a
// wall time read in one zone and dated in another would move across
// midnight); a date is a date.
func TestParseDayInZone(t *testing.T) {
	for _, c := range []struct {
		in   string
		loc  *time.Location
		want string
	}{
		{"2026-03-02T23:30:00Z", berlin, "2026-03-03"},
		{"2026-03-02T23:30:00Z", newYork, "2026-03-02"},
		{"2026-03-03T04:30:00+00:00", berlin, "2026-03-03"},
		{"2026-03-03T04:30:00+00:00", newYork, "2026-03-02"},
		{"2026-03-02T23:30:00", berlin, "2026-03-02"},  // 22:30 UTC
		{"2026-03-03T01:00:00", newYork, "2026-03-03"}, // 06:00 UTC, and 2 March 20:00 in New York if read as UTC
		{"2026-03-02T23:30:00.5", newYork, "2026-03-02"},
		{"2026-03-02", newYork, "2026-03-02"},
	} {
		got, err := parseDay(c.in, c.loc)
		if err != nil || got.Format(time.DateOnly) != c.want || got.Location() != time.UTC || got.Hour() != 0 {
			t.Errorf("parseDay(%q) in %s = %v, %v; want %s (midnight UTC)", c.in, c.loc, got, err, c.want)
		}
	}
}

// TestParseInZone: the same CSV and camt.053 statements parsed in Berlin
// and in New York give the days of their date-times in that zone.
func TestParseInZone(t *testing.T) {
	csv := "statement_id;line_ref;booking_date;value_date;credit_debit;amount;currency\n" +
		"S1;1;2026-03-02T23:30:00Z;2026-03-03T01:00:00;DBIT;10.00;EUR\n"
	for _, c := range []struct {
		loc                 *time.Location
		booking, value, dtm string // of the CSV line; the camt interest line's booking date (DtTm)
	}{
		{berlin, "2026-03-03", "2026-03-03", "2026-03-04"},
		{newYork, "2026-03-02", "2026-03-03", "2026-03-03"},
	} {
		for _, parse := range []func() (*File, error){
			func() (*File, error) { return ParseCSV([]byte(csv), c.loc) },
			func() (*File, error) { return ParseCSVReader(strings.NewReader(csv), c.loc) },
			func() (*File, error) { return Parse(bankstatementimport.FormatCSV, []byte(csv), c.loc) },
		} {
			f, err := parse()
			if err != nil {
				t.Fatalf("%s: %v", c.loc, err)
			}
			l := f.Lines[0]
			if b, v := l.BookingDate.Format(time.DateOnly), l.ValueDate.Format(time.DateOnly); b != c.booking || v != c.value {
				t.Errorf("CSV in %s: booking %s, value %s; want %s, %s", c.loc, b, v, c.booking, c.value)
			}
		}
		doc := readFile(t, "camt053-001-08-mixed.xml") // the interest was booked at 2026-03-03T23:30:00Z
		for _, parse := range []func() (*File, error){
			func() (*File, error) { return ParseCAMT053(doc, c.loc) },
			func() (*File, error) { return ParseCAMT053Reader(bytes.NewReader(doc), c.loc) },
			func() (*File, error) {
				return ParseReader(bankstatementimport.FormatCAMT053, bytes.NewReader(doc), c.loc)
			},
		} {
			f, err := parse()
			if err != nil {
				t.Fatalf("%s: %v", c.loc, err)
			}
			l := f.Lines[1]
			if b := l.BookingDate.Format(time.DateOnly); l.LineKey != "#2" || b != c.dtm {
				t.Errorf("camt.053 in %s: line %s booked on %s; want #2 on %s", c.loc, l.LineKey, b, c.dtm)
			}
		}
	}
}

// TestImportInServiceZone: an import dates the statement's date-times in
// the service's Zone.
func TestImportInServiceZone(t *testing.T) {
	for _, c := range []struct {
		loc            *time.Location
		booking, value string
	}{
		{berlin, "2026-03-03", "2026-03-03"},
		{newYork, "2026-03-02", "2026-03-03"},
	} {
		svc, ctx := testService(t)
		svc.Zone = c.loc
		csv := "statement_id;line_ref;booking_date;value_date;credit_debit;amount;currency\n" +
			"S1;1;2026-03-02T23:30:00Z;2026-03-03T01:00:00;DBIT;10.00;EUR\n"
		if _, err := svc.Import(ctx, bankstatementimport.FormatCSV, []byte(csv)); err != nil {
			t.Fatalf("%s: %v", c.loc, err)
		}
		bt := svc.Client.BankTransaction.Query().OnlyX(ctx)
		if b, v := bt.BookingDate.Format(time.DateOnly), bt.ValueDate.Format(time.DateOnly); b != c.booking || v != c.value {
			t.Errorf("imported in %s: booking %s, value %s; want %s, %s", c.loc, b, v, c.booking, c.value)
		}
	}
}

// TestNoZone: without a time zone every parser, and an import of a
// service without Zone, fails with errNoZone before reading anything,
// rather than guessing a zone; the import stores nothing.
func TestNoZone(t *testing.T) {
	csv := []byte("statement_id;line_ref;booking_date;value_date;credit_debit;amount;currency\nS1;1;2026-03-02;2026-03-02;DBIT;10.00;EUR\n")
	doc := readFile(t, "camt053-001-08-mixed.xml")
	unread := func() *strings.Reader { return strings.NewReader("never read") }
	for name, parse := range map[string]func() (*File, error){
		"ParseCSV":           func() (*File, error) { return ParseCSV(csv, nil) },
		"ParseCSVReader":     func() (*File, error) { return ParseCSVReader(unread(), nil) },
		"ParseCAMT053":       func() (*File, error) { return ParseCAMT053(doc, nil) },
		"ParseCAMT053Reader": func() (*File, error) { return ParseCAMT053Reader(unread(), nil) },
		"Parse":              func() (*File, error) { return Parse(bankstatementimport.FormatCSV, csv, nil) },
		"ParseReader":        func() (*File, error) { return ParseReader(bankstatementimport.FormatCAMT053, unread(), nil) },
	} {
		if f, err := parse(); !errors.Is(err, errNoZone) || f != nil {
			t.Errorf("%s without a zone: %v, %v; want errNoZone", name, f, err)
		}
	}
	svc, ctx := testService(t)
	svc.Zone = nil
	r := bytes.NewReader(csv)
	if _, err := svc.ImportReader(ctx, bankstatementimport.FormatCSV, r); !errors.Is(err, errNoZone) || r.Len() != len(csv) {
		t.Errorf("import without Zone: %v (%d bytes unread of %d); want errNoZone, nothing read", err, r.Len(), len(csv))
	}
	if n := svc.Client.BankStatementImport.Query().CountX(ctx); n != 0 {
		t.Errorf("import without Zone recorded %d imports", n)
	}
}
