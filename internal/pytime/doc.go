// Package pytime reproduces the timestamp handling Ceilometer 19 applies to
// notifications: oslo_utils.timeutils.parse_isotime (iso8601 1.0.2's
// parse_date with UTC as the default zone), datetime.isoformat of the aware
// result, normalize_time(…).isoformat() (the naive UTC form events carry),
// and (b - a).total_seconds().
//
// Contract:
//
//   - Parse and ParseString accept exactly what iso8601 1.0.2 accepts
//     (YYYY, YYYY-MM, YYYY-MM-DD, YYYYMMDD, then an optional "T" or " " time
//     with optional minutes, seconds, a "." or "," fraction and a zone "Z",
//     ±HH, ±HHMM or ±HH:MM; one trailing newline), and fail where Python
//     raises: the same ranges as datetime (a 24-hour offset, 29 February of a
//     common year, second 60 are errors). Error texts follow Python's.
//   - The fraction is int(Decimal("0."+digits) * 1000000) in Python's default
//     decimal context: the first six digits, except that a fraction longer
//     than 28 significant digits is first rounded half-even.
//   - Time is a comparable value; the zero Time is not a parsed time.
//
// The package has no state and is safe for concurrent use.
package pytime
