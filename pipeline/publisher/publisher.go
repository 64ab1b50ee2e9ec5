package publisher

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/pipeline"
)

// Purpose says which pipeline manager a publisher serves: it decides the default
// topic of notifier:// (metering or event).
type Purpose uint8

const (
	PurposeSample Purpose = iota
	PurposeEvent
)

// Settings is what the framework gives a publisher factory.
type Settings struct {
	Logger  hclog.Logger
	Config  *conf.Config
	Purpose Purpose
}

// Publisher is what a factory creates.
type Publisher interface {
	pipeline.SamplePublisher
	pipeline.EventPublisher
	Start(ctx context.Context) error
	Shutdown(ctx context.Context) error
}

// Factory creates a publisher from its parsed URL.
type Factory func(ctx context.Context, s Settings, u *url.URL) (Publisher, error)

// ErrUnsupported marks a scheme Ceilometer knows but this agent does not
// implement (gnocchi://, prometheus://, …): like Ceilometer when a publisher
// cannot be loaded, the sink loads without it and a warning is logged.
var ErrUnsupported = errors.New("publisher: scheme not supported by agent-notification")

// Factories returns the publisher factories keyed by URL scheme.
func Factories() (map[string]Factory, error) {
	return makeTable(map[string]Factory{
		"notifier": newNotifier,
		"file":     newFile,
		"test":     newTest,
	})
}

func makeTable(m map[string]Factory) (map[string]Factory, error) {
	for k, f := range m {
		if f == nil {
			return nil, fmt.Errorf("publisher: nil factory for %q", k)
		}
	}
	return m, nil
}

// knownUnsupported are Ceilometer 19 publisher schemes we do not implement.
func knownUnsupported(scheme string) bool {
	switch scheme {
	case "gnocchi", "http", "https", "udp", "prometheus", "zaqar", "direct", "database", "monasca", "opentelemetryhttp", "kafka", "messaging", "rpc", "udpaddr":
		return true
	}
	return false
}

// Parse parses a publisher string as Ceilometer does ("scheme" alone means
// "scheme://").
func Parse(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s += "://"
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("publisher %q: %w", conf.MaskURL(s), err)
	}
	return u, nil
}

// New creates the publisher for the URL string s.
func New(ctx context.Context, factories map[string]Factory, s Settings, raw string) (Publisher, error) {
	u, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	f, ok := factories[u.Scheme]
	if !ok {
		if knownUnsupported(u.Scheme) {
			return nil, fmt.Errorf("%w: %s://", ErrUnsupported, u.Scheme)
		}
		names := make([]string, 0, len(factories))
		for k := range factories {
			names = append(names, k+"://")
		}
		sort.Strings(names)
		return nil, fmt.Errorf("publisher %q: unknown scheme %q (supported: %s)", conf.MaskURL(raw), u.Scheme, strings.Join(names, ", "))
	}
	if s.Logger == nil {
		s.Logger = hclog.NewNullLogger()
	}
	s.Logger = s.Logger.Named("publisher." + u.Scheme)
	return f(ctx, s, u)
}

// lastQuery returns the last value of a query option, as Python's parse_qs()[-1].
func lastQuery(q url.Values, key, def string) string {
	if v, ok := q[key]; ok && len(v) > 0 {
		return v[len(v)-1]
	}
	return def
}

// Check reports whether a publisher URL names a scheme this agent implements,
// without creating anything (for validation): ErrUnsupported for schemes
// Ceilometer has and this agent does not, another error for unknown ones.
func Check(factories map[string]Factory, raw string) error {
	u, err := Parse(raw)
	if err != nil {
		return err
	}
	if _, ok := factories[u.Scheme]; ok {
		return nil
	}
	if knownUnsupported(u.Scheme) {
		return fmt.Errorf("%w: %s://", ErrUnsupported, u.Scheme)
	}
	return fmt.Errorf("publisher %q: unknown scheme %q", conf.MaskURL(raw), u.Scheme)
}
