// Package uuid makes random (version 4) UUIDs, as Python's uuid.uuid4().
package uuid

import (
	"crypto/rand"
	"encoding/hex"
)

// New returns a random UUID in its canonical form
// ("1b4e28ba-2fa1-11d2-883f-0016d3cca427"), as str(uuid.uuid4()).
func New() string {
	var u [16]byte
	fill(&u)
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// NewHex returns a random UUID as 32 hex digits, as uuid.uuid4().hex.
func NewHex() string {
	var u [16]byte
	fill(&u)
	return hex.EncodeToString(u[:])
}

func fill(u *[16]byte) {
	// crypto/rand.Read never fails on supported platforms (Go ≥ 1.24 panics
	// internally instead of returning an error).
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
}
