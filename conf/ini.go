package conf

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// entry is one assignment read from an INI file: the raw (uninterpolated) value and
// where it came from.
type entry struct {
	Group string // "DEFAULT" or a lower-cased group name
	Key   string
	Value string
	File  string
	Line  int
}

// parseINI reads data with oslo.config's iniparser rules:
//
//   - a line whose first character is '#' or ';' is a comment; there are no inline
//     comments ("x = 1 # c" has the value "1 # c");
//   - a line starting with a space or tab continues the previous value (joined with
//     "\n"); a blank line ends it, so an indented key is not a key;
//   - the first '=' or ':' separates key and value; a value wrapped in matching
//     quotes loses them;
//   - "[DEFAULT]" is exact; other group names are case-insensitive (lower-cased);
//   - an assignment before any section is an error.
//
// Every occurrence of a key is returned, in file order: whether the last one wins
// or all accumulate depends on the option (see Option.Multi).
func parseINI(file string, data []byte) ([]entry, error) {
	var (
		out     []entry
		group   string
		key     string
		keyLine int
		value   []string
	)
	flush := func() error {
		if key == "" {
			return nil
		}
		if group == "" {
			return &FileError{File: file, Line: keyLine, Msg: "section must be started before assignment"}
		}
		out = append(out, entry{Group: group, Key: key, Value: strings.Join(value, "\n"), File: file, Line: keyLine})
		key, value = "", nil
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	lineno := 0
	for sc.Scan() {
		lineno++
		line := strings.TrimRight(sc.Text(), " \t\r\n\f\v")
		if lineno == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		switch {
		case line == "":
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		case line[0] == ' ' || line[0] == '\t':
			if key == "" {
				return nil, &FileError{File: file, Line: lineno, Msg: fmt.Sprintf("unexpected continuation line %q", strings.TrimSpace(line))}
			}
			value = append(value, strings.TrimLeft(line, " \t"))
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		switch {
		case line[0] == '[':
			if line[len(line)-1] != ']' {
				return nil, &FileError{File: file, Line: lineno, Msg: fmt.Sprintf("invalid section %q (must end with ])", line)}
			}
			name := line[1 : len(line)-1]
			if name == "" {
				return nil, &FileError{File: file, Line: lineno, Msg: "empty section name"}
			}
			group = normalizeGroup(name)
		case line[0] == '#' || line[0] == ';':
			// comment
		default:
			k, v, ok := splitAssignment(line)
			if !ok {
				return nil, &FileError{File: file, Line: lineno, Msg: fmt.Sprintf("no '=' or ':' in %q", line)}
			}
			if k == "" {
				return nil, &FileError{File: file, Line: lineno, Msg: fmt.Sprintf("key cannot be empty in %q", line)}
			}
			key, keyLine, value = k, lineno, []string{v}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &FileError{File: file, Line: lineno + 1, Msg: err.Error()}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// splitAssignment splits at the first '=' or ':', whichever comes first, trims
// both sides and strips one pair of matching quotes from the value.
func splitAssignment(line string) (key, value string, ok bool) {
	i := strings.IndexAny(line, "=:")
	if i < 0 {
		return "", "", false
	}
	key = strings.TrimSpace(line[:i])
	value = strings.TrimSpace(line[i+1:])
	if len(value) >= 1 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
		if len(value) == 1 {
			value = ""
		} else {
			value = value[1 : len(value)-1]
		}
	}
	return key, value, true
}

// normalizeGroup maps a section name to the group it configures: DEFAULT is exact,
// every other name is case-insensitive.
func normalizeGroup(name string) string {
	if name == "DEFAULT" {
		return name
	}
	return strings.ToLower(name)
}
