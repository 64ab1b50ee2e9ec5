package conf

import (
	"fmt"
	"strings"
)

// sourceKind says what one command-line item contributes.
type sourceKind uint8

const (
	sourceFile  sourceKind = iota // --config-file
	sourceDir                     // --config-dir
	sourceValue                   // an option given on the command line (--debug, --log-file …)
)

// source is one configuration source in command-line order: oslo.config parses
// files and directories at the position their flag appears, and a CLI option given
// after a file overrides it (and vice versa).
type source struct {
	kind  sourceKind
	path  string // file or directory
	opt   Name   // for sourceValue
	value string // for sourceValue
}

// Args is a parsed command line, oslo.config style.
type Args struct {
	// Argv is the command line the Args were parsed from (without the program
	// name); a reload parses it again, so new files in a --config-dir are seen.
	Argv []string
	// Positional holds the arguments that are not options (a subcommand and its
	// operands), in order.
	Positional []string
	Help       bool
	Version    bool

	sources []source
	files   bool // a --config-file was given
	dirs    bool // a --config-dir was given
}

// ConfigFiles returns the --config-file paths, in order.
func (a *Args) ConfigFiles() []string {
	var out []string
	for _, s := range a.sources {
		if s.kind == sourceFile {
			out = append(out, s.path)
		}
	}
	return out
}

// ConfigDirs returns the --config-dir paths, in order.
func (a *Args) ConfigDirs() []string {
	var out []string
	for _, s := range a.sources {
		if s.kind == sourceDir {
			out = append(out, s.path)
		}
	}
	return out
}

// ParseArgs parses the options oslo.config and oslo.log give every OpenStack
// service: --config-file and --config-dir (repeatable, order-sensitive), the
// logging flags (--debug/-d, --log-file, --log-dir, --use-json, --use-stderr …,
// booleans also as --noNAME), --help and --version. "--" ends the options.
func ParseArgs(argv []string) (*Args, error) {
	a := &Args{Argv: append([]string(nil), argv...)}
	byFlag := map[string]Option{}
	for _, o := range Options() {
		if o.CLI != "" {
			byFlag[o.CLI] = o
		}
	}
	// oslo.log's deprecated flag spellings.
	aliases := map[string]string{"logfile": "log-file", "logdir": "log-dir", "log-config": "log-config-append"}
	for i := 0; i < len(argv); i++ {
		arg := argv[i]
		if arg == "--" {
			a.Positional = append(a.Positional, argv[i+1:]...)
			break
		}
		if arg == "-d" {
			a.sources = append(a.sources, source{kind: sourceValue, opt: Name{"DEFAULT", "debug"}, value: "true"})
			continue
		}
		if arg == "-h" {
			a.Help = true
			continue
		}
		if !strings.HasPrefix(arg, "--") || len(arg) == 2 {
			a.Positional = append(a.Positional, arg)
			continue
		}
		name, value, hasValue := strings.Cut(arg[2:], "=")
		if alias, ok := aliases[name]; ok {
			name = alias
		}
		needValue := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(argv) {
				return "", fmt.Errorf("argument --%s: expected one argument", name)
			}
			i++
			return argv[i], nil
		}
		switch name {
		case "help":
			a.Help = true
			continue
		case "version":
			a.Version = true
			continue
		case "config-file":
			v, err := needValue()
			if err != nil {
				return nil, err
			}
			a.sources = append(a.sources, source{kind: sourceFile, path: v})
			a.files = true
			continue
		case "config-dir":
			v, err := needValue()
			if err != nil {
				return nil, err
			}
			a.sources = append(a.sources, source{kind: sourceDir, path: v})
			a.dirs = true
			continue
		}
		if o, ok := byFlag[name]; ok {
			if o.Type == TypeBool {
				if hasValue {
					return nil, fmt.Errorf("argument --%s: ignored explicit argument %q", name, value)
				}
				a.sources = append(a.sources, source{kind: sourceValue, opt: o.Name, value: "true"})
				continue
			}
			v, err := needValue()
			if err != nil {
				return nil, err
			}
			a.sources = append(a.sources, source{kind: sourceValue, opt: o.Name, value: v})
			continue
		}
		if neg, ok := strings.CutPrefix(name, "no"); ok {
			if o, ok := byFlag[neg]; ok && o.Type == TypeBool && !hasValue {
				a.sources = append(a.sources, source{kind: sourceValue, opt: o.Name, value: "false"})
				continue
			}
		}
		return nil, fmt.Errorf("unrecognized arguments: %s", arg)
	}
	return a, nil
}
