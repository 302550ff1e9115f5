package asterisk

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestReadMessageReadsPacketsSeparatedByABlankLine(t *testing.T) {
	in := "\r\nResponse: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\n" +
		"Event: DialBegin\nDialString: 201/sip:201@192.0.2.10:5060\nAccountCode: \nLinkedID: 1.2\nnot a field\n\n"
	r := bufio.NewReader(strings.NewReader(in))

	first, err := readMessage(r)
	if err != nil {
		t.Fatal(err)
	}
	if first["response"] != "Success" || first["message"] != "Authentication accepted" || len(first) != 3 {
		t.Errorf("first packet %v", first)
	}
	second, err := readMessage(r)
	if err != nil {
		t.Fatal(err)
	}
	want := message{"event": "DialBegin", "dialstring": "201/sip:201@192.0.2.10:5060", "accountcode": "", "linkedid": "1.2"}
	if len(second) != len(want) {
		t.Errorf("second packet %v, want %v", second, want)
	}
	for k, v := range want {
		if second[k] != v {
			t.Errorf("%s = %q, want %q", k, second[k], v)
		}
	}
	if _, err := readMessage(r); !errors.Is(err, io.EOF) {
		t.Errorf("after the last packet: %v, want EOF", err)
	}
}

func TestReadMessageRefusesWhatIsNotAPacket(t *testing.T) {
	cut := bufio.NewReader(strings.NewReader("Event: Hangup\r\nUniqueid: 1.1\r\n"))
	if _, err := readMessage(cut); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a packet cut short: %v, want unexpected EOF", err)
	}
	long := bufio.NewReaderSize(strings.NewReader("Event: "+strings.Repeat("x", 100)+"\r\n\r\n"), 16)
	if _, err := readMessage(long); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("an overlong line: %v", err)
	}
}

func TestWriteActionEndsEachLineWithCRLFAndThePacketWithABlankLine(t *testing.T) {
	var b strings.Builder
	if err := writeAction(&b, "Login", "Username", "leadd", "Secret", "s3cret", "Events", "on"); err != nil {
		t.Fatal(err)
	}
	want := "Action: Login\r\nUsername: leadd\r\nSecret: s3cret\r\nEvents: on\r\n\r\n"
	if b.String() != want {
		t.Errorf("wrote %q, want %q", b.String(), want)
	}
}

func TestEventTimeReadsTheTimestampField(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"1627089414.908005", time.Date(2021, 7, 24, 1, 16, 54, 908005000, time.UTC), true},
		{"1627089414", time.Date(2021, 7, 24, 1, 16, 54, 0, time.UTC), true},
		{"1627089414.5", time.Date(2021, 7, 24, 1, 16, 54, 500000000, time.UTC), true},
		{"", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"1627089414.x", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := eventTime(message{"timestamp": tt.in})
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("eventTime(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
