package calendar

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	// go-ical (emersion) is a small, maintained iCalendar (RFC 5545) model
	// with an encoder and a decoder, used by go-webdav's CalDAV server. It
	// gives us the component/property model and a parser to check our
	// output in tests; what it leaves out (VTIMEZONE, line folding, empty
	// calendars) is added here.
	ical "github.com/emersion/go-ical"

	"sicherkommunal/ent"
	"sicherkommunal/ent/appointment"
)

// ProductID names this program in every feed (PRODID).
const ProductID = "-//SicherKOMMUNAL//Termine 1.0//DE"

// RefreshInterval is how often subscribers should fetch a feed again.
const RefreshInterval = "PT1H"

// renderVersion changes whenever the rendering changes, so that ETags of
// unchanged data change with it.
const renderVersion = "1"

// uidDomain makes appointment IDs globally unique UIDs. It never changes:
// a UID must stay the same for the life of an event.
const uidDomain = "@sicherkommunal"

// kindLabel is the German category of each appointment kind.
var kindLabel = map[appointment.Kind]string{
	appointment.KindKICKOFF_EVENT:      "Auftaktveranstaltung",
	appointment.KindONSITE_VISIT:       "Vor-Ort-Termin",
	appointment.KindWORKSHOP:           "Workshop",
	appointment.KindPENETRATION_TEST:   "Penetrationstest",
	appointment.KindTRAINING:           "Schulung",
	appointment.KindACCEPTANCE_MEETING: "Abnahme",
	appointment.KindOTHER:              "Sonstiger Termin",
}

// Render writes a feed as an iCalendar stream: the calendar's properties,
// a full VTIMEZONE for Europe/Berlin (go-ical writes none) and one VEVENT
// per appointment, lines folded at 75 octets. Times are written as
// Europe/Berlin wall-clock times with TZID; DTSTAMP, CREATED and
// LAST-MODIFIED in UTC. Everything written depends only on the feed and the
// appointments, so equal data gives equal bytes (the ETag relies on it).
func Render(w io.Writer, name string, apps []*ent.Appointment) error {
	cal := ical.NewCalendar()
	setRaw(cal.Props, ical.PropVersion, "2.0")
	setRaw(cal.Props, ical.PropProductID, ProductID)
	setRaw(cal.Props, ical.PropCalendarScale, "GREGORIAN")
	setText(cal.Props, "X-WR-CALNAME", name)
	setRaw(cal.Props, "X-WR-TIMEZONE", Berlin.String())
	cal.Props.Set(&ical.Prop{Name: ical.PropRefreshInterval, Params: ical.Params{ical.ParamValue: {"DURATION"}}, Value: RefreshInterval})
	setRaw(cal.Props, "X-PUBLISHED-TTL", RefreshInterval)
	// The time zone is a component, so an empty feed is still a calendar
	// with a child (go-ical refuses to encode one without).
	cal.Children = make([]*ical.Component, 0, len(apps)+1)
	cal.Children = append(cal.Children, berlinTimezone())
	for _, a := range apps {
		cal.Children = append(cal.Children, event(a))
	}
	f := &folder{w: w}
	if err := ical.NewEncoder(f).Encode(cal); err != nil {
		return err
	}
	return f.err
}

func event(a *ent.Appointment) *ical.Component {
	e := ical.NewComponent(ical.CompEvent)
	p := e.Props
	setRaw(p, ical.PropUID, string(a.ID)+uidDomain)
	setUTC(p, ical.PropDateTimeStamp, a.UpdatedAt)
	setLocal(p, ical.PropDateTimeStart, a.StartsAt)
	setLocal(p, ical.PropDateTimeEnd, a.EndsAt)
	setText(p, ical.PropSummary, a.Title)
	if a.Location != nil && *a.Location != "" {
		setText(p, ical.PropLocation, *a.Location)
	}
	var desc []string
	if a.Status == appointment.StatusCANCELLED {
		line := "Abgesagt."
		if a.CancelReason != nil {
			line = "Abgesagt: " + *a.CancelReason
		}
		desc = append(desc, line)
	}
	if a.Description != nil && *a.Description != "" {
		desc = append(desc, *a.Description)
	}
	if len(desc) > 0 {
		setText(p, ical.PropDescription, strings.Join(desc, "\n\n"))
	}
	setRaw(p, ical.PropStatus, string(eventStatus(a.Status)))
	setRaw(p, ical.PropSequence, strconv.Itoa(a.Sequence))
	setUTC(p, ical.PropLastModified, a.UpdatedAt)
	setUTC(p, ical.PropCreated, a.CreatedAt)
	p.Set(&ical.Prop{Name: ical.PropCategories, Params: ical.Params{},
		Value: escapeText("SicherKOMMUNAL") + "," + escapeText(kindLabel[a.Kind])})
	setRaw(p, ical.PropTransparency, "OPAQUE")
	return e
}

// eventStatus maps an appointment's status to a VEVENT STATUS: a
// completed appointment took place as confirmed.
func eventStatus(s appointment.Status) ical.EventStatus {
	switch s {
	case appointment.StatusCONFIRMED, appointment.StatusCOMPLETED:
		return ical.EventConfirmed
	case appointment.StatusCANCELLED:
		return ical.EventCancelled
	}
	return ical.EventTentative
}

// berlinTimezone is the VTIMEZONE of Europe/Berlin under the EU rules in
// force since 1996: CEST from the last Sunday of March 02:00 (UTC+2), CET
// from the last Sunday of October 03:00 (UTC+1).
func berlinTimezone() *ical.Component {
	tz := ical.NewComponent(ical.CompTimezone)
	setRaw(tz.Props, ical.PropTimezoneID, Berlin.String())
	setRaw(tz.Props, "X-LIC-LOCATION", Berlin.String())
	rule := func(name, from, to, tzname, start, rrule string) *ical.Component {
		c := ical.NewComponent(name)
		setRaw(c.Props, ical.PropTimezoneOffsetFrom, from)
		setRaw(c.Props, ical.PropTimezoneOffsetTo, to)
		setRaw(c.Props, ical.PropTimezoneName, tzname)
		setRaw(c.Props, ical.PropDateTimeStart, start)
		setRaw(c.Props, ical.PropRecurrenceRule, rrule)
		return c
	}
	tz.Children = []*ical.Component{
		rule(ical.CompTimezoneDaylight, "+0100", "+0200", "CEST", "19700329T020000", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"),
		rule(ical.CompTimezoneStandard, "+0200", "+0100", "CET", "19701025T030000", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"),
	}
	return tz
}

func setRaw(p ical.Props, name, value string) {
	p.Set(&ical.Prop{Name: name, Params: ical.Params{}, Value: value})
}

func setText(p ical.Props, name, value string) { setRaw(p, name, escapeText(value)) }

func setUTC(p ical.Props, name string, t time.Time) {
	setRaw(p, name, t.UTC().Format("20060102T150405Z"))
}

func setLocal(p ical.Props, name string, t time.Time) {
	p.Set(&ical.Prop{Name: name, Params: ical.Params{ical.ParamTimezoneID: {Berlin.String()}},
		Value: t.In(Berlin).Format("20060102T150405")})
}

// escapeText escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon
// and comma get a backslash, line breaks become \n, other control
// characters (not allowed in content lines) are dropped.
func escapeText(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', ';', ',':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString(`\n`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteByte(c)
		default:
			if c < 0x20 || c == 0x7f {
				continue
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// maxLine is the longest content line in octets, without CRLF (RFC 5545 3.1).
const maxLine = 75

// folder folds content lines longer than 75 octets, never inside a UTF-8
// sequence: CRLF and a space, then the rest. go-ical writes unfolded lines,
// one content line (with its CRLF) per Write.
type folder struct {
	w   io.Writer
	buf bytes.Buffer
	err error
}

func (f *folder) Write(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	total := len(p)
	f.buf.Reset()
	for len(p) > 0 {
		i := bytes.Index(p, []byte("\r\n"))
		line, rest := p, []byte(nil)
		if i >= 0 {
			line, rest = p[:i], p[i+2:]
		}
		f.fold(line)
		if i >= 0 {
			f.buf.WriteString("\r\n")
		}
		p = rest
	}
	if _, err := f.w.Write(f.buf.Bytes()); err != nil {
		f.err = err
		return 0, err
	}
	return total, nil
}

func (f *folder) fold(line []byte) {
	if len(line) <= maxLine {
		f.buf.Write(line)
		return
	}
	limit := maxLine
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		f.buf.Write(line[:cut])
		f.buf.WriteString("\r\n ")
		line = line[cut:]
		limit = maxLine - 1 // the leading space counts
	}
	f.buf.Write(line)
}
