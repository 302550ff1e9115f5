package crm_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

// A batch lands as its events would one by one: the same outcome for each
// event, the same events on the same lead, and each lead the same in the
// end (phones and e-mails learnt, contact, manager, status, touches).
// Generated batches mix new people, known contacts, people with an open
// lead (by phone, by e-mail, by a new phone of theirs), one person twice
// in a batch, and junk.
func TestABatchLandsAsItsEventsWouldOneByOne(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(seed, 20))
			type person struct {
				phone, email string
				contact      bool // known to the CRM
				lead         bool // has an open lead before the batch
			}
			people := make([]person, 14)
			for i := range people {
				people[i] = person{phone: fmt.Sprintf("+7916%07d", 1000000+int(seed)*100+i), contact: r.IntN(3) == 0, lead: r.IntN(3) == 0}
				if r.IntN(2) == 0 {
					people[i].email = fmt.Sprintf("p%d.%d@example.ru", seed, i)
				}
			}
			var before []crm.Inbound
			for _, p := range people {
				if p.lead {
					before = append(before, crm.Inbound{Channel: crm.ChannelForm, Source: "contact", Name: "Прежний", Phones: []string{p.phone}})
				}
			}
			var batch []crm.Inbound
			for k := 0; k < 30; k++ {
				p := people[r.IntN(len(people))]
				in := crm.Inbound{Channel: crm.ChannelForm, Source: "contact", Name: fmt.Sprint("Клиент ", k), Text: fmt.Sprint("заявка ", k)}
				switch r.IntN(4) {
				case 0:
					in.Phones = []string{p.phone}
				case 1:
					if p.email != "" {
						in.Emails = []string{p.email}
					} else {
						in.Phones = []string{p.phone}
					}
				case 2:
					in.Phones = []string{p.phone, fmt.Sprintf("+7926%07d", 2000000+int(seed)*100+k)} // a new number of theirs
				default:
					in.Phones, in.Emails = []string{p.phone}, nonEmpty(p.email)
				}
				if r.IntN(10) == 0 {
					in.JunkReason = "spam"
				}
				if r.IntN(8) == 0 {
					in.Channel = crm.ChannelManual
				}
				batch = append(batch, in)
			}

			world := func(batched bool) string {
				ctx := context.Background()
				db := crmtest.MustOpenDB(t)
				m, err := db.Store.CreateManager(ctx, crm.Manager{Name: "Анна", Active: true})
				if err != nil {
					t.Fatal(err)
				}
				lander := &crm.Lander{Assigner: first{m.ID}, SLA: 5 * time.Minute, Now: time.Now}
				for i, p := range people {
					if p.contact {
						name, phones := fmt.Sprint("Контакт ", i), []string{p.phone}
						if _, err := db.Store.CreateContact(ctx, crm.ContactInput{Name: &name, Phones: &phones, ManagerID: &m.ID}); err != nil {
							t.Fatal(err)
						}
					}
				}
				at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
				for _, in := range before {
					in.At = at
					if err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
						_, err := lander.Land(ctx, tx, "", &in)
						return err
					}); err != nil {
						t.Fatal(err)
					}
				}
				var landings []crm.Landing
				err = pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
					items := make([]crm.Incoming, len(batch))
					for k := range batch {
						in := batch[k]
						in.At = at.Add(time.Duration(k+1) * time.Second)
						items[k] = crm.Incoming{In: &in}
					}
					if batched {
						var err error
						landings, err = lander.LandMany(ctx, tx, items)
						return err
					}
					for _, it := range items {
						l, err := lander.Land(ctx, tx, "", it.In)
						if err != nil {
							return err
						}
						landings = append(landings, l)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				// Leads named by the first event that reached them (or as
				// they were before the batch), not by their ids: a batch
				// numbers its new leads in another order.
				label := map[int64]string{}
				var prior []int64
				if err := db.Pool.QueryRow(ctx, `SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM leads`).Scan(&prior); err != nil {
					t.Fatal(err)
				}
				var b strings.Builder
				for k, l := range landings {
					if _, ok := label[l.LeadID]; !ok && l.LeadID != 0 {
						label[l.LeadID] = fmt.Sprint("L", k)
					}
					fmt.Fprintf(&b, "event %d: %s %s\n", k, l.Outcome, label[l.LeadID])
				}
				rows, err := db.Pool.Query(ctx, `SELECT l.id, l.status, l.phones, l.emails, l.contact_id, l.manager_id,
					(SELECT count(*) FROM touches t WHERE t.lead_id = l.id),
					(SELECT coalesce(array_agg(identity ORDER BY identity), '{}') FROM lead_identities WHERE lead_id = l.id)
					FROM leads l ORDER BY l.id`)
				if err != nil {
					t.Fatal(err)
				}
				var leads []string
				for rows.Next() {
					var id int64
					var status string
					var phones, emails, identities []string
					var contact, manager *int64
					var touches int
					if err := rows.Scan(&id, &status, &phones, &emails, &contact, &manager, &touches, &identities); err != nil {
						t.Fatal(err)
					}
					name, ok := label[id]
					if !ok {
						name = fmt.Sprint("before#", slices.Index(prior, id))
					}
					slices.Sort(phones)
					slices.Sort(emails)
					leads = append(leads, fmt.Sprintf("%s: %s phones %v emails %v contact %v manager %v touches %d identities %v",
						name, status, phones, emails, deref(contact), deref(manager), touches, identities))
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				slices.Sort(leads)
				return b.String() + strings.Join(leads, "\n")
			}
			one, many := world(false), world(true)
			if one != many {
				t.Errorf("one by one:\n%s\n\nas a batch:\n%s", one, many)
			}
		})
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
