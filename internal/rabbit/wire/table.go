package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Field tables (AMQP 0-9-1 §4.2.5.5 with RabbitMQ's field types) decode to
// the same Go values amqp091 gives, so code reading message headers or
// server properties sees no difference: t bool, b int8, B uint8, s int16,
// u uint16, I int32, i uint32, l int64, f float32, d float64, D amqp.Decimal,
// S string, x []byte, A []any, T time.Time, F amqp.Table, V nil.

// maxTableDepth bounds the nesting of tables and arrays a peer may send.
const maxTableDepth = 32

// table decodes a field table; an empty one is nil (no allocation).
func (d *decoder) table() amqp.Table {
	return d.tableAt(0)
}

func (d *decoder) tableAt(depth int) amqp.Table {
	raw := d.longstrBytes()
	if d.err != nil || len(raw) == 0 {
		return nil
	}
	if depth >= maxTableDepth {
		d.fail("field table (nested too deep)")
		return nil
	}
	t := amqp.Table{}
	in := decoder{b: raw}
	for len(in.b) > 0 && in.err == nil {
		k := in.shortstr()
		v := in.field(depth + 1)
		if in.err == nil {
			t[k] = v
		}
	}
	if in.err != nil {
		d.err, d.b = in.err, nil
		return nil
	}
	return t
}

func (d *decoder) field(depth int) any {
	switch typ := d.octet(); typ {
	case 't':
		return d.octet() != 0
	case 'b':
		return int8(d.octet())
	case 'B':
		return d.octet()
	case 's':
		return int16(d.short())
	case 'u':
		return d.short()
	case 'I':
		return int32(d.long())
	case 'i':
		return d.long()
	case 'l':
		return int64(d.longlong())
	case 'f':
		return math.Float32frombits(d.long())
	case 'd':
		return math.Float64frombits(d.longlong())
	case 'D':
		scale := d.octet()
		return amqp.Decimal{Scale: scale, Value: int32(d.long())}
	case 'S':
		return d.longstr()
	case 'x':
		return append([]byte{}, d.longstrBytes()...) // never nil, as amqp091 gives
	case 'A':
		raw := d.longstrBytes()
		if depth >= maxTableDepth {
			d.fail("field array (nested too deep)")
			return nil
		}
		in := decoder{b: raw}
		var a []any // nil when empty, as amqp091 gives
		for len(in.b) > 0 && in.err == nil {
			a = append(a, in.field(depth+1))
		}
		if in.err != nil {
			d.err, d.b = in.err, nil
			return nil
		}
		return a
	case 'T':
		return d.timestamp()
	case 'F':
		return d.tableAt(depth)
	case 'V':
		return nil
	default:
		if d.err == nil {
			d.err = protocolError(replySyntaxError, fmt.Sprintf("unknown field type %q in a field table", typ))
		}
		d.b = nil
		return nil
	}
}

// table appends t as a field table. Keys are written in no particular order
// (AMQP tables are unordered).
func (e *encoder) table(t amqp.Table) error {
	at := len(e.b)
	e.long(0)
	for k, v := range t {
		if err := checkShort("field table key", k); err != nil {
			return err
		}
		e.shortstr(k)
		if err := e.field(v); err != nil {
			return fmt.Errorf("field table key %q: %w", k, err)
		}
	}
	binary.BigEndian.PutUint32(e.b[at:], uint32(len(e.b)-at-4))
	return nil
}

func (e *encoder) field(v any) error {
	switch v := v.(type) {
	case bool:
		e.octet('t')
		if v {
			e.octet(1)
		} else {
			e.octet(0)
		}
	case int8:
		e.octet('b')
		e.octet(byte(v))
	case uint8:
		e.octet('B')
		e.octet(v)
	case int16:
		e.octet('s')
		e.short(uint16(v))
	case uint16:
		e.octet('u')
		e.short(v)
	case int32:
		e.octet('I')
		e.long(uint32(v))
	case uint32:
		e.octet('i')
		e.long(v)
	case int:
		e.octet('l')
		e.longlong(uint64(v))
	case int64:
		e.octet('l')
		e.longlong(uint64(v))
	case float32:
		e.octet('f')
		e.long(math.Float32bits(v))
	case float64:
		e.octet('d')
		e.longlong(math.Float64bits(v))
	case amqp.Decimal:
		e.octet('D')
		e.octet(v.Scale)
		e.long(uint32(v.Value))
	case string:
		e.octet('S')
		e.longstr(v)
	case []byte:
		e.octet('x')
		e.long(uint32(len(v)))
		e.b = append(e.b, v...)
	case []any:
		e.octet('A')
		at := len(e.b)
		e.long(0)
		for _, x := range v {
			if err := e.field(x); err != nil {
				return err
			}
		}
		binary.BigEndian.PutUint32(e.b[at:], uint32(len(e.b)-at-4))
	case time.Time:
		e.octet('T')
		e.longlong(uint64(v.Unix()))
	case amqp.Table:
		e.octet('F')
		return e.table(v)
	case nil:
		e.octet('V')
	default:
		return fmt.Errorf("no AMQP field type for %T", v)
	}
	return nil
}
