package crm

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// LinkCodeTTL is how long a Telegram link code may be used.
const LinkCodeTTL = 24 * time.Hour

// CreateLinkCode makes a one-time code the manager sends to the bot
// ("/start <code>") to link their private chat. Only its hash is kept: the
// code is shown this once. Errors: ENOTFOUND.
func (s *Store) CreateLinkCode(ctx context.Context, managerID int64) (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("link code: %w", err)
	}
	code := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	now := s.now()
	_, err := s.pool.Exec(ctx, `INSERT INTO telegram_link_codes (code_hash, manager_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		SecretHash(code), managerID, now, now.Add(LinkCodeTTL))
	if err != nil {
		if ErrorCode(translate(err, "")) == EINVALID {
			return "", Errorf(ENOTFOUND, "manager not found")
		}
		return "", translate(err, "link code")
	}
	return code, nil
}

// LinkTelegram spends a link code: the manager's Telegram chat becomes
// chatID (unlinked from anyone who had it) and they are reachable again.
// Errors: ENOTFOUND for an unknown, used or expired code (one answer for
// all three, so a guess learns nothing).
func (s *Store) LinkTelegram(ctx context.Context, code string, chatID int64) (Manager, error) {
	var managerID int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now()
		err := tx.QueryRow(ctx, `UPDATE telegram_link_codes SET used_at = $2, chat_id = $3
			WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING manager_id`,
			SecretHash(strings.ToLower(strings.TrimSpace(code))), now, chatID).Scan(&managerID)
		if err != nil {
			return translate(err, "link code")
		}
		if _, err := tx.Exec(ctx, `UPDATE managers SET telegram_chat_id = NULL, updated_at = $3
			WHERE telegram_chat_id = $1 AND id <> $2`, chatID, managerID, now); err != nil {
			return translate(err, "manager")
		}
		_, err = tx.Exec(ctx, `UPDATE managers SET telegram_chat_id = $2, unreachable_at = NULL, updated_at = $3 WHERE id = $1`,
			managerID, chatID, now)
		return translate(err, "manager")
	})
	if err != nil {
		return Manager{}, err
	}
	return s.Manager(ctx, managerID)
}

// ManagerByTelegram returns the active manager linked to a Telegram chat.
// Errors: ENOTFOUND (nobody, or an inactive manager).
func (s *Store) ManagerByTelegram(ctx context.Context, chatID int64) (Manager, error) {
	m, err := scanManager(s.pool.QueryRow(ctx, `SELECT `+managerColumns+managerFrom+` WHERE m.telegram_chat_id = $1 AND m.active`, chatID))
	return m, translate(err, "manager")
}

// MarkTelegramReachable clears a manager's unreachable mark: they wrote to
// the bot, so it can write to them. When there was a mark, in the same
// transaction, they are sent what they missed (manager.back) and it
// returns true.
func (s *Store) MarkTelegramReachable(ctx context.Context, managerID int64) (bool, error) {
	back := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var since time.Time
		err := tx.QueryRow(ctx, `UPDATE managers m SET unreachable_at = NULL
			FROM (SELECT id, unreachable_at FROM managers WHERE id = $1 AND unreachable_at IS NOT NULL FOR UPDATE) old
			WHERE m.id = old.id RETURNING old.unreachable_at`, managerID).Scan(&since)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return translate(err, "manager")
		}
		back = true
		return Enqueue(ctx, tx, fmt.Sprintf("back:%d:%d", managerID, since.UnixNano()), ManagerBack{ManagerID: managerID, Since: since})
	})
	return back, err
}

// Missed is what a manager did not get while Telegram could not reach
// them: their open leads (those left with them, and any given them since)
// and the clients' messages that were not delivered.
type Missed struct {
	Leads    []MissedLead
	Messages []MessengerMessage
	// Notices counts the other messages not delivered (reminders, cards).
	Notices int
}

// MissedLead is an open lead in a manager's list.
type MissedLead struct {
	ID        int64
	Status    string
	Name      string
	Phones    []string
	CreatedAt time.Time
}

// TelegramMissed returns what a manager missed since: their open leads,
// new ones first (at most 30), and what the outbox did not deliver to
// them for Telegram's refusal.
func (s *Store) TelegramMissed(ctx context.Context, managerID int64, since time.Time) (Missed, error) {
	var out Missed
	rows, err := s.pool.Query(ctx, `SELECT id, status, name, phones, created_at FROM leads
		WHERE manager_id = $1 AND status IN ('new', 'in_progress') ORDER BY status <> 'new', id LIMIT 30`, managerID)
	if err != nil {
		return out, translate(err, "leads")
	}
	out.Leads, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (MissedLead, error) {
		var l MissedLead
		return l, r.Scan(&l.ID, &l.Status, &l.Name, &l.Phones, &l.CreatedAt)
	})
	if err != nil {
		return out, translate(err, "leads")
	}
	rows, err = s.pool.Query(ctx, `SELECT o.kind, o.payload FROM outbox o
		JOIN outbox_deliveries d ON d.outbox_id = o.id AND d.consumer = 'telegram'
		WHERE o.created_at >= $2 AND d.delivered_at IS NOT NULL
		  AND (d.last_error LIKE 'unreachable:%' OR d.last_error = 'manager unreachable in telegram')
		  AND o.payload->>'manager_id' = $1
		ORDER BY o.id`, strconv.FormatInt(managerID, 10), since)
	if err != nil {
		return out, translate(err, "outbox")
	}
	type row struct {
		kind    string
		payload []byte
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.kind, &x.payload)
	})
	if err != nil {
		return out, translate(err, "outbox")
	}
	for _, x := range list {
		if v, err := DecodeOutbox(x.kind, x.payload); err == nil {
			if m, ok := v.(MessengerMessage); ok {
				out.Messages = append(out.Messages, m)
				continue
			}
		}
		out.Notices++
	}
	return out, nil
}

// Recipient is who a Telegram message goes to.
type Recipient struct {
	ManagerID     int64
	Name          string
	Role          string
	TimeZone      string
	ChatID        *int64
	UnreachableAt *time.Time
}

const recipientColumns = `id, name, role, time_zone, telegram_chat_id, unreachable_at FROM managers`

func scanRecipient(r pgx.Row) (Recipient, error) {
	var x Recipient
	err := r.Scan(&x.ManagerID, &x.Name, &x.Role, &x.TimeZone, &x.ChatID, &x.UnreachableAt)
	return x, err
}

// TelegramRecipient returns a manager's chat and reachability. Errors:
// ENOTFOUND.
func (s *Store) TelegramRecipient(ctx context.Context, managerID int64) (Recipient, error) {
	r, err := scanRecipient(s.pool.QueryRow(ctx, `SELECT `+recipientColumns+` WHERE id = $1`, managerID))
	return r, translate(err, "manager")
}

// TelegramAdmins returns the active admins and supervisors with a
// linked, reachable chat: who hears of the system's own troubles (a
// webhook endpoint disabled).
func (s *Store) TelegramAdmins(ctx context.Context) ([]Recipient, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+recipientColumns+` WHERE role IN ('admin', 'supervisor') AND active
		AND telegram_chat_id IS NOT NULL AND unreachable_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, translate(err, "admins")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Recipient, error) { return scanRecipient(r) })
	return out, translate(err, "admins")
}

// TelegramSupervisors returns the active supervisors with a linked,
// reachable chat.
func (s *Store) TelegramSupervisors(ctx context.Context) ([]Recipient, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+recipientColumns+` WHERE role = 'supervisor' AND active
		AND telegram_chat_id IS NOT NULL AND unreachable_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, translate(err, "supervisors")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Recipient, error) { return scanRecipient(r) })
	return out, translate(err, "supervisors")
}

// MarkTelegramUnreachable records that Telegram refuses to deliver to a
// manager (they blocked the bot, or the chat is gone). With notify, in
// the same transaction, the supervisors are told through the outbox
// (supervisor.manager_unreachable, once per manager and outbox row) and
// Telegram's delivery of the row is settled with the reason.
func (s *Store) MarkTelegramUnreachable(ctx context.Context, managerID int64, row *OutboxMessage, reason string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now()
		var name string
		if err := tx.QueryRow(ctx, `UPDATE managers SET unreachable_at = coalesce(unreachable_at, $2) WHERE id = $1 RETURNING name`,
			managerID, now).Scan(&name); err != nil {
			return translate(err, "manager")
		}
		if err := queueUntaken(ctx, tx, managerID, now); err != nil {
			return err
		}
		if row == nil {
			return nil
		}
		notice := ManagerUnreachable{ManagerID: managerID, ManagerName: name, Reason: reason, Kind: row.Kind, OutboxID: row.ID}
		notice.LeadID, notice.DealID = aboutOf(row)
		if err := Enqueue(ctx, tx, fmt.Sprintf("unreachable:%d:%d", managerID, row.ID), notice); err != nil {
			return err
		}
		return settleOutbox(ctx, tx, ConsumerTelegram, row.ID, "unreachable: "+reason, now)
	})
}

// queueUntaken moves the new leads a manager has not taken to the queue
// (supervisors watch it and take or hand them on): a manager Telegram
// cannot reach would not hear of them, and their SLA would run out first.
func queueUntaken(ctx context.Context, tx pgx.Tx, managerID int64, now time.Time) error {
	rows, err := tx.Query(ctx, `SELECT id, contact_id FROM leads WHERE manager_id = $1 AND status = 'new' ORDER BY id FOR UPDATE`, managerID)
	if err != nil {
		return translate(err, "leads")
	}
	type untaken struct {
		id      int64
		contact *int64
	}
	leads, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (untaken, error) {
		var u untaken
		return u, r.Scan(&u.id, &u.contact)
	})
	if err != nil {
		return translate(err, "leads")
	}
	for _, l := range leads {
		a := Assignment{Strategy: "queue", Candidates: []Candidate{},
			Reason: "the manager cannot be reached in Telegram: queued for a supervisor"}
		if err := recordAssignment(ctx, tx, l.id, l.contact, a, now); err != nil {
			return err
		}
	}
	return nil
}

// aboutOf is the lead and the deal an outbox row is about, when its kind
// names them.
func aboutOf(m *OutboxMessage) (lead, deal *int64) {
	v, err := m.Decode()
	if err != nil {
		return nil, nil
	}
	switch p := v.(type) {
	case LeadAssigned:
		return &p.LeadID, nil
	case CallIncoming:
		return p.LeadID, p.DealID
	case ActivityOverdue:
		return p.LeadID, nil
	case DealTouch:
		return nil, &p.DealID
	case MessengerMessage:
		return p.LeadID, p.DealID
	case PaymentReceived:
		return nil, &p.DealID
	}
	return nil, nil
}

// TelegramSent reports whether an outbox row already reached a chat.
func (s *Store) TelegramSent(ctx context.Context, outboxID, chatID int64) (bool, error) {
	var sent bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM telegram_sent WHERE outbox_id = $1 AND chat_id = $2)`,
		outboxID, chatID).Scan(&sent)
	return sent, translate(err, "telegram sent")
}

// RecordTelegramSent notes that an outbox row reached a chat as a message.
func (s *Store) RecordTelegramSent(ctx context.Context, outboxID, chatID int64, messageID int) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO telegram_sent (outbox_id, chat_id, message_id, sent_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, outboxID, chatID, messageID, s.now())
	return translate(err, "telegram sent")
}

// MessengerThread is the client conversation a message in a manager's
// chat belongs to: the lead (or, once converted, the deal) it is about,
// who answers it now, and the client's Telegram id (0: not in Telegram).
type MessengerThread struct {
	LeadID     *int64
	DealID     *int64
	ContactID  *int64
	ManagerID  *int64
	TelegramID int64
	Name       string
}

// MessengerThreadOf finds the conversation behind a message the bot sent to
// a manager's chat: a forwarded client message (messenger.message), a lead
// card or a deal's touch. Errors: ENOTFOUND (not such a message, or its
// lead or deal is gone).
func (s *Store) MessengerThreadOf(ctx context.Context, chatID int64, messageID int) (MessengerThread, error) {
	var t MessengerThread
	err := s.pool.QueryRow(ctx, `SELECT (o.payload->>'lead_id')::bigint, (o.payload->>'deal_id')::bigint,
			coalesce((o.payload->>'telegram_id')::bigint, 0), coalesce(o.payload->>'name', '')
		FROM telegram_sent s JOIN outbox o ON o.id = s.outbox_id
		WHERE s.chat_id = $1 AND s.message_id = $2 AND o.kind IN ('messenger.message', 'lead.assigned', 'deal.touch')
		LIMIT 1`, chatID, messageID).Scan(&t.LeadID, &t.DealID, &t.TelegramID, &t.Name)
	if err != nil {
		return t, translate(err, "message")
	}
	if t.LeadID != nil {
		// A converted lead's conversation goes on on its deal.
		var status, name string
		var deal *int64
		if err := s.pool.QueryRow(ctx, `SELECT l.status, l.name, l.manager_id, l.contact_id, (SELECT d.id FROM deals d WHERE d.lead_id = l.id ORDER BY d.id LIMIT 1)
			FROM leads l WHERE l.id = $1`, *t.LeadID).Scan(&status, &name, &t.ManagerID, &t.ContactID, &deal); err != nil {
			return t, translate(err, "lead")
		}
		if t.Name == "" {
			t.Name = name
		}
		if status == StatusConverted && deal != nil {
			t.DealID = deal
		} else {
			t.DealID = nil
		}
	}
	if t.DealID != nil {
		if err := s.pool.QueryRow(ctx, `SELECT manager_id, contact_id FROM deals WHERE id = $1`, *t.DealID).
			Scan(&t.ManagerID, &t.ContactID); err != nil {
			return t, translate(err, "deal")
		}
	}
	if t.TelegramID == 0 {
		// A card or a deal's touch does not carry it: the person's identity does.
		var tg *int64
		if err := s.pool.QueryRow(ctx, `SELECT (SELECT substr(identity, 4)::bigint FROM (
				SELECT identity FROM lead_identities WHERE lead_id = $1 AND identity LIKE 'tg:%'
				UNION ALL SELECT identity FROM contact_identities WHERE contact_id = $2 AND identity LIKE 'tg:%') x LIMIT 1)`,
			t.LeadID, t.ContactID).Scan(&tg); err != nil {
			return t, translate(err, "telegram identity")
		}
		if tg != nil {
			t.TelegramID = *tg
		}
	}
	return t, nil
}

// MessengerReply is a manager's answer to a client, already sent through
// the company's bot.
type MessengerReply struct {
	Thread    MessengerThread
	ManagerID int64
	Text      string
	ChatID    int64 // the manager's chat
	MessageID int   // their reply in it: a repeat of it records nothing
	SentID    int   // the message the client got
}

// MessengerReplied reports whether a manager's reply was already sent to
// the client (Telegram repeats an update when the bot stopped before
// confirming it).
func (s *Store) MessengerReplied(ctx context.Context, chatID int64, messageID int) (bool, error) {
	var done bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM messenger_replies WHERE chat_id = $1 AND message_id = $2)`,
		chatID, messageID).Scan(&done)
	return done, translate(err, "messenger reply")
}

// RecordMessengerReply files a manager's answer as an outbound messenger
// touch on the lead or deal and marks its open "Answer the message" done,
// in one transaction; a repeat of the same reply records nothing and
// returns 0. Errors: EINVALID (no lead or deal).
func (s *Store) RecordMessengerReply(ctx context.Context, r MessengerReply) (touchID int64, err error) {
	t := r.Thread
	if t.LeadID == nil && t.DealID == nil {
		return 0, Errorf(EINVALID, "a reply needs a lead or a deal")
	}
	lead := t.LeadID
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now()
		tag, err := tx.Exec(ctx, `INSERT INTO messenger_replies (chat_id, message_id, sent_message_id, at) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, r.ChatID, r.MessageID, r.SentID, now)
		if err != nil || tag.RowsAffected() == 0 {
			return translate(err, "messenger reply")
		}
		data := map[string]any{"manager_id": r.ManagerID, "telegram_id": t.TelegramID, "telegram_message_id": r.SentID}
		if err := tx.QueryRow(ctx, `INSERT INTO touches (lead_id, deal_id, contact_id, channel, kind, source, at, text, data)
			VALUES ($1, $2, $3, 'messenger', 'outbound', 'telegram', $4, $5, $6) RETURNING id`,
			lead, t.DealID, t.ContactID, now, r.Text, data).Scan(&touchID); err != nil {
			return translate(err, "touch")
		}
		if _, err := tx.Exec(ctx, `UPDATE messenger_replies SET touch_id = $3 WHERE chat_id = $1 AND message_id = $2`,
			r.ChatID, r.MessageID, touchID); err != nil {
			return translate(err, "messenger reply")
		}
		if _, err := tx.Exec(ctx, `UPDATE activities SET done_at = $3, outcome = 'done'
			WHERE (lead_id = $1 OR deal_id = $2) AND type = 'email' AND subject = 'Answer the message' AND done_at IS NULL`,
			lead, t.DealID, now); err != nil {
			return translate(err, "activities")
		}
		// The manager is talking with the client: a new lead is taken, and
		// the SLA clock stops.
		tag, err = tx.Exec(ctx, `UPDATE leads SET status = 'in_progress', sla_due_at = NULL, status_changed_at = $2, updated_at = $2
			WHERE id = $1 AND status = 'new'`, lead, now)
		if err != nil || tag.RowsAffected() == 0 || lead == nil {
			return translate(err, "lead")
		}
		return enqueueStatus(ctx, tx, *lead, StatusNew, StatusInProgress, t.ManagerID, now)
	})
	return touchID, err
}

// CardFacts are what a lead's Telegram card says beyond the lead itself:
// whose it is now, since when it stands as it does, its deal, and the
// cards of it already in managers' chats.
type CardFacts struct {
	ManagerName     string // "" while queued
	StatusChangedAt time.Time
	DealID          *int64 // once converted
	Cards           []SentCard
	// JunkReasons name a junk reason in words (leads.junk_reasons).
	JunkReasons []Reason
}

// SentCard is one card of a lead in a chat: sent to ManagerID, as
// MessageID.
type SentCard struct {
	ManagerID int64
	ChatID    int64
	MessageID int
}

// TelegramCardFacts returns a lead's CardFacts. Errors: ENOTFOUND.
func (s *Store) TelegramCardFacts(ctx context.Context, leadID int64) (CardFacts, error) {
	f := CardFacts{JunkReasons: s.JunkReasons()}
	var name *string
	err := s.pool.QueryRow(ctx, `SELECT m.name, l.status_changed_at,
			(SELECT d.id FROM deals d WHERE d.lead_id = l.id ORDER BY d.id LIMIT 1)
		FROM leads l LEFT JOIN managers m ON m.id = l.manager_id WHERE l.id = $1`, leadID).Scan(&name, &f.StatusChangedAt, &f.DealID)
	if err != nil {
		return f, translate(err, "lead")
	}
	if name != nil {
		f.ManagerName = *name
	}
	rows, err := s.pool.Query(ctx, `SELECT (o.payload->>'manager_id')::bigint, s.chat_id, s.message_id
		FROM outbox o JOIN telegram_sent s ON s.outbox_id = o.id
		WHERE o.kind = 'lead.assigned' AND o.payload->>'lead_id' = $1 ORDER BY s.sent_at, s.message_id`, strconv.FormatInt(leadID, 10))
	if err != nil {
		return f, translate(err, "telegram sent")
	}
	f.Cards, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (SentCard, error) {
		var c SentCard
		return c, r.Scan(&c.ManagerID, &c.ChatID, &c.MessageID)
	})
	return f, translate(err, "telegram sent")
}
