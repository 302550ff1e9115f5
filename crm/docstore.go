package crm

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Document types.
const (
	DocQuote    = "quote"    // a commercial proposal
	DocInvoice  = "invoice"  // «Счёт на оплату»
	DocContract = "contract" // a supply contract
	DocAct      = "act"      // an act of work done
)

// DocumentTypes are the documents a deal can have, in the order of a sale.
var DocumentTypes = []string{DocQuote, DocInvoice, DocContract, DocAct}

// Document is an issued document of a deal; its PDF is kept as issued.
type Document struct {
	ID        int64     `json:"id"`
	DealID    int64     `json:"deal_id"`
	Type      string    `json:"type"`
	Number    string    `json:"number"`
	Version   int       `json:"version"` // 1, 2, … per deal and type
	Date      string    `json:"date"`    // YYYY-MM-DD
	Total     string    `json:"total"`
	CreatedAt time.Time `json:"created_at"`
}

// DocumentDraft is what a document is made of, gathered in the transaction
// that numbers it.
type DocumentDraft struct {
	Type    string
	Number  string
	Version int
	Date    time.Time // in the maker's location
	Deal    Deal
	Lines   []Line
	Contact *Contact
	Company *Company
}

// DocumentMaker numbers and renders documents; documents.Renderer is one.
type DocumentMaker interface {
	// Location is where the company is: it dates documents and so picks
	// the year their numbers count in.
	Location() *time.Location
	// Number formats the seq-th number of the year for a document type.
	Number(typ string, year, seq int) string
	// Render returns the PDF of a draft.
	Render(d DocumentDraft) ([]byte, error)
}

const documentColumns = `id, deal_id, type, number, version, to_char(date, 'YYYY-MM-DD'), total::text, created_at`

func scanDocument(row pgx.Row) (Document, error) {
	var d Document
	err := row.Scan(&d.ID, &d.DealID, &d.Type, &d.Number, &d.Version, &d.Date, &d.Total, &d.CreatedAt)
	return d, err
}

// CreateDocument numbers, renders and keeps a new document of a deal: the
// next number of its type and year and the next version for the deal; an
// earlier version stays as it was. Errors: ENOTFOUND (the deal), EINVALID

// createDocument makes a document inside the caller's transaction (the
// deal is locked here, or already by the caller).
func createDocument(ctx context.Context, tx pgx.Tx, dealID int64, typ string, m DocumentMaker, now time.Time) (int64, error) {
	var id int64
	// The deal's lock orders versions and keeps the lines still.
	if err := lockDeal(ctx, tx, dealID); err != nil {
		return 0, err
	}
	d, err := documentDraft(ctx, tx, dealID)
	if err != nil {
		return 0, err
	}
	if len(d.Lines) == 0 {
		return 0, Invalid("lines", "deal %d has no lines: add what is sold before making a document", dealID)
	}
	d.Type, d.Date = typ, now.In(m.Location())
	var seq int
	if err := tx.QueryRow(ctx, `INSERT INTO document_counters (type, year, seq) VALUES ($1, $2, 1)
		ON CONFLICT (type, year) DO UPDATE SET seq = document_counters.seq + 1 RETURNING seq`,
		typ, d.Date.Year()).Scan(&seq); err != nil {
		return 0, translate(err, "document counter")
	}
	d.Number = m.Number(typ, d.Date.Year(), seq)
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) + 1 FROM documents WHERE deal_id = $1 AND type = $2`,
		dealID, typ).Scan(&d.Version); err != nil {
		return 0, translate(err, "document")
	}
	pdf, err := m.Render(d)
	if err != nil {
		return 0, err
	}
	err = tx.QueryRow(ctx, `INSERT INTO documents (deal_id, type, number, version, date, total, pdf, created_at)
		VALUES ($1, $2, $3, $4, $5::date, (SELECT sum(total) FROM deal_lines WHERE deal_id = $1), $6, $7) RETURNING id`,
		dealID, typ, d.Number, d.Version, d.Date.Format(time.DateOnly), pdf, now).Scan(&id)
	if err != nil {
		return 0, translate(err, "document "+d.Number)
	}
	return id, Enqueue(ctx, tx, "document.created:"+strconv.FormatInt(id, 10),
		DocumentCreated{DocumentID: id, DealID: dealID, Type: typ, Number: d.Number})
}

// (an unknown type; a deal without lines), the maker's errors.
func (s *Store) CreateDocument(ctx context.Context, dealID int64, typ string, m DocumentMaker) (Document, error) {
	if !knownDocument(typ) {
		return Document{}, Invalid("type", "must be one of %v, not %q", DocumentTypes, typ)
	}
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		id, err = createDocument(ctx, tx, dealID, typ, m, s.now())
		return err
	})
	if err != nil {
		return Document{}, err
	}
	return s.Document(ctx, id)
}

func knownDocument(typ string) bool {
	for _, t := range DocumentTypes {
		if t == typ {
			return true
		}
	}
	return false
}

// documentDraft gathers the deal, its lines and its buyer.
func documentDraft(ctx context.Context, tx pgx.Tx, dealID int64) (DocumentDraft, error) {
	var d DocumentDraft
	var err error
	if d.Deal, err = scanDeal(tx.QueryRow(ctx, `SELECT `+dealColumns+dealFrom+` WHERE d.id = $1`, dealID)); err != nil {
		return d, translate(err, "deal")
	}
	rows, err := tx.Query(ctx, `SELECT `+lineColumns+` FROM deal_lines WHERE deal_id = $1 ORDER BY id`, dealID)
	if err != nil {
		return d, translate(err, "lines")
	}
	if d.Lines, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Line, error) { return scanLine(r) }); err != nil {
		return d, translate(err, "lines")
	}
	if id := d.Deal.ContactID; id != nil {
		c, err := scanContact(tx.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts WHERE id = $1`, *id))
		if err != nil {
			return d, translate(err, "contact")
		}
		d.Contact = &c
	}
	if id := d.Deal.CompanyID; id != nil {
		c, err := scanCompany(tx.QueryRow(ctx, `SELECT `+companyColumns+` FROM companies WHERE id = $1`, *id))
		if err != nil {
			return d, translate(err, "company")
		}
		d.Company = &c
	}
	return d, nil
}

// Document returns one document, without its PDF. Errors: ENOTFOUND.
func (s *Store) Document(ctx context.Context, id int64) (Document, error) {
	d, err := scanDocument(s.pool.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents WHERE id = $1`, id))
	return d, translate(err, "document")
}

// DocumentPDF returns a document and its PDF. Errors: ENOTFOUND.
func (s *Store) DocumentPDF(ctx context.Context, id int64) (Document, []byte, error) {
	var d Document
	var pdf []byte
	err := s.pool.QueryRow(ctx, `SELECT `+documentColumns+`, pdf FROM documents WHERE id = $1`, id).
		Scan(&d.ID, &d.DealID, &d.Type, &d.Number, &d.Version, &d.Date, &d.Total, &d.CreatedAt, &pdf)
	return d, pdf, translate(err, "document")
}

// Documents lists a deal's documents, newest first. Errors: ENOTFOUND.
func (s *Store) Documents(ctx context.Context, dealID int64) ([]Document, error) {
	if _, err := s.Deal(ctx, dealID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+documentColumns+` FROM documents WHERE deal_id = $1 ORDER BY id DESC`, dealID)
	if err != nil {
		return nil, translate(err, "documents")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Document, error) { return scanDocument(r) })
	return out, translate(err, "documents")
}
