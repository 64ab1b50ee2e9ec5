package meter

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"time"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// isoTimeRE is the regular expression of the iso8601 1.0.2 library, which
// oslo_utils.timeutils.parse_isotime uses. Go's leftmost-first submatch
// semantics give the groups Python's backtracking gives. Two differences are
// handled in parseISOTime: Python's "$" also matches before a final newline,
// and the month's "(?!$)" look-ahead (no YYYYMM form) is checked afterwards.
var isoTimeRE = regexp.MustCompile(`^([0-9]{4})(?:(?:-([0-9]{1,2})|([0-9]{2}))(?:(?:-([0-9]{1,2})|([0-9]{2}))(?:([ T])([0-9]{2})(?::?([0-9]{2}))?(?::?([0-9]{1,2})(?:[.,]([0-9]+))?)?(Z|([-+])([0-9]{2}):?([0-9]{2})?)?)?)?)?(\n?)$`)

// Submatch indexes of isoTimeRE.
const (
	isoYear = 1 + iota
	isoMonthDash
	isoMonth
	isoDayDash
	isoDay
	isoSep
	isoHour
	isoMinute
	isoSecond
	isoFraction
	isoTZ
	isoTZSign
	isoTZHour
	isoTZMinute
	isoNewline
)

// isoTime is a parsed timestamp: Python's aware datetime as iso8601 returns
// it (a naive string is taken as UTC).
type isoTime struct {
	t      time.Time // wall clock in the parsed offset
	offset int       // seconds east of UTC
}

// errNotString is parse_isotime given something other than a string.
var errNotString = errors.New("expected string or bytes-like object")

// parseISOTimeValue is timeutils.parse_isotime(v) for a decoded JSON value.
func parseISOTimeValue(v pyjson.Value) (isoTime, error) {
	s, ok := v.(string)
	if !ok {
		return isoTime{}, fmt.Errorf("parse timestamp %s: %w", pyjson.Repr(v), errNotString)
	}
	return parseISOTime(s)
}

// isoFields are the parsed parts of a timestamp.
type isoFields struct {
	year, month, day, hour, minute, second, micro int
	offset                                        int // seconds east of UTC
	offsetGiven                                   bool
}

// parseISOTime is oslo_utils.timeutils.parse_isotime(s): iso8601.parse_date
// with UTC as the default time zone.
func parseISOTime(s string) (isoTime, error) {
	f, ok := scanCanonical(s)
	if !ok {
		var err error
		if f, err = scanRegexp(s); err != nil {
			return isoTime{}, err
		}
	}
	switch {
	case f.year < 1:
		return isoTime{}, fmt.Errorf("parse date %s: year 0 is out of range", pyjson.Repr(s))
	case f.month < 1 || f.month > 12:
		return isoTime{}, fmt.Errorf("parse date %s: month must be in 1..12", pyjson.Repr(s))
	case f.day < 1 || f.day > daysIn(f.year, f.month):
		return isoTime{}, fmt.Errorf("parse date %s: day is out of range for month", pyjson.Repr(s))
	case f.hour > 23:
		return isoTime{}, fmt.Errorf("parse date %s: hour must be in 0..23", pyjson.Repr(s))
	case f.minute > 59:
		return isoTime{}, fmt.Errorf("parse date %s: minute must be in 0..59", pyjson.Repr(s))
	case f.second > 59:
		return isoTime{}, fmt.Errorf("parse date %s: second must be in 0..59", pyjson.Repr(s))
	case f.offset <= -86400 || f.offset >= 86400:
		// datetime.timezone: strictly between -24 and 24 hours.
		return isoTime{}, fmt.Errorf("parse date %s: offset must be strictly between -24 and 24 hours", pyjson.Repr(s))
	}
	t := time.Date(f.year, time.Month(f.month), f.day, f.hour, f.minute, f.second, f.micro*1000, time.UTC)
	return isoTime{t: t, offset: f.offset}, nil
}

// scanCanonical parses the common shape without the regular expression:
// YYYY-MM-DD[T ]HH:MM:SS[(.|,)digits][Z|±HH:MM]. For it the expression's
// groups are unambiguous, so the result is the same.
func scanCanonical(s string) (isoFields, bool) {
	var f isoFields
	digits := func(i, n int) (int, bool) {
		if i+n > len(s) {
			return 0, false
		}
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	var ok [6]bool
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return f, false
	}
	f.year, ok[0] = digits(0, 4)
	f.month, ok[1] = digits(5, 2)
	f.day, ok[2] = digits(8, 2)
	f.hour, ok[3] = digits(11, 2)
	f.minute, ok[4] = digits(14, 2)
	f.second, ok[5] = digits(17, 2)
	if ok != [6]bool{true, true, true, true, true, true} {
		return f, false
	}
	i := 19
	if i < len(s) && (s[i] == '.' || s[i] == ',') {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 {
			return f, false
		}
		f.micro = fraction(s[i+1 : j])
		i = j
	}
	switch {
	case i == len(s):
	case s[i] == 'Z' && i+1 == len(s):
	case (s[i] == '+' || s[i] == '-') && i+6 == len(s) && s[i+3] == ':':
		h, ok1 := digits(i+1, 2)
		m, ok2 := digits(i+4, 2)
		if !ok1 || !ok2 {
			return f, false
		}
		f.offset, f.offsetGiven = h*3600+m*60, true
		if s[i] == '-' {
			f.offset = -f.offset
		}
	default:
		return f, false
	}
	return f, true
}

// fraction is int(Decimal("0." + digits) * 1000000): the first six digits.
func fraction(d string) int {
	micro := 0
	for i := range 6 {
		micro *= 10
		if i < len(d) {
			micro += int(d[i] - '0')
		}
	}
	return micro
}

// scanRegexp parses s with the iso8601 expression.
func scanRegexp(s string) (isoFields, error) {
	var f isoFields
	m := isoTimeRE.FindStringSubmatchIndex(s)
	if m == nil {
		return f, fmt.Errorf("unable to parse date string %s", pyjson.Repr(s))
	}
	group := func(i int) string {
		if m[2*i] < 0 {
			return ""
		}
		return s[m[2*i]:m[2*i+1]]
	}
	// (?P<month>[0-9]{2})(?!$): a two-digit month may not end the string.
	// Nothing else can then match, so the whole parse fails.
	if m[2*isoMonth] >= 0 && m[2*isoDayDash] < 0 && m[2*isoDay] < 0 {
		return f, fmt.Errorf("unable to parse date string %s", pyjson.Repr(s))
	}
	num := func(i, def int) int {
		g := group(i)
		if g == "" {
			return def
		}
		n, _ := strconv.Atoi(g)
		return n
	}
	f.year = num(isoYear, 0)
	f.month = num(isoMonth, num(isoMonthDash, 1))
	f.day = num(isoDay, num(isoDayDash, 1))
	f.hour, f.minute, f.second = num(isoHour, 0), num(isoMinute, 0), num(isoSecond, 0)
	f.micro = fraction(group(isoFraction))
	if tz := group(isoTZ); tz != "" && tz != "Z" {
		f.offset, f.offsetGiven = num(isoTZHour, 0)*3600+num(isoTZMinute, 0)*60, true
		if group(isoTZSign) == "-" {
			f.offset = -f.offset
		}
	}
	return f, nil
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// isoformat renders t as Python's datetime.isoformat() of an aware datetime:
// YYYY-MM-DDTHH:MM:SS[.ffffff]+HH:MM.
func (t isoTime) isoformat() string {
	b := make([]byte, 0, 32)
	b = appendPadded(b, t.t.Year(), 4)
	b = append(b, '-')
	b = appendPadded(b, int(t.t.Month()), 2)
	b = append(b, '-')
	b = appendPadded(b, t.t.Day(), 2)
	b = append(b, 'T')
	b = appendPadded(b, t.t.Hour(), 2)
	b = append(b, ':')
	b = appendPadded(b, t.t.Minute(), 2)
	b = append(b, ':')
	b = appendPadded(b, t.t.Second(), 2)
	if us := t.t.Nanosecond() / 1000; us != 0 {
		b = append(b, '.')
		b = appendPadded(b, us, 6)
	}
	off := t.offset
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = append(b, sign)
	b = appendPadded(b, off/3600, 2)
	b = append(b, ':')
	b = appendPadded(b, off%3600/60, 2)
	return string(b)
}

// utc returns the instant t stands for.
func (t isoTime) utc() time.Time {
	return t.t.Add(-time.Duration(t.offset) * time.Second)
}

func appendPadded(b []byte, n, width int) []byte {
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], int64(n), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// totalSeconds is abs((end - start).total_seconds()) of two parsed times, as
// Python computes it: the exact difference in microseconds divided by 10**6,
// correctly rounded.
func totalSeconds(start, end isoTime) float64 {
	a, b := start.utc(), end.utc()
	d := (b.Unix()-a.Unix())*1_000_000 + int64(b.Nanosecond()/1000-a.Nanosecond()/1000)
	if d < 0 {
		d = -d
	}
	if d <= 1<<53 {
		return float64(d) / 1e6
	}
	f, _ := new(big.Rat).SetFrac64(d, 1_000_000).Float64()
	return f
}
