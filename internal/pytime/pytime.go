package pytime

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"

	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// isoRE is iso8601's ISO8601_REGEX rewritten for RE2: the look-ahead that
// forbids "YYYYMM" becomes a second alternative that requires a day, and
// Python's "$" (end, or before a final newline) is "\n?\z". Go's regexp picks
// the same submatches a backtracking engine would.
var isoRE = regexp.MustCompile(`^([0-9]{4})(?:-([0-9]{1,2})(?:` + isoDay + `)?|([0-9]{2})(?:` + isoDay + `))?\n?\z`)

// isoDay is the day and optional time part; it appears twice in isoRE.
const isoDay = `(?:-([0-9]{1,2})|([0-9]{2}))(?:([ T])([0-9]{2})(?::?([0-9]{2}))?(?::?([0-9]{1,2})(?:[.,]([0-9]+))?)?(Z|([-+])([0-9]{2}):?([0-9]{2})?)?)?`

// isoGroups is the number of capturing groups in isoDay.
const isoGroups = 11

// Time is a parsed, time-zone-aware date and time (Python's aware
// datetime), to the microsecond.
type Time struct {
	year, month, day, hour, minute, second, micro int
	offset                                        int // minutes east of UTC
}

// ErrNotString is Parse given something other than a string (Python's
// TypeError).
var ErrNotString = errors.New("expected string or bytes-like object")

// Parse is parse_isotime(v) for a decoded JSON value. A value that is not a
// string fails, as Python's regex match raises TypeError.
func Parse(v pyjson.Value) (Time, error) {
	s, ok := v.(string)
	if !ok {
		return Time{}, fmt.Errorf("parse timestamp %s: %w, got '%s'", pyjson.Repr(v), ErrNotString, pyval.TypeName(v))
	}
	return ParseString(s)
}

// ParseString is parse_isotime(s).
func ParseString(s string) (Time, error) {
	t, ok := parseFast(s)
	var err error
	if ok {
		err = t.validate(s)
	} else {
		t, err = parseRegex(s)
	}
	if err != nil {
		return Time{}, err
	}
	return t, nil
}

// rangeError is a parsed date datetime refuses.
func rangeError(s, reason string) error {
	return fmt.Errorf("parse date %s: %s", pyjson.Repr(s), reason)
}

// parseRegex is parse_date through isoRE.
func parseRegex(s string) (Time, error) {
	m := isoRE.FindStringSubmatch(s)
	if m == nil {
		return Time{}, fmt.Errorf("unable to parse date string %s", pyjson.Repr(s))
	}
	var t Time
	t.year, _ = strconv.Atoi(m[1])
	t.month, t.day = 1, 1
	var g []string // the day/time groups of the alternative that matched
	switch {
	case m[2] != "":
		t.month, _ = strconv.Atoi(m[2])
		g = m[3 : 3+isoGroups]
	case m[3+isoGroups] != "":
		t.month, _ = strconv.Atoi(m[3+isoGroups])
		g = m[4+isoGroups : 4+2*isoGroups]
	}
	if g != nil {
		// g: daydash day sep hour minute second fraction tz sign tzh tzm
		switch {
		case g[0] != "":
			t.day, _ = strconv.Atoi(g[0])
		case g[1] != "":
			t.day, _ = strconv.Atoi(g[1])
		}
		t.hour, _ = strconv.Atoi(g[3])
		t.minute, _ = strconv.Atoi(g[4])
		t.second, _ = strconv.Atoi(g[5])
		micro, err := fractionMicros(g[6])
		if err != nil {
			return Time{}, rangeError(s, err.Error())
		}
		t.micro = micro
		if g[7] != "" && g[7] != "Z" {
			h, _ := strconv.Atoi(g[9])
			mi, _ := strconv.Atoi(g[10])
			off := h*60 + mi
			if off >= 24*60 {
				return Time{}, rangeError(s, "offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24)")
			}
			if g[8] == "-" {
				off = -off
			}
			t.offset = off
		}
	}
	return t, t.validate(s)
}

// fractionMicros is int(Decimal("0.<frac>") * Decimal("1000000.0")) under
// Python's default decimal context: the product is rounded half-even to 28
// significant digits, then truncated.
func fractionMicros(frac string) (int, error) {
	if frac == "" {
		return 0, nil
	}
	lead := 0
	for lead < len(frac) && frac[lead] == '0' {
		lead++
	}
	sig := frac[lead:]
	if len(sig) > 28 {
		// Round sig to 28 digits, half even.
		keep := []byte(sig[:28])
		first, rest := sig[28], sig[29:]
		up := first > '5'
		if first == '5' {
			nonzero := false
			for i := 0; i < len(rest); i++ {
				if rest[i] != '0' {
					nonzero = true
					break
				}
			}
			up = nonzero || (keep[27]-'0')%2 == 1
		}
		if up {
			i := len(keep) - 1
			for i >= 0 && keep[i] == '9' {
				keep[i] = '0'
				i--
			}
			if i < 0 {
				// Carried out: the value is 10^-lead.
				if lead == 0 {
					return 0, errors.New("microsecond must be in 0..999999")
				}
				lead--
				keep = append([]byte{'1'}, keep...)
			} else {
				keep[i]++
			}
		}
		sig = string(keep)
	}
	n := 0
	for i := range 6 {
		d := 0
		switch {
		case i < lead:
		case i-lead < len(sig):
			d = int(sig[i-lead] - '0')
		}
		n = n*10 + d
	}
	return n, nil
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// validate applies datetime.datetime's range checks.
func (t *Time) validate(s string) error {
	var reason string
	switch {
	case t.year < 1 || t.year > 9999:
		reason = fmt.Sprintf("year %d is out of range", t.year)
	case t.month < 1 || t.month > 12:
		reason = "month must be in 1..12"
	case t.day < 1 || t.day > daysIn(t.year, t.month):
		reason = "day is out of range for month"
	case t.hour > 23:
		reason = "hour must be in 0..23"
	case t.minute > 59:
		reason = "minute must be in 0..59"
	case t.second > 59:
		reason = "second must be in 0..59"
	default:
		return nil
	}
	return rangeError(s, reason)
}

// daysFromCivil returns the days since 0001-01-01 (proleptic Gregorian).
func daysFromCivil(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := yy / 400
	if yy < 0 && yy%400 != 0 {
		era--
	}
	yoe := yy - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468 + 719162 // days since 1970 shifted to 0001-01-01
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(days int64) (y, m, d int) {
	z := days - 719162 + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		yy++
	}
	return int(yy), m, d
}

const (
	microsPerDay = 86400 * 1000000
	// unixEpochMicros is 1970-01-01T00:00:00 in microseconds since
	// 0001-01-01T00:00:00.
	unixEpochMicros = 719162 * microsPerDay
)

// utcMicros returns the instant as microseconds since 0001-01-01T00:00:00 UTC.
func (t Time) utcMicros() int64 {
	local := daysFromCivil(t.year, t.month, t.day)*microsPerDay +
		int64(t.hour*3600+t.minute*60+t.second)*1000000 + int64(t.micro)
	return local - int64(t.offset)*60*1000000
}

// UnixMicro returns the instant as microseconds since the Unix epoch.
func (t Time) UnixMicro() int64 { return t.utcMicros() - unixEpochMicros }

// ISOFormat is datetime.isoformat() of the aware datetime:
// "YYYY-MM-DDTHH:MM:SS[.ffffff]±HH:MM", in the parsed offset ("+00:00" for a
// zone-less or "Z" time). This is the form of a sample's timestamp.
func (t Time) ISOFormat() string {
	b := make([]byte, 0, 32)
	b = appendWall(b, t.year, t.month, t.day, t.hour*3600+t.minute*60+t.second, t.micro)
	off := t.offset
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = append(b, sign)
	b = appendPadded(b, off/60, 2)
	b = append(b, ':')
	b = appendPadded(b, off%60, 2)
	return string(b)
}

// NaiveUTCISO is normalize_time(t).isoformat(): the naive UTC time,
// "YYYY-MM-DDTHH:MM:SS" plus ".ffffff" when the microseconds are not zero.
// This is the form of an event's generated time and datetime traits. It
// fails (Python: OverflowError) when UTC falls outside years 1…9999.
func (t Time) NaiveUTCISO() (string, error) {
	us := t.utcMicros()
	if us < 0 || us >= daysFromCivil(10000, 1, 1)*microsPerDay {
		return "", errors.New("date value out of range")
	}
	days, rem := us/microsPerDay, us%microsPerDay
	y, m, d := civilFromDays(days)
	return string(appendWall(make([]byte, 0, 26), y, m, d, int(rem/1000000), int(rem%1000000))), nil
}

// appendWall appends "YYYY-MM-DDTHH:MM:SS[.ffffff]".
func appendWall(b []byte, y, m, d, secs, micro int) []byte {
	b = appendPadded(b, y, 4)
	b = append(b, '-')
	b = appendPadded(b, m, 2)
	b = append(b, '-')
	b = appendPadded(b, d, 2)
	b = append(b, 'T')
	b = appendPadded(b, secs/3600, 2)
	b = append(b, ':')
	b = appendPadded(b, secs/60%60, 2)
	b = append(b, ':')
	b = appendPadded(b, secs%60, 2)
	if micro != 0 {
		b = append(b, '.')
		b = appendPadded(b, micro, 6)
	}
	return b
}

func appendPadded(b []byte, n, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(n), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// Seconds is (b - a).total_seconds(): the microsecond difference divided by
// 10^6, correctly rounded as Python's true division of integers is.
func Seconds(a, b Time) float64 {
	d := b.utcMicros() - a.utcMicros()
	if d > -(1<<53) && d < 1<<53 {
		return float64(d) / 1e6
	}
	f, _ := new(big.Rat).SetFrac64(d, 1000000).Float64()
	return f
}

// parseFast parses the common shape "YYYY-MM-DD[T ]HH:MM:SS[.f+][Z|±HH[:][MM]]"
// (optionally followed by one newline) without the regex. On that shape
// every greedy choice of isoRE succeeds, so a backtracking engine's first
// match, and therefore iso8601's groups, are exactly these; any other text
// reports false and goes to the regex. Range checks are left to validate.
func parseFast(s string) (Time, bool) {
	n := len(s)
	if n > 0 && s[n-1] == '\n' {
		n--
	}
	if n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return Time{}, false
	}
	var t Time
	var ok1, ok2, ok3, ok4, ok5, ok6 bool
	t.year, ok1 = digits(s, 0, 4)
	t.month, ok2 = digits(s, 5, 2)
	t.day, ok3 = digits(s, 8, 2)
	t.hour, ok4 = digits(s, 11, 2)
	t.minute, ok5 = digits(s, 14, 2)
	t.second, ok6 = digits(s, 17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return Time{}, false
	}
	i := 19
	if i < n && (s[i] == '.' || s[i] == ',') {
		j := i + 1
		for j < n && isDigit(s[j]) {
			j++
		}
		if j == i+1 {
			return Time{}, false
		}
		micro, err := fractionMicros(s[i+1 : j])
		if err != nil {
			return Time{}, false
		}
		t.micro = micro
		i = j
	}
	switch {
	case i == n:
	case s[i] == 'Z' && i+1 == n:
	case (s[i] == '+' || s[i] == '-') && i+3 <= n:
		h, ok := digits(s, i+1, 2)
		if !ok {
			return Time{}, false
		}
		j := i + 3
		if j < n && s[j] == ':' {
			j++
		}
		m := 0
		if j < n {
			if m, ok = digits(s, j, 2); !ok || j+2 != n {
				return Time{}, false
			}
		} else if s[j-1] == ':' {
			return Time{}, false // "+01:" is not matched by the regex either way
		}
		off := h*60 + m
		if off >= 24*60 {
			return Time{}, false
		}
		if s[i] == '-' {
			off = -off
		}
		t.offset = off
	default:
		return Time{}, false
	}
	return t, true
}

// digits parses s[i:i+w] as a decimal number of exactly w ASCII digits.
func digits(s string, i, w int) (int, bool) {
	if i+w > len(s) {
		return 0, false
	}
	v := 0
	for k := i; k < i+w; k++ {
		if !isDigit(s[k]) {
			return 0, false
		}
		v = v*10 + int(s[k]-'0')
	}
	return v, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
