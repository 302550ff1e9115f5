package asterisk

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/telephony"
	"github.com/leadd/leadd/telephony/telephonytest"
)

// AMI frames are whatever the manager port sends. Read as the client reads
// them and folded by the tracker as the client folds them: reading ends
// (an error or the end of input) without a panic, every packet read holds
// its limits and reads back the same when written again, and every call
// the tracker reports becomes an event the inbox takes as it is.
func FuzzAMI(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.ami"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")))
	}
	f.Add([]byte("Event: Hangup\r\nLinkedid: 1\r\nUniqueid: 1\r\n\r\nEvent: CoreShowChannelsComplete\r\nActionID: " + reconcileID + "\r\n\r\n"))
	f.Fuzz(func(t *testing.T, frames []byte) {
		r := bufio.NewReaderSize(bytes.NewReader(frames), 4096)
		tr := newTracker(numbers{lines: []string{"74951234567"}, extLen: DefaultExtensionDigits})
		live := map[string]bool{}
		at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
		for n := 0; ; n++ {
			if n > len(frames) {
				t.Fatalf("more packets (%d) than bytes: reading does not advance", n)
			}
			m, err := readMessage(r)
			if err != nil {
				break
			}
			checkPacket(t, m)
			if m["event"] == "" {
				continue
			}
			if ts, ok := eventTime(m); ok {
				at = ts
			}
			calls := tr.handle(m, at)
			if m["actionid"] == reconcileID {
				switch strings.ToLower(m["event"]) {
				case "coreshowchannel":
					live[m["linkedid"]] = true
				case "coreshowchannelscomplete":
					calls = tr.reconcile(live, at)
				}
			}
			telephonytest.Holds(t, "asterisk", calls, nil)
			for _, c := range calls {
				if c.ID == "" || (c.State != telephony.Ringing && c.State != telephony.Answered && c.State != telephony.Ended) {
					t.Fatalf("a reported call with no id or an odd state: %+v", c)
				}
			}
			tr.sweep(at.Add(time.Hour))
		}
	})
}

// checkPacket: a packet holds its limits, and written back as AMI writes
// it, it reads the same.
func checkPacket(t *testing.T, m message) {
	t.Helper()
	if len(m) == 0 || len(m) > maxHeaders {
		t.Fatalf("a packet of %d fields", len(m))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != strings.ToLower(strings.TrimSpace(k)) || strings.Contains(k, ":") {
			t.Fatalf("a key not lower-case and trimmed: %q", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + ": " + m[k] + "\r\n")
	}
	b.WriteString("\r\n")
	again, err := readMessage(bufio.NewReaderSize(strings.NewReader(b.String()), 1<<20))
	if err != nil {
		t.Fatalf("a packet written back does not read: %v\n%q", err, b.String())
	}
	if len(again) != len(m) {
		t.Fatalf("written back, %d fields read as %d: %q", len(m), len(again), b.String())
	}
	for k, v := range m {
		if again[k] != v {
			t.Fatalf("written back, %q: %q read as %q", k, v, again[k])
		}
	}
}
