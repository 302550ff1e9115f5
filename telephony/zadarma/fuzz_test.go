package zadarma

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/leadd/leadd/telephony/telephonytest"
)

// A Zadarma notification is whatever reaches the hook. Signed as Zadarma
// signs (the body's own fields, re-signed for every mutation) or not: it
// never gives a 500 or an event the inbox refuses (telephonytest.Holds);
// unsigned, it gives no call; signed, every call is the notification's
// own (its pbx_call_id).
func FuzzParse(f *testing.F) {
	for _, rec := range telephonytest.All(f) {
		u, _ := url.Parse(rec.Target)
		f.Add(u.RawQuery, rec.Body, true)
		f.Add(u.RawQuery, rec.Body, false)
	}
	p := Provider{Key: "k", Secret: "fuzz-secret", Location: msk}
	f.Fuzz(func(t *testing.T, query, body string, sign bool) {
		r := httptest.NewRequest("POST", "/hooks/telephony/zadarma", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		form, _ := url.ParseQuery(body)
		if sign {
			var vals []string
			for _, n := range signed[form.Get("event")] {
				vals = append(vals, form.Get(n))
			}
			r.Header.Set("Signature", Sign(p.Secret, vals...))
		} else {
			r.Header.Set("Signature", "ZGVhZGJlZWY=")
		}
		calls, err := p.Parse(r, []byte(body))
		telephonytest.Holds(t, "zadarma", calls, err)
		for _, c := range calls {
			if !sign {
				t.Fatalf("an unsigned notification gave a call: %+v", c)
			}
			if c.ID != form.Get("pbx_call_id") {
				t.Fatalf("call %q from a notification of %q", c.ID, form.Get("pbx_call_id"))
			}
		}
	})
}
