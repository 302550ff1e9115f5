package webhook

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/leadd/leadd/crm"
)

// cgnat is the carrier-grade NAT range (RFC 6598), private in practice.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Private reports whether an address is one a webhook must not reach
// unless allowed: loopback, private (RFC 1918, fc00::/7), link-local,
// CGNAT, unspecified or multicast.
func Private(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || cgnat.Contains(ip)
}

// CheckURL refuses a webhook URL that is not http or https, has no host,
// or (unless allowPrivate) names or resolves to a private address — a
// webhook must not be a way into the daemon's own network. Errors:
// EINVALID naming url.
func CheckURL(ctx context.Context, raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return crm.Invalid("url", "%v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return crm.Invalid("url", "must be http or https, not %q", u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return crm.Invalid("url", "has no host")
	}
	if allowPrivate {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if Private(ip) {
			return crm.Invalid("url", "%s is a private or loopback address; set webhooks.allow_private to allow it", host)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return crm.Invalid("url", "host %q does not resolve", host)
	}
	for _, ip := range addrs {
		if Private(ip) {
			return crm.Invalid("url", "%s resolves to the private or loopback address %s; set webhooks.allow_private to allow it", host, ip)
		}
	}
	return nil
}

// dialer refuses private addresses at connect time too (unless allowed):
// a name that resolved to a public address when the webhook was made may
// resolve to a private one later.
func dialer(allowPrivate bool) *net.Dialer {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return err
			}
			if Private(ap.Addr()) {
				return fmt.Errorf("%s is a private address (webhooks.allow_private is off)", ap.Addr())
			}
			return nil
		}
	}
	return d
}
