package generic

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// A signed generic event is whatever the PBX script sends: no body
// panics, and every call it yields passes Validate.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"call_id":"c1","direction":"in","from":"+79123456789","to":"+74951234567","state":"ringing"}`))
	f.Add([]byte(`{"call_id":"c1","direction":"in","from":"8912","state":"ended","disposition":"no_answer","duration":-1}`))
	f.Add([]byte(`{"call_id":"\u0000","direction":"out","state":"answered","at":"2026-12-06T10:00:00Z"}`))
	f.Add([]byte(`[]`))
	p := Provider{Secret: "fuzz-secret"}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/hooks/telephony/generic", bytes.NewReader(body))
		r.Header.Set("X-Signature", Sign(p.Secret, body))
		calls, err := p.Parse(r, body)
		if err != nil {
			return
		}
		for _, c := range calls {
			if err := c.Validate(); err != nil {
				t.Fatalf("Parse yielded a call Validate refuses: %v", err)
			}
		}
	})
}
