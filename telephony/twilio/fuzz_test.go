package twilio

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/leadd/leadd/telephony/telephonytest"
)

// A Twilio callback is a form (POST) or a query (GET) signed over the
// public URL and the parameters (re-signed for every mutation), or not
// signed: it never gives a 500 or an event the inbox refuses
// (telephonytest.Holds); unsigned, it gives no call; signed, every call
// is the callback's CallSid or one of its legs.
func FuzzParse(f *testing.F) {
	for _, rec := range telephonytest.All(f) {
		u, _ := url.Parse(rec.Target)
		f.Add(rec.Method == "GET", u.RawQuery, rec.Body, true)
	}
	f.Add(true, "CallSid=CA1&CallStatus=ringing&Direction=inbound&From=%2B79161230001&To=%2B74951000000", "", true)
	p := Provider{AuthToken: testToken, PublicURL: testURL}
	f.Fuzz(func(t *testing.T, get bool, query, body string, sign bool) {
		method, fields := "POST", body
		if get {
			method, body, fields = "GET", "", query
		}
		r := httptest.NewRequest(method, "/hooks/telephony/twilio", strings.NewReader(body))
		r.URL.RawQuery = query
		params, _ := url.ParseQuery(fields)
		if get {
			params = nil // a GET's parameters are signed as part of the URL
		}
		if sign {
			r.Header.Set("X-Twilio-Signature", Sign(p.AuthToken, strings.TrimSuffix(p.PublicURL, "/")+r.URL.RequestURI(), params))
		} else {
			r.Header.Set("X-Twilio-Signature", "3q2+7w==")
		}
		calls, err := p.Parse(r, []byte(body))
		telephonytest.Holds(t, "twilio", calls, err)
		all, _ := url.ParseQuery(fields)
		for _, c := range calls {
			if !sign {
				t.Fatalf("an unsigned callback gave a call: %+v", c)
			}
			if c.ID != all.Get("CallSid") && c.ID != all.Get("ParentCallSid") {
				t.Fatalf("call %q from a callback of CallSid %q, ParentCallSid %q", c.ID, all.Get("CallSid"), all.Get("ParentCallSid"))
			}
		}
	})
}
