// Package clientip answers, once for every handler, which address is the
// client behind a request. The direct peer is believed; X-Forwarded-For
// only when the peer is one of the configured trusted proxies, and then
// read from the right: each trusted proxy appends the address it was
// reached from, so the right-most address that is not a trusted proxy is
// the client, and whatever a client wrote into the header itself (the
// left part) changes nothing. It is a leaf: the adapters (forms, hooks)
// and the surfaces (the console) share it.
package clientip

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds the client address of a request by the trusted proxies.
type Resolver struct {
	proxies []netip.Prefix
}

// New returns a resolver trusting X-Forwarded-For from the given networks
// only (none: the header is never believed).
func New(proxies []netip.Prefix) *Resolver {
	return &Resolver{proxies: proxies}
}

// ParseNetworks reads networks written as CIDR ("10.0.0.0/8",
// "2001:db8::/32") or as one address ("192.0.2.10"). Errors: the first
// entry that is neither, by its index.
func ParseNetworks(nets []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(nets))
	for i, n := range nets {
		p, err := parseNetwork(strings.TrimSpace(n))
		if err != nil {
			return nil, fmt.Errorf("[%d]: must be a network like 10.0.0.0/8 or an address, not %q", i, n)
		}
		out = append(out, p)
	}
	return out, nil
}

func parseNetwork(n string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(n); err == nil {
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			// ::ffff:10.0.0.0/104 is 10.0.0.0/8: addresses are unmapped
			// before they are matched.
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(n)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("not a network: %q", n)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Resolve returns the client address for a request that came from
// remoteAddr (http.Request.RemoteAddr) with the given X-Forwarded-For
// values, and whether the peer is a trusted proxy. Addresses come back
// plain: IPv4-mapped IPv6 as IPv4, without an IPv6 zone. An unreadable
// peer gives the zero Addr.
func (res *Resolver) Resolve(remoteAddr string, forwardedFor []string) (client netip.Addr, viaProxy bool) {
	peer, ok := parseHost(remoteAddr)
	if !ok || !res.trusted(peer) {
		return peer, false
	}
	client = peer
	var hops []string
	for _, v := range forwardedFor {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHost(hops[i])
		if !ok {
			// A trusted proxy writes addresses; what is not one came from
			// the client, and so does everything left of it: the last
			// trusted hop is the best we know.
			break
		}
		client = a
		if !res.trusted(a) {
			break
		}
	}
	return client, true
}

func (res *Resolver) trusted(a netip.Addr) bool {
	if res == nil {
		return false
	}
	for _, p := range res.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHost reads an address as peers and proxies write it: "192.0.2.1",
// "192.0.2.1:443", "2001:db8::1", "[2001:db8::1]:443", "fe80::1%eth0",
// "::ffff:192.0.2.1"; it returns it plain (unmapped, no zone).
func parseHost(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return plain(a), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return plain(a), true
		}
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return plain(a), true
		}
	}
	return netip.Addr{}, false
}

func plain(a netip.Addr) netip.Addr { return a.Unmap().WithZone("") }

// Key is what a per-client limit counts by: an IPv4 address by itself,
// an IPv6 address by its /64 (one subscriber's network: a client with
// an IPv6 network has 2^64 addresses to rotate through), "unknown" when
// there is none.
func Key(a netip.Addr) string {
	a = plain(a)
	switch {
	case a.Is4():
		return a.String()
	case a.Is6():
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return "unknown"
}

type ctxKey struct{}

type resolved struct {
	addr    netip.Addr
	proxied bool
}

// Handler resolves the client address once per request, for Of and
// ViaTrustedProxy, and passes the request on.
func (res *Resolver) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, proxied := res.Resolve(r.RemoteAddr, r.Header.Values("X-Forwarded-For"))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, resolved{a, proxied})))
	})
}

// Of is the client address of r: as the Handler resolved it, else the
// peer's (no header is believed without a Handler).
func Of(r *http.Request) netip.Addr {
	if v, ok := r.Context().Value(ctxKey{}).(resolved); ok {
		return v.addr
	}
	a, _ := parseHost(r.RemoteAddr)
	return a
}

// ViaTrustedProxy reports whether r came from a trusted proxy, whose
// other X-Forwarded-* headers may then be believed too.
func ViaTrustedProxy(r *http.Request) bool {
	v, ok := r.Context().Value(ctxKey{}).(resolved)
	return ok && v.proxied
}
