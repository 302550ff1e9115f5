package main

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/leadd/leadd/telephony/generic"
)

// A PBX writes what it writes: a header of its own in Latin-1 (a caller's
// name, a node's label) or with a stray control character does not cost
// the call — the machine hooks clean header values; a website form, which
// a person's browser posts, still refuses them, naming the header.
func TestMachineHooksCleanHeadersFormsRefuseThem(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	for i, h := range []string{"X-Caller-Name: Jos\xe9 Mar\xeda", "X-Pbx-Node: \xff\xfe", "User-Agent: Asterisk PBX \xa9 2024"} {
		body, _ := json.Marshal(event("latin1-"+string(rune('a'+i)), "ringing", "from", "+7 916 555 00 0"+string(rune('1'+i))))
		res := ta.do("POST", "/hooks/telephony/generic", "application/json", strings.NewReader(string(body)),
			"X-Signature: "+generic.Sign(telephonySecret, body), h)
		if res.Status != 200 {
			t.Errorf("a call with %q: %d %s, want it taken", h, res.Status, res.Body)
		}
	}
	ta.waitProcessed()
	if n := ta.db.Count(t, `SELECT count(*) FROM inbox WHERE source = 'call:generic'`); n != 3 {
		t.Errorf("%d call events stored, want 3", n)
	}
	res := ta.postForm("contact", url.Values{"phone": {"+7 916 555 00 09"}}, "X-Visitor: Jos\xe9")
	if res.Status != 400 || !strings.Contains(string(res.Body), `"field":"X-Visitor"`) {
		t.Errorf("a form post with a Latin-1 header: %d %s, want 400 naming it", res.Status, res.Body)
	}
}
