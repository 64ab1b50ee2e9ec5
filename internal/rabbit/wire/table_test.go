package wire

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// fieldCases are every field type with its exact encoding (AMQP 0-9-1
// §4.2.5.5 with RabbitMQ's type octets) and the Go value it decodes to.
var fieldCases = []struct {
	name  string
	value any
	wire  []byte
}{
	{"bool true", true, []byte("t\x01")},
	{"bool false", false, []byte("t\x00")},
	{"int8", int8(-2), []byte("b\xfe")},
	{"uint8", uint8(200), []byte("B\xc8")},
	{"int16", int16(-2), []byte("s\xff\xfe")},
	{"uint16", uint16(0xabcd), []byte("u\xab\xcd")},
	{"int32", int32(-2), []byte("I\xff\xff\xff\xfe")},
	{"uint32", uint32(0xdeadbeef), []byte("i\xde\xad\xbe\xef")},
	{"int64", int64(-2), []byte("l\xff\xff\xff\xff\xff\xff\xff\xfe")},
	{"float32", float32(1), []byte("f\x3f\x80\x00\x00")},
	{"float64", float64(-2), []byte("d\xc0\x00\x00\x00\x00\x00\x00\x00")},
	{"decimal", amqp.Decimal{Scale: 2, Value: -314}, []byte("D\x02\xff\xff\xfe\xc6")},
	{"string", "héllo", []byte("S\x00\x00\x00\x06héllo")},
	{"empty string", "", []byte("S\x00\x00\x00\x00")},
	{"bytes", []byte{0, 1, 0xff}, []byte("x\x00\x00\x00\x03\x00\x01\xff")},
	{"array", []any{int32(1), "a", nil}, []byte("A\x00\x00\x00\x0cI\x00\x00\x00\x01S\x00\x00\x00\x01aV")},
	{"empty array", []any{}, []byte("A\x00\x00\x00\x00")},
	{"timestamp", time.Unix(1700000000, 0), []byte("T\x00\x00\x00\x00\x65\x53\xf1\x00")},
	{"table", amqp.Table{"k": true}, []byte("F\x00\x00\x00\x04\x01kt\x01")},
	{"void", nil, []byte("V")},
}

// TestFieldEncoding: each field type encodes to its exact octets and those
// decode to the same Go value, consuming them all.
func TestFieldEncoding(t *testing.T) {
	for _, tc := range fieldCases {
		t.Run(tc.name, func(t *testing.T) {
			var e encoder
			if err := e.field(tc.value); err != nil {
				t.Fatalf("encode: %v", err)
			}
			if !bytes.Equal(e.b, tc.wire) {
				t.Errorf("encoded % x, want % x", e.b, tc.wire)
			}
			d := decoder{b: tc.wire}
			got := d.field(1)
			if d.err != nil || len(d.b) != 0 {
				t.Fatalf("decode: %v, %d octets left", d.err, len(d.b))
			}
			if !sameValue(got, tc.value) {
				t.Errorf("decoded %#v (%T), want %#v (%T)", got, got, tc.value, tc.value)
			}
		})
	}
	// int has no field type of its own: it is written as a long-long.
	var e encoder
	if err := e.field(-2); err != nil || !bytes.Equal(e.b, []byte("l\xff\xff\xff\xff\xff\xff\xff\xfe")) {
		t.Errorf("int: % x, %v", e.b, err)
	}
}

// TestTableRoundTrip: a table holding every field type, nested tables and
// arrays included, survives encode and decode.
func TestTableRoundTrip(t *testing.T) {
	in := amqp.Table{}
	for _, tc := range fieldCases {
		in[tc.name] = tc.value
	}
	in["extremes"] = []any{int8(math.MinInt8), uint8(math.MaxUint8), int16(math.MinInt16), uint16(math.MaxUint16),
		int32(math.MinInt32), uint32(math.MaxUint32), int64(math.MinInt64), float32(math.MaxFloat32), math.SmallestNonzeroFloat64}
	in["nested"] = amqp.Table{"inner": amqp.Table{"array": []any{amqp.Table{"x": []byte("y")}, []any{[]any{"deep"}}}}}
	in[strings.Repeat("k", 255)] = "the longest key"
	var e encoder
	if err := e.table(in); err != nil {
		t.Fatalf("encode: %v", err)
	}
	d := decoder{b: e.b}
	out := d.table()
	if d.err != nil || len(d.b) != 0 {
		t.Fatalf("decode: %v, %d octets left", d.err, len(d.b))
	}
	if !sameValue(out, in) {
		t.Errorf("decoded\n%#v\nwant\n%#v", out, in)
	}
}

// TestEmptyTable: an empty or absent table decodes to nil and encodes as an
// empty one.
func TestEmptyTable(t *testing.T) {
	for _, in := range []amqp.Table{nil, {}} {
		var e encoder
		if err := e.table(in); err != nil || !bytes.Equal(e.b, []byte{0, 0, 0, 0}) {
			t.Errorf("encode %#v: % x, %v", in, e.b, err)
		}
	}
	d := decoder{b: []byte{0, 0, 0, 0}}
	if got := d.table(); got != nil || d.err != nil {
		t.Errorf("decode an empty table: %#v, %v", got, d.err)
	}
}

// TestEncodeUnsupported: a value without a field type, anywhere in a table,
// is an error naming its type, as is a key longer than a short string.
func TestEncodeUnsupported(t *testing.T) {
	cases := []struct {
		name string
		in   amqp.Table
		want string
	}{
		{"uint64", amqp.Table{"k": uint64(1)}, "uint64"},
		{"uint", amqp.Table{"k": uint(1)}, "uint"},
		{"plain map", amqp.Table{"k": map[string]any{"a": 1}}, "map[string]interface {}"},
		{"struct", amqp.Table{"k": struct{}{}}, "struct {}"},
		{"pointer", amqp.Table{"k": new(int)}, "*int"},
		{"string slice", amqp.Table{"k": []string{"a"}}, "[]string"},
		{"in an array", amqp.Table{"k": []any{"ok", complex(1, 1)}}, "complex128"},
		{"in a nested table", amqp.Table{"k": amqp.Table{"j": int(1), "bad": uint64(2)}}, "uint64"},
		{"key too long", amqp.Table{strings.Repeat("k", 256): true}, "longer than 255 octets"},
	}
	for _, tc := range cases {
		var e encoder
		err := e.table(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one naming %q", tc.name, err, tc.want)
		}
	}
}

// tableNested is a table encoding that nests depth tables (kind 'F') or
// arrays (kind 'A') below its top.
func tableNested(kind byte, depth int) []byte {
	v := cat(u8('S'), lstr("leaf"))
	for range depth {
		if kind == 'F' {
			v = cat(u8('F'), lstr(string(cat(sstr("n"), v))))
		} else {
			v = cat(u8('A'), lstr(string(v)))
		}
	}
	return lstr(string(cat(sstr("top"), v)))
}

// TestDecodeDepth: tables and arrays may nest up to maxTableDepth levels
// (the top table included); deeper is an error, not a deep recursion.
func TestDecodeDepth(t *testing.T) {
	for _, kind := range []byte{'F', 'A'} {
		d := decoder{b: tableNested(kind, maxTableDepth-1)}
		if d.table() == nil || d.err != nil {
			t.Errorf("%c nested %d deep: %v", kind, maxTableDepth-1, d.err)
		}
		for _, depth := range []int{maxTableDepth, 100, 1000} {
			d := decoder{b: tableNested(kind, depth)}
			if got := d.table(); got != nil || d.err == nil {
				t.Errorf("%c nested %d deep: %v, %v; want an error", kind, depth, got, d.err)
			}
		}
	}
}

// TestDecodeMalformed: malformed tables are errors (the first one sticks),
// never panics or partial tables.
func TestDecodeMalformed(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"no length", []byte{0, 0}, "truncated or malformed long"},
		{"length beyond the data", cat(u32(10), sstr("k"), u8('V')), "truncated or malformed long string"},
		{"key beyond the table", lstr(string(cat(u8(9), []byte("abc")))), "truncated or malformed"},
		{"value missing", lstr(string(sstr("k"))), "truncated or malformed"},
		{"truncated int32", lstr(string(cat(sstr("k"), u8('I'), u16(1)))), "truncated or malformed"},
		{"truncated string", lstr(string(cat(sstr("k"), u8('S'), u32(5), []byte("ab")))), "truncated or malformed"},
		{"truncated array element", lstr(string(cat(sstr("k"), u8('A'), lstr(string(cat(u8('l'), u32(1))))))), "truncated or malformed"},
		{"unknown field type", lstr(string(cat(sstr("k"), u8('Z')))), "unknown field type 'Z'"},
		{"unknown field type in an array", lstr(string(cat(sstr("k"), u8('A'), lstr("Z")))), "unknown field type 'Z'"},
		{"nested too deep", tableNested('F', 100), "nested too deep"},
	}
	for _, tc := range cases {
		d := decoder{b: tc.in}
		got := d.table()
		if got != nil || d.err == nil || !strings.Contains(d.err.Error(), tc.want) {
			t.Errorf("%s: %#v, err %v; want nil and an error saying %q", tc.name, got, d.err, tc.want)
		}
		if d.b != nil || d.short() != 0 || d.err == nil {
			t.Errorf("%s: the decoder reads on after an error", tc.name)
		}
	}
}

// sameValue is reflect.DeepEqual with NaNs equal to themselves and times
// compared as instants.
func sameValue(a, b any) bool {
	switch a := a.(type) {
	case float32:
		b, ok := b.(float32)
		return ok && math.Float32bits(a) == math.Float32bits(b)
	case float64:
		b, ok := b.(float64)
		return ok && math.Float64bits(a) == math.Float64bits(b)
	case time.Time:
		b, ok := b.(time.Time)
		return ok && a.Equal(b)
	case amqp.Table:
		b, ok := b.(amqp.Table)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameValue(a[i], b[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// FuzzTable feeds arbitrary octets to the field table decoder: it never
// panics, fails without a table or returns one that survives encode and
// decode unchanged.
func FuzzTable(f *testing.F) {
	var e encoder
	all := amqp.Table{}
	for _, tc := range fieldCases {
		all[tc.name] = tc.value
	}
	if err := e.table(all); err != nil {
		f.Fatal(err)
	}
	f.Add(e.b)
	f.Add(tableNested('F', 40))
	f.Add(tableNested('A', 40))
	f.Add([]byte{0, 0, 0, 0})
	f.Add(lstr(string(cat(sstr("k"), u8('Z')))))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := decoder{b: data}
		tab := d.table()
		if d.err != nil {
			if tab != nil {
				t.Fatalf("a table %#v with the error %v", tab, d.err)
			}
			return
		}
		var e encoder
		if err := e.table(tab); err != nil {
			t.Fatalf("the decoded table does not encode: %v", err)
		}
		d2 := decoder{b: e.b}
		again := d2.table()
		if d2.err != nil || len(d2.b) != 0 || !sameValue(again, tab) {
			t.Fatalf("round trip: %#v, %v; want %#v", again, d2.err, tab)
		}
	})
}

// FuzzHeader feeds arbitrary octets to a channel as the content header of a
// delivery: it never panics, and a header it accepts leaves the channel
// waiting for exactly the body it announced.
func FuzzHeader(f *testing.F) {
	props := cat(sstr("application/json"), sstr("utf-8"), lstr(string(cat(sstr("k"), u8('S'), lstr("v")))), u8(2), u8(5),
		sstr("corr"), sstr("reply"), sstr("60000"), sstr("id"), u64(1700000000), sstr("type"), sstr("guest"), sstr("app"), sstr("cluster"))
	f.Add(cat(u16(60), u16(0), u64(3), u16(0xfffc), props))
	f.Add(cat(u16(60), u16(0), u64(0), u16(0)))
	f.Add(cat(u16(60), u16(0), u64(1<<40), u16(0)))
	f.Add(cat(u16(60), u16(0), u64(0), u16(flagHeaders), nestedHeaders(50)))
	f.Fuzz(func(t *testing.T, data []byte) {
		ch := newChannel(nil, 1)
		ch.expect = frameHeader
		var delivered []amqp.Delivery
		// A consumer only for small bodies: the body is allocated from the
		// header's size.
		if len(data) >= 12 && binary64(data[4:12]) <= 1<<16 {
			ch.cons = &consumer{tag: "c", deliver: func(d *amqp.Delivery) { delivered = append(delivered, *d) }}
		}
		hadConsumer := ch.cons != nil
		err := ch.header(data)
		switch {
		case err != nil:
			if len(delivered) != 0 {
				t.Fatal("a delivery from a header in error")
			}
		case ch.expect == frameBody:
			if ch.size == 0 || ch.size != binary64(data[4:12]) || len(delivered) != 0 {
				t.Fatalf("waiting for a body of %d octets after a header announcing %d", ch.size, binary64(data[4:12]))
			}
			if hadConsumer && (len(ch.dlv.Body) != 0 || uint64(cap(ch.dlv.Body)) != min(ch.size, firstBody)) {
				t.Fatalf("body buffer of %d octets (capacity %d) for %d", len(ch.dlv.Body), cap(ch.dlv.Body), ch.size)
			}
		default:
			if binary64(data[4:12]) != 0 {
				t.Fatalf("a header announcing %d octets completed the delivery", binary64(data[4:12]))
			}
			if ch.expect != 0 || hadConsumer != (len(delivered) == 1) {
				t.Fatalf("expect %d, %d deliveries", ch.expect, len(delivered))
			}
		}
	})
}

func binary64(b []byte) uint64 {
	var v uint64
	for _, o := range b {
		v = v<<8 | uint64(o)
	}
	return v
}
