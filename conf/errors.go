package conf

import (
	"strconv"
	"strings"
)

// FileError is an error located in a configuration file: ceilometer.conf (INI) or
// one of the YAML files the agent reads. It prints as
//
//	file:line:col: path: msg
//
// leaving out the parts that are unknown (a zero Line or Column, an empty Path).
// Path is the option ("[notification] workers") or the YAML key path
// ("sinks[1].publishers[0]") the error is about; Msg uses the operator's names,
// never Go field names.
type FileError struct {
	File   string
	Line   int
	Column int
	Path   string
	Msg    string
}

func (e *FileError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Line))
			if e.Column > 0 {
				b.WriteByte(':')
				b.WriteString(strconv.Itoa(e.Column))
			}
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}
