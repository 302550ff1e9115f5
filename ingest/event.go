// Package ingest turns every inbound touch into one Event, keeps it in the
// inbox (durable before anyone is told "accepted") and processes it into
// the core exactly once in effect. Channel adapters live in subpackages.
package ingest

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/leadd/leadd/crm"
)

// Event is one inbound touch: where it came from, keyed for idempotency,
// with the raw payload as received and the normalized touch.
type Event struct {
	ID         string          `json:"id"`
	Source     string          `json:"source"`      // "form:contact", "call:zadarma", ...
	ExternalID string          `json:"external_id"` // Idempotency-Key, call id + state, Message-ID
	Raw        json.RawMessage `json:"raw,omitempty"`
	Touch      crm.Inbound     `json:"touch"`
}

// NewID returns a time-ordered UUID (version 7) for an event.
func NewID(now time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[6:])
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16|uint64(binary.BigEndian.Uint16(b[6:8])))
	b[6] = 0x70 | b[6]&0x0f
	b[8] = 0x80 | b[8]&0x3f
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
