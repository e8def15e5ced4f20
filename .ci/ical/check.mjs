// Parses iCalendar files with ical.js (Mozilla's parser, used by
// Thunderbird and many web calendars) and checks what subscribers rely on:
// every VEVENT has a UID, DTSTAMP, DTSTART and DTEND whose TZID resolves to
// the VTIMEZONE in the file, and the instants computed from that VTIMEZONE
// show the same wall-clock times in the system's tz database; a time in UTC
// form must be one whose Europe/Berlin wall time is ambiguous.
//
// Usage: node check.mjs FILE...   Prints one line per file; exits 1 on any error.
import { readFileSync } from 'node:fs';
import ICAL from 'ical.js';

const berlinWall = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

let errors = 0;
for (const file of process.argv.slice(2)) {
  const problems = [];
  let events = 0;
  try {
    const root = new ICAL.Component(ICAL.parse(readFileSync(file, 'utf8')));
    if (root.name !== 'vcalendar') problems.push(`root is ${root.name}`);
    for (const p of ['version', 'prodid']) {
      if (!root.getFirstPropertyValue(p)) problems.push(`calendar lacks ${p.toUpperCase()}`);
    }
    const zones = root.getAllSubcomponents('vtimezone');
    for (const z of zones) ICAL.TimezoneService.register(z);
    if (!zones.some((z) => z.getFirstPropertyValue('tzid') === 'Europe/Berlin')) {
      problems.push('no VTIMEZONE Europe/Berlin');
    }
    for (const v of root.getAllSubcomponents('vevent')) {
      events++;
      const ev = new ICAL.Event(v);
      const uid = ev.uid || '(no UID)';
      for (const p of ['uid', 'dtstamp', 'dtstart', 'dtend', 'summary', 'sequence', 'status']) {
        if (!v.hasProperty(p)) problems.push(`${uid}: no ${p.toUpperCase()}`);
      }
      for (const [name, t] of [['DTSTART', ev.startDate], ['DTEND', ev.endDate]]) {
        if (t.zone && t.zone.tzid === 'UTC') {
          // Written in UTC: the server does so for wall times that are
          // ambiguous in Europe/Berlin (the hour repeated in October).
          const wall = berlinWall.format(t.toJSDate()).replace(' ', 'T');
          const h = t.toJSDate().getTime();
          const other = [h - 3600e3, h + 3600e3].some((o) => berlinWall.format(new Date(o)).replace(' ', 'T') === wall);
          if (!other) problems.push(`${uid}: ${name} ${t.toString()} is in UTC though ${wall} is unambiguous in Europe/Berlin`);
          continue;
        }
        if (!t.zone || t.zone.tzid !== 'Europe/Berlin') {
          problems.push(`${uid}: ${name} zone ${t.zone && t.zone.tzid} is not the file's Europe/Berlin`);
          continue;
        }
        // The instant ical.js computes from our VTIMEZONE must show the
        // same wall-clock time in the system's tz database.
        const wall = berlinWall.format(t.toJSDate()).replace(' ', 'T');
        const want = t.toString().slice(0, 19);
        if (wall !== want) problems.push(`${uid}: ${name} ${want} became ${wall} in Europe/Berlin`);
      }
      if (!(ev.endDate.toUnixTime() > ev.startDate.toUnixTime())) problems.push(`${uid}: DTEND not after DTSTART`);
    }
  } catch (err) {
    problems.push(`parse error: ${err.message}`);
  }
  errors += problems.length;
  console.log(`ical.js ${file}: ${events} events, ${problems.length} errors`);
  for (const p of problems) console.log(`  ${p}`);
}
process.exit(errors > 0 ? 1 : 0);
