package crm_test

import (
	"context"
	"slices"
	"testing"

	"github.com/leadd/leadd/crm"
)

// A number given with an extension is kept with it, and the person is
// found by the number alone: their call without the extension lands on
// the same lead, and the list filter finds it by either form.
func TestAnExtensionIsKeptAndMatchingIgnoresIt(t *testing.T) {
	t.Parallel()
	l := newLanding(t)
	form := l.land(crm.Inbound{Channel: crm.ChannelForm, Source: "contact", Name: "Сергей", Phones: []string{"+79123456789;ext=123"}})
	call := l.land(crm.Inbound{Channel: crm.ChannelCall, Source: "+74950000000", Phones: []string{"+79123456789"}})
	if call.LeadID != form.LeadID || call.Outcome != crm.LandedOpenLead {
		t.Fatalf("the call landed %+v, want on lead %d", call, form.LeadID)
	}
	lead, err := l.db.Store.Lead(context.Background(), form.LeadID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(lead.Phones, "+79123456789;ext=123") {
		t.Errorf("the lead's phones are %q, want the extension kept", lead.Phones)
	}
	for _, p := range []string{"+79123456789", "+79123456789;ext=123", "+79123456789;ext=7"} {
		leads, _, err := l.db.Store.Leads(context.Background(), crm.LeadFilter{Phone: p})
		if err != nil {
			t.Fatal(err)
		}
		if len(leads) != 1 || leads[0].ID != form.LeadID {
			t.Errorf("the list filtered by %s has %d leads, want the one", p, len(leads))
		}
	}
}
