#!/usr/bin/env python3
"""Reference data for redegov's Brazilian calendar (issue #4), from the
python-holidays package (PyPI `holidays`), for the Rust test
crates/redegov-domain/tests/holidays_reference.rs.

Prints one JSON object on stdout:

  {"holidays_version": "...",
   "calendars": {"BR": {"2000": [["2000-01-01", "Confraternização Universal"], ...], ...},
                 "BR-MG": {...}, "BR-SP": {...}},
   "due": [{"subdiv": "MG", "start": "2026-12-23", "days": 10, "unit": "business",
            "due": "2027-01-08"}, ...]}

Only python-holidays' default category (PUBLIC) is used: its OPTIONAL
category holds the pontos facultativos (Carnaval, Quarta-feira de Cinzas,
Corpus Christi, Dia do Servidor Público, 24 and 31 December), which redegov
counts only when a contract says so (Calendar.carnival/corpus_christi, off
in this comparison).

The due dates are computed here by an independent implementation of Lei
9.784/1999, art. 66 on python-holidays' calendar: the start day is excluded
and the last included; N business days end on the Nth business day after
the start; N calendar days end on start + N, moved to the next business day
when that is a weekend or holiday; 0 days is the start, moved likewise.

Exit status 3 (and a line on stderr) when the `holidays` module is missing,
so the test can tell "not installed" from a failure.

Usage: holidays_reference.py [--first 2000] [--last 2050] [--cases 3000]
"""

import argparse
import datetime as dt
import json
import sys

try:
    import holidays
except ImportError:
    print("python holidays not installed (pip install holidays)", file=sys.stderr)
    sys.exit(3)

SUBDIVS = {"BR": None, "BR-MG": "MG", "BR-SP": "SP"}


def calendar(subdiv, years):
    # language="pt_BR" so the names read like ours; categories default to PUBLIC.
    return holidays.country_holidays("BR", subdiv=subdiv, years=years, language="pt_BR")


def is_business_day(cal, day):
    return day.weekday() < 5 and day not in cal


def next_business_day(cal, day):
    while not is_business_day(cal, day):
        day += dt.timedelta(days=1)
    return day


def due(cal, start, days, unit):
    """Lei 9.784/1999, art. 66."""
    if unit == "calendar" or days == 0:
        return next_business_day(cal, start + dt.timedelta(days=days))
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_business_day(cal, day):
            counted += 1
    return day


def lcg(seed):
    """A fixed pseudo-random sequence (the cases are the same on every run)."""
    state = seed
    while True:
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        yield state >> 33


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=2000)
    parser.add_argument("--last", type=int, default=2050)
    parser.add_argument("--cases", type=int, default=3000)
    args = parser.parse_args()
    years = range(args.first, args.last + 1)

    calendars = {}
    for key, subdiv in SUBDIVS.items():
        cal = calendar(subdiv, years)
        by_year = {str(y): [] for y in years}
        for day, name in sorted(cal.items()):
            by_year[str(day.year)].append([day.isoformat(), name])
        calendars[key] = by_year

    # Deadlines may run past the last year: the calendars compute on demand.
    cals = {subdiv: calendar(subdiv, years) for subdiv in SUBDIVS.values()}
    rand = lcg(20260404)
    first = dt.date(args.first, 1, 1)
    span = (dt.date(args.last, 12, 31) - first).days + 1
    cases = []
    for i in range(args.cases):
        subdiv = list(SUBDIVS.values())[next(rand) % len(SUBDIVS)]
        start = first + dt.timedelta(days=next(rand) % span)
        # Mostly short deadlines; every 50th case up to ~2 years.
        days = next(rand) % (800 if i % 50 == 0 else 121)
        unit = "business" if next(rand) % 2 else "calendar"
        cases.append(
            {
                "subdiv": subdiv,
                "start": start.isoformat(),
                "days": days,
                "unit": unit,
                "due": due(cals[subdiv], start, days, unit).isoformat(),
            }
        )

    json.dump(
        {"holidays_version": holidays.__version__, "calendars": calendars, "due": cases},
        sys.stdout,
        ensure_ascii=False,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
