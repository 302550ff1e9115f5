package telephony

import (
	"fmt"
	"net/netip"
	"strings"
)

// Sources are the addresses a provider's webhooks may come from. A
// signature proves who made an event, not that it is not replayed (and
// Zadarma's covers only three fields, so one captured event can be posted
// again with other contents): an allowlist of the provider's servers
// closes that. Empty allows every address.
type Sources []netip.Prefix

// ParseSources reads addresses ("185.45.152.42") and networks
// ("185.45.152.0/24", "2a00:1450::/32"). The error names the entry.
func ParseSources(list []string) (Sources, error) {
	out := make(Sources, 0, len(list))
	for i, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("[%d]: must be an address or a network like 185.45.152.0/24, not %q", i, s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Allows reports whether a request from a may come in.
func (s Sources) Allows(a netip.Addr) bool {
	if len(s) == 0 {
		return true
	}
	a = a.Unmap()
	for _, p := range s {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
