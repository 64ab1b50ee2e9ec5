package pyre

import (
	"errors"
	"fmt"
)

// Error is a pattern or template that cannot be run: invalid in Python, or
// (Unsupported) valid Python that Go's regexp cannot run.
type Error struct {
	Msg         string
	Unsupported bool
}

func (e *Error) Error() string { return e.Msg }

// IsUnsupported reports whether err says the pattern is valid Python that
// this package cannot run (look-behind, back-references, …).
func IsUnsupported(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Unsupported
}

func unsupported(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...), Unsupported: true}
}

func invalid(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}
