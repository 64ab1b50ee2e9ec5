package pyjson

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"unicode"
)

// The vectors come from testdata/gen_vectors.py run with the Python Ceilometer
// runs on; see that script for the format.
type vectorFile struct {
	Python       string       `json:"python"`
	Unicode      string       `json:"unicode"`
	Cases        []vectorCase `json:"cases"`
	Nonprintable [][2]rune    `json:"nonprintable"`
}

type vectorOutputs struct {
	Dumps        string      `json:"dumps"`
	DumpsUnicode string      `json:"dumps_unicode"`
	Str          string      `json:"str"`
	Repr         string      `json:"repr"`
	Members      [][3]string `json:"members"`
}

type vectorCase struct {
	Input      string `json:"input"`
	Error      bool   `json:"error"`
	Surrogates int    `json:"surrogates"`
	vectorOutputs
	GoDumps        string      `json:"go_dumps"`
	GoDumpsUnicode string      `json:"go_dumps_unicode"`
	GoStr          string      `json:"go_str"`
	GoRepr         string      `json:"go_repr"`
	GoMembers      [][3]string `json:"go_members"`
}

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	data, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("no vectors")
	}
	return &f
}

func TestVectors(t *testing.T) {
	t.Parallel()
	f := loadVectors(t)
	t.Logf("%d vectors from Python %s (Unicode %s)", len(f.Cases), f.Python, f.Unicode)
	for i, c := range f.Cases {
		name := c.Input
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(fmt.Sprintf("%03d_%s", i, name), func(t *testing.T) {
			var d Decoder
			v, err := d.Decode([]byte(c.Input))
			if c.Error {
				if err == nil {
					t.Fatalf("Decode(%q) = %#v, want error", c.Input, v)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%q): %v", c.Input, err)
			}
			want := c.vectorOutputs
			if c.Surrogates > 0 {
				want = vectorOutputs{c.GoDumps, c.GoDumpsUnicode, c.GoStr, c.GoRepr, c.GoMembers}
			}
			if d.Surrogates() != c.Surrogates {
				t.Errorf("Surrogates() = %d, want %d", d.Surrogates(), c.Surrogates)
			}
			check := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s:\n got %q\nwant %q", what, got, want)
				}
			}
			check("json.dumps", string(Append(nil, v)), want.Dumps)
			m, err := Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			check("Marshal", string(m), want.Dumps)
			check("json.dumps(ensure_ascii=False)", string(AppendUnicode(nil, v)), want.DumpsUnicode)
			quotedDumps := string(AppendString(nil, want.Dumps)) // json.dumps(json.dumps(v))
			check("AppendQuoted", string(AppendQuoted(nil, v)), quotedDumps[1:len(quotedDumps)-1])
			check("str", Str(v), want.Str)
			check("repr", Repr(v), want.Repr)
			if want.Members != nil {
				o, ok := v.(*Object)
				if !ok {
					t.Fatalf("decoded %T, want *Object", v)
				}
				if len(o.Members) != len(want.Members) {
					t.Fatalf("%d members, want %d", len(o.Members), len(want.Members))
				}
				for k, mem := range o.Members {
					check("key", mem.Key, want.Members[k][0])
					check("str(value)", Str(mem.Value), want.Members[k][1])
					check("repr(value)", Repr(mem.Value), want.Members[k][2])
				}
			}
		})
	}
}

// TestIsPrintable compares IsPrintable with Python's str.isprintable over every
// code point.
func TestIsPrintable(t *testing.T) {
	t.Parallel()
	f := loadVectors(t)
	var py [unicode.MaxRune + 1]bool
	for r := range py {
		py[r] = true
	}
	for _, rg := range f.Nonprintable {
		for r := rg[0]; r <= rg[1]; r++ {
			py[r] = false
		}
	}
	var bad [][2]rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if IsPrintable(r) == py[r] {
			continue
		}
		if n := len(bad); n > 0 && bad[n-1][1] == r-1 {
			bad[n-1][1] = r
		} else {
			bad = append(bad, [2]rune{r, r})
		}
	}
	for _, rg := range bad {
		t.Errorf("IsPrintable differs from Python for {%#x, %#x} (Python says %v)", rg[0], rg[1], py[rg[0]])
	}
}
