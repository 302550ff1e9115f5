package crm

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// CreateDocumentPackage makes one document of each type through
// CreateDocument, so the deal's current documents are reused when the
// deal is unchanged (no second number) and versioned when it changed; the
// contract is made first, so that the others name it as their basis. The
// answer is in the order of types. A deal without lines fails on the first
// and so gets none. Each document is its own transaction: should a later
// one fail (its template, say), the earlier stay issued — numbers are
// never taken back. Errors: EINVALID (no types, an unknown or repeated
// type; a deal without lines), ENOTFOUND (the deal), the maker's errors.
func (s *Store) CreateDocumentPackage(ctx context.Context, dealID int64, types []string, m DocumentMaker) ([]Document, error) {
	if len(types) == 0 {
		return nil, Invalid("types", "the package names no documents")
	}
	seen := map[string]bool{}
	for _, t := range types {
		if !knownDocument(t) {
			return nil, Invalid("types", "must be of %v, not %q", DocumentTypes, t)
		}
		if seen[t] {
			return nil, Invalid("types", "%q is named twice", t)
		}
		seen[t] = true
	}
	order := make([]int, 0, len(types))
	for i, t := range types {
		if t == DocContract {
			order = append([]int{i}, order...)
		} else {
			order = append(order, i)
		}
	}
	made := make([]*Document, len(types))
	for _, i := range order {
		d, _, err := s.CreateDocument(ctx, dealID, types[i], m, DocumentOptions{})
		if err != nil {
			return compact(made), err
		}
		made[i] = &d
	}
	return compact(made), nil
}

// DocumentSend is documents of a deal e-mailed to one address, through
// the outbox: queued when asked, then sent (the SMTP server took it) or
// failed (it would not, or kept refusing), with why.
type DocumentSend struct {
	ID          int64      `json:"id"`
	DealID      int64      `json:"deal_id"`
	DocumentIDs []int64    `json:"document_ids"`
	ContactID   *int64     `json:"contact_id"`
	To          string     `json:"to"`
	ManagerID   *int64     `json:"manager_id"`
	State       string     `json:"state"` // queued, sent, failed
	Attempts    int        `json:"attempts"`
	LastError   *string    `json:"last_error"`
	ActivityID  *int64     `json:"activity_id"`
	CreatedAt   time.Time  `json:"created_at"`
	SentAt      *time.Time `json:"sent_at"`
}

// The states of a send.
const (
	SendQueued = "queued"
	SendSent   = "sent"
	SendFailed = "failed"
)

const (
	sendFields = `id, deal_id, document_ids, contact_id, to_address, manager_id, state, attempts, last_error,
	activity_id, created_at, sent_at`
	sendColumns = sendFields + ` FROM document_sends`
)

func scanSend(r pgx.Row) (DocumentSend, error) {
	var x DocumentSend
	err := r.Scan(&x.ID, &x.DealID, &x.DocumentIDs, &x.ContactID, &x.To, &x.ManagerID, &x.State, &x.Attempts, &x.LastError,
		&x.ActivityID, &x.CreatedAt, &x.SentAt)
	return x, err
}

// QueueDocumentSend files a send of documents of one deal and, in the same
// transaction, its document.email outbox row: the mail consumer sends it.
// Errors: EINVALID (no documents, one not the deal's, no address).
func (s *Store) QueueDocumentSend(ctx context.Context, in DocumentSend) (DocumentSend, error) {
	if len(in.DocumentIDs) == 0 {
		return DocumentSend{}, Invalid("document_ids", "a send needs a document")
	}
	if strings.TrimSpace(in.To) == "" {
		return DocumentSend{}, Invalid("email", "a send needs an address")
	}
	var out DocumentSend
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var theirs int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM documents WHERE id = ANY ($1) AND deal_id = $2`,
			in.DocumentIDs, in.DealID).Scan(&theirs); err != nil {
			return translate(err, "documents")
		}
		if theirs != len(in.DocumentIDs) {
			return Invalid("document_ids", "every document of a send must be deal %d's", in.DealID)
		}
		var err error
		out, err = scanSend(tx.QueryRow(ctx, `INSERT INTO document_sends (deal_id, document_ids, contact_id, to_address, manager_id,
				state, created_at) VALUES ($1, $2, $3, $4, $5, 'queued', $6)
			RETURNING `+sendFields,
			in.DealID, in.DocumentIDs, in.ContactID, in.To, in.ManagerID, s.now()))
		if err != nil {
			return translate(err, "document send")
		}
		return Enqueue(ctx, tx, "document.email:"+strconv.FormatInt(out.ID, 10), DocumentEmail{SendID: out.ID})
	})
	return out, err
}

// DocumentSendByID returns a send. Errors: ENOTFOUND.
func (s *Store) DocumentSendByID(ctx context.Context, id int64) (DocumentSend, error) {
	x, err := scanSend(s.pool.QueryRow(ctx, `SELECT `+sendColumns+` WHERE id = $1`, id))
	return x, translate(err, "document send")
}

// MarkDocumentSent records that the server took a send's letter: the send
// is sent, a done email activity of its manager is on the deal (outcome
// "sent", subject «Отправлен документ <numbers>»), and the mail consumer's
// delivery of outboxID is settled — in one transaction. A send already
// sent changes nothing. Errors: ENOTFOUND.
func (s *Store) MarkDocumentSent(ctx context.Context, sendID, outboxID int64) (DocumentSend, error) {
	var out DocumentSend
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now()
		x, err := scanSend(tx.QueryRow(ctx, `SELECT `+sendColumns+` WHERE id = $1 FOR UPDATE`, sendID))
		if err != nil {
			return translate(err, "document send")
		}
		if x.State == SendQueued {
			var activity *int64
			if x.ManagerID != nil {
				if err := tx.QueryRow(ctx, `INSERT INTO activities (type, subject, deal_id, contact_id, manager_id, due_at, done_at, outcome, created_at)
					SELECT 'email', 'Отправлен документ ' || string_agg(doc.number, ', ' ORDER BY doc.id), d.id, d.contact_id, $3, $4, $4, 'sent', $4
					FROM documents doc JOIN deals d ON d.id = doc.deal_id WHERE doc.id = ANY ($1) AND d.id = $2
					GROUP BY d.id, d.contact_id RETURNING id`, x.DocumentIDs, x.DealID, *x.ManagerID, now).Scan(&activity); err != nil {
					return translate(err, "activity")
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE document_sends SET state = 'sent', sent_at = $2, activity_id = $3, last_error = NULL
				WHERE id = $1`, sendID, now, activity); err != nil {
				return translate(err, "document send")
			}
		}
		if err := settleOutbox(ctx, tx, ConsumerMail, outboxID, "", now); err != nil {
			return err
		}
		out, err = scanSend(tx.QueryRow(ctx, `SELECT `+sendColumns+` WHERE id = $1`, sendID))
		return translate(err, "document send")
	})
	return out, err
}

// FailDocumentSend records a failed attempt of a send: with retryAt it
// waits for another (the mail consumer's delivery of outboxID comes back
// then); without, the send is failed and the delivery a dead letter.
func (s *Store) FailDocumentSend(ctx context.Context, sendID, outboxID int64, reason string, retryAt *time.Time) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now()
		state := SendQueued
		if retryAt == nil {
			state = SendFailed
		}
		if _, err := tx.Exec(ctx, `UPDATE document_sends SET attempts = attempts + 1, last_error = $2, state = $3
			WHERE id = $1 AND state = 'queued'`, sendID, clipText(reason, 500), state); err != nil {
			return translate(err, "document send")
		}
		var err error
		if retryAt != nil {
			_, err = tx.Exec(ctx, `UPDATE outbox_deliveries SET next_attempt_at = $3, last_error = $4
				WHERE consumer = $1 AND outbox_id = $2`, ConsumerMail, outboxID, *retryAt, reason)
		} else {
			_, err = tx.Exec(ctx, `UPDATE outbox_deliveries SET dead_at = $3, last_error = $4
				WHERE consumer = $1 AND outbox_id = $2`, ConsumerMail, outboxID, now, reason)
		}
		return translate(err, "outbox delivery")
	})
}

func compact(docs []*Document) []Document {
	out := make([]Document, 0, len(docs))
	for _, d := range docs {
		if d != nil {
			out = append(out, *d)
		}
	}
	return out
}

// SendDocuments queues the deal's documents as one letter to the deal's
// contact at their first e-mail (the mail consumer sends it; the send
// records an activity for the deal's manager, or for by when the deal has
// none). Errors: EINVALID for a draft, an external contract (no PDF), a
// deal without a contact with an e-mail (naming email) or without anyone
// to record it for (naming manager_id); ECONFLICT for a superseded
// version.
func (s *Store) SendDocuments(ctx context.Context, d Deal, docs []Document, by *int64) (DocumentSend, error) {
	for _, doc := range docs {
		switch {
		case doc.Status == DocumentIsDraft:
			return DocumentSend{}, Invalid("document", "document %d is a draft: make the document itself to send it", doc.ID)
		case doc.External:
			return DocumentSend{}, Invalid("document", "contract № %s was signed outside Leadd: there is no PDF of it to send", doc.Number)
		case doc.Status == DocumentSuperseded:
			return DocumentSend{}, Errorf(ECONFLICT, "%s version %d is superseded by document %d: send the current version",
				doc.Number, doc.Version, *doc.SupersededBy)
		}
	}
	c, err := s.DocumentRecipient(ctx, d)
	if err != nil {
		return DocumentSend{}, err
	}
	manager := d.ManagerID
	if manager == nil {
		manager = by
	}
	if manager == nil {
		return DocumentSend{}, Invalid("manager_id", "deal %d has no manager to record the e-mail for", d.ID)
	}
	ids := make([]int64, len(docs))
	for i, doc := range docs {
		ids[i] = doc.ID
	}
	return s.QueueDocumentSend(ctx, DocumentSend{DealID: d.ID, DocumentIDs: ids, ContactID: &c.ID, To: c.Emails[0], ManagerID: manager})
}

// DocumentRecipient is the deal's contact with the e-mail documents go
// to. Errors: EINVALID naming email (no contact, no e-mail).
func (s *Store) DocumentRecipient(ctx context.Context, d Deal) (Contact, error) {
	if d.ContactID == nil {
		return Contact{}, Invalid("email", "deal %d has no contact to send documents to", d.ID)
	}
	c, err := s.Contact(ctx, *d.ContactID)
	if err != nil {
		return Contact{}, err
	}
	if len(c.Emails) == 0 || strings.TrimSpace(c.Emails[0]) == "" {
		return Contact{}, Invalid("email", "contact %d (%s) has no e-mail", c.ID, c.Name)
	}
	return c, nil
}
