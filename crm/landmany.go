package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Batched landing: the processor hands over a whole batch of events, and
// the common case — a form or a hand-entered lead from someone with no
// open lead or deal — is written for all of them at once: one statement
// to look the people up, one to number the new rows, one round trip of
// multi-row inserts. Per event that is a few index entries instead of a
// dozen statements (docs/benchmarks.md). Everything else goes through
// Land one by one, in the batch's order, so the outcome is the one Land
// would give event by event.

// Incoming is one event of a batch: its inbox id and its touch.
type Incoming struct {
	EventID string
	In      *Inbound
}

// LandMany files a batch of touches inside the caller's transaction and
// returns their landings in order. An error fails the batch as a whole
// (the caller then lands the events one by one to find the culprit); a
// conflict is ECONFLICT, as for Land.
func (l *Lander) LandMany(ctx context.Context, tx pgx.Tx, batch []Incoming) ([]Landing, error) {
	out := make([]Landing, len(batch))
	fast, slow := l.sortOut(batch)
	if len(fast) > 0 {
		people, err := lookupMany(ctx, tx, batch, fast)
		if err != nil {
			return nil, err
		}
		var opens []opening
		var attaches []attaching
		for _, i := range fast {
			who := people[i]
			switch {
			case who.lead != nil:
				attaches = append(attaches, attaching{index: i, eventID: batch[i].EventID, in: batch[i].In, lead: *who.lead})
			case who.deal != nil:
				slow = append(slow, i) // a touch on a deal: Land does that
			default:
				opens = append(opens, opening{index: i, eventID: batch[i].EventID, in: batch[i].In, ids: batch[i].In.Identities(), who: who})
			}
		}
		attached, again, err := attachMany(ctx, tx, attaches)
		if err != nil {
			return nil, err
		}
		slow = append(slow, again...)
		for _, a := range attached {
			out[a.index] = Landing{Outcome: LandedOpenLead, LeadID: a.lead.ID, ManagerID: a.lead.ManagerID}
		}
		landings, err := l.openMany(ctx, tx, opens)
		if err != nil {
			return nil, err
		}
		for k, o := range opens {
			out[o.index] = landings[k]
		}
	}
	sortInts(slow)
	for _, i := range slow {
		landing, err := l.Land(ctx, tx, batch[i].EventID, batch[i].In)
		if err != nil {
			return nil, err
		}
		out[i] = landing
	}
	return out, nil
}

// sortOut splits a batch into the events that may go the batched way
// and the rest. A person who appears twice in a batch goes the slow way
// both times (the second touch attaches to what the first opened), and
// so does whoever a slow event names, so that the order is kept.
func (l *Lander) sortOut(batch []Incoming) (fast, slow []int) {
	seen := make(map[string]int, len(batch))
	for _, b := range batch {
		for _, id := range b.In.Identities() {
			seen[id]++
		}
	}
	for i, b := range batch {
		in := b.In
		ok := in.Ignore == "" && in.Call == nil && in.Mail == nil && in.Channel != ChannelMessenger && in.JunkReason == ""
		ids := in.Identities()
		ok = ok && len(ids) > 0
		for _, id := range ids {
			ok = ok && seen[id] == 1
		}
		if ok {
			fast = append(fast, i)
		} else {
			slow = append(slow, i)
		}
	}
	return fast, slow
}

func sortInts(s []int) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// lookupMany is lookup for many people at once, without locking: an event
// whose person turns out to have an open lead goes through Land, which
// looks again and locks. Two processors opening a lead for one person at
// the same moment still meet at lead_identities' primary key.
func lookupMany(ctx context.Context, tx pgx.Tx, batch []Incoming, which []int) (map[int]person, error) {
	var ords []int32
	var ids []string
	for _, i := range which {
		for _, id := range batch[i].In.Identities() {
			ords, ids = append(ords, int32(i)), append(ids, id)
		}
	}
	// A known contact is one person across their identities: their open
	// lead is found by any identity of the touch, any of the contact's, or
	// the contact itself (as lookup does).
	//
	// Leads are reached only by key — an identity, the id, the contact —
	// and whether one is open is asked after the fence of a materialized
	// CTE. Otherwise the planner may start from the open leads' partial
	// indexes when its statistics say few leads are open: right for a
	// settled base, a scan of every open lead per batch for a base that
	// took thousands of new leads since its last ANALYZE (a generic plan
	// made then is kept; docs/benchmarks.md).
	rows, err := tx.Query(ctx, `WITH q AS (SELECT * FROM unnest($1::int[], $2::text[]) AS q(ord, identity)),
		c AS (SELECT DISTINCT ON (q.ord) q.ord, c.id, c.manager_id
			FROM q JOIN contact_identities ci ON ci.identity = q.identity JOIN contacts c ON c.id = ci.contact_id
			WHERE c.merged_into IS NULL ORDER BY q.ord, c.id),
		x AS MATERIALIZED (
			SELECT q.ord, l.id, l.manager_id, l.status FROM q JOIN lead_identities li ON li.identity = q.identity
				JOIN leads l ON l.id = li.lead_id
			UNION ALL
			SELECT c.ord, l.id, l.manager_id, l.status FROM c JOIN contact_identities ci ON ci.contact_id = c.id
				JOIN lead_identities li ON li.identity = ci.identity JOIN leads l ON l.id = li.lead_id
			UNION ALL
			SELECT c.ord, l.id, l.manager_id, l.status FROM c JOIN leads l ON l.contact_id = c.id),
		ol AS (SELECT DISTINCT ON (ord) ord, id, manager_id FROM x
			WHERE status IN ('new', 'in_progress') ORDER BY ord, id),
		d AS (SELECT DISTINCT ON (c.ord) c.ord, d.id, d.manager_id
			FROM c JOIN deals d ON d.contact_id = c.id AND d.closed_at IS NULL ORDER BY c.ord, d.id DESC)
		SELECT o.ord, ol.id, ol.manager_id, c.id, c.manager_id, d.id, d.manager_id
		FROM (SELECT DISTINCT ord FROM q) o LEFT JOIN ol USING (ord) LEFT JOIN c USING (ord) LEFT JOIN d USING (ord)`,
		ords, ids)
	if err != nil {
		return nil, translate(err, "people")
	}
	defer rows.Close()
	out := make(map[int]person, len(which))
	for rows.Next() {
		var ord int32
		var p person
		var leadID, leadManager, dealID, dealManager *int64
		if err := rows.Scan(&ord, &leadID, &leadManager, &p.contact, &p.manager, &dealID, &dealManager); err != nil {
			return nil, translate(err, "people")
		}
		if leadID != nil {
			p.lead = &openLead{ID: *leadID, ManagerID: leadManager}
		}
		if dealID != nil {
			p.deal = &openLead{ID: *dealID, ManagerID: dealManager}
		}
		out[int(ord)] = p
	}
	return out, translate(rows.Err(), "people")
}

// attaching is a touch on its person's open lead.
type attaching struct {
	index   int
	eventID string
	in      *Inbound
	lead    openLead
}

// attachMany files touches on their people's open leads at once, as
// attach does one by one: each lead locked and found still open, learns
// the touch's phones and e-mails (and so its identities), and gets the
// touch. A lead that closed since the look-up, or that two touches of the
// batch name, sends the touch back (again) to land one by one.
func attachMany(ctx context.Context, tx pgx.Tx, list []attaching) (done []attaching, again []int, err error) {
	if len(list) == 0 {
		return nil, nil, nil
	}
	seen := make(map[int64]bool, len(list))
	var ids []int64
	for _, a := range list {
		if !seen[a.lead.ID] {
			seen[a.lead.ID] = true
			ids = append(ids, a.lead.ID)
		}
	}
	// Locked in id order, as every processor locks, and read again: the
	// look-up took no lock.
	rows, err := tx.Query(ctx, `SELECT id, manager_id FROM leads WHERE id = ANY($1) AND status IN ('new', 'in_progress')
		ORDER BY id FOR UPDATE`, ids)
	if err != nil {
		return nil, nil, translate(err, "lead")
	}
	open := make(map[int64]*int64, len(ids))
	for rows.Next() {
		var id int64
		var manager *int64
		if err := rows.Scan(&id, &manager); err != nil {
			rows.Close()
			return nil, nil, translate(err, "lead")
		}
		open[id] = manager
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, translate(err, "lead")
	}
	taken := make(map[int64]bool, len(list))
	var (
		leadOf, identityOf          []int64
		phones, emails, raw         []string // JSON arrays
		identity                    []string
		tLead                       []int64
		event                       []*string
		channel, source, text, data []string
		at                          []time.Time
		callKeys, messageIDs        []*string
	)
	js := func(v any) string {
		b, _ := json.Marshal(v) // strings and maps of strings always marshal
		return string(b)
	}
	for _, a := range list {
		manager, ok := open[a.lead.ID]
		if !ok || taken[a.lead.ID] {
			again = append(again, a.index)
			continue
		}
		taken[a.lead.ID] = true
		a.lead.ManagerID = manager
		in := a.in
		leadOf = append(leadOf, a.lead.ID)
		phones, emails, raw = append(phones, js(nonNil(in.Phones))), append(emails, js(nonNil(in.Emails))), append(raw, js(nonNil(in.RawPhones)))
		for _, x := range in.Identities() {
			identity, identityOf = append(identity, x), append(identityOf, a.lead.ID)
		}
		tLead, event, channel, source = append(tLead, a.lead.ID), append(event, eventRef(a.eventID)), append(channel, in.Channel), append(source, in.Source)
		at, text, data = append(at, in.At), append(text, touchText(in)), append(data, js(touchData(in)))
		callKeys, messageIDs = append(callKeys, callKey(in)), append(messageIDs, messageID(in))
		done = append(done, a)
	}
	if len(done) == 0 {
		return nil, again, nil
	}
	b := &pgx.Batch{}
	b.Queue(`UPDATE leads l SET
			phones = l.phones || ARRAY(SELECT x FROM jsonb_array_elements_text(u.phones::jsonb) x WHERE x <> ALL(l.phones)),
			emails = l.emails || ARRAY(SELECT x FROM jsonb_array_elements_text(u.emails::jsonb) x WHERE x <> ALL(l.emails)),
			raw_phones = l.raw_phones || ARRAY(SELECT x FROM jsonb_array_elements_text(u.raw::jsonb) x WHERE x <> ALL(l.raw_phones)),
			updated_at = now()
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS u(id, phones, emails, raw)
		WHERE l.id = u.id`, leadOf, phones, emails, raw)
	if len(identity) > 0 {
		b.Queue(`INSERT INTO lead_identities (identity, lead_id) SELECT * FROM unnest($1::text[], $2::bigint[])
			ON CONFLICT DO NOTHING`, identity, identityOf)
	}
	b.Queue(`INSERT INTO touches (lead_id, event_id, channel, source, at, text, data, call_key, message_id, contact_id)
		SELECT u.lead_id, u.event_id, u.channel, u.source, u.at, u.text, u.data::jsonb, u.call_key, u.message_id, l.contact_id
		FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::text[])
			WITH ORDINALITY AS u(lead_id, event_id, channel, source, at, text, data, call_key, message_id, ord)
		JOIN leads l ON l.id = u.lead_id ORDER BY u.ord`,
		tLead, event, channel, source, at, text, data, callKeys, messageIDs)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, nil, translate(err, "touch")
	}
	return done, again, nil
}

// opening is a touch that opens a new lead.
type opening struct {
	index   int
	eventID string
	in      *Inbound
	ids     []string
	who     person
}

// openMany files each touch as a new lead: routing decides for each (in
// order, so rotations turn as they would one by one), then the leads with
// their touches, open-lead identities, assignments, calls and the
// managers' notices are written in one round trip.
func (l *Lander) openMany(ctx context.Context, tx pgx.Tx, opens []opening) ([]Landing, error) {
	if len(opens) == 0 {
		return nil, nil
	}
	// The lead is created when the client reached out (its arrival); the
	// manager's clocks — the call's due time and the SLA deadline — run
	// from now, when the lead reaches them (arrival.go says why).
	now := l.Now()
	n := len(opens)
	type decided struct {
		status   string
		junk     *string
		a        Assignment
		deadline *time.Time
		ids      []string
	}
	ds := make([]decided, n)
	calls := 0
	for k, o := range opens {
		d := decided{status: StatusNew, ids: o.ids}
		if o.in.JunkReason != "" {
			d.status, d.junk, d.ids = StatusJunk, &o.in.JunkReason, nil // junk holds no identity
		} else {
			a, err := l.Assigner.Assign(ctx, AssignRequest{Inbound: o.in, Returning: o.who.contact != nil, OwnerID: o.who.manager})
			if err != nil {
				return nil, fmt.Errorf("assign a new lead: %w", err)
			}
			if a.DueAt.IsZero() {
				a.DueAt = now.Add(l.SLA)
			}
			if a.Deadline.IsZero() {
				a.Deadline = a.DueAt
			}
			d.a = a
			if a.ManagerID != nil {
				d.deadline = &a.Deadline
				calls++
			}
		}
		ds[k] = d
	}

	// Number the new rows first, so that every insert can name them.
	var leadIDs, callIDs []int64
	if err := tx.QueryRow(ctx, `SELECT ARRAY(SELECT nextval('leads_id_seq') FROM generate_series(1, $1)),
			ARRAY(SELECT nextval('activities_id_seq') FROM generate_series(1, $2))`, n, calls).
		Scan(&leadIDs, &callIDs); err != nil {
		return nil, translate(err, "new lead numbers")
	}

	var (
		lead      = make([]int64, n)
		status    = make([]string, n)
		junk      = make([]*string, n)
		channel   = make([]string, n)
		source    = make([]string, n)
		name      = make([]string, n)
		phones    = make([]string, n) // JSON arrays: unnest cannot take arrays of arrays
		rawPhones = make([]string, n)
		emails    = make([]string, n)
		comment   = make([]string, n)
		utm       = make([]string, n)
		pageURL   = make([]string, n)
		referrer  = make([]string, n)
		fields    = make([]string, n)
		consent   = make([]*string, n)
		contact   = make([]*int64, n)
		manager   = make([]*int64, n)
		rule      = make([]string, n)
		slaDue    = make([]*time.Time, n)
		arrived   = make([]time.Time, n) // the lead's creation: when the client reached out (arrival.go)
		ownerSLA  = make([]*string, n)
		// known contacts' new leads: every identity of theirs is the lead's
		knownLead, knownContact []int64
		event                   = make([]*string, n)
		at                      = make([]time.Time, n)
		text                    = make([]string, n)
		data                    = make([]string, n)
		callKeys                = make([]*string, n)
		messageIDs              = make([]*string, n)
		identity                []string
		identityOf              []int64
		// assignments, for new leads
		aLead                         []int64
		aManager                      []*int64
		aRule, aStrategy, aCand, aWhy []string
		cID, cLead                    []int64
		cContact                      []*int64
		cManager                      []int64
		cDue, cArrived                []time.Time
		oKind, oKey, oPayload         []string
		landings                      = make([]Landing, n)
	)
	js := func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	}
	next := 0
	for k, o := range opens {
		d, in := ds[k], o.in
		id := leadIDs[k]
		lead[k], status[k], junk[k], channel[k], source[k], name[k] = id, d.status, d.junk, in.Channel, in.Source, in.Name
		var err error
		for _, f := range []struct {
			dst *string
			v   any
		}{{&phones[k], nonNil(in.Phones)}, {&rawPhones[k], nonNil(in.RawPhones)}, {&emails[k], nonNil(in.Emails)},
			{&utm[k], jsonObject(in.UTM)}, {&fields[k], jsonObject(in.Fields)}, {&data[k], touchData(in)}} {
			if *f.dst, err = js(f.v); err != nil {
				return nil, fmt.Errorf("new lead: %w", err)
			}
		}
		if in.Consent != nil {
			c, err := js(in.Consent)
			if err != nil {
				return nil, fmt.Errorf("new lead: %w", err)
			}
			consent[k] = &c
		}
		comment[k], pageURL[k], referrer[k] = in.Text, in.PageURL, in.Referrer
		contact[k], manager[k], rule[k], slaDue[k], ownerSLA[k] = o.who.contact, d.a.ManagerID, d.a.Rule, d.deadline, d.a.ownerSLA()
		if o.who.contact != nil && d.status == StatusNew {
			knownLead, knownContact = append(knownLead, id), append(knownContact, *o.who.contact)
		}
		arrived[k] = arrival(in, now)
		event[k], at[k], text[k] = eventRef(o.eventID), in.At, touchText(in)
		callKeys[k], messageIDs[k] = callKey(in), messageID(in)
		for _, x := range d.ids {
			identity, identityOf = append(identity, x), append(identityOf, id)
		}
		created, err := js(LeadCreated{LeadID: id, ManagerID: d.a.ManagerID, Status: d.status})
		if err != nil {
			return nil, fmt.Errorf("new lead: %w", err)
		}
		oKind, oKey, oPayload = append(oKind, KindLeadCreated), append(oKey, KindLeadCreated+":"+strconv.FormatInt(id, 10)), append(oPayload, created)
		if d.status != StatusNew {
			landings[k] = Landing{Outcome: LandedJunk, LeadID: id}
			continue
		}
		cand, err := js(nonNil(d.a.Candidates))
		if err != nil {
			return nil, fmt.Errorf("new lead: %w", err)
		}
		aLead, aManager, aRule, aStrategy = append(aLead, id), append(aManager, d.a.ManagerID), append(aRule, d.a.Rule), append(aStrategy, d.a.Strategy)
		aCand, aWhy = append(aCand, cand), append(aWhy, d.a.Reason)
		landings[k] = Landing{Outcome: LandedNewLead, LeadID: id, ManagerID: d.a.ManagerID}
		if d.a.ManagerID == nil {
			continue
		}
		callID := callIDs[next]
		next++
		cID, cLead, cContact, cManager, cDue = append(cID, callID), append(cLead, id), append(cContact, o.who.contact),
			append(cManager, *d.a.ManagerID), append(cDue, d.a.DueAt)
		cArrived = append(cArrived, arrived[k])
		assigned, err := js(LeadAssigned{LeadID: id, ManagerID: *d.a.ManagerID, ActivityID: &callID,
			DueAt: d.a.DueAt, Rule: d.a.Rule, Strategy: d.a.Strategy, Returning: o.who.contact != nil})
		if err != nil {
			return nil, fmt.Errorf("new lead: %w", err)
		}
		oKind = append(oKind, KindLeadAssigned)
		oKey = append(oKey, KindLeadAssigned+":"+strconv.FormatInt(id, 10)+":"+strconv.FormatInt(*d.a.ManagerID, 10)+":"+strconv.FormatInt(now.UnixNano(), 10))
		oPayload = append(oPayload, assigned)
	}

	b := &pgx.Batch{}
	b.Queue(`INSERT INTO leads (id, status, junk_reason, channel, source, name, phones, raw_phones, emails, comment, utm,
			page_url, referrer, fields, consent, contact_id, manager_id, rule, sla_due_at, created_at, updated_at, status_changed_at, owner_sla)
		SELECT u.id, u.status, u.junk, u.channel, u.source, u.name,
			ARRAY(SELECT jsonb_array_elements_text(u.phones::jsonb)), ARRAY(SELECT jsonb_array_elements_text(u.raw::jsonb)),
			ARRAY(SELECT jsonb_array_elements_text(u.emails::jsonb)), u.comment, u.utm::jsonb, u.page_url, u.referrer,
			u.fields::jsonb, u.consent::jsonb, u.contact_id, u.manager_id, u.rule, u.sla, u.arrived, $19, u.arrived, u.owner_sla
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::bigint[],
			$17::bigint[], $18::text[], $20::timestamptz[], $21::text[], $22::timestamptz[])
			AS u(id, status, junk, channel, source, name, phones, raw, emails, comment, utm, page_url, referrer, fields,
				consent, contact_id, manager_id, rule, sla, owner_sla, arrived)`,
		lead, status, junk, channel, source, name, phones, rawPhones, emails, comment, utm, pageURL, referrer, fields,
		consent, contact, manager, rule, now, slaDue, ownerSLA, arrived)
	b.Queue(`INSERT INTO touches (lead_id, event_id, channel, source, at, text, data, contact_id, call_key, message_id)
		SELECT u.lead_id, u.event_id, u.channel, u.source, u.at, u.text, u.data::jsonb, u.contact_id, u.call_key, u.message_id
		FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::bigint[],
			$9::text[], $10::text[])
			AS u(lead_id, event_id, channel, source, at, text, data, contact_id, call_key, message_id)`,
		lead, event, channel, source, at, text, data, contact, callKeys, messageIDs)
	if len(identity) > 0 || len(knownLead) > 0 {
		// A known contact's lead holds every identity of theirs, so that a
		// touch by another of them, at the same moment, cannot open a second.
		b.Queue(`INSERT INTO lead_identities (identity, lead_id) SELECT * FROM unnest($1::text[], $2::bigint[])
			UNION SELECT ci.identity, u.lead_id FROM unnest($3::bigint[], $4::bigint[]) AS u(lead_id, contact_id)
				JOIN contact_identities ci ON ci.contact_id = u.contact_id`,
			nonNil(identity), nonNil(identityOf), nonNil(knownLead), nonNil(knownContact))
	}
	if len(aLead) > 0 {
		b.Queue(`INSERT INTO assignments (lead_id, manager_id, rule, strategy, candidates, reason, at)
			SELECT u.lead_id, u.manager_id, u.rule, u.strategy, u.candidates::jsonb, u.reason, $7
			FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])
				AS u(lead_id, manager_id, rule, strategy, candidates, reason)`,
			aLead, aManager, aRule, aStrategy, aCand, aWhy, now)
	}
	if len(cID) > 0 {
		b.Queue(`INSERT INTO activities (id, type, subject, lead_id, contact_id, manager_id, due_at, created_at)
			SELECT u.id, 'call', 'Call back: new lead', u.lead_id, u.contact_id, u.manager_id, u.due_at, u.arrived
			FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::timestamptz[], $6::timestamptz[])
				AS u(id, lead_id, contact_id, manager_id, due_at, arrived)`,
			cID, cLead, cContact, cManager, cDue, cArrived)
	}
	b.Queue(`INSERT INTO outbox (kind, idempotency_key, payload)
		SELECT u.kind, u.key, u.payload::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS u(kind, key, payload)
		ON CONFLICT (idempotency_key) DO NOTHING`, oKind, oKey, oPayload)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		// A unique violation on lead_identities is the constraint behind
		// "one person, one open lead": another transaction opened a lead
		// for one of these people first; landing one by one attaches.
		return nil, translate(err, "open lead for this person")
	}
	return landings, nil
}
