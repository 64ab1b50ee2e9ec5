package event

import (
	"github.com/openstack-go/agent-notification/internal/pytime"
	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// This file holds the conversions of Ceilometer's models.Trait.convert_value
// that are particular to events; int() and float() are pyval's.

// maxTextLen is the length Ceilometer crops text traits to (in characters).
const maxTextLen = 255

// pyText is str(v)[:255].
func pyText(v pyjson.Value) string {
	return pyval.SliceTo(pyval.Str(v), maxTextLen)
}

// pyDatetime is convert_value(DATETIME_TYPE, v): parse, normalise, and the
// isoformat Ceilometer serialises the value with.
func pyDatetime(v pyjson.Value) (string, error) {
	t, err := pytime.Parse(v)
	if err != nil {
		return "", err
	}
	return t.NaiveUTCISO()
}
