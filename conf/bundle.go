package conf

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// Bundle is every file the agent's configuration is made of — ceilometer.conf and
// the files it includes, pipeline.yaml, event_pipeline.yaml, meter and event
// definitions — captured once, so that validation and the service see exactly the
// same bytes.
//
// A live bundle (NewBundle) reads the file system and records what it read; a
// sealed bundle (after Seal, or one decoded with UnmarshalBundle) answers only from
// what was recorded. The launcher validates a live bundle, seals it and hands the
// serialized form to every worker of that generation, so siblings never run
// different configurations even if a file changes on disk meanwhile.
//
// A Bundle is safe for concurrent use.
type Bundle struct {
	mu     sync.Mutex
	sealed bool
	files  map[string][]byte
	dirs   map[string][]string
	absent map[string]bool
	env    map[string]string
}

// NewBundle returns a live bundle that reads the file system. env holds the
// environment variables the configuration may read (oslo's OS_<GROUP>__<OPTION>
// overrides); nil means os.Environ().
func NewBundle(env []string) *Bundle {
	if env == nil {
		env = os.Environ()
	}
	b := &Bundle{files: map[string][]byte{}, dirs: map[string][]string{}, absent: map[string]bool{}, env: map[string]string{}}
	for _, kv := range env {
		for i := 0; i < len(kv); i++ {
			if kv[i] == '=' {
				if len(kv) > 3 && kv[:3] == "OS_" {
					b.env[kv[:i]] = kv[i+1:]
				}
				break
			}
		}
	}
	return b
}

// Seal stops the bundle from reading the file system: later reads of anything
// not recorded fail with fs.ErrNotExist.
func (b *Bundle) Seal() {
	b.mu.Lock()
	b.sealed = true
	b.mu.Unlock()
}

// ReadFile returns the contents of path, recording them in a live bundle.
func (b *Bundle) ReadFile(path string) ([]byte, error) {
	path = filepath.Clean(path)
	b.mu.Lock()
	defer b.mu.Unlock()
	if data, ok := b.files[path]; ok {
		return data, nil
	}
	if b.sealed || b.absent[path] {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			b.absent[path] = true
		}
		return nil, err
	}
	b.files[path] = data
	return data, nil
}

// ReadDir returns the sorted names of the regular files in dir.
func (b *Bundle) ReadDir(dir string) ([]string, error) {
	dir = filepath.Clean(dir)
	b.mu.Lock()
	defer b.mu.Unlock()
	if names, ok := b.dirs[dir]; ok {
		return names, nil
	}
	if b.sealed || b.absent[dir] {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: fs.ErrNotExist}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			b.absent[dir] = true
		}
		return nil, err
	}
	names := []string{}
	for _, e := range ents {
		if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	b.dirs[dir] = names
	return names, nil
}

// Exists reports whether path is a file or directory, recording the answer.
func (b *Bundle) Exists(path string) bool {
	path = filepath.Clean(path)
	b.mu.Lock()
	if _, ok := b.files[path]; ok {
		b.mu.Unlock()
		return true
	}
	if _, ok := b.dirs[path]; ok {
		b.mu.Unlock()
		return true
	}
	if b.sealed || b.absent[path] {
		b.mu.Unlock()
		return false
	}
	b.mu.Unlock()
	st, err := os.Stat(path)
	if err != nil {
		b.mu.Lock()
		b.absent[path] = true
		b.mu.Unlock()
		return false
	}
	if st.IsDir() {
		_, err = b.ReadDir(path)
	} else {
		_, err = b.ReadFile(path)
	}
	return err == nil
}

// Getenv returns an OS_* variable captured when the bundle was made.
func (b *Bundle) Getenv(key string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.env[key]
	return v, ok
}

// Paths returns the recorded file paths, sorted.
func (b *Bundle) Paths() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(b.files))
	for p := range b.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

type bundleWire struct {
	Files  map[string][]byte   `json:"files"`
	Dirs   map[string][]string `json:"dirs"`
	Absent []string            `json:"absent"`
	Env    map[string]string   `json:"env"`
}

// Marshal serializes the bundle (for the launcher→worker snapshot).
func (b *Bundle) Marshal() ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := bundleWire{Files: b.files, Dirs: b.dirs, Env: b.env}
	for p := range b.absent {
		w.Absent = append(w.Absent, p)
	}
	sort.Strings(w.Absent)
	return json.Marshal(w)
}

// UnmarshalBundle decodes a bundle made by Marshal; the result is sealed.
func UnmarshalBundle(data []byte) (*Bundle, error) {
	var w bundleWire
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("conf: decode configuration snapshot: %w", err)
	}
	b := &Bundle{sealed: true, files: w.Files, dirs: w.Dirs, absent: map[string]bool{}, env: w.Env}
	if b.files == nil {
		b.files = map[string][]byte{}
	}
	if b.dirs == nil {
		b.dirs = map[string][]string{}
	}
	if b.env == nil {
		b.env = map[string]string{}
	}
	for _, p := range w.Absent {
		b.absent[p] = true
	}
	return b, nil
}
