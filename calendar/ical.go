package calendar

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	// go-ical (emersion) is a small, maintained iCalendar (RFC 5545)
	// library, the one behind go-webdav's CalDAV server. We use its names
	// of components, properties and statuses here and its decoder in the
	// tests, which parse every feed back. We do not use its encoder for
	// feeds: it builds a property map per event, a buffer per property and
	// sorts names per component, which made it two thirds of the cost of a
	// 10,000-event feed, and it writes no VTIMEZONE, does not fold lines and
	// refuses empty calendars. The feed is streamed by icsWriter instead.
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
const renderVersion = "3"

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

// Render writes a feed as an iCalendar stream (RFC 5545): the calendar's
// properties, a VTIMEZONE for loc (the programme's time zone) and one
// VEVENT per appointment, lines folded at 75 octets. DTSTART and DTEND are
// written as wall-clock times of loc with TZID, except where such a time
// would not name exactly one instant (the hour repeated at the end of
// summer time; see LocalTimeSafe): those are written in UTC. DTSTAMP,
// CREATED and LAST-MODIFIED are always in UTC; any other date-time
// property goes through icsWriter.dateTime like DTSTART. Everything
// written depends only on the feed's name, the zone and the appointments,
// so equal data gives equal bytes (the ETag relies on it). An empty feed
// is a calendar with its time zone and no events. A nil or unnamed loc is
// an error.
func Render(w io.Writer, name string, loc *time.Location, apps []*ent.Appointment) error {
	if loc == nil {
		return errNoZone
	}
	if loc.String() == "" {
		return errors.New("calendar: the time zone has no name to write as TZID")
	}
	z := tableOf(loc)
	out := &icsWriter{w: bufio.NewWriterSize(w, 64<<10), zone: z}
	out.raw("BEGIN", "VCALENDAR")
	out.raw(ical.PropVersion, "2.0")
	out.raw(ical.PropProductID, ProductID)
	out.raw(ical.PropCalendarScale, "GREGORIAN")
	out.text("X-WR-CALNAME", name)
	out.raw("X-WR-TIMEZONE", z.name)
	out.line(ical.PropRefreshInterval, ";VALUE=DURATION", RefreshInterval, false)
	out.raw("X-PUBLISHED-TTL", RefreshInterval)
	writeTimezone(out, z, apps)
	for _, a := range apps {
		writeEvent(out, a)
	}
	out.raw("END", "VCALENDAR")
	return out.w.Flush()
}

func writeEvent(out *icsWriter, a *ent.Appointment) {
	out.raw("BEGIN", ical.CompEvent)
	out.raw(ical.PropUID, string(a.ID)+uidDomain)
	out.utc(ical.PropDateTimeStamp, a.UpdatedAt)
	out.dateTime(ical.PropDateTimeStart, a.StartsAt)
	out.dateTime(ical.PropDateTimeEnd, a.EndsAt)
	out.text(ical.PropSummary, a.Title)
	if a.Location != nil && *a.Location != "" {
		out.text(ical.PropLocation, *a.Location)
	}
	desc := ""
	if a.Status == appointment.StatusCANCELLED {
		desc = "Abgesagt."
		if a.CancelReason != nil {
			desc = "Abgesagt: " + *a.CancelReason
		}
	}
	if a.Description != nil && *a.Description != "" {
		if desc != "" {
			desc += "\n\n"
		}
		desc += *a.Description
	}
	if desc != "" {
		out.text(ical.PropDescription, desc)
	}
	out.raw(ical.PropStatus, string(eventStatus(a.Status)))
	out.raw(ical.PropSequence, strconv.Itoa(a.Sequence))
	out.utc(ical.PropCreated, a.CreatedAt)
	out.utc(ical.PropLastModified, a.UpdatedAt)
	out.line(ical.PropCategories, "", "SicherKOMMUNAL,"+escapeText(kindLabel[a.Kind]), false)
	out.raw(ical.PropTransparency, "OPAQUE")
	out.raw("END", ical.CompEvent)
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

// writeTimezone writes the VTIMEZONE of the zone over the years the
// appointments need (zoneTable.feedRange); see zoneTable.vtimezone.
func writeTimezone(out *icsWriter, z *zoneTable, apps []*ent.Appointment) {
	var first, last time.Time
	for i, a := range apps {
		if i == 0 || a.StartsAt.Before(first) {
			first = a.StartsAt
		}
		if i == 0 || a.EndsAt.After(last) {
			last = a.EndsAt
		}
	}
	from, until := z.feedRange(first, last, len(apps) > 0)
	out.w.Write(z.vtimezone(from, until))
}

// vtimezone returns the VTIMEZONE component over [from, until) as folded
// content lines: a sub-component for the observance in force at from,
// then the zone's changes of offset (zoneTable.onsets), STANDARD or
// DAYLIGHT after the tz database's DST flag. Go exposes the changes, not
// the rules behind them, so the rules are found again: changes to the same
// observance from the same offset in consecutive years on the same weekday
// of a month at the same wall-clock time are one sub-component with an
// RRULE (with UNTIL where the run ends before until); the remaining
// changes to an observance are one sub-component with one RDATE per
// onset (one value per property: ical.js reads only the first value of
// an RDATE). Every onset in [from, until) is one of the rules' or
// dates', and no other; a rule that runs to until goes on after it, as the
// tz database's rule does. The last VTIMEZONE written is kept: the feeds
// of an installation mostly cover the same years.
func (z *zoneTable) vtimezone(from, until int64) []byte {
	if c := z.lastVTZ.Load(); c != nil && c.from == from && c.until == until {
		return c.text
	}
	var buf bytes.Buffer
	out := &icsWriter{w: bufio.NewWriter(&buf)}
	out.raw("BEGIN", ical.CompTimezone)
	out.raw(ical.PropTimezoneID, z.name)
	out.raw("X-LIC-LOCATION", z.name)
	for _, c := range vtzComponents(z.onsets(from, until), until) {
		comp := ical.CompTimezoneStandard
		if c.onsets[0].DST {
			comp = ical.CompTimezoneDaylight
		}
		out.raw("BEGIN", comp)
		out.raw(ical.PropTimezoneOffsetFrom, utcOffset(c.onsets[0].From))
		out.raw(ical.PropTimezoneOffsetTo, utcOffset(c.onsets[0].Offset))
		if name := c.onsets[0].Name; name != "" {
			out.text(ical.PropTimezoneName, name)
		}
		out.raw(ical.PropDateTimeStart, c.onsets[0].wall().Format("20060102T150405"))
		if c.rule != nil {
			rule := c.rule.rrule()
			if c.until {
				rule += ";UNTIL=" + time.Unix(c.onsets[len(c.onsets)-1].At, 0).UTC().Format("20060102T150405Z")
			}
			out.raw(ical.PropRecurrenceRule, rule)
		} else if len(c.onsets) > 1 {
			// DTSTART again as the first RDATE: ical.js takes the onsets of
			// a sub-component with RDATEs from its RDATEs alone. RFC 5545
			// counts an instance given twice once.
			for _, o := range c.onsets {
				out.raw(ical.PropRecurrenceDates, o.wall().Format("20060102T150405"))
			}
		}
		out.raw("END", comp)
	}
	out.raw("END", ical.CompTimezone)
	out.w.Flush()
	z.lastVTZ.Store(&vtzText{from: from, until: until, text: buf.Bytes()})
	return buf.Bytes()
}

// icsWriter writes content lines: NAME, parameters, ":" and the value,
// folded at 75 octets, never inside a UTF-8 sequence, and ended by CRLF.
type icsWriter struct {
	w    *bufio.Writer
	buf  []byte
	zone *zoneTable
}

func (o *icsWriter) raw(name, value string)  { o.line(name, "", value, false) }
func (o *icsWriter) text(name, value string) { o.line(name, "", value, true) }

func (o *icsWriter) utc(name string, t time.Time) {
	var b [16]byte
	o.line(name, "", string(t.UTC().AppendFormat(b[:0], "20060102T150405Z")), false)
}

// dateTime writes a DATE-TIME property in the feed's zone (TZID) where
// that is safe and in UTC where it is not (zoneTable.appendDateTime).
func (o *icsWriter) dateTime(name string, t time.Time) {
	l := append(o.buf[:0], name...)
	l = o.zone.appendDateTime(l, t)
	o.buf = l
	o.flush(l)
}

// line writes one content line; escape says the value is TEXT to escape.
func (o *icsWriter) line(name, params, value string, escape bool) {
	l := o.buf[:0]
	l = append(l, name...)
	l = append(l, params...)
	l = append(l, ':')
	if escape {
		l = appendEscaped(l, value)
	} else {
		l = append(l, value...)
	}
	o.buf = l
	o.flush(l)
}

// flush writes a whole content line l, folded.
func (o *icsWriter) flush(l []byte) {
	limit := maxLine
	for len(l) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(l[cut]) {
			cut--
		}
		o.w.Write(l[:cut])
		o.w.WriteString("\r\n ")
		l = l[cut:]
		limit = maxLine - 1 // the leading space counts
	}
	o.w.Write(l)
	o.w.WriteString("\r\n")
}

// escapeText escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon
// and comma get a backslash, line breaks become \n, other control
// characters (not allowed in content lines) are dropped.
func escapeText(s string) string { return string(appendEscaped(nil, s)) }

func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', ';', ',':
			b = append(b, '\\', c)
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b = append(b, '\\', 'n')
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, c)
		default:
			if c < 0x20 || c == 0x7f {
				continue
			}
			b = append(b, c)
		}
	}
	return b
}

// maxLine is the longest content line in octets, without CRLF (RFC 5545 3.1).
const maxLine = 75
