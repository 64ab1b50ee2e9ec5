package pyjson

// A Value is a decoded JSON value with Python's json module semantics. Its dynamic
// type is always one of:
//
//	nil          JSON null            (Python None)
//	bool         true / false         (Python bool)
//	int64        an integer literal   (Python int) that fits in 64 bits
//	BigInt       an integer literal   (Python int) that does not
//	float64      any other number, NaN and ±Infinity included (Python float)
//	string       a string             (Python str); lone surrogates become U+FFFD
//	[]Value      an array             (Python list)
//	*Object      an object            (Python dict, insertion-ordered)
//
// Keeping integers and floats apart, and object members in document order, is what
// makes re-encoding and Python's str()/repr() (used by Ceilometer's message
// signatures) reproducible byte for byte.
type Value = any

// BigInt is an integer literal too large for int64, kept as its decimal digits
// (with an optional leading '-').
type BigInt string

// Member is one key/value pair of an Object.
type Member struct {
	Key   string
	Value Value
}

// Object is a JSON object that remembers the order of its keys, like a Python dict.
// Keys are unique: Set on an existing key replaces its value in place (as Python
// does for a repeated key in a document: first position, last value).
// The zero value is an empty object ready to use.
type Object struct {
	Members []Member
}

// Get returns the value of key and whether it is present.
func (o *Object) Get(key string) (Value, bool) {
	if o == nil {
		return nil, false
	}
	for i := range o.Members {
		if o.Members[i].Key == key {
			return o.Members[i].Value, true
		}
	}
	return nil, false
}

// Set adds key with value v, or replaces the value of an existing key in place.
func (o *Object) Set(key string, v Value) {
	for i := range o.Members {
		if o.Members[i].Key == key {
			o.Members[i].Value = v
			return
		}
	}
	o.Members = append(o.Members, Member{Key: key, Value: v})
}

// Delete removes key, keeping the order of the others.
func (o *Object) Delete(key string) {
	for i := range o.Members {
		if o.Members[i].Key == key {
			o.Members = append(o.Members[:i], o.Members[i+1:]...)
			return
		}
	}
}

// Len returns the number of members.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.Members)
}
