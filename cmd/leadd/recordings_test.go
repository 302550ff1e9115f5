package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/telephony/generic"
	"github.com/leadd/leadd/telephony/zadarma/zadarmatest"
)

// A manager hears a Zadarma call through Leadd: once NOTIFY_RECORD said
// the recording is ready, GET /api/v1/touches/{id}/recording fetches it
// through Zadarma's signed API (a local fake that checks the signature as
// Zadarma documents it) and streams it.
func TestAZadarmaRecordingIsHeardThroughLeadd(t *testing.T) {
	t.Parallel()
	api := zadarmatest.Start(t, zadarmaKey, zadarmaSecret)
	mp3 := bytes.Repeat([]byte("ID3\x04frame."), 2000)
	api.Add("in_4c1a3f0e9d2b7a6c5e8f01d3b9a7c2e4f6a8b0d1", "1715690231.4417209", mp3)
	ta := startApp(t, func(c *configs.Config) {
		withZadarma(c)
		c.Telephony.Zadarma.API = api.URL
	})
	ta.replay("zadarma", zadarmaAnswered...)
	tc, _ := ta.callTouch(ta.leadsByPhone(zadarmaCall.phone)[0].ID)
	path := fmt.Sprintf("/api/v1/touches/%d/recording", tc.ID)
	if res := ta.do("GET", path, "", nil, "Authorization: Bearer "+adminToken); res.Status != 404 {
		t.Errorf("before NOTIFY_RECORD: %d %s, want 404", res.Status, excerpt(res.Body))
	}
	ta.replay("zadarma", "answered-05-record")

	res := ta.do("GET", path, "", nil, "Authorization: Bearer "+adminToken)
	if res.Status != 200 || !bytes.Equal(res.Body, mp3) || res.Header.Get("Content-Type") != "audio/mpeg" {
		t.Fatalf("GET %s: %d %s, %d bytes; want the recording", path, res.Status, res.Header, len(res.Body))
	}
	if req, refused, downloads := api.Counts(); req != 1 || refused != 0 || downloads != 1 {
		t.Errorf("Zadarma saw %d signed requests, %d refused, %d downloads", req, refused, downloads)
	}
	// The manager hears it on the lead's card in the console, by the
	// same rule, with their session.
	l := ta.lead(ta.leadsByPhone(zadarmaCall.phone)[0].ID)
	b := ta.browserClient()
	if res, _ := b.get(ta.loginLink(*l.ManagerID)); res.StatusCode != 303 {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	player := fmt.Sprintf("/touches/%d/recording", tc.ID)
	if res, page := b.get(fmt.Sprintf("/leads/%d", l.ID)); res.StatusCode != 200 || !strings.Contains(page, `<audio controls preload="none" src="`+player+`"`) {
		t.Errorf("the lead's card (%d) has no player for %s", res.StatusCode, player)
	}
	if res, body := b.get(player); res.StatusCode != 200 || body != string(mp3) {
		t.Errorf("the console's player: %d, %d bytes", res.StatusCode, len(body))
	}
	if res := ta.do("GET", path, "", nil); res.Status != 401 {
		t.Errorf("without a token: %d, want 401", res.Status)
	}
	if res := ta.do("GET", "/api/v1/touches/999999/recording", "", nil, "Authorization: Bearer "+adminToken); res.Status != 404 {
		t.Errorf("an unknown touch: %d, want 404", res.Status)
	}
}

// PBX webhooks from outside a provider's allowed_sources are refused with
// 403 and the envelope's code before anything is read or stored; from
// inside they pass.
func TestPBXWebhooksFromOutsideTheAllowlistAreRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		sources []string
		want    int
	}{
		{"outside", []string{"185.45.152.42", "10.9.0.0/16"}, 403},
		{"inside", []string{"185.45.152.42", "127.0.0.0/8", "::1"}, 200},
		{"no list", nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ta := startApp(t, func(c *configs.Config) {
				c.Telephony.Generic.AllowedSources = tc.sources
				withZadarma(c)
				c.Telephony.Zadarma.AllowedSources = tc.sources
			})
			before := ta.stored()
			body, _ := json.Marshal(generic.Event{CallID: "allow-1", Direction: "in", From: "+79161234567", To: "+74950000000", State: "ringing"})
			res := ta.do("POST", "/hooks/telephony/generic", "application/json", bytes.NewReader(body),
				"X-Signature: "+generic.Sign(ta.cfg.Telephony.Generic.Secret, body))
			zd := ta.send("zadarma", "answered-01-start")
			for what, r := range map[string]response{"generic": res, "zadarma": zd} {
				if r.Status != tc.want {
					t.Errorf("%s: %d %s, want %d", what, r.Status, excerpt(r.Body), tc.want)
				}
				if tc.want == 403 {
					var e struct {
						Error struct{ Code, Message string }
					}
					jsonInto(t, r.Body, &e)
					if e.Error.Code != crm.EFORBIDDEN || !strings.Contains(e.Error.Message, "allowed_sources") {
						t.Errorf("%s: %+v, want forbidden naming allowed_sources", what, e.Error)
					}
				}
			}
			if tc.want == 403 {
				if after := ta.stored(); after != before {
					t.Errorf("a refused webhook stored something: %+v → %+v", before, after)
				}
			}
		})
	}
}
