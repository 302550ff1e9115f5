package asterisk

import (
	"strings"
	"time"

	"github.com/leadd/leadd/telephony"
)

// How long the tracker keeps what it knows: a call whose Hangup was lost
// (the connection dropped at the time) is forgotten after callMaxAge; an
// ended call's id is remembered for doneMaxAge, so that a leg still
// hanging up after it does not start a new call.
const (
	callMaxAge  = 12 * time.Hour
	doneMaxAge  = time.Hour
	sweepPeriod = 10 * time.Minute
)

// party is the calling side of an event, as AMI describes a channel.
type party struct {
	channel, num, exten, context string
}

// merge fills what p does not know yet from q.
func (p *party) merge(q party) {
	if p.channel == "" {
		p.channel = q.channel
	}
	if p.num == "" {
		p.num = q.num
	}
	if p.exten == "" || p.exten == "s" {
		p.exten = q.exten
	}
	if p.context == "" {
		p.context = q.context
	}
}

func (p party) empty() bool { return p == party{} }

// call is what the tracker knows of one call, keyed by its Linkedid.
type call struct {
	id         string
	origin     party // the channel whose Uniqueid is the Linkedid
	classified bool
	ignored    bool // an internal call: nothing is reported
	dir        string
	from, to   string
	ext        string
	rang       bool
	answeredAt time.Time // zero until a DialEnd ANSWER
	status     string    // the last final DialStatus other than ANSWER
	seen       time.Time
	session    int // the connection that last reported on it
}

func (c *call) event(state string, at time.Time) telephony.Call {
	return telephony.Call{ID: c.id, State: state, Direction: c.dir, From: c.from, To: c.to, Extension: c.ext, At: at}
}

// dispositions maps Dial's final DIALSTATUS values onto telephony's.
// ANSWER is handled apart: once a leg answers, the call is answered
// whatever the other legs of a ring group end with (CANCEL).
var dispositions = map[string]string{
	"BUSY":        "busy",
	"NOANSWER":    "no_answer",
	"CANCEL":      "cancelled",
	"CONGESTION":  "failed",
	"CHANUNAVAIL": "failed",
	"DONTCALL":    "failed",
	"TORTURE":     "failed",
	"INVALIDARGS": "failed",
}

func (c *call) disposition() string {
	if !c.answeredAt.IsZero() {
		return "answered"
	}
	if d, ok := dispositions[c.status]; ok {
		return d
	}
	return "cancelled" // rang, and no leg reported an end: the caller gave up
}

// tracker folds AMI events into Calls. It is not safe for concurrent
// use: one connection at a time feeds it, and it outlives reconnects so
// that a call begun before a drop still ends after it.
type tracker struct {
	numbers numbers
	calls   map[string]*call
	done    map[string]time.Time
	swept   time.Time
	session int // counts connections: calls of an earlier one may have ended unseen
}

func newTracker(n numbers) *tracker {
	return &tracker{numbers: n, calls: map[string]*call{}, done: map[string]time.Time{}}
}

// handle folds one event that happened at at and returns the call states
// it completes, each once per call.
func (t *tracker) handle(m message, at time.Time) []telephony.Call {
	switch strings.ToLower(m["event"]) {
	case "newchannel":
		t.newChannel(m, at)
	case "dialbegin":
		return t.dialBegin(m, at)
	case "dialend":
		return t.dialEnd(m, at)
	case "hangup":
		return t.hangup(m, at)
	case "varset":
		t.varSet(m, at)
	}
	return nil
}

// varSet keeps DIALSTATUS as the dialplan sets it: a Dial() that could not
// even start (an unregistered endpoint: CHANUNAVAIL) raises no DialBegin
// or DialEnd, only this.
func (t *tracker) varSet(m message, at time.Time) {
	if !strings.EqualFold(m["variable"], "DIALSTATUS") {
		return
	}
	c := t.calls[m["linkedid"]]
	if c == nil {
		return
	}
	c.seen, c.session = at, t.session
	if status := strings.ToUpper(m["value"]); status != "ANSWER" {
		if _, final := dispositions[status]; final {
			c.status = status
		}
	}
}

// reconcile ends the calls of earlier connections that are not among the
// channels Asterisk still has (CoreShowChannels after a reconnect): their
// Hangup was lost while the connection was down. at is the PBX's time of
// the answer.
func (t *tracker) reconcile(live map[string]bool, at time.Time) []telephony.Call {
	var out []telephony.Call
	for id, c := range t.calls {
		if c.session == t.session || live[id] {
			continue
		}
		out = append(out, t.end(id, c, at)...)
	}
	return out
}

// get returns the call id, creating it, or nil for one already ended.
func (t *tracker) get(id string, at time.Time) *call {
	if id == "" {
		return nil
	}
	if _, ended := t.done[id]; ended {
		return nil
	}
	c := t.calls[id]
	if c == nil {
		t.sweep(at)
		c = &call{id: id}
		t.calls[id] = c
	}
	c.seen, c.session = at, t.session
	return c
}

func (t *tracker) sweep(now time.Time) {
	if now.Sub(t.swept) < sweepPeriod {
		return
	}
	t.swept = now
	for id, c := range t.calls {
		if now.Sub(c.seen) > callMaxAge {
			delete(t.calls, id)
		}
	}
	for id, at := range t.done {
		if now.Sub(at) > doneMaxAge {
			delete(t.done, id)
		}
	}
}

func caller(m message) party {
	return party{channel: m["channel"], num: cleanNumber(m["calleridnum"]), exten: m["exten"], context: m["context"]}
}

// isOrigin reports whether the event is about the call's first channel:
// Linkedid is "the Uniqueid of the oldest channel associated with this
// channel", so that channel's Uniqueid equals it.
func isOrigin(m message) bool {
	return m["linkedid"] != "" && m["uniqueid"] == m["linkedid"]
}

// newChannel learns where the call came from: the originating channel's
// context (from-pstn, from-internal) and dialled Exten are still the
// first ones here, before the dialplan moves the channel on.
func (t *tracker) newChannel(m message, at time.Time) {
	if !isOrigin(m) {
		return
	}
	if c := t.get(m["linkedid"], at); c != nil {
		c.origin.merge(caller(m))
	}
}

// dial returns the call a DialBegin or DialEnd is about, classified.
func (t *tracker) dial(m message, at time.Time) *call {
	c := t.get(m["linkedid"], at)
	if c == nil {
		return nil
	}
	cur := caller(m)
	if isOrigin(m) {
		c.origin.merge(cur)
	}
	if !c.classified {
		t.numbers.classify(c, cur, m)
	}
	if c.ignored {
		return nil
	}
	return c
}

// dialBegin rings: the first leg of a call reports it, the others (a
// ring group, a queue, Local channels dialling devices) add nothing.
func (t *tracker) dialBegin(m message, at time.Time) []telephony.Call {
	c := t.dial(m, at)
	if c == nil || c.rang || !c.answeredAt.IsZero() {
		return nil
	}
	c.rang = true
	return []telephony.Call{c.event(telephony.Ringing, at)}
}

// dialEnd answers on the first ANSWER and otherwise remembers the status
// the call would end with.
func (t *tracker) dialEnd(m message, at time.Time) []telephony.Call {
	c := t.dial(m, at)
	if c == nil {
		return nil
	}
	status := strings.ToUpper(m["dialstatus"])
	if status != "ANSWER" {
		if _, final := dispositions[status]; final {
			c.status = status
		}
		return nil
	}
	if !c.answeredAt.IsZero() {
		return nil
	}
	c.answeredAt = at
	if c.dir == "in" {
		if ext := t.numbers.rungExtension(m); ext != "" {
			c.ext = ext
		}
	}
	return []telephony.Call{c.event(telephony.Answered, at)}
}

// hangup ends the call when its originating channel hangs up; the legs'
// hangups say nothing about the call as a whole.
func (t *tracker) hangup(m message, at time.Time) []telephony.Call {
	if !isOrigin(m) {
		return nil
	}
	id := m["linkedid"]
	c := t.calls[id]
	if c == nil {
		return nil
	}
	c.origin.merge(caller(m))
	return t.end(id, c, at)
}

// end reports the end of a call at at, once.
func (t *tracker) end(id string, c *call, at time.Time) []telephony.Call {
	delete(t.calls, id)
	t.done[id] = at
	if !c.classified {
		// It never reached Dial (an IVR, a voicemail box, a queue, a caller
		// who hung up in the greeting, an endpoint that is not registered).
		// A call from outside to the company is a missed call all the same.
		if !t.numbers.plainlyInbound(c.origin) {
			return nil
		}
		t.numbers.classify(c, c.origin, nil)
	}
	if c.ignored {
		return nil
	}
	ev := c.event(telephony.Ended, at)
	ev.Disposition = c.disposition()
	if !c.answeredAt.IsZero() {
		ev.Duration = max(0, int(at.Sub(c.answeredAt).Round(time.Second)/time.Second))
	}
	return []telephony.Call{ev}
}
