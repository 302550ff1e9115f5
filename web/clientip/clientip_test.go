package clientip

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func mustNets(t testing.TB, nets ...string) []netip.Prefix {
	t.Helper()
	p, err := ParseNetworks(nets)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolve(t *testing.T) {
	proxies := New(mustNets(t, "10.0.0.0/8", "2001:db8:ffff::/48", "192.0.2.7"))
	none := New(nil)
	for _, c := range []struct {
		name    string
		res     *Resolver
		peer    string
		xff     []string
		want    string
		proxied bool
	}{
		{"no proxies: the peer", none, "203.0.113.5:5000", nil, "203.0.113.5", false},
		{"no proxies: a spoofed header is ignored", none, "203.0.113.5:5000", []string{"198.51.100.1"}, "203.0.113.5", false},
		{"an untrusted peer's header is ignored", proxies, "203.0.113.5:5000", []string{"10.0.0.1, 198.51.100.1"}, "203.0.113.5", false},
		{"a trusted proxy without the header: the proxy", proxies, "10.1.2.3:5000", nil, "10.1.2.3", true},
		{"a trusted proxy: the address it appended", proxies, "10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1", true},
		{"a client's own entries left of the proxy's are ignored", proxies, "10.1.2.3:5000", []string{"1.1.1.1, 8.8.8.8, 198.51.100.1"}, "198.51.100.1", true},
		{"a client naming a trusted proxy gains nothing", proxies, "10.1.2.3:5000", []string{"10.9.9.9, 198.51.100.1"}, "198.51.100.1", true},
		{"a chain of trusted proxies is walked", proxies, "10.1.2.3:5000", []string{"1.1.1.1, 198.51.100.1, 10.0.0.2, 192.0.2.7"}, "198.51.100.1", true},
		{"several header lines are one list", proxies, "10.1.2.3:5000", []string{"1.1.1.1", "198.51.100.1, 10.0.0.2"}, "198.51.100.1", true},
		{"every hop trusted: the left-most", proxies, "10.1.2.3:5000", []string{"10.0.0.9, 10.0.0.2"}, "10.0.0.9", true},
		{"garbage right of the client: the last trusted hop", proxies, "10.1.2.3:5000", []string{"198.51.100.1, unknown, 10.0.0.2"}, "10.0.0.2", true},
		{"garbage as the only entry: the proxy", proxies, "10.1.2.3:5000", []string{"<script>"}, "10.1.2.3", true},
		{"an empty header: the proxy", proxies, "10.1.2.3:5000", []string{""}, "10.1.2.3", true},
		{"entries with ports", proxies, "10.1.2.3:5000", []string{"198.51.100.1:61000, 10.0.0.2:443"}, "198.51.100.1", true},
		{"IPv6 entries, bracketed with a port", proxies, "10.1.2.3:5000", []string{"[2001:db8:1:2::77]:61000"}, "2001:db8:1:2::77", true},
		{"IPv6 entry bracketed without a port", proxies, "10.1.2.3:5000", []string{"[2001:db8:1:2::77]"}, "2001:db8:1:2::77", true},
		{"an IPv6 proxy", proxies, "[2001:db8:ffff:1::1]:5000", []string{"2001:db8:1:2::77"}, "2001:db8:1:2::77", true},
		{"an IPv6 zone on the peer is dropped", none, "[fe80::1%eth0]:5000", nil, "fe80::1", false},
		{"an IPv6 zone in the header is dropped", proxies, "10.1.2.3:5000", []string{"fe80::1%25eth0, fe80::2%eth0"}, "fe80::2", true},
		{"an IPv4-mapped peer is the IPv4 proxy", proxies, "[::ffff:10.1.2.3]:5000", []string{"198.51.100.1"}, "198.51.100.1", true},
		{"an IPv4-mapped untrusted peer is its IPv4", proxies, "[::ffff:203.0.113.5]:5000", []string{"198.51.100.1"}, "203.0.113.5", false},
		{"an IPv4-mapped entry is its IPv4", proxies, "10.1.2.3:5000", []string{"::ffff:198.51.100.1"}, "198.51.100.1", true},
		{"an IPv4-mapped trusted entry is skipped", proxies, "10.1.2.3:5000", []string{"198.51.100.1, ::ffff:10.0.0.2"}, "198.51.100.1", true},
		{"spaces around entries", proxies, "10.1.2.3:5000", []string{"  198.51.100.1 ,10.0.0.2  "}, "198.51.100.1", true},
		{"a peer without a port", none, "203.0.113.5", nil, "203.0.113.5", false},
		{"an unreadable peer: no address", proxies, "@", []string{"198.51.100.1"}, "invalid IP", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, proxied := c.res.Resolve(c.peer, c.xff)
			if got.String() != c.want || proxied != c.proxied {
				t.Errorf("Resolve(%q, %q) = %s, %v; want %s, %v", c.peer, c.xff, got, proxied, c.want, c.proxied)
			}
		})
	}
}

func TestKey(t *testing.T) {
	key := func(s string) string {
		a, ok := parseHost(s)
		if !ok {
			t.Fatalf("parseHost(%q)", s)
		}
		return Key(a)
	}
	same := [][2]string{
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"}, // one /64
		{"2001:db8:1:2::1", "2001:db8:1:2:abcd::9"},
		{"fe80::1%eth0", "fe80::2%eth1"},
		{"::ffff:198.51.100.1", "198.51.100.1"}, // mapped IPv4 is IPv4
	}
	for _, p := range same {
		if a, b := key(p[0]), key(p[1]); a != b {
			t.Errorf("%s and %s are limited apart (%s, %s)", p[0], p[1], a, b)
		}
	}
	apart := [][2]string{
		{"2001:db8:1:2::1", "2001:db8:1:3::1"}, // the next /64
		{"198.51.100.1", "198.51.100.2"},       // IPv4: by address
		{"::ffff:198.51.100.1", "::ffff:198.51.100.2"},
		{"0.0.0.1", "::1"},
	}
	for _, p := range apart {
		if a, b := key(p[0]), key(p[1]); a == b {
			t.Errorf("%s and %s share a limit (%s)", p[0], p[1], a)
		}
	}
	if k := key("2001:db8:1:2::1"); k != "2001:db8:1:2::/64" {
		t.Errorf("IPv6 key %q, want the /64", k)
	}
	if k := Key(netip.Addr{}); k != "unknown" {
		t.Errorf("no address: key %q", k)
	}
}

func TestParseNetworks(t *testing.T) {
	got := mustNets(t, "10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1", "::ffff:10.0.0.0/104", "10.1.2.3/8")
	want := []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "::1/128", "10.0.0.0/8", "10.0.0.0/8"}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("[%d] = %s, want %s", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"", "10.0.0.0/33", "example.ru", "fe80::1%eth0", "10.0.0.0/8,"} {
		if _, err := ParseNetworks([]string{"127.0.0.1", bad}); err == nil || !strings.HasPrefix(err.Error(), "[1]") {
			t.Errorf("ParseNetworks(%q): %v, want an error naming [1]", bad, err)
		}
	}
}

// The handler resolves once; Of and ViaTrustedProxy read it, and without
// the handler nothing but the peer is believed.
func TestHandler(t *testing.T) {
	var got netip.Addr
	var proxied bool
	h := New(mustNets(t, "192.0.2.0/24")).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, proxied = Of(r), ViaTrustedProxy(r)
	}))
	r := httptest.NewRequest("GET", "/", nil) // RemoteAddr 192.0.2.1:1234
	r.Header.Add("X-Forwarded-For", "198.51.100.1")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got.String() != "198.51.100.1" || !proxied {
		t.Errorf("through the handler: %s, %v", got, proxied)
	}
	if a := Of(r); a.String() != "192.0.2.1" || ViaTrustedProxy(r) {
		t.Errorf("without the handler: %s, %v; want the peer, not proxied", a, ViaTrustedProxy(r))
	}
}

// Whatever a client puts in X-Forwarded-For, a trusted proxy appends the
// address it saw: the client is that address, never one it chose; and
// an untrusted peer is always itself.
func FuzzResolve(f *testing.F) {
	f.Add("1.1.1.1, 10.0.0.1", "198.51.100.1")
	f.Add("", "2001:db8:1:2::1")
	f.Add("unknown, [::1]:80, fe80::1%eth0", "::ffff:203.0.113.9")
	f.Add("10.0.0.1,10.0.0.2", "198.51.100.1")
	res := New(mustNets(f, "10.0.0.0/8", "::1/128"))
	f.Fuzz(func(t *testing.T, spoofed, real string) {
		seen, ok := parseHost(real)
		if !ok || res.trusted(seen) || strings.Contains(real, ",") {
			return
		}
		xff := []string{spoofed, real} // the proxy adds its own line
		got, proxied := res.Resolve("10.0.0.1:443", xff)
		if !proxied || got != seen {
			t.Fatalf("Resolve with %q: %s (proxied %v), want %s", xff, got, proxied, seen)
		}
		got, proxied = res.Resolve("[2001:db8::9]:443", xff)
		if proxied || got.String() != "2001:db8::9" {
			t.Fatalf("an untrusted peer with %q resolved to %s", xff, got)
		}
		if k := Key(got); k != "2001:db8::/64" {
			t.Fatalf("Key(%s) = %s", got, k)
		}
	})
}
