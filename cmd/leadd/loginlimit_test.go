package main

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/leadd/leadd/configs"
)

// Neither an API token nor a sign-in link's code can be guessed by trying:
// past ten attempts a minute from one address, /login and /login/{code}
// answer 429 with a Russian page saying when to try again — even for the
// right token — while another address still signs in.
func TestSignInAttemptsAreBoundedPerAddress(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) { c.HTTP.TrustedProxies = []string{"127.0.0.1/32", "::1/128"} })
	from := func(addr string) *browserClient {
		b := ta.browserClient()
		b.header = http.Header{"X-Forwarded-For": {addr}}
		return b
	}
	guesser := from("203.0.113.7")
	for i := 0; i < 5; i++ { // ten attempts, five of each kind
		if res, _ := guesser.post("/login", url.Values{"token": {"guess-" + strconv.Itoa(i)}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d answered %d, want 401", i, res.StatusCode)
		}
		if res, _ := guesser.get("/login/guess" + strconv.Itoa(i)); res.StatusCode != http.StatusGone {
			t.Fatalf("code guess %d answered %d, want 410", i, res.StatusCode)
		}
	}
	for _, try := range []func() (*http.Response, string){
		func() (*http.Response, string) { return guesser.post("/login", url.Values{"token": {adminToken}}) },
		func() (*http.Response, string) { return guesser.get(ta.loginLink(1)) },
	} {
		res, body := try()
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Errorf("the eleventh attempt answered %d (Retry-After %q), want 429 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
		}
		if !strings.Contains(body, "Слишком много попыток входа") || !strings.Contains(body, "через") {
			t.Errorf("the page does not say in Russian when to try again:\n%s", excerpt([]byte(body)))
		}
		for _, c := range res.Cookies() {
			if c.Name == "leadd_session" && c.Value != "" {
				t.Error("a bounded attempt still signed in")
			}
		}
	}
	if res, _ := from("198.51.100.2").post("/login", url.Values{"token": {adminToken}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("another address answered %d, want to be signed in", res.StatusCode)
	}
}
