package crm

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ActivityInput plans an activity by hand: a call, a meeting with
// colleagues, a task, an e-mail to write.
type ActivityInput struct {
	Type         string    `json:"type"`
	Subject      string    `json:"subject"`
	LeadID       *int64    `json:"lead_id"`
	DealID       *int64    `json:"deal_id"`
	ManagerID    int64     `json:"manager_id"`
	DueAt        time.Time `json:"due_at"`
	Minutes      int       `json:"minutes"`      // how long (default: 15, a meeting 60)
	Participants []int64   `json:"participants"` // other managers in a meeting
}

// CreateActivity plans an activity. Errors: EINVALID naming the field.
func (s *Store) CreateActivity(ctx context.Context, in ActivityInput) (Activity, error) {
	if !slices.Contains([]string{ActivityCall, ActivityMeeting, ActivityTask, ActivityEmail}, in.Type) {
		return Activity{}, Invalid("type", "must be call, meeting, task or email, not %q", in.Type)
	}
	if strings.TrimSpace(in.Subject) == "" {
		return Activity{}, Invalid("subject", "is required")
	}
	if in.DueAt.IsZero() {
		return Activity{}, Invalid("due_at", "is required (RFC 3339)")
	}
	if in.ManagerID <= 0 {
		return Activity{}, Invalid("manager_id", "is required: whose activity it is")
	}
	if in.Minutes == 0 {
		in.Minutes = 15
		if in.Type == ActivityMeeting {
			in.Minutes = 60
		}
	}
	if in.Minutes < 1 || in.Minutes > 24*60 {
		return Activity{}, Invalid("minutes", "must be between 1 and 1440")
	}
	if len(in.Participants) > 0 && in.Type != ActivityMeeting {
		return Activity{}, Invalid("participants", "only a meeting has participants")
	}
	ids := append([]int64{in.ManagerID}, in.Participants...)
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(DISTINCT id) FROM managers WHERE id = ANY($1) AND active`, ids).Scan(&n); err != nil {
		return Activity{}, translate(err, "managers")
	}
	if n != len(uniq(ids)) {
		return Activity{}, Invalid("participants", "every manager and participant must be an active manager")
	}
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO activities (type, subject, lead_id, deal_id, contact_id, manager_id, due_at, duration, participants)
		VALUES ($1, $2, $3, $4, coalesce((SELECT contact_id FROM deals WHERE id = $4), (SELECT contact_id FROM leads WHERE id = $3)),
			$5, $6, make_interval(mins => $7), $8) RETURNING id`,
		in.Type, strings.TrimSpace(in.Subject), in.LeadID, in.DealID, in.ManagerID, in.DueAt.UTC(), in.Minutes, nonNil(uniq(in.Participants))).Scan(&id)
	if err != nil {
		return Activity{}, translate(err, "activity")
	}
	return s.Activity(ctx, id)
}

func uniq(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// SecretHash is how a secret (a calendar feed's address, a Telegram link
// code) is stored: the hex SHA-256, so that only its holder knows it.
func SecretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// RotateCalendarSecret makes a new secret for a manager's calendar feed and
// returns it; the old address stops working. Only its hash is kept, so the
// secret is shown this once. Errors: ENOTFOUND.
func (s *Store) RotateCalendarSecret(ctx context.Context, managerID int64) (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("calendar secret: %w", err)
	}
	secret := hex.EncodeToString(b)
	tag, err := s.pool.Exec(ctx, `UPDATE managers SET calendar_secret_hash = $2, calendar_secret_at = $3 WHERE id = $1`,
		managerID, SecretHash(secret), s.now())
	if err != nil {
		return "", translate(err, "manager")
	}
	if tag.RowsAffected() == 0 {
		return "", Errorf(ENOTFOUND, "manager not found")
	}
	return secret, nil
}

// CalendarSecretAt is when a manager's calendar secret was made; nil when
// the manager has none. Errors: ENOTFOUND.
func (s *Store) CalendarSecretAt(ctx context.Context, managerID int64) (*time.Time, error) {
	var at *time.Time
	err := s.pool.QueryRow(ctx, `SELECT calendar_secret_at FROM managers WHERE id = $1`, managerID).Scan(&at)
	return at, translate(err, "manager")
}

// CalendarEvent is an activity as a calendar shows it.
type CalendarEvent struct {
	ID           int64
	Type         string
	Subject      string
	Start, End   time.Time
	Done         bool
	LeadID       *int64
	DealID       *int64
	Participants []int64
	Updated      time.Time
}

// CalendarFeed returns the manager behind a feed secret and their meetings
// and calls (theirs and those they take part in) from 30 days back to 180
// ahead. Errors: ENOTFOUND for an unknown secret.
func (s *Store) CalendarFeed(ctx context.Context, token string) (Manager, []CalendarEvent, error) {
	var id int64
	if err := s.pool.QueryRow(ctx, `SELECT id FROM managers WHERE calendar_secret_hash = $1`, SecretHash(token)).Scan(&id); err != nil {
		return Manager{}, nil, translate(err, "calendar")
	}
	m, err := s.Manager(ctx, id)
	if err != nil {
		return Manager{}, nil, err
	}
	now := s.now()
	events, err := s.busy(ctx, []int64{id}, now.AddDate(0, 0, -30), now.AddDate(0, 0, 180), true)
	return m, events[id], err
}

// busy returns the meetings and calls of each manager overlapping
// [from, to); done ones only when withDone.
func (s *Store) busy(ctx context.Context, ids []int64, from, to time.Time, withDone bool) (map[int64][]CalendarEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, type, subject, due_at, due_at + duration, done_at IS NOT NULL, lead_id, deal_id,
			participants, manager_id, coalesce(done_at, created_at)
		FROM activities
		WHERE (manager_id = ANY($1) OR (cardinality(participants) > 0 AND participants && $1)) AND type IN ('meeting', 'call')
		  AND due_at < $3 AND due_at + duration > $2 AND ($4 OR done_at IS NULL)
		ORDER BY due_at`, ids, from, to, withDone)
	if err != nil {
		return nil, translate(err, "calendar")
	}
	defer rows.Close()
	out := map[int64][]CalendarEvent{}
	for rows.Next() {
		var e CalendarEvent
		var owner int64
		if err := rows.Scan(&e.ID, &e.Type, &e.Subject, &e.Start, &e.End, &e.Done, &e.LeadID, &e.DealID, &e.Participants, &owner, &e.Updated); err != nil {
			return nil, err
		}
		for _, id := range ids {
			if id == owner || slices.Contains(e.Participants, id) {
				out[id] = append(out[id], e)
			}
		}
	}
	return out, translate(rows.Err(), "calendar")
}

// Slot is a time free for everyone asked.
type Slot struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// FreeSlots finds times of the given length, on a 15-minute grid, when
// every one of the managers is within working hours (their own, in their
// own time zones), not on time off, and has no open meeting or call. At
// most 50. Errors: EINVALID, ENOTFOUND.
func (s *Store) FreeSlots(ctx context.Context, ids []int64, length time.Duration, from, to time.Time) ([]Slot, error) {
	switch {
	case len(ids) == 0:
		return nil, Invalid("managers", "name at least one manager")
	case length < 15*time.Minute || length > 8*time.Hour:
		return nil, Invalid("duration", "must be between 15m and 8h")
	case !to.After(from) || to.Sub(from) > 31*24*time.Hour:
		return nil, Invalid("to", "the window must end after it starts and span at most 31 days")
	}
	schedules := map[int64]*Schedule{}
	for _, id := range ids {
		m, err := s.Manager(ctx, id)
		if err != nil {
			return nil, err
		}
		schedules[id] = m.Schedule()
	}
	busy, err := s.busy(ctx, ids, from, to, false)
	if err != nil {
		return nil, err
	}
	const step = 15 * time.Minute
	start := from.UTC().Truncate(step)
	if start.Before(from) {
		start = start.Add(step)
	}
	var out []Slot
	for t := start; !t.Add(length).After(to) && len(out) < 50; t = t.Add(step) {
		if free(t, t.Add(length), ids, schedules, busy) {
			out = append(out, Slot{Start: t, End: t.Add(length)})
		}
	}
	return out, nil
}

func free(start, end time.Time, ids []int64, schedules map[int64]*Schedule, busy map[int64][]CalendarEvent) bool {
	for _, id := range ids {
		for t := start; t.Before(end); t = t.Add(time.Minute * 5) {
			if !schedules[id].Working(t) {
				return false
			}
		}
		for _, e := range busy[id] {
			if e.Start.Before(end) && e.End.After(start) {
				return false
			}
		}
	}
	return true
}
