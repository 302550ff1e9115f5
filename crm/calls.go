package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// LandedCallUpdate is the outcome of a later event of a call already
// filed: its touch was updated in place.
const LandedCallUpdate = "call_updated"

// callData is what a call's touch keeps: the events seen so far, merged so
// that any order of arrival gives the same result.
type callData struct {
	Provider     string     `json:"provider"`
	ID           string     `json:"id"`
	Direction    string     `json:"direction"`
	Line         string     `json:"line"`
	Extension    string     `json:"extension,omitempty"`
	States       []string   `json:"states"`
	Answered     bool       `json:"answered"`
	Duration     int        `json:"duration"`
	Disposition  string     `json:"disposition,omitempty"`
	RecordingURL string     `json:"recording_url,omitempty"`
	Phone        string     `json:"phone,omitempty"`      // the client's: not every event names them
	StartedAt    *time.Time `json:"started_at,omitempty"` // when it rang
	FirstAt      *time.Time `json:"first_at,omitempty"`   // the earliest event's time
}

func newCallData(in *Inbound) callData {
	c := in.Call
	d := callData{Provider: c.Provider, ID: c.ID, Direction: c.Direction, Line: c.Line, States: []string{}}
	d.merge(in)
	return d
}

// merge adds one event: states accumulate, answered sticks, the longest
// duration and the last word on disposition and recording win.
func (d *callData) merge(in *Inbound) {
	c := in.Call
	if !slices.Contains(d.States, c.State) {
		d.States = append(d.States, c.State)
		slices.Sort(d.States)
	}
	if c.State == "answered" || c.Disposition == "answered" {
		d.Answered = true
	}
	d.Duration = max(d.Duration, c.Duration)
	if c.Disposition != "" && (d.Disposition == "" || c.Disposition == "answered") {
		d.Disposition = c.Disposition
	}
	if d.Answered {
		d.Disposition = "answered"
	}
	if c.Extension != "" {
		d.Extension = c.Extension
	}
	if d.Line == "" {
		d.Line = c.Line // an event that named only the call came first
	}
	if c.RecordingURL != "" {
		d.RecordingURL = c.RecordingURL
	}
	if d.Phone == "" {
		d.Phone = first(in.Phones, in.RawPhones)
	}
	if d.Phone == "" && c.Hidden {
		d.Phone = "номер скрыт"
	}
	at := in.At
	if c.State == "ringing" && (d.StartedAt == nil || at.Before(*d.StartedAt)) {
		d.StartedAt = &at
	}
	if d.FirstAt == nil || at.Before(*d.FirstAt) {
		d.FirstAt = &at
	}
}

// began is when the call began, as far as its events tell.
func (d *callData) began() time.Time {
	if d.StartedAt != nil {
		return *d.StartedAt
	}
	return *d.FirstAt
}

func (d *callData) ended() bool { return slices.Contains(d.States, "ended") }

// text is how the call reads in the lead's history.
func (d *callData) text() string {
	client := d.Phone
	dir := "Incoming call from " + client
	if d.Direction == "out" {
		dir = "Outgoing call to " + client
	}
	switch {
	case d.Answered && d.ended():
		return fmt.Sprintf("%s, answered, %d:%02d", dir, d.Duration/60, d.Duration%60)
	case d.Answered:
		return dir + ", answered"
	case d.ended():
		return fmt.Sprintf("%s, missed (%s)", dir, d.Disposition)
	}
	return dir + ", ringing"
}

func callKey(in *Inbound) *string {
	if in.Call == nil {
		return nil
	}
	k := in.Call.Key()
	return &k
}

func touchText(in *Inbound) string {
	if in.Call != nil {
		d := newCallData(in)
		return d.text()
	}
	return in.Text
}

func first(lists ...[]string) string {
	for _, l := range lists {
		if len(l) > 0 {
			return l[0]
		}
	}
	return ""
}

// landCall files one event of a call: the first event of a call lands
// like any touch (open lead, else a new lead — but an outgoing call to a
// stranger opens nothing); later ones update that touch in place. Then the
// call's effects follow from everything known of it so far, each at most
// once: who is calling while it rings, a completed call activity when it
// was answered, a call-back due now when it was missed, the recording, and
// an answered outgoing call taking a new lead.
func (l *Lander) landCall(ctx context.Context, tx pgx.Tx, eventID string, in *Inbound) (Landing, error) {
	key := in.Call.Key()
	var touchID int64
	var leadID, dealID *int64
	var raw []byte
	err := tx.QueryRow(ctx, `SELECT id, lead_id, deal_id, data->'call' FROM touches WHERE call_key = $1 FOR UPDATE`, key).
		Scan(&touchID, &leadID, &dealID, &raw)
	var d callData
	landing := Landing{Outcome: LandedCallUpdate}
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &d); err != nil {
			return Landing{}, fmt.Errorf("call %s: %w", key, err)
		}
		d.merge(in)
		if _, err := tx.Exec(ctx, `UPDATE touches SET data = jsonb_set(data, '{call}', $2), text = $3, at = $4 WHERE id = $1`,
			touchID, d, d.text(), d.began()); err != nil {
			return Landing{}, translate(err, "call touch")
		}
		if in.Source != "" && leadID != nil {
			// The event that named the line came after the one that opened
			// the lead (Zadarma's NOTIFY_ANSWER before NOTIFY_START).
			if _, err := tx.Exec(ctx, `UPDATE leads SET source = $2 WHERE id = $1 AND source = '' AND channel = 'call'`, *leadID, in.Source); err != nil {
				return Landing{}, translate(err, "lead")
			}
		}
		if leadID != nil {
			// A lead this call opened began when the call did: an event
			// that arrived out of order may tell an earlier start.
			if _, err := tx.Exec(ctx, `UPDATE leads SET created_at = $2,
					status_changed_at = CASE WHEN status = 'new' THEN least(status_changed_at, $2) ELSE status_changed_at END
				WHERE id = $1 AND channel = 'call' AND created_at > $2
					AND NOT EXISTS (SELECT 1 FROM touches WHERE lead_id = $1 AND id < $3)`, *leadID, arrival(in, l.Now()), touchID); err != nil {
				return Landing{}, translate(err, "lead")
			}
			landing.LeadID = *leadID
		}
		if dealID != nil {
			landing.DealID = *dealID
		}
	case err == pgx.ErrNoRows:
		d = newCallData(in)
		ids := in.Identities()
		if len(ids) == 0 && len(in.RawPhones) == 0 && !in.Call.Hidden {
			// An event that names only the call (a recording) before the one
			// that says who called: wait for it (the inbox retries).
			return Landing{}, fmt.Errorf("call %s: %s before the event that names the caller: %w", key, in.Call.State, ErrEarly)
		}
		var who person
		if len(ids) > 0 {
			if who, err = lookup(ctx, tx, ids); err != nil {
				return Landing{}, err
			}
		}
		switch {
		case who.lead != nil:
			if err := attach(ctx, tx, *who.lead, eventID, in); err != nil {
				return Landing{}, err
			}
			landing = Landing{Outcome: LandedOpenLead, LeadID: who.lead.ID, ManagerID: who.lead.ManagerID}
		case who.deal != nil:
			if landing, err = l.attachToDeal(ctx, tx, *who.deal, *who.contact, eventID, in); err != nil {
				return Landing{}, err
			}
		case in.Call.Direction == "out" && who.contact == nil:
			// A manager calling a stranger: a record, not a lead.
			_, err := tx.Exec(ctx, `INSERT INTO touches (event_id, channel, source, at, text, data, call_key)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, eventRef(eventID), in.Channel, in.Source, in.At, touchText(in), touchData(in), key)
			return Landing{Outcome: LandedIgnored}, translate(err, "call touch")
		default:
			if landing, err = l.open(ctx, tx, eventID, in, ids, who); err != nil {
				return Landing{}, err
			}
		}
	default:
		return Landing{}, translate(err, "call touch")
	}
	switch {
	case landing.LeadID != 0:
		return landing, l.callEffects(ctx, tx, "lead_id", landing.LeadID, key, in, &d)
	case landing.DealID != 0:
		return landing, l.callEffects(ctx, tx, "deal_id", landing.DealID, key, in, &d)
	}
	return landing, nil
}

// callEffects does what the call, as known so far, asks of the lead's
// manager. Each effect is keyed by the call, so a repeated or late event
// changes nothing twice.
//
// on is "lead_id" or "deal_id": what the call landed on.
func (l *Lander) callEffects(ctx context.Context, tx pgx.Tx, on string, id int64, key string, in *Inbound, d *callData) error {
	var managerID, contactID *int64
	var status string
	q := `SELECT manager_id, contact_id, status FROM leads WHERE id = $1 FOR UPDATE`
	if on == "deal_id" {
		q = `SELECT manager_id, contact_id, 'deal' FROM deals WHERE id = $1 FOR UPDATE`
	}
	if err := tx.QueryRow(ctx, q, id).Scan(&managerID, &contactID, &status); err != nil {
		return translate(err, on)
	}
	leadID := id // the target, lead or deal, in the statements below
	// What the call did happened at its event's time (at); what it asks of
	// the manager is due from now, when they can see it (arrival.go).
	now := l.Now()
	at := arrival(in, now)
	client := d.Phone
	if in.Call.State == "ringing" && d.Direction == "in" && !d.ended() && managerID != nil {
		ring := CallIncoming{ManagerID: *managerID, ContactID: contactID, Phone: client,
			Line: d.Line, Returning: contactID != nil, CallID: d.ID}
		ring.LeadID, ring.DealID = leadOrDeal(on, id)
		if err := Enqueue(ctx, tx, "call.incoming:"+key, ring); err != nil {
			return err
		}
	}
	if d.ended() && d.Direction == "in" && !d.Answered {
		missed := CallMissed{CallID: d.ID, ManagerID: managerID, ContactID: contactID, Phone: client, Line: d.Line,
			Disposition: d.Disposition, At: at}
		missed.LeadID, missed.DealID = leadOrDeal(on, id)
		if err := Enqueue(ctx, tx, "call.missed:"+key, missed); err != nil {
			return err
		}
	}
	// A person talked to the client: the new lead is being worked, and
	// its SLA clock stops, whichever side called. It was taken when the
	// call said so (never before the lead began), not when the event was
	// processed: the speed report counts the answer from it.
	if d.Answered && status == StatusNew {
		if _, err := tx.Exec(ctx, `UPDATE leads SET status = 'in_progress', sla_due_at = NULL,
			status_changed_at = greatest(created_at, $2), updated_at = $3 WHERE id = $1`, leadID, at, now); err != nil {
			return translate(err, "lead")
		}
		if err := enqueueStatus(ctx, tx, leadID, StatusNew, StatusInProgress, managerID, now); err != nil {
			return err
		}
	}
	if managerID == nil {
		return nil // queued: whoever takes the lead sees the call in its history
	}
	data := map[string]any{"direction": d.Direction, "duration": d.Duration, "extension": d.Extension,
		"disposition": d.Disposition, "recording_url": d.RecordingURL, "phone": client, "line": d.Line}
	switch {
	case d.ended() && d.Answered:
		began := d.began()
		subject := fmt.Sprintf("Incoming call, %d:%02d", d.Duration/60, d.Duration%60)
		if d.Direction == "out" {
			subject = fmt.Sprintf("Outgoing call, %d:%02d", d.Duration/60, d.Duration%60)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO activities (type, subject, `+on+`, contact_id, manager_id, due_at, done_at,
				outcome, call_key, data, created_at)
			VALUES ('call', $1, $2, $3, $4, $5, $5, 'answered', $6, $7, $8)
			ON CONFLICT (call_key) WHERE call_key IS NOT NULL DO UPDATE SET subject = $1, data = $7, due_at = $5, done_at = $5`,
			subject, leadID, contactID, *managerID, began, key, data, at); err != nil {
			return translate(err, "call activity")
		}
		// They have talked: the calls still planned for the lead are done
		// by this one, and the SLA clock stops.
		if _, err := tx.Exec(ctx, `UPDATE activities SET done_at = $2, outcome = 'answered: ' || $3
			WHERE `+on+` = $1 AND type = 'call' AND done_at IS NULL AND (call_key IS NULL OR call_key <> $3)`,
			leadID, at, key); err != nil {
			return translate(err, "activities")
		}
		if on == "deal_id" {
			return nil
		}
		_, err := tx.Exec(ctx, `UPDATE leads SET sla_due_at = NULL WHERE id = $1`, leadID)
		return translate(err, "lead")
	case d.ended() && d.Direction == "in":
		// A missed call is the most urgent thing there is: the lead's open
		// call falls due now, or a call-back is made for it.
		// It is due now, and overdue only after the grace period: a
		// manager who calls back within it has not let the client wait.
		grace := l.grace()
		tag, err := tx.Exec(ctx, `UPDATE activities SET due_at = least(due_at, $2), subject = 'Missed call: call back',
				reminded_at = NULL, data = data || $3, grace = $4
			WHERE id = (SELECT id FROM activities WHERE `+on+` = $1 AND type = 'call' AND done_at IS NULL ORDER BY due_at LIMIT 1)`,
			leadID, now, data, grace)
		if err != nil || tag.RowsAffected() > 0 {
			return translate(err, "call-back")
		}
		_, err = tx.Exec(ctx, `INSERT INTO activities (type, subject, `+on+`, contact_id, manager_id, due_at, call_key, data, created_at, grace)
			VALUES ('call', 'Missed call: call back', $1, $2, $3, $4, $5, $6, $8, $7) ON CONFLICT DO NOTHING`,
			leadID, contactID, *managerID, now, key, data, grace, at)
		return translate(err, "call-back")
	}
	return nil
}

// leadOrDeal puts id where on says the call landed.
func leadOrDeal(on string, id int64) (lead, deal *int64) {
	if on == "deal_id" {
		return nil, &id
	}
	return &id, nil
}
