package publisher

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"

	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// File is Ceilometer's file:// publisher: one line per sample (event), the
// Python repr of its dict, or JSON with the json option; rotating at max_bytes
// keeping backup_count old files (PATH.1 … PATH.N) when both are set, like
// Python's RotatingFileHandler. A publish returns after the write.
type File struct {
	path        string
	json        bool
	maxBytes    int64
	backupCount int

	mu   sync.Mutex
	f    *os.File
	size int64
}

func newFile(_ context.Context, s Settings, u *url.URL) (Publisher, error) {
	if u.Path == "" {
		return nil, errors.New("file://: the path for the file publisher is required")
	}
	q := u.Query()
	p := &File{path: u.Path}
	_, p.json = q["json"]
	if q.Get("max_bytes") != "" && q.Get("backup_count") != "" {
		mb, err1 := strconv.ParseInt(q.Get("max_bytes"), 10, 64)
		bc, err2 := strconv.Atoi(q.Get("backup_count"))
		if err1 != nil || err2 != nil {
			return nil, errors.New("file://: max_bytes and backup_count should be numbers")
		}
		p.maxBytes, p.backupCount = mb, bc
	}
	return p, nil
}

// Start opens the file for appending.
func (p *File) Start(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.open()
}

func (p *File) open() error {
	f, err := os.OpenFile(p.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("file://: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("file://: %w", err)
	}
	p.f, p.size = f, st.Size()
	return nil
}

// Shutdown closes the file.
func (p *File) Shutdown(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		return nil
	}
	err := p.f.Close()
	p.f = nil
	return err
}

// SampleDict renders s as Ceilometer's Sample.as_dict().
func SampleDict(s *pipeline.Sample) *pyjson.Object {
	md := s.ResourceMetadata
	if md == nil {
		md = &pyjson.Object{}
	}
	src := s.Source
	if src == "" {
		src = pipeline.SourceDefault
	}
	return &pyjson.Object{Members: []pyjson.Member{
		{Key: "name", Value: s.Name}, {Key: "type", Value: s.Type}, {Key: "unit", Value: s.Unit},
		{Key: "volume", Value: s.Volume}, {Key: "user_id", Value: s.UserID}, {Key: "project_id", Value: s.ProjectID},
		{Key: "resource_id", Value: s.ResourceID}, {Key: "timestamp", Value: s.Timestamp},
		{Key: "resource_metadata", Value: md}, {Key: "source", Value: src}, {Key: "id", Value: s.ID},
		{Key: "monotonic_time", Value: s.MonotonicTime},
	}}
}

// EventDict renders e as Ceilometer's Event.as_dict() (generated as its ISO
// string: Ceilometer would print a datetime object, or fail to JSON-encode it).
func EventDict(e *pipeline.Event) *pyjson.Object {
	traits := make([]pyjson.Value, len(e.Traits))
	for i, t := range e.Traits {
		traits[i] = &pyjson.Object{Members: []pyjson.Member{{Key: "name", Value: t.Name}, {Key: "dtype", Value: int64(t.Type)}, {Key: "value", Value: t.Value}}}
	}
	raw := e.Raw
	if raw == nil {
		raw = &pyjson.Object{}
	}
	return &pyjson.Object{Members: []pyjson.Member{
		{Key: "message_id", Value: e.MessageID}, {Key: "event_type", Value: e.EventType},
		{Key: "generated", Value: e.Generated}, {Key: "traits", Value: traits}, {Key: "raw", Value: raw},
	}}
}

func (p *File) line(b []byte, d *pyjson.Object) []byte {
	if p.json {
		b = pyjson.Append(b, d)
	} else {
		b = pyjson.AppendRepr(b, d)
	}
	return append(b, '\n')
}

// PublishSamples appends one line per sample.
func (p *File) PublishSamples(_ context.Context, samples []pipeline.Sample) error {
	var b []byte
	for i := range samples {
		b = p.line(b, SampleDict(&samples[i]))
	}
	return p.write(b)
}

// PublishEvents appends one line per event.
func (p *File) PublishEvents(_ context.Context, events []pipeline.Event) error {
	var b []byte
	for i := range events {
		b = p.line(b, EventDict(&events[i]))
	}
	return p.write(b)
}

func (p *File) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		if err := p.open(); err != nil {
			return err
		}
	}
	if p.maxBytes > 0 && p.size > 0 && p.size+int64(len(b)) > p.maxBytes {
		if err := p.rotate(); err != nil {
			return err
		}
	}
	n, err := p.f.Write(b)
	p.size += int64(n)
	if err != nil {
		return fmt.Errorf("file://: write: %w", err)
	}
	return nil
}

// rotate renames PATH.i to PATH.i+1 (dropping the oldest) and PATH to PATH.1.
func (p *File) rotate() error {
	p.f.Close()
	p.f = nil
	if p.backupCount > 0 {
		for i := p.backupCount - 1; i >= 1; i-- {
			src := p.path + "." + strconv.Itoa(i)
			if _, err := os.Stat(src); err == nil {
				_ = os.Rename(src, p.path+"."+strconv.Itoa(i+1))
			}
		}
		_ = os.Rename(p.path, p.path+".1")
	} else {
		_ = os.Truncate(p.path, 0)
	}
	return p.open()
}

var _ Publisher = (*File)(nil)
