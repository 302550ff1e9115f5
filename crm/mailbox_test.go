package crm_test

import (
	"slices"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

func TestAManagersOwnEmailIsKeptNormalizedAndOneManagers(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	s, ctx := db.Store, t.Context()
	a, err := s.CreateManager(ctx, crm.Manager{Name: "Анна", Email: "  Anna.Ivanova@Company.Example "})
	if err != nil || a.Email != "anna.ivanova@company.example" {
		t.Fatalf("create: %+v %v, want the address lower-cased", a, err)
	}
	if _, err := s.CreateManager(ctx, crm.Manager{Name: "Двойник", Email: "ANNA.IVANOVA@company.example"}); crm.ErrorCode(err) != crm.ECONFLICT {
		t.Errorf("a second manager with the address: %v, want conflict", err)
	}
	if _, err := s.CreateManager(ctx, crm.Manager{Name: "Без почты", Email: "not an address"}); crm.ErrorCode(err) != crm.EINVALID {
		t.Errorf("a bad address: %v, want invalid", err)
	}
	b, err := s.CreateManager(ctx, crm.Manager{Name: "Борис"})
	if err != nil || b.Email != "" {
		t.Fatalf("no address: %+v %v", b, err)
	}
	email := "Boris@Gmail.Example"
	if b, err = s.UpdateManager(ctx, b.ID, crm.ManagerPatch{Email: &email}); err != nil || b.Email != "boris@gmail.example" {
		t.Fatalf("patch: %+v %v", b, err)
	}
	got, err := s.ManagerEmails(ctx)
	if err != nil || !slices.Equal(got, []string{"anna.ivanova@company.example", "boris@gmail.example"}) {
		t.Errorf("manager emails %v %v", got, err)
	}
	none := ""
	if b, err = s.UpdateManager(ctx, b.ID, crm.ManagerPatch{Email: &none}); err != nil || b.Email != "" {
		t.Fatalf("removing the address: %+v %v", b, err)
	}
}

func TestAMailboxsPositionNeverGoesBack(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	s, ctx := db.Store, t.Context()
	st, err := s.MailboxState(ctx, "sales")
	if err != nil || st.UIDValidity != 0 || !st.LastSync.IsZero() {
		t.Fatalf("a new mailbox: %+v %v", st, err)
	}
	if err := s.ResetMailbox(ctx, "sales", 7, 10); err != nil {
		t.Fatal(err)
	}
	for _, uid := range []uint32{12, 11} {
		if err := s.AdvanceMailbox(ctx, "sales", 7, uid); err != nil {
			t.Fatal(err)
		}
	}
	if st, _ = s.MailboxState(ctx, "sales"); st.UIDValidity != 7 || st.LastUID != 12 {
		t.Errorf("state %+v, want UIDVALIDITY 7 at UID 12", st)
	}
	if err := s.AdvanceMailbox(ctx, "sales", 8, 13); crm.ErrorCode(err) != crm.ECONFLICT {
		t.Errorf("advancing under another UIDVALIDITY: %v, want conflict", err)
	}
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	if err := s.RecordMailboxStatus(ctx, "sales", true, at, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordMailboxStatus(ctx, "sales", false, time.Time{}, "lost"); err != nil {
		t.Fatal(err)
	}
	if st, _ = s.MailboxState(ctx, "sales"); !st.LastSync.Equal(at) {
		t.Errorf("last sync %s, want %s kept when a failure records none", st.LastSync, at)
	}
}
