// Package ingest turns every inbound touch into one Event, keeps it in the
// inbox (durable before anyone is told "accepted") and processes it into
// the core exactly once in effect. Channel adapters live in subpackages.
package ingest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"
	"unicode/utf8"

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
	// Cleaned names what was made storable at the door (broken UTF-8,
	// NUL bytes, texts past their limits) for a sender that cannot send
	// it again otherwise: a letter, a PBX, a messenger.
	Cleaned []string `json:"cleaned,omitempty"`
}

// Check refuses an event the inbox could not store or the processor could
// not land: see crm.Inbound.Check; the external id is held to crm.MaxKey
// and the raw payload must be valid UTF-8 JSON text without NUL
// characters. Errors: EINVALID or ETOOLARGE naming the field.
func (ev *Event) Check() error {
	if err := crm.CheckText("source", ev.Source, crm.MaxKey); err != nil {
		return err
	}
	if err := crm.CheckText("external_id", ev.ExternalID, crm.MaxKey); err != nil {
		return err
	}
	if !utf8.Valid(ev.Raw) || hasNUL(ev.Raw) {
		return crm.Invalid("raw", "the payload is not valid UTF-8 or holds a NUL character")
	}
	return ev.Touch.Check()
}

// Clean makes the event storable (crm.Inbound.Clean; an external id past
// its limit becomes its SHA-256, so a redelivery is still recognised) and
// records what it changed in Cleaned. It returns Cleaned.
func (ev *Event) Clean() []string {
	changed := ev.Touch.Clean()
	if crm.CheckText("external_id", ev.ExternalID, crm.MaxKey) != nil {
		sum := sha256.Sum256([]byte(ev.ExternalID))
		ev.ExternalID = "sha256:" + hex.EncodeToString(sum[:])
		changed = append(changed, "external_id")
	}
	if !utf8.Valid(ev.Raw) || hasNUL(ev.Raw) {
		ev.Raw = stripNUL(bytes.ToValidUTF8(ev.Raw, []byte("\ufffd")))
		if !json.Valid(ev.Raw) {
			ev.Raw, _ = json.Marshal(string(ev.Raw))
		}
		changed = append(changed, "raw")
	}
	ev.Cleaned = append(ev.Cleaned, changed...)
	return ev.Cleaned
}

// hasNUL reports whether JSON text b holds a NUL byte or a \u0000 escape,
// which Postgres refuses in jsonb.
func hasNUL(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return true
	}
	for i := bytes.Index(b, []byte(`\u0000`)); i >= 0; {
		if escapes(b, i) {
			return true
		}
		j := bytes.Index(b[i+1:], []byte(`\u0000`))
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// escapes reports whether the backslash at b[i] starts an escape (an even
// number of backslashes precedes it).
func escapes(b []byte, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
		n++
	}
	return n%2 == 0
}

// stripNUL turns NUL bytes and \u0000 escapes into U+FFFD escapes.
func stripNUL(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte{0}, []byte(`\ufffd`))
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && bytes.HasPrefix(b[i:], []byte(`\u0000`)) && escapes(b, i) {
			out = append(out, `\ufffd`...)
			i += 5
			continue
		}
		out = append(out, b[i])
	}
	return out
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
