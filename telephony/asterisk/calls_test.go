package asterisk

import (
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/telephony"
)

// ev builds an AMI event from key, value pairs.
func ev(name string, kv ...string) message {
	m := message{"event": name}
	for i := 0; i+1 < len(kv); i += 2 {
		m[strings.ToLower(kv[i])] = kv[i+1]
	}
	return m
}

// dialBegin is a DialBegin from the call's originating channel.
func dialBegin(id, channel, num, context, exten, destChannel, destNum, destExten string) message {
	return ev("DialBegin", "Linkedid", id, "Uniqueid", id, "Channel", channel, "CallerIDNum", num,
		"Context", context, "Exten", exten, "DestChannel", destChannel, "DestCallerIDNum", destNum, "DestExten", destExten)
}

func dialEnd(id, destChannel, status string) message {
	return ev("DialEnd", "Linkedid", id, "Uniqueid", id, "DestChannel", destChannel, "DialStatus", status)
}

func hangup(id, uniqueid string) message {
	return ev("Hangup", "Linkedid", id, "Uniqueid", uniqueid, "Cause", "16", "Cause-txt", "Normal Clearing")
}

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

func TestTrackerTellsWhichWayACallGoes(t *testing.T) {
	lines := []string{"+7 495 123-45-67"}
	tests := []struct {
		name   string
		lines  []string
		extLen int
		events []message
		want   *telephony.Call // the ringing call; nil: not reported
	}{
		{
			name: "a call entering a FreePBX trunk context comes in",
			events: []message{
				ev("Newchannel", "Linkedid", "1", "Uniqueid", "1", "Channel", "PJSIP/trunk-01", "CallerIDNum", "79161234567", "Context", "from-pstn", "Exten", "74951234567"),
				dialBegin("1", "PJSIP/trunk-01", "79161234567", "ext-group", "600", "PJSIP/201-02", "201", "600"),
			},
			want: &telephony.Call{Direction: "in", From: "79161234567", To: "74951234567", Extension: "201"},
		},
		{
			name: "an extension in from-internal dialling an outside number goes out",
			events: []message{
				ev("Newchannel", "Linkedid", "1", "Uniqueid", "1", "Channel", "PJSIP/201-01", "CallerIDNum", "201", "Context", "from-internal", "Exten", "89161234567"),
				dialBegin("1", "PJSIP/201-01", "201", "macro-dialout-trunk", "s", "PJSIP/trunk-02", "89161234567", "s"),
			},
			want: &telephony.Call{Direction: "out", To: "89161234567", Extension: "201"},
		},
		{
			name: "an extension in from-internal calling an extension is not reported",
			events: []message{
				ev("Newchannel", "Linkedid", "1", "Uniqueid", "1", "Channel", "PJSIP/201-01", "CallerIDNum", "201", "Context", "from-internal", "Exten", "202"),
				dialBegin("1", "PJSIP/201-01", "201", "macro-dial-one", "s", "PJSIP/202-02", "202", "202"),
			},
		},
		{
			name:   "an outside caller dialling one of the lines comes in",
			lines:  lines,
			events: []message{dialBegin("1", "SIP/provider-01", "84951112233", "default", "84951234567", "SIP/105-02", "84951112233", "84951234567")},
			want:   &telephony.Call{Direction: "in", From: "84951112233", To: "84951234567", Extension: "105"},
		},
		{
			name:   "a channel whose caller id is one of the lines goes out",
			lines:  lines,
			events: []message{dialBegin("1", "SIP/105-01", "74951234567", "default", "89031234567", "SIP/provider-02", "89031234567", "89031234567")},
			want:   &telephony.Call{Direction: "out", From: "74951234567", To: "89031234567", Extension: "105"},
		},
		{
			name:   "without contexts or lines, a short caller dialling a long number goes out",
			events: []message{dialBegin("1", "SIP/105-01", "105", "default", "89031234567", "SIP/provider-02", "89031234567", "89031234567")},
			want:   &telephony.Call{Direction: "out", To: "89031234567", Extension: "105"},
		},
		{
			name:   "without contexts or lines, a long caller comes in",
			events: []message{dialBegin("1", "SIP/provider-01", "89031234567", "default", "s", "SIP/105-02", "89031234567", "s")},
			want:   &telephony.Call{Direction: "in", From: "89031234567", Extension: "105"},
		},
		{
			name:   "without contexts, a single line is the line an inbound call reached",
			lines:  lines,
			events: []message{dialBegin("1", "SIP/provider-01", "89031234567", "default", "s", "SIP/105-02", "89031234567", "s")},
			want:   &telephony.Call{Direction: "in", From: "89031234567", To: "+7 495 123-45-67", Extension: "105"},
		},
		{
			name:   "a short caller dialling a short number is not reported",
			events: []message{dialBegin("1", "SIP/105-01", "105", "default", "106", "SIP/106-02", "106", "106")},
		},
		{
			name:   "a hidden caller comes in without a number",
			lines:  lines,
			events: []message{dialBegin("1", "SIP/provider-01", "<unknown>", "default", "74951234567", "SIP/105-02", "<unknown>", "74951234567")},
			want:   &telephony.Call{Direction: "in", To: "74951234567", Extension: "105"},
		},
		{
			name:   "ExtensionDigits makes six-digit numbers extensions",
			extLen: 6,
			events: []message{dialBegin("1", "SIP/100105-01", "100105", "default", "100106", "SIP/100106-02", "100106", "100106")},
		},
		{
			name: "the caller's side of a Local channel leg says nothing of where the call came from",
			events: []message{
				ev("DialBegin", "Linkedid", "1", "Uniqueid", "3", "Channel", "Local/201@from-internal-01;2", "CallerIDNum", "79161234567",
					"Context", "from-internal", "Exten", "201", "DestChannel", "PJSIP/201-04", "DestCallerIDNum", "201", "DestExten", "201"),
			},
			want: &telephony.Call{Direction: "in", From: "79161234567", Extension: "201"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTracker(numbers{lines: tt.lines, extLen: cmpOr(tt.extLen, DefaultExtensionDigits)})
			var got []telephony.Call
			for _, m := range tt.events {
				got = append(got, tr.handle(m, t0)...)
			}
			if tt.want == nil {
				if len(got) != 0 {
					t.Fatalf("reported %+v, want nothing", got)
				}
				return
			}
			want := *tt.want
			want.ID, want.State, want.At = "1", telephony.Ringing, t0
			if len(got) != 1 || got[0] != want {
				t.Fatalf("reported %+v, want %+v", got, want)
			}
		})
	}
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func TestTrackerEndsACallWithTheDispositionOfItsLastDial(t *testing.T) {
	tests := []struct {
		statuses []string
		want     string
	}{
		{nil, "cancelled"},
		{[]string{"BUSY"}, "busy"},
		{[]string{"NOANSWER"}, "no_answer"},
		{[]string{"CANCEL"}, "cancelled"},
		{[]string{"CONGESTION"}, "failed"},
		{[]string{"CHANUNAVAIL"}, "failed"},
		{[]string{"NOANSWER", "BUSY"}, "busy"},
		{[]string{"BUSY", "RINGING"}, "busy"}, // not a final status
		{[]string{"ANSWER", "CANCEL"}, "answered"},
		{[]string{"NOANSWER", "ANSWER"}, "answered"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.statuses, ",")+"→"+tt.want, func(t *testing.T) {
			tr := newTracker(numbers{extLen: 5})
			tr.handle(dialBegin("1", "SIP/provider-01", "89031234567", "default", "s", "SIP/105-02", "", "s"), t0)
			for i, s := range tt.statuses {
				tr.handle(dialEnd("1", "SIP/105-02", s), t0.Add(time.Duration(i+1)*time.Second))
			}
			got := tr.handle(hangup("1", "1"), t0.Add(time.Minute))
			if len(got) != 1 || got[0].State != telephony.Ended || got[0].Disposition != tt.want {
				t.Fatalf("hangup reported %+v, want ended %s", got, tt.want)
			}
			if err := got[0].Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestTrackerTimesTheConversationFromAnswerToHangup(t *testing.T) {
	tr := newTracker(numbers{extLen: 5})
	tr.handle(dialBegin("1", "SIP/provider-01", "89031234567", "default", "s", "SIP/105-02", "", "s"), t0)
	answered := tr.handle(dialEnd("1", "SIP/105-02", "ANSWER"), t0.Add(10*time.Second))
	again := tr.handle(dialEnd("1", "SIP/106-03", "ANSWER"), t0.Add(11*time.Second))
	ended := tr.handle(hangup("1", "1"), t0.Add(70*time.Second+400*time.Millisecond))
	if len(answered) != 1 || answered[0].State != telephony.Answered || answered[0].Extension != "105" {
		t.Errorf("DialEnd ANSWER reported %+v, want answered by 105", answered)
	}
	if len(again) != 0 {
		t.Errorf("a second ANSWER reported %+v, want nothing", again)
	}
	if len(ended) != 1 || ended[0].Duration != 60 || ended[0].Disposition != "answered" {
		t.Errorf("hangup reported %+v, want 60 s answered", ended)
	}
}

func TestTrackerEndsACallOnlyWhenItsOriginatingChannelHangsUp(t *testing.T) {
	tr := newTracker(numbers{extLen: 5})
	tr.handle(dialBegin("1", "SIP/provider-01", "89031234567", "default", "s", "SIP/105-02", "", "s"), t0)
	if got := tr.handle(hangup("1", "2"), t0); len(got) != 0 {
		t.Errorf("a leg's hangup reported %+v", got)
	}
	if got := tr.handle(hangup("1", "1"), t0); len(got) != 1 || got[0].State != telephony.Ended {
		t.Errorf("the originating channel's hangup reported %+v, want ended", got)
	}
	if len(tr.calls) != 0 {
		t.Errorf("%d calls still tracked after the hangup", len(tr.calls))
	}
	late := dialBegin("1", "SIP/provider-01", "89031234567", "default", "s", "SIP/106-03", "", "s")
	if got := tr.handle(late, t0); len(got) != 0 {
		t.Errorf("an event after the end reported %+v", got)
	}
}

func TestTrackerReportsACallThatNeverDialledOnlyWhenItCameFromOutside(t *testing.T) {
	tr := newTracker(numbers{lines: []string{"74951234567"}, extLen: 5})
	tr.handle(ev("Newchannel", "Linkedid", "1", "Uniqueid", "1", "Channel", "PJSIP/trunk-01", "CallerIDNum", "79161234567",
		"Context", "ivr-main", "Exten", "74951234567"), t0)
	got := tr.handle(hangup("1", "1"), t0.Add(20*time.Second))
	want := telephony.Call{ID: "1", State: telephony.Ended, Direction: "in", From: "79161234567", To: "74951234567",
		Disposition: "cancelled", At: t0.Add(20 * time.Second)}
	if len(got) != 1 || got[0] != want {
		t.Errorf("a caller hanging up in the IVR reported %+v, want %+v", got, want)
	}

	tr.handle(ev("Newchannel", "Linkedid", "2", "Uniqueid", "2", "Channel", "PJSIP/201-02", "CallerIDNum", "201",
		"Context", "from-internal", "Exten", "*97"), t0)
	if got := tr.handle(hangup("2", "2"), t0.Add(time.Minute)); len(got) != 0 {
		t.Errorf("an extension checking its voicemail reported %+v", got)
	}
}

func TestTrackerForgetsCallsWhoseHangupWasLost(t *testing.T) {
	tr := newTracker(numbers{extLen: 5})
	tr.handle(dialBegin("1", "SIP/provider-01", "89031234567", "default", "s", "SIP/105-02", "", "s"), t0)
	tr.handle(dialBegin("2", "SIP/provider-03", "89031234568", "default", "s", "SIP/105-04", "", "s"), t0.Add(callMaxAge+time.Minute))
	if _, ok := tr.calls["1"]; ok || len(tr.calls) != 1 {
		t.Errorf("tracked %d calls, want only the new one", len(tr.calls))
	}
}

func TestNumbersMatchLinesWrittenAnyWay(t *testing.T) {
	n := numbers{lines: []string{"+7 (495) 123-45-67", "5551234"}, extLen: 5}
	tests := map[string]string{
		"74951234567":  "+7 (495) 123-45-67",
		"84951234567":  "+7 (495) 123-45-67",
		"+74951234567": "+7 (495) 123-45-67",
		"4951234567":   "+7 (495) 123-45-67",
		"5551234":      "5551234",
		"15551234":     "5551234", // seven digits are enough to match
		"5551235":      "",
		"74951234568":  "",
		"201":          "",
		"s":            "",
	}
	for in, want := range tests {
		if got := n.line(in); got != want {
			t.Errorf("line(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResourceIsTheDeviceOfAChannelName(t *testing.T) {
	tests := map[string]string{
		"PJSIP/201-0000002a":               "201",
		"SIP/trunk-provider-00000003":      "trunk-provider",
		"Local/201@from-queue-00000012;1":  "201",
		"IAX2/aster-25872":                 "aster",
		"DAHDI/i1/84951234567-4":           "i1/84951234567",
		"":                                 "",
		"no-slash":                         "",
		"sipnet/sip:89161234567@sipnet":    "sip:89161234567",
		"PJSIP/sipnet-00000081":            "sipnet",
		"Local/FMPR-201@from-internal-1;2": "FMPR-201",
	}
	for in, want := range tests {
		if got := resource(in); got != want {
			t.Errorf("resource(%q) = %q, want %q", in, got, want)
		}
	}
	if got := dialledNumber("sipnet/sip:89161234567@sipnet"); got != "89161234567" {
		t.Errorf("dialledNumber = %q", got)
	}
}
