package crm_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/crm"
)

// openLeads counts a contact's open leads, and all open leads.
func (l *landing) openLeads() int {
	l.t.Helper()
	var n int
	if err := l.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM leads WHERE status IN ('new', 'in_progress')`).Scan(&n); err != nil {
		l.t.Fatal(err)
	}
	return n
}

// knownPerson is a contact with a phone, an e-mail and a Telegram id.
func (l *landing) knownPerson(phone, email string, tg int64) int64 {
	l.t.Helper()
	ctx := context.Background()
	name := "Олег"
	c, err := l.db.Store.CreateContact(ctx, crm.ContactInput{Name: &name, Phones: &[]string{phone}, Emails: &[]string{email}})
	if err != nil {
		l.t.Fatal(err)
	}
	if _, err := l.db.Pool.Exec(ctx, `INSERT INTO contact_identities (identity, contact_id) VALUES ($1, $2)`,
		(&crm.Inbound{TelegramID: tg}).Identities()[0], c.ID); err != nil {
		l.t.Fatal(err)
	}
	return c.ID
}

func TestAKnownPersonByEMailThenPhoneThenTelegramHasOneLead(t *testing.T) {
	t.Parallel()
	l := newLanding(t)
	l.knownPerson("+79176000001", "oleg@zavod.example", 5001)
	first := l.land(crm.Inbound{Channel: crm.ChannelForm, Emails: []string{"oleg@zavod.example"}})
	if first.Outcome != crm.LandedNewLead {
		t.Fatalf("the e-mail: %+v", first)
	}
	for _, in := range []crm.Inbound{
		{Channel: crm.ChannelForm, Phones: []string{"+79176000001"}},
		{Channel: crm.ChannelMessenger, TelegramID: 5001, Text: "здравствуйте"},
	} {
		if got := l.land(in); got.Outcome != crm.LandedOpenLead || got.LeadID != first.LeadID {
			t.Errorf("%s landed %+v, want on lead %d", in.Channel, got, first.LeadID)
		}
	}
	if n := l.openLeads(); n != 1 {
		t.Errorf("%d open leads, want 1", n)
	}
}

func TestAnUnknownPersonIsOneOnceALetterNamesTheirPhone(t *testing.T) {
	t.Parallel()
	l := newLanding(t)
	mail := letter("ivan@zavod.example", "m1@zavod")
	mail.Phones = []string{"+79176000002"} // the signature
	first := l.land(mail)
	call := l.land(crm.Inbound{Channel: crm.ChannelForm, Phones: []string{"+79176000002"}})
	msg := l.land(crm.Inbound{Channel: crm.ChannelMessenger, TelegramID: 5002, Phones: []string{"+79176000002"}, Text: "это я"})
	again := l.land(crm.Inbound{Channel: crm.ChannelMessenger, TelegramID: 5002, Text: "ещё вопрос"})
	for i, got := range []crm.Landing{call, msg, again} {
		if got.LeadID != first.LeadID {
			t.Errorf("touch %d landed on lead %d, want %d", i+2, got.LeadID, first.LeadID)
		}
	}
}

// Three touches of one known person at once, by three identities, each in
// its own transaction as three processors would land them: one lead. The
// loser of the race gets a conflict and, retried, attaches.
func TestAKnownPersonsConcurrentTouchesByThreeIdentitiesOpenOneLead(t *testing.T) {
	t.Parallel()
	for round := range 5 {
		l := newLanding(t)
		phone, email, tg := "+7917600100"+string(rune('0'+round)), "p"+string(rune('a'+round))+"@zavod.example", int64(6000+round)
		l.knownPerson(phone, email, tg)
		ins := []crm.Inbound{
			{Channel: crm.ChannelMail, Emails: []string{email}},
			{Channel: crm.ChannelForm, Phones: []string{phone}},
			{Channel: crm.ChannelMessenger, TelegramID: tg, Text: "?"},
		}
		var wg sync.WaitGroup
		leads := make([]int64, len(ins))
		for i := range ins {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for attempt := 0; attempt < 5; attempt++ {
					var out crm.Landing
					err := pgx.BeginFunc(context.Background(), l.db.Pool, func(tx pgx.Tx) error {
						var err error
						out, err = l.lander.Land(context.Background(), tx, "", &ins[i])
						return err
					})
					if err == nil {
						leads[i] = out.LeadID
						return
					}
					if crm.ErrorCode(err) != crm.ECONFLICT {
						t.Error(err)
						return
					}
				}
				t.Error("still conflicting after 5 attempts")
			}()
		}
		wg.Wait()
		if n := l.openLeads(); n != 1 {
			t.Fatalf("round %d: %d open leads, want 1 (landed on %v)", round, n, leads)
		}
		if leads[0] != leads[1] || leads[1] != leads[2] {
			t.Errorf("round %d: landed on %v, want one lead", round, leads)
		}
	}
}
