package pyval

import "fmt"

// ExceptionType names the Python exception a conversion raises.
type ExceptionType uint8

// The exceptions Int and Float raise.
const (
	ValueError ExceptionType = iota + 1
	TypeError
	OverflowError
)

// String is the exception's Python name.
func (t ExceptionType) String() string {
	switch t {
	case ValueError:
		return "ValueError"
	case TypeError:
		return "TypeError"
	case OverflowError:
		return "OverflowError"
	}
	return "Exception"
}

// Exception is an error Python would raise; Error returns Python's message
// (without the exception name). Callers that catch only some exceptions, as
// Python code does, tell them apart with errors.As and Type.
type Exception struct {
	Type ExceptionType
	Msg  string
}

func (e *Exception) Error() string { return e.Msg }

func raise(t ExceptionType, format string, args ...any) error {
	return &Exception{Type: t, Msg: fmt.Sprintf(format, args...)}
}

// Raised reports whether err is a Python exception of type t.
func Raised(err error, t ExceptionType) bool {
	e, ok := err.(*Exception)
	return ok && e.Type == t
}
