package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

// first is an assigner that gives every lead to the first manager.
type first struct{ id int64 }

func (f first) Assign(context.Context, crm.AssignRequest) (crm.Assignment, error) {
	id := f.id
	return crm.Assignment{ManagerID: &id, Rule: "default", Strategy: "round_robin", Candidates: []crm.Candidate{{ManagerID: id}}}, nil
}

type landing struct {
	t      *testing.T
	db     *crmtest.DB
	lander *crm.Lander
	n      int
}

func newLanding(t *testing.T) *landing {
	db := crmtest.MustOpenDB(t)
	m, err := db.Store.CreateManager(context.Background(), crm.Manager{Name: "Анна", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	return &landing{t: t, db: db, lander: &crm.Lander{Assigner: first{m.ID}, SLA: 5 * time.Minute, Now: time.Now}}
}

// land files one touch as the processor would, in its own transaction.
func (l *landing) land(in crm.Inbound) crm.Landing {
	l.t.Helper()
	if in.At.IsZero() {
		in.At = time.Now()
	}
	var out crm.Landing
	err := pgx.BeginFunc(context.Background(), l.db.Pool, func(tx pgx.Tx) error {
		var err error
		out, err = l.lander.Land(context.Background(), tx, "", &in)
		return err
	})
	if err != nil {
		l.t.Fatal(err)
	}
	return out
}

func letter(from, id string, replyTo ...string) crm.Inbound {
	return crm.Inbound{Channel: crm.ChannelMail, Source: "sales", Emails: []string{from}, Text: "Добрый день",
		Mail: &crm.MailInfo{Mailbox: "sales", MessageID: id, InReplyTo: replyTo, Subject: "Станок", From: from}}
}

func TestAReplyJoinsItsThreadEvenFromAnotherAddress(t *testing.T) {
	t.Parallel()
	l := newLanding(t)
	first := l.land(letter("ivan@example.ru", "a1@example.ru"))
	reply := l.land(letter("secretary@example.ru", "a2@example.ru", "a1@example.ru"))
	if reply.Outcome != crm.LandedOpenLead || reply.LeadID != first.LeadID {
		t.Fatalf("the reply landed %+v, want lead %d", reply, first.LeadID)
	}
	if n := l.db.Count(t, `SELECT count(*) FROM activities WHERE lead_id = $1 AND type = 'email' AND done_at IS NULL`, first.LeadID); n != 1 {
		t.Errorf("%d letters to answer, want 1", n)
	}
	l.land(letter("ivan@example.ru", "a3@example.ru"))
	if n := l.db.Count(t, `SELECT count(*) FROM activities WHERE lead_id = $1 AND type = 'email' AND done_at IS NULL`, first.LeadID); n != 1 {
		t.Errorf("a second unanswered letter made %d answers to write, want still 1", n)
	}
	if n := l.db.Count(t, `SELECT count(*) FROM leads`); n != 1 {
		t.Errorf("%d leads", n)
	}
}

func TestMachineMailIsRecordedAsIgnoredAndOpensNothing(t *testing.T) {
	t.Parallel()
	l := newLanding(t)
	in := letter("robot@example.ru", "auto@example.ru")
	in.Ignore = "auto-reply (Auto-Submitted: auto-replied)"
	if got := l.land(in); got.Outcome != crm.LandedIgnored || got.LeadID != 0 {
		t.Fatalf("an auto-reply landed %+v", got)
	}
	if n := l.db.Count(t, `SELECT count(*) FROM leads`); n != 0 {
		t.Errorf("%d leads from machine mail", n)
	}
	var kind, reason string
	l.db.Pool.QueryRow(context.Background(), `SELECT kind, data->>'ignored' FROM touches`).Scan(&kind, &reason)
	if kind != "ignored" || reason != in.Ignore {
		t.Errorf("recorded as %q with reason %q", kind, reason)
	}
	if n := l.db.Count(t, `SELECT count(*) FROM outbox`); n != 0 {
		t.Errorf("machine mail sent %d messages", n)
	}
}
