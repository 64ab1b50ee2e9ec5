package event

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// This file reproduces oslo_utils.timeutils.parse_isotime (iso8601 1.0.2's
// parse_date, default time zone UTC), normalize_time and datetime.isoformat,
// which Ceilometer applies to the notification timestamp and datetime traits.

// isoRE is iso8601's ISO8601_REGEX rewritten for RE2: the look-ahead that
// forbids "YYYYMM" becomes a second alternative that requires a day, and
// Python's "$" (end, or before a final newline) is "\n?\z". Go's regexp picks
// the same submatches a backtracking engine would.
var isoRE = regexp.MustCompile(`^([0-9]{4})(?:-([0-9]{1,2})(?:` + isoDay + `)?|([0-9]{2})(?:` + isoDay + `))?\n?\z`)

// isoDay is the day and optional time part; it appears twice in isoRE.
const isoDay = `(?:-([0-9]{1,2})|([0-9]{2}))(?:([ T])([0-9]{2})(?::?([0-9]{2}))?(?::?([0-9]{1,2})(?:[.,]([0-9]+))?)?(Z|([-+])([0-9]{2}):?([0-9]{2})?)?)?`

// isoGroups is the number of capturing groups in isoDay.
const isoGroups = 11

// isoTime is a parsed, time-zone-aware date and time.
type isoTime struct {
	year, month, day, hour, minute, second, micro int
	offset                                        int // minutes east of UTC
}

// parseISOTime is parse_isotime(v). A value that is not a string fails, as
// the regex match raises TypeError (reported as ValueError).
func parseISOTime(v pyjson.Value) (isoTime, error) {
	s, ok := v.(string)
	if !ok {
		return isoTime{}, fmt.Errorf("expected string or bytes-like object, got '%s'", pyTypeName(v))
	}
	if t, ok := parseISOFast(s); ok {
		return t, t.validate()
	}
	return parseISORegex(s)
}

// parseISORegex is parse_date through isoRE.
func parseISORegex(s string) (isoTime, error) {
	m := isoRE.FindStringSubmatch(s)
	if m == nil {
		return isoTime{}, fmt.Errorf("Unable to parse date string %s", reprString(s))
	}
	var t isoTime
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
			return isoTime{}, err
		}
		t.micro = micro
		if g[7] != "" && g[7] != "Z" {
			h, _ := strconv.Atoi(g[9])
			mi, _ := strconv.Atoi(g[10])
			off := h*60 + mi
			if off >= 24*60 {
				return isoTime{}, errors.New("offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24)")
			}
			if g[8] == "-" {
				off = -off
			}
			t.offset = off
		}
	}
	if err := t.validate(); err != nil {
		return isoTime{}, err
	}
	return t, nil
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
	digits := make([]byte, 0, 6)
	for i := 0; i < lead && len(digits) < 6; i++ {
		digits = append(digits, '0')
	}
	for i := 0; i < len(sig) && len(digits) < 6; i++ {
		digits = append(digits, sig[i])
	}
	for len(digits) < 6 {
		digits = append(digits, '0')
	}
	n, _ := strconv.Atoi(string(digits))
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
func (t *isoTime) validate() error {
	switch {
	case t.year < 1 || t.year > 9999:
		return fmt.Errorf("year %d is out of range", t.year)
	case t.month < 1 || t.month > 12:
		return errors.New("month must be in 1..12")
	case t.day < 1 || t.day > daysIn(t.year, t.month):
		return errors.New("day is out of range for month")
	case t.hour > 23:
		return errors.New("hour must be in 0..23")
	case t.minute > 59:
		return errors.New("minute must be in 0..59")
	case t.second > 59:
		return errors.New("second must be in 0..59")
	}
	return nil
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

const microsPerDay = 86400 * 1000000

// utcMicros returns the instant as microseconds since 0001-01-01T00:00:00 UTC.
func (t *isoTime) utcMicros() int64 {
	local := daysFromCivil(t.year, t.month, t.day)*microsPerDay +
		int64(t.hour*3600+t.minute*60+t.second)*1000000 + int64(t.micro)
	return local - int64(t.offset)*60*1000000
}

// normalizedISO is normalize_time(t).isoformat(): the naive UTC time,
// "YYYY-MM-DDTHH:MM:SS" plus ".ffffff" when the microseconds are not zero.
// It fails (Python: OverflowError) when UTC falls outside years 1…9999.
func (t *isoTime) normalizedISO() (string, error) {
	us := t.utcMicros()
	if us < 0 || us >= daysFromCivil(10000, 1, 1)*microsPerDay {
		return "", errors.New("date value out of range")
	}
	days, rem := us/microsPerDay, us%microsPerDay
	y, m, d := civilFromDays(days)
	secs, micro := rem/1000000, int(rem%1000000)
	b := make([]byte, 0, 26)
	b = appendPadded(b, y, 4)
	b = append(b, '-')
	b = appendPadded(b, m, 2)
	b = append(b, '-')
	b = appendPadded(b, d, 2)
	b = append(b, 'T')
	b = appendPadded(b, int(secs/3600), 2)
	b = append(b, ':')
	b = appendPadded(b, int(secs/60%60), 2)
	b = append(b, ':')
	b = appendPadded(b, int(secs%60), 2)
	if micro != 0 {
		b = append(b, '.')
		b = appendPadded(b, micro, 6)
	}
	return string(b), nil
}

func appendPadded(b []byte, n, width int) []byte {
	var tmp [8]byte
	s := strconv.AppendInt(tmp[:0], int64(n), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// pyDatetime is convert_value(DATETIME_TYPE, v): parse, normalise, and the
// isoformat Ceilometer serialises the value with.
func pyDatetime(v pyjson.Value) (string, error) {
	t, err := parseISOTime(v)
	if err != nil {
		return "", err
	}
	return t.normalizedISO()
}

// secondsBetween is abs((end - start).total_seconds()) for two aware
// datetimes: the microsecond difference divided by 10^6, correctly rounded
// as Python's true division of integers is.
func secondsBetween(start, end isoTime) float64 {
	d := end.utcMicros() - start.utcMicros()
	if d < 0 {
		d = -d
	}
	if d < 1<<53 {
		return float64(d) / 1e6
	}
	f, _ := new(big.Rat).SetFrac64(d, 1000000).Float64()
	return f
}

// parseISOFast parses the common shape "YYYY-MM-DD[T ]HH:MM:SS[.f+][Z|±HH[:][MM]]"
// (optionally followed by one newline) without the regex. On that shape
// every greedy choice of isoRE succeeds, so a backtracking engine's first
// match, and therefore iso8601's groups, are exactly these; any other text
// reports false and goes to the regex. Range checks are left to validate.
func parseISOFast(s string) (isoTime, bool) {
	n := len(s)
	if n > 0 && s[n-1] == '\n' {
		n--
	}
	if n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return isoTime{}, false
	}
	var t isoTime
	var ok1, ok2, ok3, ok4, ok5, ok6 bool
	t.year, ok1 = digits(s, 0, 4)
	t.month, ok2 = digits(s, 5, 2)
	t.day, ok3 = digits(s, 8, 2)
	t.hour, ok4 = digits(s, 11, 2)
	t.minute, ok5 = digits(s, 14, 2)
	t.second, ok6 = digits(s, 17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return isoTime{}, false
	}
	i := 19
	if i < n && (s[i] == '.' || s[i] == ',') {
		j := i + 1
		for j < n && isDigit(s[j]) {
			j++
		}
		if j == i+1 {
			return isoTime{}, false
		}
		micro, err := fractionMicros(s[i+1 : j])
		if err != nil {
			return isoTime{}, false
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
			return isoTime{}, false
		}
		j := i + 3
		if j < n && s[j] == ':' {
			j++
		}
		m := 0
		if j < n {
			if m, ok = digits(s, j, 2); !ok || j+2 != n {
				return isoTime{}, false
			}
		} else if s[j-1] == ':' {
			return isoTime{}, false // "+01:" is not matched by the regex either way
		}
		off := h*60 + m
		if off >= 24*60 {
			return isoTime{}, false
		}
		if s[i] == '-' {
			off = -off
		}
		t.offset = off
	default:
		return isoTime{}, false
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
