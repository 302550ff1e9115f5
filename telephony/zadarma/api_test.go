package zadarma_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/telephony"
	"github.com/leadd/leadd/telephony/zadarma"
	"github.com/leadd/leadd/telephony/zadarma/zadarmatest"
)

const (
	key, secret = "a248a6a984459935b569", "zadarma-test-secret"
	pbxCallID   = "in_4c1a3f0e9d2b7a6c5e8f01d3b9a7c2e4f6a8b0d1"
	callID      = "1715690231.4417209"
)

// ref is what NOTIFY_RECORD stores for the call.
var ref = "https://api.zadarma.com/v1/pbx/record/request/?" + url.Values{"call_id": {callID}, "pbx_call_id": {pbxCallID}}.Encode()

func audio() []byte { return bytes.Repeat([]byte("ID3\x04mp3-frame;"), 4096) }

func TestARecordingIsFetchedThroughTheSignedAPIAndStreamed(t *testing.T) {
	api := zadarmatest.Start(t, key, secret)
	api.Add(pbxCallID, callID, audio())
	rs := telephony.Recordings{"zadarma": zadarma.Provider{Key: key, Secret: secret, API: api.URL}}

	w := httptest.NewRecorder()
	if err := rs.Serve(w, httptest.NewRequest("GET", "/x", nil), "zadarma", ref, "call-7.mp3"); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), audio()) || w.Header().Get("Content-Type") != "audio/mpeg" ||
		w.Header().Get("Content-Disposition") != `inline; filename="call-7.mp3"` {
		t.Errorf("answered %d %s, %d bytes; want the whole recording", w.Code, w.Header(), w.Body.Len())
	}
	if req, refused, downloads := api.Counts(); req != 1 || refused != 0 || downloads != 1 {
		t.Errorf("the API saw %d signed requests, %d refused, %d downloads; want 1, 0, 1", req, refused, downloads)
	}

	// A player seeking: the Range goes through.
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("Range", "bytes=100-199")
	w = httptest.NewRecorder()
	if err := rs.Serve(w, r, "zadarma", ref, "call-7.mp3"); err != nil {
		t.Fatal(err)
	}
	if w.Code != 206 || !bytes.Equal(w.Body.Bytes(), audio()[100:200]) || !strings.HasPrefix(w.Header().Get("Content-Range"), "bytes 100-199/") {
		t.Errorf("a range: %d %s %q", w.Code, w.Header(), w.Body.Bytes())
	}

	// Only the pbx_call_id known: the first of the call's links.
	w = httptest.NewRecorder()
	if err := rs.Serve(w, httptest.NewRequest("GET", "/x", nil), "zadarma",
		"https://api.zadarma.com/v1/pbx/record/request/?pbx_call_id="+pbxCallID, "c.mp3"); err != nil || !bytes.Equal(w.Body.Bytes(), audio()) {
		t.Errorf("by pbx_call_id: %v, %d bytes", err, w.Body.Len())
	}
}

func TestAWrongSecretOrAMissingRecordingIsAnError(t *testing.T) {
	api := zadarmatest.Start(t, key, secret)
	api.Add(pbxCallID, callID, audio())
	for _, tc := range []struct {
		name string
		p    zadarma.Provider
		ref  string
		code string
	}{
		{"a wrong secret", zadarma.Provider{Key: key, Secret: "not-the-secret", API: api.URL}, ref, crm.EUNAVAILABLE},
		{"a wrong key", zadarma.Provider{Key: "other", Secret: secret, API: api.URL}, ref, crm.EUNAVAILABLE},
		{"no key", zadarma.Provider{Secret: secret, API: api.URL}, ref, crm.EUNAVAILABLE},
		{"an unknown call", zadarma.Provider{Key: key, Secret: secret, API: api.URL},
			"https://api.zadarma.com/v1/pbx/record/request/?call_id=1.2&pbx_call_id=in_x", crm.ENOTFOUND},
		{"a reference naming no call", zadarma.Provider{Key: key, Secret: secret, API: api.URL}, "https://api.zadarma.com/v1/pbx/record/request/", crm.ENOTFOUND},
		{"Zadarma unreachable", zadarma.Provider{Key: key, Secret: secret, API: "http://127.0.0.1:1"}, ref, crm.EUNAVAILABLE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			err := telephony.Recordings{"zadarma": tc.p}.Serve(w, httptest.NewRequest("GET", "/x", nil), "zadarma", tc.ref, "c.mp3")
			if crm.ErrorCode(err) != tc.code || w.Body.Len() != 0 {
				t.Errorf("error %v (%s), %d bytes written; want %s and nothing written", err, crm.ErrorCode(err), w.Body.Len(), tc.code)
			}
		})
	}
	if _, refused, _ := api.Counts(); refused != 2 {
		t.Errorf("the API refused %d requests for their signature, want the 2 with a wrong key or secret", refused)
	}
}

// The signature is Zadarma's whatever the parameters hold: the fake
// API's step-by-step algorithm agrees with APISignature for values with
// spaces, ~, Cyrillic and reserved characters.
func TestTheSignatureIsZadarmasForAnyParameters(t *testing.T) {
	api := zadarmatest.Start(t, key, secret)
	for _, id := range []string{"1715690231.4417209", "a b~c", "Запись+1/2&x=y", "%41", ""} {
		p := url.Values{"call_id": {id}, "format": {"json"}, "lifetime": {"3600"}}
		req, _ := http.NewRequest("GET", api.URL+"/v1/pbx/record/request/?"+zadarma.PHPQuery(p), nil)
		req.Header.Set("Authorization", zadarma.APISignature(key, secret, "/v1/pbx/record/request/", p))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusUnauthorized {
			t.Errorf("call_id %q: the API refused the signature: %s", id, body)
		}
	}
}

// A provider that sends plain links is answered with a redirect; a
// reference that is no link is not found.
func TestAPlainRecordingLinkIsARedirect(t *testing.T) {
	rs := telephony.Recordings{}
	w := httptest.NewRecorder()
	if err := rs.Serve(w, httptest.NewRequest("GET", "/x", nil), "generic", "https://pbx.example/rec/1.mp3", "c.mp3"); err != nil ||
		w.Code != http.StatusFound || w.Header().Get("Location") != "https://pbx.example/rec/1.mp3" {
		t.Errorf("a plain link: %v, %d %s", err, w.Code, w.Header())
	}
	if err := rs.Serve(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil), "generic", "javascript:alert(1)", "c.mp3"); crm.ErrorCode(err) != crm.ENOTFOUND {
		t.Errorf("a non-link: %v", err)
	}
}
