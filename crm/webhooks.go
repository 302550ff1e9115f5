package crm

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// Outgoing webhooks: admins subscribe endpoints to event types; the
// webhooks consumer of the outbox turns each event into one message per
// subscribed endpoint (notify/webhook), and a sender posts each message,
// signed, until it is answered 2xx or its schedule is spent.

// The webhook event types.
const (
	EventLeadCreated       = "lead.created"
	EventLeadAssigned      = "lead.assigned"
	EventLeadStatusChanged = "lead.status_changed"
	EventLeadConverted     = "lead.converted"
	EventDealCreated       = "deal.created"
	EventDealStageChanged  = "deal.stage_changed"
	EventDealWon           = "deal.won"
	EventDealLost          = "deal.lost"
	EventPaymentReceived   = "payment.received"
	EventCallMissed        = "call.missed"
	EventActivityOverdue   = "activity.overdue"
	EventDocumentCreated   = "document.created"
)

// WebhookEvents are the event types an endpoint may subscribe to, each
// with the outbox kinds it comes from.
var WebhookEvents = map[string][]string{
	EventLeadCreated:       {KindLeadCreated},
	EventLeadAssigned:      {KindLeadAssigned},
	EventLeadStatusChanged: {KindLeadStatusChanged, KindLeadConverted},
	EventLeadConverted:     {KindLeadConverted},
	EventDealCreated:       {KindDealCreated},
	EventDealStageChanged:  {KindDealStageChanged},
	EventDealWon:           {KindDealStageChanged},
	EventDealLost:          {KindDealStageChanged},
	EventPaymentReceived:   {KindPaymentReceived},
	EventCallMissed:        {KindCallMissed},
	EventActivityOverdue:   {KindActivityOverdue},
	EventDocumentCreated:   {KindDocumentCreated},
}

// WebhookEventTypes lists the event types, sorted.
func WebhookEventTypes() []string {
	out := make([]string, 0, len(WebhookEvents))
	for e := range WebhookEvents {
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}

// WebhookEventsOf returns the event types an outbox message makes: a deal
// moved to a won stage is deal.stage_changed and deal.won; a converted
// lead is lead.converted and lead.status_changed. A kind no event comes
// from makes none.
func WebhookEventsOf(v OutboxKind) []string {
	switch p := v.(type) {
	case DealStageChanged:
		switch p.Semantic {
		case StageWon:
			return []string{EventDealStageChanged, EventDealWon}
		case StageLost:
			return []string{EventDealStageChanged, EventDealLost}
		}
		return []string{EventDealStageChanged}
	case LeadConverted:
		return []string{EventLeadConverted, EventLeadStatusChanged}
	case LeadCreated, LeadAssigned, LeadStatusChanged, DealCreated, PaymentReceived, CallMissed, ActivityOverdue, DocumentCreated:
		return []string{v.OutboxKind()} // the event is named as its kind
	}
	return nil
}

// WebhookEndpoint is a receiver subscribed to events. Secret is shown
// only when it is made (create, rotate).
type WebhookEndpoint struct {
	ID                      int64      `json:"id"`
	URL                     string     `json:"url"`
	Description             string     `json:"description"`
	Events                  []string   `json:"events"`
	Enabled                 bool       `json:"enabled"`
	DisabledAt              *time.Time `json:"disabled_at"`
	DisabledReason          *string    `json:"disabled_reason"`
	FailingSince            *time.Time `json:"failing_since"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at"`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
	Secret                  string     `json:"secret,omitempty"`
}

// WebhookInput creates (URL and Events required) or changes an endpoint.
// Enabled true re-enables a disabled endpoint.
type WebhookInput struct {
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Description *string   `json:"description"`
	Enabled     *bool     `json:"enabled"`
}

// PreviousSecretTTL is how long a rotated-out secret still signs.
const PreviousSecretTTL = 24 * time.Hour

// NewWebhookSecret makes a signing secret: whsec_ and 24 random bytes in
// base64.
func NewWebhookSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

func (in *WebhookInput) validate(create bool) error {
	if create && in.URL == nil {
		return Invalid("url", "is required")
	}
	if create && in.Events == nil {
		return Invalid("events", "is required: at least one of %v", WebhookEventTypes())
	}
	if in.URL != nil {
		u, err := url.Parse(*in.URL)
		switch {
		case len(*in.URL) > 2000:
			return Invalid("url", "at most 2000 characters")
		case err != nil:
			return Invalid("url", "%v", err)
		case u.Scheme != "http" && u.Scheme != "https":
			return Invalid("url", "must be http or https, not %q", u.Scheme)
		case u.Hostname() == "":
			return Invalid("url", "has no host")
		}
	}
	if in.Events != nil {
		if len(*in.Events) == 0 {
			return Invalid("events", "at least one of %v", WebhookEventTypes())
		}
		seen := map[string]bool{}
		out := make([]string, 0, len(*in.Events))
		for _, e := range *in.Events {
			if _, ok := WebhookEvents[e]; !ok {
				return Invalid("events", "unknown event %q; the events are %v", e, WebhookEventTypes())
			}
			if !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
		*in.Events = out
	}
	if in.Description != nil && (utf8.RuneCountInString(*in.Description) > 500 || !utf8.ValidString(*in.Description) ||
		strings.ContainsRune(*in.Description, 0)) {
		return Invalid("description", "at most 500 characters of text")
	}
	return nil
}

const webhookColumns = `id, url, description, events, enabled, disabled_at, disabled_reason, failing_since,
	CASE WHEN previous_expires_at > now() THEN previous_expires_at END, created_at, updated_at`

func scanWebhook(r pgx.Row) (WebhookEndpoint, error) {
	var w WebhookEndpoint
	err := r.Scan(&w.ID, &w.URL, &w.Description, &w.Events, &w.Enabled, &w.DisabledAt, &w.DisabledReason, &w.FailingSince,
		&w.PreviousSecretExpiresAt, &w.CreatedAt, &w.UpdatedAt)
	return w, err
}

// CreateWebhook subscribes an endpoint; the answer holds its secret, the
// one time it is shown. Errors: EINVALID naming the field.
func (s *Store) CreateWebhook(ctx context.Context, in WebhookInput) (WebhookEndpoint, error) {
	if err := in.validate(true); err != nil {
		return WebhookEndpoint{}, err
	}
	desc := ""
	set(&desc, in.Description)
	secret := NewWebhookSecret()
	var w WebhookEndpoint
	err := s.webhookTx(ctx, func(tx pgx.Tx) error {
		var err error
		w, err = scanWebhook(tx.QueryRow(ctx, `INSERT INTO webhook_endpoints (url, description, events, secret, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5) RETURNING `+webhookColumns, *in.URL, desc, *in.Events, secret, s.now()))
		return translate(err, "webhook")
	})
	w.Secret = secret
	return w, err
}

// Webhooks lists the endpoints, oldest first.
func (s *Store) Webhooks(ctx context.Context) ([]WebhookEndpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+webhookColumns+` FROM webhook_endpoints ORDER BY id`)
	if err != nil {
		return nil, translate(err, "webhooks")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebhookEndpoint, error) { return scanWebhook(r) })
	return out, translate(err, "webhooks")
}

// Webhook returns one endpoint. Errors: ENOTFOUND.
func (s *Store) Webhook(ctx context.Context, id int64) (WebhookEndpoint, error) {
	w, err := scanWebhook(s.pool.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhook_endpoints WHERE id = $1`, id))
	return w, translate(err, "webhook")
}

// UpdateWebhook changes what is given; enabling a disabled endpoint
// clears its failure. Errors: EINVALID naming the field, ENOTFOUND.
func (s *Store) UpdateWebhook(ctx context.Context, id int64, in WebhookInput) (WebhookEndpoint, error) {
	if err := in.validate(false); err != nil {
		return WebhookEndpoint{}, err
	}
	var events []string
	if in.Events != nil {
		events = *in.Events
	}
	var w WebhookEndpoint
	err := s.webhookTx(ctx, func(tx pgx.Tx) error {
		var err error
		w, err = scanWebhook(tx.QueryRow(ctx, `UPDATE webhook_endpoints SET url = coalesce($2, url),
				description = coalesce($3, description), events = coalesce($4, events), enabled = coalesce($5, enabled),
				disabled_at = CASE WHEN $5 THEN NULL WHEN NOT $5 THEN coalesce(disabled_at, $6) ELSE disabled_at END,
				disabled_reason = CASE WHEN $5 THEN NULL WHEN NOT $5 THEN coalesce(disabled_reason, 'disabled by an admin') ELSE disabled_reason END,
				failing_since = CASE WHEN $5 THEN NULL ELSE failing_since END,
				updated_at = $6
			WHERE id = $1 RETURNING `+webhookColumns, id, in.URL, in.Description, events, in.Enabled, s.now()))
		if err != nil || w.Enabled {
			return translate(err, "webhook")
		}
		// Disabled: what it is still owed is settled (disabledOwed), as
		// when it is disabled for failing; a replay sends it once enabled.
		// (The endpoint is locked above, its messages after: the lock
		// order of every webhook transaction.)
		_, err = tx.Exec(ctx, `UPDATE webhook_messages SET `+disabledOwed+` WHERE endpoint_id = $1 AND status = 'pending'`, id)
		return translate(err, "webhook messages")
	})
	return w, err
}

// DeleteWebhook removes an endpoint with its messages and attempts.
// Errors: ENOTFOUND.
func (s *Store) DeleteWebhook(ctx context.Context, id int64) error {
	return s.webhookTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM webhook_endpoints WHERE id = $1`, id)
		if err == nil && tag.RowsAffected() == 0 {
			return Errorf(ENOTFOUND, "webhook %d not found", id)
		}
		return translate(err, "webhook")
	})
}

// RotateWebhookSecret gives an endpoint a new secret; the old one still
// signs (a second signature) for PreviousSecretTTL, so the receiver can
// switch without losing a message. Errors: ENOTFOUND.
func (s *Store) RotateWebhookSecret(ctx context.Context, id int64) (WebhookEndpoint, error) {
	secret := NewWebhookSecret()
	now := s.now()
	w, err := scanWebhook(s.pool.QueryRow(ctx, `UPDATE webhook_endpoints SET previous_secret = secret, previous_expires_at = $3,
			secret = $2, updated_at = $4 WHERE id = $1 RETURNING `+webhookColumns, id, secret, now.Add(PreviousSecretTTL), now))
	if err != nil {
		return w, translate(err, "webhook")
	}
	w.Secret = secret
	return w, nil
}

// webhookTx runs a change of endpoints and re-registers the webhooks
// consumer with the kinds the endpoints need, in one transaction (one at
// a time: two changes at once must not register a stale set).
func (s *Store) webhookTx(ctx context.Context, f func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('leadd.webhook_endpoints'))`); err != nil {
			return translate(err, "webhooks")
		}
		if err := f(tx); err != nil {
			return err
		}
		return syncWebhookConsumer(ctx, tx, s.now())
	})
}

// SyncWebhookConsumer registers the webhooks consumer with the kinds the
// endpoints need (none without endpoints, so intake writes no deliveries
// for it). Run at start; endpoint changes do it themselves.
func (s *Store) SyncWebhookConsumer(ctx context.Context) error {
	return s.webhookTx(ctx, func(pgx.Tx) error { return nil })
}

func syncWebhookConsumer(ctx context.Context, tx pgx.Tx, now time.Time) error {
	var events []string
	if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT e ORDER BY e), '{}') FROM webhook_endpoints, unnest(events) e`).
		Scan(&events); err != nil {
		return translate(err, "webhooks")
	}
	kinds := []string{}
	for _, e := range events {
		for _, k := range WebhookEvents[e] {
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
	}
	slices.Sort(kinds)
	return registerConsumer(ctx, tx, ConsumerWebhooks, kinds, now)
}

// WebhookEvent is one event made from an outbox row: its type and the
// body every subscribed endpoint gets.
type WebhookEvent struct {
	OutboxID  int64
	Type      string
	Body      string // {"type", "timestamp", "data"}
	CreatedAt time.Time
}

// FanOutWebhooks files each event as a message to every endpoint
// subscribed to its type (an enabled one's to send, a disabled one's
// skipped, replayable) and settles the webhooks consumer's deliveries of
// the rows done, in one transaction. A repeat files nothing twice. The
// messages to send come back already claimed (their first attempt, for
// lease from now), so the caller sends them at once without claiming.
func (s *Store) FanOutWebhooks(ctx context.Context, events []WebhookEvent, done []int64, now time.Time, lease time.Duration) ([]WebhookMessage, error) {
	ids := make([]int64, len(events))
	types := make([]string, len(events))
	bodies := make([]string, len(events))
	at := make([]time.Time, len(events))
	for i, e := range events {
		ids[i], types[i], bodies[i], at[i] = e.OutboxID, e.Type, e.Body, e.CreatedAt
	}
	var out []WebhookMessage
	err := inTxRetrying(ctx, s.pool, func(tx pgx.Tx) error {
		out = nil
		if len(events) > 0 {
			// The endpoints are read FOR KEY SHARE: one deleted meanwhile
			// is waited for and skipped, not a foreign-key error.
			rows, err := tx.Query(ctx, `WITH e AS (SELECT id, events, enabled FROM webhook_endpoints ORDER BY id FOR KEY SHARE),
				m AS (
					INSERT INTO webhook_messages (msg_id, endpoint_id, outbox_id, event_type, body, created_at,
						status, attempts, next_attempt_at)
					SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.id, x.outbox_id, x.type, x.body, x.at,
						CASE WHEN e.enabled THEN 'pending' ELSE 'skipped' END, CASE WHEN e.enabled THEN 1 ELSE 0 END, $5
					FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[]) AS x (outbox_id, type, body, at)
					JOIN e ON x.type = ANY (e.events)
					ORDER BY x.outbox_id, e.id, x.type
					ON CONFLICT (endpoint_id, outbox_id, event_type) DO NOTHING
					RETURNING id, msg_id, endpoint_id, event_type, body, attempts, created_at, status)
				SELECT m.id, m.msg_id, m.endpoint_id, e.url, m.event_type, m.body, m.attempts, m.created_at, e.secret,
					CASE WHEN e.previous_expires_at > $6 THEN coalesce(e.previous_secret, '') ELSE '' END
				FROM m JOIN webhook_endpoints e ON e.id = m.endpoint_id WHERE m.status = 'pending' ORDER BY m.id`,
				ids, types, bodies, at, now.Add(lease), now)
			if err != nil {
				return translate(err, "webhook messages")
			}
			if out, err = pgx.CollectRows(rows, scanWebhookMessage); err != nil {
				return translate(err, "webhook messages")
			}
		}
		_, err := tx.Exec(ctx, `UPDATE outbox_deliveries SET delivered_at = $2
			WHERE consumer = 'webhooks' AND outbox_id = ANY ($1)`, done, s.now())
		return translate(err, "outbox deliveries")
	})
	return out, err
}

func scanWebhookMessage(r pgx.CollectableRow) (WebhookMessage, error) {
	var m WebhookMessage
	err := r.Scan(&m.ID, &m.MsgID, &m.EndpointID, &m.URL, &m.EventType, &m.Body, &m.Attempts, &m.CreatedAt,
		&m.Secret, &m.PreviousSecret)
	return m, err
}

// WebhookMessage is a message claimed for sending, with what signs it.
type WebhookMessage struct {
	ID             int64
	MsgID          string // the webhook-id
	EndpointID     int64
	URL            string
	EventType      string
	Body           string
	Attempts       int // including this one
	CreatedAt      time.Time
	Secret         string
	PreviousSecret string // "" unless rotated out less than a day ago
}

// disabledOwed settles a message a disabled endpoint was still owed:
// failed, when it was tried; skipped (as what falls due while it is
// disabled is), when not. A replay sends either once it is enabled.
const disabledOwed = `status = CASE WHEN attempts > 0 THEN 'failed' ELSE 'skipped' END,
	last_error = CASE WHEN attempts > 0 THEN 'the endpoint was disabled' ELSE last_error END`

// ClaimWebhookMessages leases up to limit messages due at now: each is
// hidden for lease and its attempt counted, so a sender that dies mid-way
// has its messages sent again after the lease (at least once). A disabled
// endpoint's are not sent: one filed or retried just as it was disabled is
// settled here as disabling settles those it finds (disabledOwed).
func (s *Store) ClaimWebhookMessages(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]WebhookMessage, error) {
	rows, err := s.pool.Query(ctx, `WITH due AS (
			SELECT m.id, e.enabled FROM webhook_messages m JOIN webhook_endpoints e ON e.id = m.endpoint_id
			WHERE m.status = 'pending' AND m.next_attempt_at <= $1
			ORDER BY m.next_attempt_at, m.id LIMIT $2 FOR UPDATE OF m SKIP LOCKED),
		owed AS (UPDATE webhook_messages m SET `+disabledOwed+` FROM due WHERE m.id = due.id AND NOT due.enabled),
		u AS (UPDATE webhook_messages m SET attempts = m.attempts + 1, next_attempt_at = $3 FROM due WHERE m.id = due.id AND due.enabled
			RETURNING m.id, m.msg_id, m.endpoint_id, m.event_type, m.body, m.attempts, m.created_at)
		SELECT u.id, u.msg_id, u.endpoint_id, e.url, u.event_type, u.body, u.attempts, u.created_at, e.secret,
			CASE WHEN e.previous_expires_at > $1 THEN coalesce(e.previous_secret, '') ELSE '' END
		FROM u JOIN webhook_endpoints e ON e.id = u.endpoint_id ORDER BY u.id`, now, limit, now.Add(lease))
	if err != nil {
		return nil, translate(err, "webhook messages")
	}
	out, err := pgx.CollectRows(rows, scanWebhookMessage)
	return out, translate(err, "webhook messages")
}

// WebhookResult is how one attempt went.
type WebhookResult struct {
	MessageID  int64
	EndpointID int64
	Attempt    int
	At         time.Time
	OK         bool
	Code       int // the answer's status; 0: no answer
	Error      string
	Duration   time.Duration
	// NextAt is when to try again after a failure; zero: give up.
	NextAt time.Time
}

// RecordWebhookResults files a batch of attempts, each in the history:
// a success delivers its message and clears its endpoint's failure, a
// failure schedules the next attempt (or gives up) and marks the endpoint
// failing. An endpoint failing for disableAfter is disabled: its pending
// messages fail, and the admins are told through the outbox
// (admin.webhook_disabled).
func (s *Store) RecordWebhookResults(ctx context.Context, rs []WebhookResult, disableAfter time.Duration) error {
	if len(rs) == 0 {
		return nil
	}
	n := len(rs)
	msg, ep, attempt, code, ms := make([]int64, n), make([]int64, n), make([]int32, n), make([]*int32, n), make([]int32, n)
	at, next := make([]time.Time, n), make([]*time.Time, n)
	ok, status, errs := make([]bool, n), make([]string, n), make([]*string, n)
	health := map[int64]WebhookResult{} // each endpoint's latest outcome
	for i, r := range rs {
		msg[i], ep[i], attempt[i], at[i], ok[i], ms[i] = r.MessageID, r.EndpointID, int32(r.Attempt), r.At, r.OK, int32(r.Duration.Milliseconds())
		status[i] = "failed"
		if r.OK {
			status[i] = "succeeded"
		}
		if r.Code != 0 {
			c := int32(r.Code)
			code[i] = &c
		}
		if r.Error != "" {
			e := clipText(r.Error, 500)
			errs[i] = &e
		}
		if !r.OK && !r.NextAt.IsZero() {
			t := r.NextAt
			next[i] = &t
		}
		if h, seen := health[r.EndpointID]; !seen || !r.At.Before(h.At) {
			health[r.EndpointID] = r
		}
	}
	eps := make([]int64, 0, len(health))
	for id := range health {
		eps = append(eps, id)
	}
	slices.Sort(eps)
	// A deadlock broken by Postgres is tried again: the attempts were made
	// and answered, and unrecorded they would be sent once more. (The
	// lock order below leaves none to break; this is the belt.)
	return inTxRetrying(ctx, s.pool, func(tx pgx.Tx) error {
		// The lock order of the webhook tables, in every transaction that
		// waits for more than one row: endpoints (in id order), then
		// their messages (in id order). Disabling an endpoint fails all
		// its pending messages, and deleting one deletes them: whoever
		// holds an endpoint may take any of its messages, so nobody may
		// hold a message while waiting for its endpoint.
		if _, err := tx.Exec(ctx, `SELECT id FROM webhook_endpoints WHERE id = ANY ($1) ORDER BY id FOR NO KEY UPDATE`, eps); err != nil {
			return translate(err, "webhooks")
		}
		// A message claimed twice (its lease ran out mid-send) is
		// recorded by one at a time.
		if _, err := tx.Exec(ctx, `SELECT id FROM webhook_messages WHERE id = ANY ($1) ORDER BY id FOR UPDATE`, msg); err != nil {
			return translate(err, "webhook messages")
		}
		// A message whose endpoint was deleted meanwhile is gone: its
		// attempt has nothing to be recorded on.
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_attempts (message_id, endpoint_id, attempt, at, status, response_code, error, duration_ms)
			SELECT x.* FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::timestamptz[], $5::text[], $6::int[], $7::text[], $8::int[])
				AS x (message_id, endpoint_id, attempt, at, status, response_code, error, duration_ms)
			WHERE EXISTS (SELECT 1 FROM webhook_messages m WHERE m.id = x.message_id)`,
			msg, ep, attempt, at, status, code, errs, ms); err != nil {
			return translate(err, "webhook attempts")
		}
		// A success is the truth even for a message given up meanwhile
		// (its endpoint disabled while it was on its way): the receiver
		// has it.
		if _, err := tx.Exec(ctx, `WITH x AS (SELECT * FROM unnest($1::bigint[], $2::bool[], $3::timestamptz[], $4::timestamptz[], $5::text[])
				AS x (id, ok, at, next, err) ORDER BY id)
			UPDATE webhook_messages m SET
				status = CASE WHEN x.ok THEN 'delivered' WHEN x.next IS NULL THEN 'failed' ELSE 'pending' END,
				delivered_at = CASE WHEN x.ok THEN x.at END,
				next_attempt_at = coalesce(x.next, m.next_attempt_at),
				last_error = CASE WHEN x.ok THEN NULL ELSE x.err END
			FROM x WHERE m.id = x.id AND (m.status = 'pending' OR x.ok AND m.status <> 'delivered')`,
			msg, ok, at, next, errs); err != nil {
			return translate(err, "webhook messages")
		}
		for _, id := range eps {
			if err := endpointHealth(ctx, tx, id, health[id], disableAfter); err != nil {
				return err
			}
		}
		return nil
	})
}

// endpointHealth clears an endpoint's failure on a success, and on a
// failure starts it or, once it has lasted disableAfter, disables the
// endpoint and tells the admins.
func endpointHealth(ctx context.Context, tx pgx.Tx, id int64, h WebhookResult, disableAfter time.Duration) error {
	if h.OK {
		_, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, id)
		return translate(err, "webhook")
	}
	var since time.Time
	var enabled bool
	var u string
	err := tx.QueryRow(ctx, `UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, $2) WHERE id = $1
		RETURNING failing_since, enabled, url`, id, h.At).Scan(&since, &enabled, &u)
	if err == pgx.ErrNoRows {
		return nil // deleted meanwhile
	}
	if err != nil || !enabled || h.At.Sub(since) < disableAfter {
		return translate(err, "webhook")
	}
	reason := fmt.Sprintf("failing since %s: %s", since.UTC().Format(time.RFC3339), clipText(h.Error, 300))
	if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET enabled = false, disabled_at = $2, disabled_reason = $3, updated_at = $2
		WHERE id = $1`, id, h.At, reason); err != nil {
		return translate(err, "webhook")
	}
	if _, err := tx.Exec(ctx, `UPDATE webhook_messages SET `+disabledOwed+` WHERE endpoint_id = $1 AND status = 'pending'`, id); err != nil {
		return translate(err, "webhook messages")
	}
	return Enqueue(ctx, tx, fmt.Sprintf("webhook.disabled:%d:%d", id, h.At.UnixNano()),
		WebhookDisabled{EndpointID: id, URL: u, Reason: clipText(h.Error, 300), FailingSince: since})
}

func clipText(s string, n int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// WebhookAttempt is one attempt to deliver a message, as the API shows it.
type WebhookAttempt struct {
	ID           int64     `json:"id"`
	MessageID    string    `json:"message_id"` // the webhook-id
	EventType    string    `json:"event_type"`
	Attempt      int       `json:"attempt"`
	At           time.Time `json:"at"`
	Status       string    `json:"status"` // succeeded, failed
	ResponseCode *int      `json:"response_code"`
	Error        *string   `json:"error"`
	DurationMS   int       `json:"duration_ms"`
	// MessageStatus is where the message stands now: pending, delivered,
	// failed (given up) or skipped.
	MessageStatus string `json:"message_status"`
}

// WebhookAttempts lists an endpoint's attempts, newest first: at most
// limit, before the attempt id before (0: from the newest). Errors:
// ENOTFOUND (the endpoint).
func (s *Store) WebhookAttempts(ctx context.Context, endpointID, before int64, limit int) ([]WebhookAttempt, error) {
	if _, err := s.Webhook(ctx, endpointID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT a.id, m.msg_id, m.event_type, a.attempt, a.at, a.status, a.response_code, a.error,
			a.duration_ms, m.status
		FROM webhook_attempts a JOIN webhook_messages m ON m.id = a.message_id
		WHERE a.endpoint_id = $1 AND ($2 = 0 OR a.id < $2) ORDER BY a.id DESC LIMIT $3`, endpointID, before, limit)
	if err != nil {
		return nil, translate(err, "webhook attempts")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebhookAttempt, error) {
		var a WebhookAttempt
		err := r.Scan(&a.ID, &a.MessageID, &a.EventType, &a.Attempt, &a.At, &a.Status, &a.ResponseCode, &a.Error,
			&a.DurationMS, &a.MessageStatus)
		return a, err
	})
	return out, translate(err, "webhook attempts")
}

// ReplayWebhook sends again every message of an endpoint whose event
// happened in [from, to) — delivered, given up or skipped alike, with the
// same webhook-id, so a receiver that already has one can tell. It
// returns how many. Errors: ENOTFOUND, EINVALID (from not before to),
// ECONFLICT (the endpoint is disabled: enable it first).
func (s *Store) ReplayWebhook(ctx context.Context, endpointID int64, from, to time.Time) (int, error) {
	if !from.Before(to) {
		return 0, Invalid("to", "must be after from")
	}
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The endpoint before its messages: the lock order of the
		// webhook tables (RecordWebhookResults).
		var enabled bool
		err := tx.QueryRow(ctx, `SELECT enabled FROM webhook_endpoints WHERE id = $1 FOR NO KEY UPDATE`, endpointID).Scan(&enabled)
		if err != nil {
			return translate(err, "webhook")
		}
		if !enabled {
			return Errorf(ECONFLICT, "webhook %d is disabled: enable it (PATCH {\"enabled\": true}) before replaying", endpointID)
		}
		tag, err := tx.Exec(ctx, `UPDATE webhook_messages SET status = 'pending', attempts = 0, next_attempt_at = '-infinity',
				last_error = NULL
			WHERE endpoint_id = $1 AND created_at >= $2 AND created_at < $3 AND status <> 'pending'`, endpointID, from, to)
		n = tag.RowsAffected()
		return translate(err, "webhook messages")
	})
	return int(n), err
}

// PruneWebhooks deletes messages (and their attempts) of events before
// before that are no longer pending; it returns how many.
func PruneWebhooks(ctx context.Context, tx pgx.Tx, before time.Time) (int, error) {
	// A message being recorded (locked) is left for the next prune.
	tag, err := tx.Exec(ctx, `DELETE FROM webhook_messages WHERE id IN (
		SELECT id FROM webhook_messages WHERE created_at < $1 AND status <> 'pending' FOR UPDATE SKIP LOCKED)`, before)
	return int(tag.RowsAffected()), translate(err, "webhook messages")
}
