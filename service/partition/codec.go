package partition

import (
	"errors"
	"fmt"

	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// formatVersion is the first element of every encoded batch; a consumer
// rejects a batch of another version (it cannot know what it means).
const formatVersion = 1

// ErrFormat marks a batch that cannot be decoded: the consumer rejects it
// without requeueing.
var ErrFormat = errors.New("partition: malformed batch")

// AppendBatch appends the internal wire form of one routed batch to dst: a
// JSON array [1, pipeline, [sample, …]] where each sample is the array
// [name, type, unit, volume, user_id, project_id, resource_id, timestamp,
// resource_metadata, source, id, monotonic_time]. Values are written with
// pyjson, so DecodeBatch gives back exactly the same pipeline.Sample: ints stay
// ints, floats (NaN and infinities included) stay floats, big integers keep
// their digits, objects keep their key order, and a nil ResourceMetadata stays
// nil. Go integer types outside pyjson's set come back as int64.
func AppendBatch(dst []byte, pipelineName string, samples []pipeline.Sample) []byte {
	dst = append(dst, '[', '1', ',')
	dst = pyjson.AppendUnicode(dst, pipelineName)
	dst = append(dst, ",["...)
	for i := range samples {
		if i > 0 {
			dst = append(dst, ',')
		}
		s := &samples[i]
		dst = append(dst, '[')
		dst = pyjson.AppendUnicode(dst, s.Name)
		dst = append(dst, ',')
		dst = pyjson.AppendUnicode(dst, s.Type)
		for _, v := range [...]pyjson.Value{s.Unit, s.Volume, s.UserID, s.ProjectID, s.ResourceID, s.Timestamp} {
			dst = append(dst, ',')
			dst = pyjson.AppendUnicode(dst, v)
		}
		dst = append(dst, ',')
		if s.ResourceMetadata == nil {
			dst = append(dst, "null"...)
		} else {
			dst = pyjson.AppendUnicode(dst, s.ResourceMetadata)
		}
		dst = append(dst, ',')
		dst = pyjson.AppendUnicode(dst, s.Source)
		dst = append(dst, ',')
		dst = pyjson.AppendUnicode(dst, s.ID)
		dst = append(dst, ',')
		dst = pyjson.AppendUnicode(dst, s.MonotonicTime)
		dst = append(dst, ']')
	}
	return append(dst, "]]"...)
}

// DecodeBatch decodes what AppendBatch wrote. dec may be nil; errors wrap
// ErrFormat. The samples share memory with the decoded document (see
// pyjson.Decoder): a consumer keeps them no longer than the delivery.
func DecodeBatch(dec *pyjson.Decoder, body []byte) (pipelineName string, samples []pipeline.Sample, err error) {
	if dec == nil {
		dec = &pyjson.Decoder{}
	}
	v, err := dec.Decode(body)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	top, ok := v.([]pyjson.Value)
	if !ok || len(top) != 3 {
		return "", nil, fmt.Errorf("%w: not a [version, pipeline, samples] array", ErrFormat)
	}
	if ver, ok := top[0].(int64); !ok || ver != formatVersion {
		return "", nil, fmt.Errorf("%w: version %s, want %d", ErrFormat, pyjson.Repr(top[0]), formatVersion)
	}
	name, ok := top[1].(string)
	if !ok {
		return "", nil, fmt.Errorf("%w: pipeline name is not a string", ErrFormat)
	}
	list, ok := top[2].([]pyjson.Value)
	if !ok {
		return "", nil, fmt.Errorf("%w: samples is not a list", ErrFormat)
	}
	samples = make([]pipeline.Sample, len(list))
	for i, item := range list {
		f, ok := item.([]pyjson.Value)
		if !ok || len(f) != 12 {
			return "", nil, fmt.Errorf("%w: samples[%d]: not a 12-field array", ErrFormat, i)
		}
		s := &samples[i]
		var okName, okType, okSource, okID bool
		s.Name, okName = f[0].(string)
		s.Type, okType = f[1].(string)
		s.Unit, s.Volume, s.UserID, s.ProjectID, s.ResourceID, s.Timestamp = f[2], f[3], f[4], f[5], f[6], f[7]
		switch md := f[8].(type) {
		case nil:
		case *pyjson.Object:
			s.ResourceMetadata = md
		default:
			return "", nil, fmt.Errorf("%w: samples[%d]: resource_metadata is not an object", ErrFormat, i)
		}
		s.Source, okSource = f[9].(string)
		s.ID, okID = f[10].(string)
		s.MonotonicTime = f[11]
		if !okName || !okType || !okSource || !okID {
			return "", nil, fmt.Errorf("%w: samples[%d]: name, type, source and id must be strings", ErrFormat, i)
		}
	}
	return name, samples, nil
}
