package crm

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Outcomes of landing a touch.
const (
	LandedNewLead  = "lead_created"
	LandedOpenLead = "touch_attached"
	LandedJunk     = "junk"
	LandedIgnored  = "ignored"
	LandedOpenDeal = "deal_touch"
)

// AssignRequest is what routing is asked about a new lead.
type AssignRequest struct {
	Lead      *Lead
	Inbound   *Inbound
	Returning bool   // the person is a known contact
	OwnerID   *int64 // the known contact's manager
	// For a re-assignment: the rule that placed the lead, and who had it.
	Rule    string
	Exclude []int64
}

// Assigner chooses the manager for a new lead. It decides; the core
// records. A nil ManagerID in the result means the lead is queued.
type Assigner interface {
	Assign(ctx context.Context, req AssignRequest) (Assignment, error)
}

// Lander lands inbound touches where DESIGN.md says they go: the person's
// open lead, else a new lead (linked to the contact when the person is
// known), assigned, with a call due within the SLA, and the manager told
// through the outbox.
type Lander struct {
	Assigner Assigner
	SLA      time.Duration
	// MissedCallGrace is how long a missed call's call-back, due at once,
	// waits before it counts as overdue (0: DefaultMissedCallGrace).
	MissedCallGrace time.Duration
	Now             func() time.Time
}

// DefaultMissedCallGrace is the time a manager has to call a missed caller
// back before the call-back counts as overdue.
const DefaultMissedCallGrace = 15 * time.Minute

func (l *Lander) grace() time.Duration {
	if l.MissedCallGrace > 0 {
		return l.MissedCallGrace
	}
	return DefaultMissedCallGrace
}

// Landing is where a touch landed.
type Landing struct {
	Outcome   string
	LeadID    int64
	DealID    int64
	ManagerID *int64
}

// Land files one inbound touch inside the caller's transaction. eventID is
// the inbox event it came from: a touch exists at most once per event.
// Errors: ECONFLICT when another transaction opened a lead for the same
// person at the same moment (retrying then attaches to it).
func (l *Lander) Land(ctx context.Context, tx pgx.Tx, eventID string, in *Inbound) (Landing, error) {
	landing, err := l.land(ctx, tx, eventID, in)
	if err != nil || in.Channel != ChannelMessenger || landing.ManagerID == nil || in.Ignore != "" {
		return landing, err
	}
	// A client's message goes to their manager, who can answer it from
	// their own Telegram.
	payload := MessengerMessage{ManagerID: *landing.ManagerID, TelegramID: in.TelegramID, Text: in.Text, Name: in.Name,
		EventID: eventID, Media: in.Media}
	if landing.LeadID != 0 {
		payload.LeadID = &landing.LeadID
	}
	if landing.DealID != 0 {
		payload.DealID = &landing.DealID
	}
	key := "messenger.message:" + eventID
	if eventID == "" {
		key += in.At.String()
	}
	return landing, Enqueue(ctx, tx, key, payload)
}

func (l *Lander) land(ctx context.Context, tx pgx.Tx, eventID string, in *Inbound) (Landing, error) {
	switch {
	case in.Ignore != "":
		return ignore(ctx, tx, eventID, in)
	case in.Call != nil:
		return l.landCall(ctx, tx, eventID, in)
	case in.Mail != nil:
		if lead, ok, err := thread(ctx, tx, in.Mail); err != nil || ok {
			if err != nil {
				return Landing{}, err
			}
			return l.attachAnswerable(ctx, tx, lead, eventID, in)
		}
	}
	ids := in.Identities()
	var who person
	if len(ids) > 0 {
		var err error
		if who, err = lookup(ctx, tx, ids); err != nil {
			return Landing{}, err
		}
	}
	if in.OnlyIfOpen && (in.JunkReason != "" || who.lead == nil && who.deal == nil) {
		in.Ignore = "nothing to act on, and nothing open to attach it to"
		return ignore(ctx, tx, eventID, in)
	}
	if in.JunkReason == "" && who.lead != nil {
		return l.attachAnswerable(ctx, tx, *who.lead, eventID, in)
	}
	if in.JunkReason == "" && who.deal != nil {
		return l.attachToDeal(ctx, tx, *who.deal, *who.contact, eventID, in)
	}
	return l.open(ctx, tx, eventID, in, ids, who)
}

type openLead struct {
	ID        int64
	ManagerID *int64
}

// person is what the CRM knows of whoever sent a touch: their open lead
// (locked), the contact with its manager, and the contact's open deal.
type person struct {
	lead             *openLead
	contact, manager *int64
	deal             *openLead // a deal, with its manager
}

// lookup finds, in one round trip, the person's open lead (locking it)
// and their contact. A known contact is one person across all their
// identities: their open lead is found by any identity of the touch, by
// any of the contact's, or by the contact itself.
func lookup(ctx context.Context, tx pgx.Tx, ids []string) (person, error) {
	var p person
	var leadID, leadManager, dealID, dealManager *int64
	err := tx.QueryRow(ctx, `WITH c AS (
			SELECT c.id, c.manager_id FROM contact_identities ci JOIN contacts c ON c.id = ci.contact_id
			WHERE ci.identity = ANY($1) AND c.merged_into IS NULL ORDER BY c.id LIMIT 1),
		ol AS (
			SELECT l.id, l.manager_id FROM leads l
			WHERE l.status IN ('new', 'in_progress') AND l.id IN (
				SELECT lead_id FROM lead_identities WHERE identity = ANY($1)
				UNION ALL
				SELECT li.lead_id FROM contact_identities ci JOIN lead_identities li ON li.identity = ci.identity
				WHERE ci.contact_id = (SELECT id FROM c)
				UNION ALL
				SELECT id FROM leads WHERE contact_id = (SELECT id FROM c) AND status IN ('new', 'in_progress'))
			ORDER BY l.id LIMIT 1 FOR UPDATE OF l),
		d AS (
			SELECT d.id, d.manager_id FROM deals d WHERE d.contact_id = (SELECT id FROM c) AND d.closed_at IS NULL
			ORDER BY d.id DESC LIMIT 1)
		SELECT (SELECT id FROM ol), (SELECT manager_id FROM ol), (SELECT id FROM c), (SELECT manager_id FROM c),
			(SELECT id FROM d), (SELECT manager_id FROM d)`,
		ids).Scan(&leadID, &leadManager, &p.contact, &p.manager, &dealID, &dealManager)
	if err != nil {
		return p, translate(err, "person")
	}
	if leadID != nil {
		p.lead = &openLead{ID: *leadID, ManagerID: leadManager}
	}
	if dealID != nil {
		p.deal = &openLead{ID: *dealID, ManagerID: dealManager}
	}
	return p, nil
}

// attach adds the touch to an open lead and learns any new phone or
// e-mail: a batch of one.
func attach(ctx context.Context, tx pgx.Tx, lead openLead, eventID string, in *Inbound) error {
	// The batch's way with one touch (as open is openMany's): the lead is
	// locked and open already, so it is never sent back.
	_, again, err := attachMany(ctx, tx, []attaching{{eventID: eventID, in: in, lead: lead}})
	if err == nil && len(again) > 0 {
		err = Errorf(ECONFLICT, "lead %d is no longer open", lead.ID)
	}
	return err
}

// open files the touch as a new lead, the way a batch does (openMany):
// routing decides, then the lead with its manager and SLA clock, the
// touch, the person's open-lead identities, the assignment, the call and
// the outbox's notices are written together.
func (l *Lander) open(ctx context.Context, tx pgx.Tx, eventID string, in *Inbound, ids []string, who person) (Landing, error) {
	landings, err := l.openMany(ctx, tx, []opening{{eventID: eventID, in: in, ids: ids, who: who}})
	if err != nil {
		return Landing{}, err
	}
	return landings[0], nil
}

// contactFor finds the known person behind any of the identities, and
// their manager.
func contactFor(ctx context.Context, q Querier, ids []string) (contactID, ownerID *int64, err error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	err = q.QueryRow(ctx, `SELECT c.id, c.manager_id FROM contact_identities ci JOIN contacts c ON c.id = ci.contact_id
		WHERE ci.identity = ANY($1) ORDER BY c.id LIMIT 1`, ids).Scan(&contactID, &ownerID)
	if err == pgx.ErrNoRows {
		return nil, nil, nil
	}
	return contactID, ownerID, translate(err, "contact")
}

// ContactFor returns the known contact behind any of the identities and
// their manager (nil, nil when the person is not known).
func (s *Store) ContactFor(ctx context.Context, ids []string) (contactID, ownerID *int64, err error) {
	return contactFor(ctx, s.pool, ids)
}

// recordAssignment writes a decision: the hop, the lead's manager and SLA
// clock, its call (made, moved or cancelled), and the manager's notice.
func recordAssignment(ctx context.Context, tx pgx.Tx, leadID int64, contactID *int64, a Assignment, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO assignments (lead_id, manager_id, rule, strategy, candidates, reason, at, by_manager_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, leadID, a.ManagerID, a.Rule, a.Strategy, nonNil(a.Candidates), a.Reason, now, a.ByManagerID); err != nil {
		return translate(err, "assignment")
	}
	var deadline *time.Time
	if a.ManagerID != nil && a.ByManagerID == nil && !a.Deadline.IsZero() {
		deadline = &a.Deadline
	}
	if _, err := tx.Exec(ctx, `UPDATE leads SET manager_id = $2, rule = CASE WHEN $3 IN ('', 'manual') THEN rule ELSE $3 END,
		sla_due_at = CASE WHEN status = 'new' THEN $4::timestamptz END, updated_at = $5, owner_sla = $6 WHERE id = $1`,
		leadID, a.ManagerID, a.Rule, deadline, now, a.ownerSLA()); err != nil {
		return translate(err, "lead")
	}
	if a.ManagerID == nil {
		// Queued: nobody's call to make until someone takes it.
		_, err := tx.Exec(ctx, `UPDATE activities SET done_at = $2, outcome = 'queued'
			WHERE lead_id = $1 AND type = 'call' AND done_at IS NULL`, leadID, now)
		return translate(err, "activities")
	}
	// The open call moves with the lead; a lead without one gets one.
	tag, err := tx.Exec(ctx, `UPDATE activities SET manager_id = $2, due_at = $3, reminded_at = NULL
		WHERE lead_id = $1 AND type = 'call' AND done_at IS NULL`, leadID, *a.ManagerID, a.DueAt)
	if err != nil {
		return translate(err, "activities")
	}
	var activityID int64
	if tag.RowsAffected() == 0 {
		if err := tx.QueryRow(ctx, `INSERT INTO activities (type, subject, lead_id, contact_id, manager_id, due_at, created_at)
			VALUES ('call', $1, $2, $3, $4, $5, $6) RETURNING id`,
			"Call back: new lead", leadID, contactID, *a.ManagerID, a.DueAt, now).Scan(&activityID); err != nil {
			return translate(err, "activity")
		}
	}
	payload := LeadAssigned{LeadID: leadID, ManagerID: *a.ManagerID, DueAt: a.DueAt, Rule: a.Rule,
		Strategy: a.Strategy, Returning: contactID != nil}
	if activityID != 0 {
		payload.ActivityID = &activityID
	}
	key := fmt.Sprintf("%s:%d:%d:%d", KindLeadAssigned, leadID, *a.ManagerID, now.UnixNano())
	return Enqueue(ctx, tx, key, payload)
}

// attachAnswerable attaches a touch to an open lead; a letter or a
// message there needs an answer, so the lead's manager gets one to write.
func (l *Lander) attachAnswerable(ctx context.Context, tx pgx.Tx, lead openLead, eventID string, in *Inbound) (Landing, error) {
	if err := attach(ctx, tx, lead, eventID, in); err != nil {
		return Landing{}, err
	}
	if lead.ManagerID != nil && (in.Channel == ChannelMail || in.Channel == ChannelMessenger) {
		now := l.Now()
		subject := "Answer the letter"
		if in.Channel == ChannelMessenger {
			subject = "Answer the message"
		}
		if _, err := tx.Exec(ctx, `INSERT INTO activities (type, subject, lead_id, manager_id, due_at, created_at)
			SELECT 'email', $1, $2, $3, $4, $5
			WHERE NOT EXISTS (SELECT 1 FROM activities WHERE lead_id = $2 AND type = 'email' AND done_at IS NULL)`,
			subject, lead.ID, *lead.ManagerID, now.Add(l.SLA), arrival(in, now)); err != nil {
			return Landing{}, translate(err, "activity")
		}
	}
	return Landing{Outcome: LandedOpenLead, LeadID: lead.ID, ManagerID: lead.ManagerID}, nil
}

// attachToDeal files a touch on the person's open deal; a request, a
// letter or a message there needs an answer from the deal's manager.
func (l *Lander) attachToDeal(ctx context.Context, tx pgx.Tx, deal openLead, contactID int64, eventID string, in *Inbound) (Landing, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO touches (deal_id, contact_id, event_id, channel, source, at, text, data, call_key, message_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, deal.ID, contactID, eventRef(eventID), in.Channel, in.Source, in.At,
		touchText(in), touchData(in), callKey(in), messageID(in)); err != nil {
		return Landing{}, translate(err, "touch")
	}
	landing := Landing{Outcome: LandedOpenDeal, DealID: deal.ID, ManagerID: deal.ManagerID}
	if deal.ManagerID == nil || in.Call != nil {
		return landing, nil // a call's effects follow from its state
	}
	kind, subject := ActivityCall, "Call back: a request on the deal"
	if in.Channel == ChannelMail {
		kind, subject = ActivityEmail, "Answer the letter"
	} else if in.Channel == ChannelMessenger {
		kind, subject = ActivityEmail, "Answer the message"
	}
	now := l.Now()
	_, err := tx.Exec(ctx, `INSERT INTO activities (type, subject, deal_id, contact_id, manager_id, due_at, created_at)
		SELECT $1, $2, $3, $4, $5, $6, $7
		WHERE NOT EXISTS (SELECT 1 FROM activities WHERE deal_id = $3 AND type = $1 AND done_at IS NULL)`,
		kind, subject, deal.ID, contactID, *deal.ManagerID, now.Add(l.SLA), arrival(in, now))
	if err == nil {
		err = Enqueue(ctx, tx, fmt.Sprintf("deal.touch:%d:%s", deal.ID, deref(eventRef(eventID))+now.String()),
			DealTouch{DealID: deal.ID, ManagerID: *deal.ManagerID, Channel: in.Channel, Text: touchText(in)})
	}
	return landing, translate(err, "activity")
}

// thread finds the open lead of the letter this one answers.
func thread(ctx context.Context, tx pgx.Tx, m *MailInfo) (openLead, bool, error) {
	refs := append(slices.Clone(m.InReplyTo), m.References...)
	if len(refs) == 0 {
		return openLead{}, false, nil
	}
	var o openLead
	err := tx.QueryRow(ctx, `SELECT l.id, l.manager_id FROM touches t JOIN leads l ON l.id = t.lead_id
		WHERE t.message_id = ANY($1) AND l.status IN ('new', 'in_progress')
		ORDER BY t.id DESC LIMIT 1 FOR UPDATE OF l`, refs).Scan(&o.ID, &o.ManagerID)
	if err == pgx.ErrNoRows {
		return o, false, nil
	}
	return o, err == nil, translate(err, "thread")
}

// ignore records a touch that opens nothing, with the reason.
func ignore(ctx context.Context, tx pgx.Tx, eventID string, in *Inbound) (Landing, error) {
	data := touchData(in)
	data["ignored"] = in.Ignore
	_, err := tx.Exec(ctx, `INSERT INTO touches (event_id, channel, kind, source, at, text, data, message_id)
		VALUES ($1, $2, 'ignored', $3, $4, $5, $6, $7)`, eventRef(eventID), in.Channel, in.Source, in.At, touchText(in), data, messageID(in))
	return Landing{Outcome: LandedIgnored}, translate(err, "ignored touch")
}

// eventRef is the inbox event a touch came from; "" (a touch made by hand
// or in a test) is none.
func eventRef(eventID string) *string {
	if eventID == "" {
		return nil
	}
	return &eventID
}

func messageID(in *Inbound) *string {
	if in.Mail == nil || in.Mail.MessageID == "" {
		return nil
	}
	return &in.Mail.MessageID
}

// touchData is what a touch keeps beyond its text.
func touchData(in *Inbound) map[string]any {
	data := map[string]any{}
	if in.Call != nil {
		data["call"] = newCallData(in)
	}
	if m := in.Mail; m != nil {
		mail := map[string]any{"mailbox": m.Mailbox, "message_id": m.MessageID, "subject": m.Subject, "from": m.From}
		if len(m.Attachments) > 0 {
			mail["attachments"] = m.Attachments
		}
		if m.ForwardedBy != "" {
			mail["forwarded_by"] = m.ForwardedBy
		}
		data["mail"] = mail
	}
	if len(in.Fields) > 0 {
		data["fields"] = in.Fields
	}
	if len(in.UTM) > 0 {
		data["utm"] = in.UTM
	}
	if in.PageURL != "" {
		data["page_url"] = in.PageURL
	}
	return data
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func jsonObject(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
