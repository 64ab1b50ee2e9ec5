package transformer

// oslo_utils.timeutils.parse_isotime (the iso8601 package) and
// delta_seconds, to microsecond precision like Python's datetime.

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// isoTime is an instant as microseconds since the Unix epoch (UTC).
type isoTime int64

// iso8601Re is the iso8601 package's ISO8601_REGEX (YYYY, YYYY-MM,
// YYYY-MM-DD, YYYYMMDD, then an optional "T" or " " time with optional
// minutes, seconds, fraction and zone).
var iso8601Re = regexp.MustCompile(`^([0-9]{4})(?:(?:-([0-9]{1,2})|([0-9]{2}))(?:(?:-([0-9]{1,2})|([0-9]{2}))(?:[ T]([0-9]{2})(?::?([0-9]{2}))?(?::?([0-9]{1,2})(?:[.,]([0-9]+))?)?(Z|([-+])([0-9]{2}):?([0-9]{2})?)?)?)?)?$`)

// parseISOTime is parse_isotime: a string in ISO 8601 form, a zone-less
// time being UTC. Anything else is an error.
func parseISOTime(v pyjson.Value) (isoTime, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("timestamp %s is not a string", pyjson.Repr(v))
	}
	if t, ok := fastISOTime(s); ok {
		return t, nil
	}
	m := iso8601Re.FindStringSubmatch(s)
	if m == nil || (m[3] != "" && m[4] == "" && m[5] == "") { // YYYYMM is refused
		return 0, fmt.Errorf("unable to parse date string %q", s)
	}
	atoi := func(x string, def int) int {
		if x == "" {
			return def
		}
		n, _ := strconv.Atoi(x)
		return n
	}
	year := atoi(m[1], 0)
	month := atoi(m[2]+m[3], 1)
	day := atoi(m[4]+m[5], 1)
	hour, minute, sec := atoi(m[6], 0), atoi(m[7], 0), atoi(m[8], 0)
	usec := fracMicros(m[9])
	off := 0
	if m[11] != "" {
		off = atoi(m[12], 0)*3600 + atoi(m[13], 0)*60
		if m[11] == "-" {
			off = -off
		}
	}
	return makeISOTime(s, year, month, day, hour, minute, sec, usec, off)
}

func fracMicros(f string) int {
	us := 0
	for i := 0; i < 6; i++ {
		us *= 10
		if i < len(f) {
			us += int(f[i] - '0')
		}
	}
	return us
}

func makeISOTime(s string, year, month, day, hour, minute, sec, usec, off int) (isoTime, error) {
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 || year < 1 {
		return 0, fmt.Errorf("unable to parse date string %q: value out of range", s)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day {
		return 0, fmt.Errorf("unable to parse date string %q: day is out of range for month", s)
	}
	return isoTime(t.Unix()*1e6 + int64(usec) - int64(off)*1e6), nil
}

// fastISOTime handles the form Ceilometer writes,
// YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±HH:MM], without the regexp.
func fastISOTime(s string) (isoTime, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	d := func(i, n int) (int, bool) {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := d(0, 4)
	month, ok2 := d(5, 2)
	day, ok3 := d(8, 2)
	hour, ok4 := d(11, 2)
	minute, ok5 := d(14, 2)
	sec, ok6 := d(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return 0, false
	}
	i := 19
	usec := 0
	if i < len(s) && (s[i] == '.' || s[i] == ',') {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 {
			return 0, false
		}
		usec = fracMicros(s[i+1 : j])
		i = j
	}
	off := 0
	switch {
	case i == len(s):
	case s[i] == 'Z' && i+1 == len(s):
	case (s[i] == '+' || s[i] == '-') && len(s) == i+6 && s[i+3] == ':':
		h, ok1 := d(i+1, 2)
		m, ok2 := d(i+4, 2)
		if !ok1 || !ok2 {
			return 0, false
		}
		off = h*3600 + m*60
		if s[i] == '-' {
			off = -off
		}
	default:
		return 0, false
	}
	t, err := makeISOTime(s, year, month, day, hour, minute, sec, usec, off)
	return t, err == nil
}

// deltaSeconds is timeutils.delta_seconds(before, after): the float number
// of seconds from before to after (timedelta.total_seconds()).
func deltaSeconds(before, after isoTime) float64 {
	return float64(after-before) / 1e6
}
