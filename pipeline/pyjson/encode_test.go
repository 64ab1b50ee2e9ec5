package pyjson

import "testing"

// ObjectWriter writes what Append and AppendQuoted write for the same
// object: keys and strings needing escapes, non-ASCII, nested lists, and the
// empty object.
func TestObjectWriterMatchesAppend(t *testing.T) {
	list := []Value{"a\"b", int64(3), 1.5, &Object{Members: []Member{{Key: "k\\", Value: "é\n"}}}, nil, []Value{}}
	type member struct {
		key  string
		str  string
		list []Value
	}
	for _, members := range [][]member{
		nil,
		{{key: "message_id", str: "0f3c"}},
		{{key: "q\"uote", str: "back\\slash"}, {key: "payload", list: list}, {key: "ünï", str: "\x01\u2028"}},
		{{key: "empty", list: []Value{}}, {key: "", str: ""}},
	} {
		obj := &Object{}
		for _, m := range members {
			if m.list != nil {
				obj.Members = append(obj.Members, Member{Key: m.key, Value: m.list})
			} else {
				obj.Members = append(obj.Members, Member{Key: m.key, Value: m.str})
			}
		}
		for _, quoted := range []bool{false, true} {
			w := NewObjectWriter(quoted)
			got := []byte("prefix")
			for _, m := range members {
				if m.list != nil {
					got = w.List(got, m.key, m.list)
				} else {
					got = w.String(got, m.key, m.str)
				}
			}
			got = w.End(got)
			want := Append([]byte("prefix"), obj)
			if quoted {
				want = AppendQuoted([]byte("prefix"), obj)
			}
			if string(got) != string(want) {
				t.Errorf("quoted=%v:\n got %s\nwant %s", quoted, got, want)
			}
		}
	}
}
