package mango

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/leadd/leadd/telephony/telephonytest"
)

// A Mango event is a path and a json field, signed with the key and the
// salt (re-signed for every mutation), or a body as it comes: neither
// gives a 500 or an event the inbox refuses (telephonytest.Holds), and
// nothing but a signed one gives a call.
func FuzzParse(f *testing.F) {
	for _, rec := range telephonytest.All(f) {
		form, _ := url.ParseQuery(rec.Body)
		f.Add(rec.Target, form.Get("json"), rec.Body)
	}
	p := Provider{APIKey: testKey, APISalt: testSalt}
	f.Fuzz(func(t *testing.T, path, js, raw string) {
		target := "/hooks/telephony/mango"
		if strings.HasPrefix(path, target) {
			target = path // "/hooks/telephony/mango/events/summary", or a mutation of it
		}
		for _, signed := range []bool{true, false} {
			body := raw
			if signed {
				body = url.Values{"vpbx_api_key": {p.APIKey}, "sign": {Sign(p.APIKey, js, p.APISalt)}, "json": {js}}.Encode()
			}
			r := httptest.NewRequest("POST", "/hooks/telephony/mango", strings.NewReader(body))
			r.URL.Path = target
			calls, err := p.Parse(r, []byte(body))
			telephonytest.Holds(t, "mango", calls, err)
			if !signed && len(calls) > 0 {
				form, _ := url.ParseQuery(body)
				if Sign(p.APIKey, form.Get("json"), p.APISalt) != strings.ToLower(form.Get("sign")) {
					t.Fatalf("a body not signed with the salt gave calls: %+v", calls)
				}
			}
		}
	})
}
