package conf

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Project is the oslo.config project name: it decides the default search path
// (/etc/ceilometer/ceilometer.conf …), so the agent finds an existing
// installation's files with no flags at all.
const Project = "ceilometer"

//go:embed known_options.txt
var knownOptionsText string

// knownOption reports whether group/name is an option Ceilometer 19 defines (so an
// operator's file that sets it is not warned about, although the agent ignores it).
func knownOption(group, name string) bool {
	needle := group + " " + name + "\n"
	return strings.Contains(knownOptionsText, "\n"+needle)
}

// searchDirs returns oslo.config's default search directories for project, in
// order: ~/.project/, ~/, /etc/project/, /etc/.
func searchDirs(project string) []string {
	var dirs []string
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		dirs = append(dirs, filepath.Join(home, "."+project), home)
	}
	return append(dirs, filepath.Join("/etc", project), "/etc")
}

// defaultSources returns the files and directories oslo.config reads when the
// command line names none: for each of <project>.conf and <prog>.conf the first
// that exists in the search directories, and likewise <name>.conf.d directories.
func defaultSources(b *Bundle, prog string, wantFiles, wantDirs bool) []source {
	var out []source
	names := []string{Project}
	if prog != "" && prog != Project {
		names = append(names, prog)
	}
	if wantFiles {
		for _, n := range names {
			for _, d := range searchDirs(Project) {
				p := filepath.Join(d, n+".conf")
				if b.Exists(p) {
					out = append(out, source{kind: sourceFile, path: p})
					break
				}
			}
		}
	}
	if wantDirs {
		for _, n := range names {
			for _, d := range searchDirs(Project) {
				p := filepath.Join(d, n+".conf.d")
				if b.Exists(p) {
					out = append(out, source{kind: sourceDir, path: p})
					break
				}
			}
		}
	}
	return out
}

// Load reads the configuration named by args (or oslo's default files) through
// bundle and returns it typed and validated. prog is the program name used for
// the default search path. Every problem found is returned, joined; each names
// the file, line and option.
func Load(prog string, args *Args, bundle *Bundle) (*Config, error) {
	v, files, warnings, err := loadValues(prog, args, bundle)
	if err != nil {
		return nil, err
	}
	cfg, err := build(v)
	if err != nil {
		return nil, err
	}
	cfg.ConfigFiles = files
	cfg.Warnings = append(warnings, cfg.Warnings...)
	cfg.Args = args
	cfg.Bundle = bundle
	return cfg, nil
}

func loadValues(prog string, args *Args, bundle *Bundle) (*Values, []string, []string, error) {
	sources := append(defaultSources(bundle, prog, !args.files, !args.dirs), args.sources...)
	v := newValues(Options())
	deprecatedOf := map[Name]Name{}
	for _, o := range v.opts {
		for _, d := range o.Deprecated {
			deprecatedOf[d] = o.Name
		}
	}

	var (
		errs     []error
		files    []string
		entries  []entry
		cliNames = map[Name]bool{}
	)
	readFile := func(path string, explicit bool) {
		data, err := bundle.ReadFile(path)
		if err != nil {
			if explicit || !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("failed to read config file %s: %w", path, unwrapPathError(err)))
			}
			return
		}
		es, err := parseINI(path, data)
		if err != nil {
			errs = append(errs, err)
			return
		}
		files = append(files, path)
		entries = append(entries, es...)
	}
	for _, s := range sources {
		switch s.kind {
		case sourceFile:
			readFile(s.path, true)
		case sourceDir:
			names, err := bundle.ReadDir(s.path)
			if err != nil {
				errs = append(errs, fmt.Errorf("failed to read config file directory %s: %w", s.path, unwrapPathError(err)))
				continue
			}
			for _, n := range names {
				if strings.HasSuffix(n, ".conf") {
					readFile(filepath.Join(s.path, n), true)
				}
			}
		case sourceValue:
			entries = append(entries, entry{Group: s.opt.Group, Key: s.opt.Name, Value: s.value, Line: -1})
		}
	}
	if len(errs) > 0 {
		return nil, nil, nil, errors.Join(errs...)
	}

	// Apply the assignments in order: current names and deprecated names are kept
	// apart, because oslo reads a deprecated name only when the current one is unset.
	current := map[Name]*setting{}
	old := map[Name]*setting{}
	var unknown []string
	var warnings []string
	seenDeprecated := map[Name]bool{}
	for _, e := range entries {
		n := Name{e.Group, e.Key}
		loc := Location{File: e.File, Line: e.Line}
		if e.Line < 0 {
			loc = Location{What: "command line"}
		}
		target, into := n, current
		o, ok := v.option(n)
		if !ok {
			canon, isDep := deprecatedOf[n]
			if !isDep {
				v.unknown = append(v.unknown, e)
				if !knownOption(e.Group, e.Key) {
					unknown = append(unknown, fmt.Sprintf("%s (%s)", n, loc))
				}
				continue
			}
			target, into = canon, old
			o, _ = v.option(canon)
			if !seenDeprecated[n] {
				seenDeprecated[n] = true
				warnings = append(warnings, fmt.Sprintf("option %q from group %q is deprecated (%s); use option %q from group %q", n.Name, n.Group, loc, canon.Name, canon.Group))
			}
		}
		s := into[target]
		if s == nil {
			s = &setting{via: n}
			into[target] = s
		}
		if o.Type == TypeMulti {
			if e.Line < 0 && !cliNames[target] {
				s.raw, s.locs = nil, nil // a command-line multi value starts afresh
			}
			s.raw = append(s.raw, e.Value)
			s.locs = append(s.locs, loc)
		} else {
			s.raw, s.locs = []string{e.Value}, []Location{loc}
		}
		s.set = true
		if e.Line < 0 {
			cliNames[target] = true
		}
	}
	for n, s := range old {
		if _, ok := current[n]; !ok {
			current[n] = s
		}
	}
	// oslo.config ≥ 2018: OS_<GROUP>__<OPTION> overrides files, loses to the command line.
	for _, o := range v.opts {
		key := "OS_" + strings.ToUpper(o.Group) + "__" + strings.ToUpper(o.Name.Name)
		if o.Group == "DEFAULT" {
			key = "OS_DEFAULT__" + strings.ToUpper(o.Name.Name)
		}
		val, ok := bundle.Getenv(key)
		if !ok || cliNames[o.Name] {
			continue
		}
		loc := Location{What: "environment " + key}
		s := &setting{raw: []string{val}, locs: []Location{loc}, set: true, via: o.Name}
		if o.Type == TypeMulti {
			s.raw = strings.Split(val, ",")
			s.locs = make([]Location, len(s.raw))
			for i := range s.locs {
				s.locs[i] = loc
			}
		}
		current[o.Name] = s
	}
	v.vals = current
	if len(unknown) > 0 {
		sort.Strings(unknown)
		warnings = append(warnings, "ignoring unknown options: "+strings.Join(unknown, ", "))
	}
	return v, files, warnings, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// FindFile resolves a relative file name the way oslo.config's find_file does for
// Ceilometer: as given if it exists, else in the directories of the --config-dir
// and --config-file sources (latest first), then the default search directories.
// It returns "" when the file is nowhere.
func (c *Config) FindFile(name string) string {
	if name == "" {
		return ""
	}
	if c.Bundle.Exists(name) {
		return name
	}
	if filepath.IsAbs(name) {
		return ""
	}
	var dirs []string
	if c.Args != nil {
		cd := c.Args.ConfigDirs()
		for i := len(cd) - 1; i >= 0; i-- {
			dirs = append(dirs, cd[i])
		}
	}
	for i := len(c.ConfigFiles) - 1; i >= 0; i-- {
		dirs = append(dirs, filepath.Dir(c.ConfigFiles[i]))
	}
	dirs = append(dirs, searchDirs(Project)...)
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if c.Bundle.Exists(p) {
			return p
		}
	}
	return ""
}
