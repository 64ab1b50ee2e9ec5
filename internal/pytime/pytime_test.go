package pytime

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
)

// The vectors are written by plugins/meter/testdata/gen_expected.py with
// oslo_utils.timeutils (Python 3.11, iso8601 1.0.2).
func TestParseVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/time_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs struct {
		Parse []struct {
			In    string `json:"in"`
			Out   string `json:"out"`
			Error string `json:"error"`
		} `json:"parse_isotime"`
		Timedelta []struct {
			Start string   `json:"start"`
			End   string   `json:"end"`
			Out   *float64 `json:"out"`
		} `json:"timedelta"`
	}
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Parse {
		got, err := ParseString(v.In)
		switch {
		case v.Error != "" && err == nil:
			t.Errorf("ParseString(%q) = %s, want error %q", v.In, got.ISOFormat(), v.Error)
		case v.Error != "" && !strings.Contains(strings.ToLower(v.Error), strings.ToLower(firstWords(err.Error()))):
			t.Errorf("ParseString(%q): %v, want Python's %q", v.In, err, v.Error)
		case v.Error == "" && err != nil:
			t.Errorf("ParseString(%q): %v, want %s", v.In, err, v.Out)
		case v.Error == "" && got.ISOFormat() != v.Out:
			t.Errorf("ParseString(%q) = %s, want %s", v.In, got.ISOFormat(), v.Out)
		}
	}
	for _, v := range vs.Timedelta {
		a, err1 := ParseString(v.Start)
		b, err2 := ParseString(v.End)
		switch {
		case v.Out == nil:
			if err1 == nil && err2 == nil {
				t.Errorf("Seconds(%q, %q): both parse, want an error", v.Start, v.End)
			}
		case err1 != nil || err2 != nil:
			t.Errorf("Seconds(%q, %q): %v %v", v.Start, v.End, err1, err2)
		case math.Abs(Seconds(a, b)) != *v.Out:
			t.Errorf("abs(Seconds(%q, %q)) = %v, want %v", v.Start, v.End, math.Abs(Seconds(a, b)), *v.Out)
		}
	}
}

// firstWords is the Python part of an error: the reason after our "parse
// date '…': " prefix, cut before Python's longer details.
func firstWords(msg string) string {
	if i := strings.LastIndex(msg, "': "); i >= 0 && strings.HasPrefix(msg, "parse date") {
		msg = msg[i+3:]
	}
	if i := strings.Index(msg, "("); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimSpace(msg)
}

// The naive-UTC form (events) and the cases the event golden tests pin down.
func TestNaiveUTCISO(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{"2026-11-25T10:00:00.123456+02:00", "2026-11-25T08:00:00.123456", ""},
		{"2026-11-25 10:00:00", "2026-11-25T10:00:00", ""},
		{"2026-11-25T10:00:00.000000Z", "2026-11-25T10:00:00", ""},
		{"0001-01-01T00:30:00+01:00", "", "out of range"},
		{"9999-12-31T23:30:00-01:00", "", "out of range"},
		{"2026-11-25T10:00:00.9999995", "2026-11-25T10:00:00.999999", ""},
		{"2026-11-25T10:00:00." + strings.Repeat("9", 40), "", "microsecond"},
		{"2026-02-29", "", "day is out of range"},
		{"2026-11-25T10:00:60", "", "second must be"},
		{"2026-11-25T10:00:00+24:00", "", "offset must be"},
		{"2026-11-25T10:00:00\n", "2026-11-25T10:00:00", ""},
		{"202611", "", "unable to parse"},
	}
	for _, c := range cases {
		p, err := ParseString(c.in)
		var got string
		if err == nil {
			got, err = p.NaiveUTCISO()
		}
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: %q, %v; want error %q", c.in, got, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%q: %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestParseNotString(t *testing.T) {
	_, err := Parse(int64(12345))
	if err == nil || err.Error() != "parse timestamp 12345: expected string or bytes-like object, got 'int'" {
		t.Errorf("Parse(12345): %v", err)
	}
}

func TestUnixMicroAndSeconds(t *testing.T) {
	a, _ := ParseString("1970-01-01T01:00:00+01:00")
	b, _ := ParseString("1970-01-01T00:00:01.5Z")
	if a.UnixMicro() != 0 || b.UnixMicro() != 1_500_000 {
		t.Errorf("UnixMicro: %d %d", a.UnixMicro(), b.UnixMicro())
	}
	if Seconds(a, b) != 1.5 || Seconds(b, a) != -1.5 {
		t.Errorf("Seconds: %v %v", Seconds(a, b), Seconds(b, a))
	}
}

// FuzzParse checks the fast path against the regular expression: when the
// fast path accepts a string, both must agree.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"2026-11-25T10:00:00", "2026-11-25 10:00:00.123456", "2026-11-25T10:00:00.5+05:30",
		"2026-11-25T10:00:00Z\n", "2026-11-25T10:00:00-0800", "2026-11-25T10:00:00+01:", "2026-11-25T10:00:00+01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, ok := parseFast(s)
		if !ok {
			return
		}
		slow, err := parseRegex(s)
		if err != nil {
			if fast.validate(s) == nil {
				t.Fatalf("%q: fast %+v, regex error %v", s, fast, err)
			}
			return
		}
		if fast != slow {
			t.Fatalf("%q: fast %+v, regex %+v", s, fast, slow)
		}
	})
}

func BenchmarkParseISOFormat(b *testing.B) {
	for b.Loop() {
		t, err := ParseString("2026-11-25 10:00:00.123456")
		if err != nil {
			b.Fatal(err)
		}
		_ = t.ISOFormat()
	}
}

func BenchmarkParseRegex(b *testing.B) {
	for b.Loop() {
		if _, err := ParseString("20261125T1000+0530"); err != nil {
			b.Fatal(err)
		}
	}
}
