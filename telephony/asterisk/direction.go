package asterisk

import (
	"strings"
)

// numbers tells the company's numbers from its extensions and from the
// rest of the world, and so which way a call goes.
type numbers struct {
	lines  []string // the company's external numbers (DIDs), as configured
	extLen int      // the longest internal extension, in digits
}

// classify decides the direction, the parties and the extension of c
// from its originating channel (or, without one, the calling side of the
// event at hand, cur) and the dial event m (nil when there is none).
//
// In order, the first rule that applies:
//  1. the originating channel entered the dialplan in a FreePBX trunk
//     context (from-pstn, from-trunk…): inbound;
//  2. it entered in from-internal (FreePBX's context for phones): outbound
//     if it dialled an outside number, else an internal call;
//  3. the number it dialled is one of Lines: inbound;
//  4. its caller number is one of Lines (the outbound caller id a dialplan
//     sets before dialling a trunk): outbound;
//  5. its caller number is an extension (at most extLen digits): outbound
//     if it dialled an outside number, else an internal call;
//  6. otherwise: inbound.
//
// Internal calls (extension to extension, voicemail, feature codes) are
// marked ignored: they are no client's touch.
func (n numbers) classify(c *call, cur party, m message) {
	c.classified = true
	o := c.origin
	if o.empty() {
		// No originating channel seen (joined mid-call): the calling leg is
		// the best there is, but its context is where the dialplan is now
		// (a ring group's Local channel), not where the call came from.
		o = party{channel: cur.channel, num: cur.num, exten: cur.exten}
	}
	switch {
	case trunkContext(o.context):
		n.inbound(c, o, m)
	case strings.HasPrefix(o.context, "from-internal"):
		n.outbound(c, o, cur, m)
	case n.line(o.exten) != "":
		n.inbound(c, o, m)
	case n.line(o.num) != "" || n.line(cur.num) != "":
		n.outbound(c, o, cur, m)
	case n.extension(o.num):
		n.outbound(c, o, cur, m)
	default:
		n.inbound(c, o, m)
	}
}

// plainlyInbound reports a call that came from outside to the company,
// without a dial to tell: it entered from a trunk context, it dialled one
// of the company's lines, or its channel is not one of the company's
// phones and its caller is an outside number.
func (n numbers) plainlyInbound(o party) bool {
	if trunkContext(o.context) || n.line(o.exten) != "" {
		return true
	}
	if strings.HasPrefix(o.context, "from-internal") || n.extension(resource(o.channel)) || n.line(o.num) != "" {
		return false
	}
	return n.external(cleanNumber(o.num))
}

func trunkContext(ctx string) bool {
	return strings.HasPrefix(ctx, "from-pstn") || strings.HasPrefix(ctx, "from-trunk")
}

func (n numbers) inbound(c *call, o party, m message) {
	c.dir = "in"
	c.from = o.num
	switch {
	case n.line(o.exten) != "" || n.external(o.exten):
		c.to = o.exten
	case len(n.lines) == 1:
		c.to = n.lines[0]
	}
	if m != nil {
		c.ext = n.rungExtension(m)
	}
}

func (n numbers) outbound(c *call, o, cur party, m message) {
	var dest party
	var dialString, destConnected string
	if m != nil {
		dest = party{channel: m["destchannel"], num: cleanNumber(m["destcalleridnum"]), exten: m["destexten"]}
		dialString, destConnected = m["dialstring"], cleanNumber(m["destconnectedlinenum"])
	}
	c.to = n.first(n.external, o.exten, cur.exten, dest.exten, dialledNumber(dialString))
	if c.to == "" {
		c.ignored = true
		return
	}
	c.dir = "out"
	c.ext = n.first(n.extension, o.num, cur.num, resource(o.channel), resource(cur.channel))
	// The line the call goes out on: the caller id the dialplan set on the
	// calling channel, which the trunk leg presents as its connected line.
	c.from = n.first(n.external, cur.num, destConnected, o.num)
	if c.from == "" && len(n.lines) == 1 {
		c.from = n.lines[0]
	}
}

// rungExtension is the extension a dial leg rings: the destination's
// caller number when it is a device's own, its Exten, or the resource of
// its channel name (PJSIP/201-0000002a, Local/201@from-queue-00000012;1).
func (n numbers) rungExtension(m message) string {
	return n.first(n.extension, cleanNumber(m["destcalleridnum"]), m["destexten"], resource(m["destchannel"]))
}

func (n numbers) first(ok func(string) bool, vals ...string) string {
	for _, v := range vals {
		if ok(v) {
			return v
		}
	}
	return ""
}

// extension reports an internal number: digits only, at most extLen.
func (n numbers) extension(s string) bool {
	return s != "" && len(s) <= n.extLen && allDigits(s)
}

// external reports a number outside the PBX: longer than an extension.
func (n numbers) external(s string) bool {
	return phoneLike(s) && !n.extension(s)
}

// line returns the configured line that s is, or "". Numbers match on
// their last ten digits, so +7 495 123-45-67 is 74951234567 and
// 84951234567.
func (n numbers) line(s string) string {
	d := digits(s)
	if d == "" {
		return ""
	}
	for _, l := range n.lines {
		if sameNumber(d, digits(l)) {
			return l
		}
	}
	return ""
}

func sameNumber(a, b string) bool {
	k := min(len(a), len(b), 10)
	if k < 7 {
		return a == b
	}
	return a[len(a)-k:] == b[len(b)-k:]
}

// cleanNumber drops the placeholders Asterisk writes for a missing
// caller id ("<unknown>") and the usual words for a hidden one.
func cleanNumber(s string) string {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "<unknown>", "unknown", "anonymous", "restricted", "private", "unavailable":
		return ""
	}
	return s
}

// resource is the device or target of a channel name: "201" from
// "PJSIP/201-0000002a" and from "Local/201@from-queue-00000012;1".
func resource(ch string) string {
	_, s, ok := strings.Cut(ch, "/")
	if !ok {
		return ""
	}
	if i := strings.IndexByte(s, '@'); i >= 0 {
		return s[:i]
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		return s[:i]
	}
	return s
}

// dialledNumber is the number in a DialString: "sipnet/sip:89161234567@sipnet"
// or "89161234567@trunk" give 89161234567.
func dialledNumber(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "sips:"), "sip:")
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	return s
}

func phoneLike(s string) bool {
	return allDigits(strings.TrimPrefix(s, "+"))
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
