package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/leadd/leadd/configs"
)

// limitClient posts to the daemon's real handlers as one client would.
type limitClient struct {
	ta *testApp
	n  int
}

// post posts a new person to form from the test server's peer (127.0.0.1)
// with X-Forwarded-For set when xff is not empty.
func (c *limitClient) post(form, xff string, headers ...string) response {
	c.ta.t.Helper()
	c.n++
	h := headers
	if xff != "" {
		h = append(h, "X-Forwarded-For: "+xff)
	}
	return c.ta.postForm(form, url.Values{"phone": {fmt.Sprintf("+7 926 41%d %02d %02d", c.n/10000, c.n/100%100, c.n%100)}}, h...)
}

// postFrom posts straight into the handler as if from peer (any address
// family), without a network in between.
func (c *limitClient) postFrom(peer, xff string) int {
	c.n++
	body := url.Values{"phone": {fmt.Sprintf("+7 926 42%d %02d %02d", c.n/10000, c.n/100%100, c.n%100)}}.Encode()
	r := httptest.NewRequest("POST", "/hooks/forms/contact", strings.NewReader(body))
	r.RemoteAddr = peer
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Accept", "application/json")
	if xff != "" {
		r.Header.Set("X-Forwarded-For", xff)
	}
	w := httptest.NewRecorder()
	c.ta.handler.ServeHTTP(w, r)
	return w.Code
}

func statuses(n int, f func(i int) int) string {
	var s []string
	for i := range n {
		s = append(s, fmt.Sprint(f(i)))
	}
	return strings.Join(s, " ")
}

// Behind a trusted proxy a client is the address the proxy forwarded: an
// IPv4 address, or an IPv6 /64; what a client writes into the header
// itself changes nothing; names that are no form count like posts.
func TestRateLimitByClientBehindTrustedProxy(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) {
		c.HTTP.TrustedProxies = []string{"127.0.0.1"} // the test server's peer plays the site's nginx
		c.Forms.Trusted = []string{"192.0.2.0/24"}    // the site's backend, behind the proxy
		c.Forms.RateLimit = 3
		f := c.Forms.Forms["contact"]
		f.AllowedOrigins = []string{"https://example.ru"} // a post without Origin (a server) is allowed
		c.Forms.Forms["contact"] = f
	})
	c := &limitClient{ta: ta}
	accepted := 0
	count := func(i int) int {
		if i >= 200 && i < 300 {
			accepted++
		}
		return i
	}

	t.Run("one IPv6 /64 is one client", func(t *testing.T) {
		got := statuses(4, func(i int) int { return count(c.post("contact", fmt.Sprintf("2001:db8:1:2::%x", i*0x1111+1)).Status) })
		if got != "202 202 202 429" {
			t.Errorf("four addresses of one /64: %s, want three accepted then 429", got)
		}
		if s := count(c.post("contact", "2001:db8:1:3::1").Status); s != 202 {
			t.Errorf("the next /64 is another client, got %d", s)
		}
	})
	t.Run("IPv4 addresses are clients apart", func(t *testing.T) {
		for _, a := range []string{"198.51.100.1", "198.51.100.2", "::ffff:198.51.100.3"} {
			if s := count(c.post("contact", a).Status); s != 202 {
				t.Errorf("%s: %d", a, s)
			}
		}
		// ::ffff:198.51.100.3 is 198.51.100.3
		got := statuses(3, func(int) int { return count(c.post("contact", "198.51.100.3").Status) })
		if got != "202 202 429" {
			t.Errorf("an IPv4-mapped address and its IPv4 are not one client: %s", got)
		}
	})
	t.Run("a spoofed left part changes nothing", func(t *testing.T) {
		got := statuses(4, func(i int) int {
			return count(c.post("contact", fmt.Sprintf("10.%d.0.1, 192.0.2.%d, 198.51.100.7", i, i+1)).Status)
		})
		if got != "202 202 202 429" {
			t.Errorf("a client rotating the left of X-Forwarded-For: %s, want limited at 3", got)
		}
	})
	t.Run("names that are no form count", func(t *testing.T) {
		for i := range 3 {
			res := c.post(fmt.Sprintf("no-such-form-%d", i), "198.51.100.9")
			if res.Status != 404 || !strings.Contains(string(res.Body), `"code":"not_found"`) {
				t.Fatalf("an unknown form: %d %s, want 404 in the envelope", res.Status, res.Body)
			}
		}
		res := c.post("contact", "198.51.100.9")
		if res.Status != 429 || res.Header.Get("Retry-After") == "" || !strings.Contains(string(res.Body), `"code":"rate_limited"`) {
			t.Errorf("after three unknown names the real form: %d %q %s, want 429 with Retry-After", res.Status, res.Header.Get("Retry-After"), res.Body)
		}
		got := statuses(4, func(i int) int {
			if i < 3 {
				return count(c.post("contact", "198.51.100.10").Status)
			}
			return c.post("no-such-form", "198.51.100.10").Status
		})
		if got != "202 202 202 429" {
			t.Errorf("an unknown name after three posts: %s, want it limited too", got)
		}
	})
	t.Run("a post refused for its origin counts", func(t *testing.T) {
		got := statuses(3, func(int) int { return c.post("contact", "198.51.100.11", "Origin: https://evil.example").Status })
		if got != "403 403 403" {
			t.Fatalf("posts from an origin the form refuses: %s", got)
		}
		if s := c.post("contact", "198.51.100.11").Status; s != 429 {
			t.Errorf("after three refused origins: %d, want 429", s)
		}
	})
	t.Run("the site's backend behind the proxy is not limited", func(t *testing.T) {
		got := statuses(5, func(int) int { return count(c.post("contact", "192.0.2.5").Status) })
		if got != "202 202 202 202 202" {
			t.Errorf("forms.trusted_networks behind the proxy: %s", got)
		}
	})
	t.Run("an IPv6 peer without a proxy is its /64", func(t *testing.T) {
		got := statuses(4, func(i int) int {
			return count(c.postFrom(fmt.Sprintf("[2001:db8:9:9::%d%%eth0]:4000%d", i+1, i), "203.0.113.1"))
		})
		if got != "202 202 202 429" {
			t.Errorf("an untrusted IPv6 peer rotating its /64 and claiming an address: %s", got)
		}
		if s := count(c.postFrom("[::ffff:127.0.0.1]:5000", "203.0.113.77")); s != 202 {
			t.Errorf("the proxy as an IPv4-mapped peer is still trusted: %d", s)
		}
	})
	ta.waitProcessed()
	if n := ta.db.Count(t, `SELECT count(*) FROM inbox`); n != accepted {
		t.Errorf("%d events stored, %d posts accepted: a refused post left something", n, accepted)
	}
}

// Without trusted proxies X-Forwarded-For is a client's word and is not
// believed: not to rotate past the limit, nor to claim a trusted network.
func TestRateLimitIgnoresForwardedForFromAnUntrustedPeer(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) {
		c.Forms.Trusted = []string{"192.0.2.0/24"}
		c.Forms.RateLimit = 3
	})
	c := &limitClient{ta: ta}
	if got := statuses(4, func(i int) int { return c.post("contact", fmt.Sprintf("198.51.100.%d", i+1)).Status }); got != "202 202 202 429" {
		t.Errorf("rotating X-Forwarded-For without a trusted proxy: %s, want limited at 3", got)
	}
	if s := c.post("contact", "192.0.2.5").Status; s != 429 {
		t.Errorf("claiming a trusted network in X-Forwarded-For: %d, want 429", s)
	}
	// The console's cookie is Secure only for a trusted proxy's word.
	req, _ := http.NewRequest("POST", ta.srv.URL+"/login", strings.NewReader(url.Values{"token": {adminToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Proto", "https")
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if sessionCookieOf(t, res).Secure {
		t.Error("an untrusted peer's X-Forwarded-Proto made the cookie Secure")
	}
}
