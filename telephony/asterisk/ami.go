package asterisk

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// message is one AMI packet: "Key: Value" lines closed by a blank line.
// Keys are kept lower-case, so fields read the same whichever case a
// version of Asterisk writes them in ("Linkedid", "LinkedID").
type message map[string]string

const (
	maxLine    = 64 << 10 // longest line read; a longer one ends the connection
	maxHeaders = 512      // most fields in one packet
)

// readMessage reads the next packet, skipping blank lines before it. It
// accepts bare "\n" line ends as well as AMI's "\r\n". Errors: the
// reader's, io.ErrUnexpectedEOF for a packet cut short, or a protocol
// error for an overlong line or packet.
func readMessage(r *bufio.Reader) (message, error) {
	m := message{}
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("a line longer than %d bytes", r.Size())
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(m) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		s := strings.TrimRight(string(line), "\r\n")
		if s == "" {
			if len(m) == 0 {
				continue
			}
			return m, nil
		}
		k, v, ok := strings.Cut(s, ":")
		if !ok {
			continue // not a field: the body of a command's output
		}
		if len(m) >= maxHeaders {
			return nil, fmt.Errorf("a packet of more than %d fields", maxHeaders)
		}
		m[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
}

// writeAction sends one action: its name, then key, value pairs. Values
// must not hold line breaks (Client.validate rejects such credentials).
func writeAction(w io.Writer, action string, kv ...string) error {
	var b strings.Builder
	b.WriteString("Action: " + action + "\r\n")
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(kv[i] + ": " + kv[i+1] + "\r\n")
	}
	b.WriteString("\r\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// eventTime reads the "Timestamp: 1627089414.908005" field that Asterisk
// adds to events with timestampevents = yes in manager.conf.
func eventTime(m message) (time.Time, bool) {
	ts := m["timestamp"]
	if ts == "" {
		return time.Time{}, false
	}
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s <= 0 {
		return time.Time{}, false
	}
	var ns int64
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		n, err := strconv.ParseInt(frac, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, false
		}
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		ns = n
	}
	return time.Unix(s, ns).UTC(), true
}
