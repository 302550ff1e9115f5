package telephony

import (
	"net/netip"
	"strings"
	"testing"
)

func TestSourcesAllowTheirAddressesOnly(t *testing.T) {
	s, err := ParseSources([]string{"185.45.152.42", "10.9.0.0/16", "2a00:1450::/32", " 192.0.2.1 "})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"185.45.152.42": true, "185.45.152.43": false, "10.9.200.1": true, "10.10.0.1": false,
		"2a00:1450:4010::1": true, "2a00:1451::1": false, "::ffff:185.45.152.42": true, "192.0.2.1": true,
	} {
		if got := s.Allows(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Allows(%s) = %v, want %v", addr, got, want)
		}
	}
	if !(Sources{}).Allows(netip.MustParseAddr("203.0.113.9")) {
		t.Errorf("an empty list refuses")
	}
	if (Sources{netip.MustParsePrefix("10.0.0.0/8")}).Allows(netip.Addr{}) {
		t.Errorf("an unreadable peer is allowed by a list")
	}
	for _, bad := range []string{"", "zadarma", "10.0.0.0/33", "fe80::1%eth0", "1.2.3.4.5"} {
		if _, err := ParseSources([]string{"1.1.1.1", bad}); err == nil || !strings.HasPrefix(err.Error(), "[1]:") {
			t.Errorf("ParseSources(%q) = %v, want an error naming entry [1]", bad, err)
		}
	}
}
