"""Validates iCalendar files with libical (the C library of Evolution and
KDE), through its GObject binding ICalGLib.

Parses each file and runs libical's restriction check (RFC 5545/5546
property cardinalities and values). libical records every problem as an
X-LIC-ERROR property; their number is the error count.

Usage: python3 libical_check.py FILE...   Exits 1 on any error.
"""
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib  # noqa: E402


def errors_of(comp, out):
    prop = comp.get_first_property(ICalGLib.PropertyKind.XLICERROR_PROPERTY)
    while prop is not None:
        kind = getattr(comp.isa(), "value_nick", str(comp.isa()))
        uid = comp.get_uid() if kind == "vevent" else ""
        out.append(f"{kind} {uid}: {prop.as_ical_string().strip()}")
        prop = comp.get_next_property(ICalGLib.PropertyKind.XLICERROR_PROPERTY)
    child = comp.get_first_component(ICalGLib.ComponentKind.ANY_COMPONENT)
    while child is not None:
        errors_of(child, out)
        child = comp.get_next_component(ICalGLib.ComponentKind.ANY_COMPONENT)
    return out


def main(files):
    total = 0
    for name in files:
        with open(name, encoding="utf-8") as f:
            text = f.read()
        comp = ICalGLib.Component.new_from_string(text)
        if comp is None:
            print(f"libical {name}: does not parse, 1 errors")
            total += 1
            continue
        ICalGLib.restriction_check(comp)
        errs = errors_of(comp, [])
        events = comp.count_components(ICalGLib.ComponentKind.VEVENT_COMPONENT)
        print(f"libical {name}: {events} events, {len(errs)} errors (count_errors={comp.count_errors()})")
        for e in errs:
            print(f"  {e}")
        total += len(errs)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
