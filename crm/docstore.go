package crm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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

// Document is an issued document of a deal; its PDF is kept as issued
// (a superseded version's is drawn again with its mark).
type Document struct {
	ID      int64  `json:"id"`
	DealID  int64  `json:"deal_id"`
	Type    string `json:"type"`
	Number  string `json:"number"`  // "" for a draft
	Version int    `json:"version"` // 1, 2, … per number
	Date    string `json:"date"`    // YYYY-MM-DD
	Total   string `json:"total"`
	// Status is current, superseded (a later version of the same number
	// replaces it: its QR is not offered any more) or draft (a preview
	// that took no number).
	Status       string    `json:"status"`
	SupersededBy *int64    `json:"superseded_by"`
	CreatedAt    time.Time `json:"created_at"`
	// External is a contract signed outside Leadd: its number and date
	// only, no PDF (RecordExternalContract).
	External bool `json:"external"`
	// Warnings come with a document just made (DocumentMaker.Warnings);
	// they are not kept.
	Warnings []string `json:"warnings,omitempty"`
}

// Document statuses.
const (
	DocumentCurrent    = "current"
	DocumentSuperseded = "superseded"
	DocumentIsDraft    = "draft"
)

// DocumentOptions are what a manager asks of a new document.
type DocumentOptions struct {
	// New asks for a new number even when the deal has a current
	// document of the type (a second invoice, say).
	New bool `json:"new"`
	// Draft makes a preview: no number is taken, the PDF says ЧЕРНОВИК
	// and carries no payment QR; it never becomes current.
	Draft bool `json:"draft"`
}

// DocumentDraft is what a document is made of, gathered in the transaction
// that numbers it; kept with the document, so that a superseded version
// can be drawn again.
type DocumentDraft struct {
	Type    string    `json:"type"`
	Number  string    `json:"number"`
	Version int       `json:"version"`
	Date    time.Time `json:"date"` // in the maker's location
	Deal    Deal      `json:"deal"`
	Lines   []Line    `json:"lines"`
	Contact *Contact  `json:"contact,omitempty"`
	Company *Company  `json:"company,omitempty"`
	// Basis is what the document rests on: the deal's contract
	// («Договор № ДГ-2026-00001 от 06.12.2026»), for an act without one
	// the invoice («Счёт № …»), else "".
	Basis string `json:"basis"`
	// Draft: a preview without a number.
	Draft bool `json:"draft,omitempty"`
	// Superseded is set when a later version replaced this one.
	Superseded *Supersession `json:"superseded,omitempty"`
}

// Supersession names the version that replaced a document.
type Supersession struct {
	Version int       `json:"version"`
	Date    time.Time `json:"date"`
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
	// Warnings are what an accountant would question in a draft that is
	// still a valid document (a VAT rate that was not in force on its
	// date), in Russian, one per line.
	Warnings(d DocumentDraft) []string
}

const documentColumns = `id, deal_id, type, number, version, to_char(date, 'YYYY-MM-DD'), total::text, draft, superseded_by, created_at, external`

func scanDocument(row pgx.Row) (Document, error) {
	var d Document
	var draft bool
	err := row.Scan(&d.ID, &d.DealID, &d.Type, &d.Number, &d.Version, &d.Date, &d.Total, &draft, &d.SupersededBy, &d.CreatedAt, &d.External)
	d.Status = documentStatus(draft, d.SupersededBy)
	return d, err
}

func documentStatus(draft bool, supersededBy *int64) string {
	switch {
	case draft:
		return DocumentIsDraft
	case supersededBy != nil:
		return DocumentSuperseded
	}
	return DocumentCurrent
}

// fingerprint is the hash of what a document prints from the deal: the
// lines, the buyer and the basis. The same deal unchanged gives the same
// fingerprint, whatever the day.
func (d DocumentDraft) fingerprint() string {
	type buyer struct {
		Name, INN, KPP, OGRN, Address, Director, Post, Basis string
	}
	v := struct {
		Lines   []Line
		Contact string
		Company *buyer
		Basis   string
		// Custom fields a template may print; none leaves the
		// fingerprints made before them as they were.
		DealFields    Fields `json:",omitempty"`
		ContactFields Fields `json:",omitempty"`
		CompanyFields Fields `json:",omitempty"`
	}{Lines: d.Lines, Basis: d.Basis, DealFields: d.Deal.Fields}
	if d.Contact != nil {
		v.Contact = d.Contact.Name
		v.ContactFields = d.Contact.Fields
	}
	if c := d.Company; c != nil {
		v.Company = &buyer{c.Name, deref(c.INN), deref(c.KPP), deref(c.OGRN), c.Address, c.Director, c.DirectorPost, c.SignatoryBasis}
		v.CompanyFields = c.Fields
	}
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// createDocument makes a document inside the caller's transaction (the
// deal is locked here, or already by the caller): the deal's current
// document of the type when nothing it prints has changed (created
// false), else a new version of its number (the earlier one superseded),
// else — or with opts.New — the next number of the type and year.
func createDocument(ctx context.Context, tx pgx.Tx, dealID int64, typ string, m DocumentMaker, now time.Time, opts DocumentOptions) (int64, bool, []string, error) {
	// The deal's lock orders versions and keeps the lines still.
	if err := lockDeal(ctx, tx, dealID); err != nil {
		return 0, false, nil, err
	}
	d, err := documentDraft(ctx, tx, dealID)
	if err != nil {
		return 0, false, nil, err
	}
	if len(d.Lines) == 0 {
		return 0, false, nil, Invalid("lines", "deal %d has no lines: add what is sold before making a document", dealID)
	}
	d.Type, d.Date, d.Draft = typ, now.In(m.Location()), opts.Draft
	if d.Basis, err = documentBasis(ctx, tx, dealID, typ); err != nil {
		return 0, false, nil, err
	}
	fp := d.fingerprint()
	var cur struct {
		id      int64
		number  string
		version int
		fp      string
	}
	if !opts.Draft {
		err = tx.QueryRow(ctx, `SELECT id, number, version, fingerprint FROM documents
			WHERE deal_id = $1 AND type = $2 AND superseded_by IS NULL AND NOT draft AND NOT external ORDER BY id DESC LIMIT 1`, dealID, typ).
			Scan(&cur.id, &cur.number, &cur.version, &cur.fp)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return 0, false, nil, translate(err, "document")
		}
	}
	switch {
	case opts.Draft:
		d.Version = 1
	case cur.id != 0 && !opts.New && cur.fp == fp:
		return cur.id, false, m.Warnings(d), nil
	case cur.id != 0 && !opts.New:
		d.Number = cur.number
		if err := tx.QueryRow(ctx, `SELECT max(version) + 1 FROM documents WHERE type = $1 AND number = $2 AND NOT draft`,
			typ, cur.number).Scan(&d.Version); err != nil {
			return 0, false, nil, translate(err, "document")
		}
	default:
		var seq int
		if err := tx.QueryRow(ctx, `INSERT INTO document_counters (type, year, seq) VALUES ($1, $2, 1)
			ON CONFLICT (type, year) DO UPDATE SET seq = document_counters.seq + 1 RETURNING seq`,
			typ, d.Date.Year()).Scan(&seq); err != nil {
			return 0, false, nil, translate(err, "document counter")
		}
		d.Number, d.Version = m.Number(typ, d.Date.Year(), seq), 1
	}
	pdf, err := m.Render(d)
	if err != nil {
		return 0, false, nil, err
	}
	content, err := json.Marshal(d)
	if err != nil {
		return 0, false, nil, fmt.Errorf("document content: %w", err)
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO documents (deal_id, type, number, version, date, total, pdf, created_at, fingerprint, content, draft)
		VALUES ($1, $2, $3, $4, $5::date, (SELECT sum(total) FROM deal_lines WHERE deal_id = $1), $6, $7, $8, $9, $10) RETURNING id`,
		dealID, typ, d.Number, d.Version, d.Date.Format(time.DateOnly), pdf, now, fp, content, d.Draft).Scan(&id)
	if err != nil {
		return 0, false, nil, translate(err, "document "+d.Number)
	}
	if d.Draft { // a preview: nobody is told
		return id, true, m.Warnings(d), nil
	}
	if cur.id != 0 && !opts.New {
		if err := supersede(ctx, tx, cur.id, id, Supersession{Version: d.Version, Date: d.Date}, m); err != nil {
			return 0, false, nil, err
		}
	}
	return id, true, m.Warnings(d), Enqueue(ctx, tx, "document.created:"+strconv.FormatInt(id, 10),
		DocumentCreated{DocumentID: id, DealID: dealID, Type: typ, Number: d.Number})
}

// supersede marks document old as replaced by id and draws its PDF again
// from what it was made of, with the mark and without the payment QR.
func supersede(ctx context.Context, tx pgx.Tx, old, id int64, by Supersession, m DocumentMaker) error {
	var content []byte
	if err := tx.QueryRow(ctx, `SELECT content FROM documents WHERE id = $1`, old).Scan(&content); err != nil {
		return translate(err, "document")
	}
	var pdf []byte
	if content != nil { // made before documents kept their content: the mark is in the list only
		var d DocumentDraft
		if err := json.Unmarshal(content, &d); err != nil {
			return fmt.Errorf("document %d content: %w", old, err)
		}
		d.Superseded = &by
		var err error
		if pdf, err = m.Render(d); err != nil {
			return fmt.Errorf("document %d superseded: %w", old, err)
		}
	}
	_, err := tx.Exec(ctx, `UPDATE documents SET superseded_by = $2, pdf = coalesce($3, pdf) WHERE id = $1`, old, id, pdf)
	return translate(err, "document")
}

// documentBasis is what a document of type typ rests on: the deal's
// current contract, for an act without one its current invoice.
func documentBasis(ctx context.Context, tx pgx.Tx, dealID int64, typ string) (string, error) {
	if typ == DocContract {
		return "", nil
	}
	basis := func(t, title string) (string, error) {
		var number, date string
		err := tx.QueryRow(ctx, `SELECT number, to_char(date, 'DD.MM.YYYY') FROM documents
			WHERE deal_id = $1 AND type = $2 AND superseded_by IS NULL AND NOT draft ORDER BY id DESC LIMIT 1`, dealID, t).Scan(&number, &date)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", nil
		}
		if err != nil {
			return "", translate(err, "document")
		}
		return title + " № " + number + " от " + date, nil
	}
	b, err := basis(DocContract, "Договор")
	if err != nil || b != "" || typ != DocAct {
		return b, err
	}
	return basis(DocInvoice, "Счёт")
}

// CreateDocument makes a document of a deal (see createDocument): created
// is false when the deal's current document is returned unchanged.
// Errors: ENOTFOUND (the deal), EINVALID (an unknown type; a deal without
// lines), the maker's errors.
func (s *Store) CreateDocument(ctx context.Context, dealID int64, typ string, m DocumentMaker, opts DocumentOptions) (Document, bool, error) {
	if !knownDocument(typ) {
		return Document{}, false, Invalid("type", "must be one of %v, not %q", DocumentTypes, typ)
	}
	if opts.Draft && opts.New {
		return Document{}, false, Invalid("new", "a draft takes no number: ask for draft or new, not both")
	}
	var id int64
	var created bool
	var warnings []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		id, created, warnings, err = createDocument(ctx, tx, dealID, typ, m, s.now(), opts)
		return err
	})
	if err != nil {
		return Document{}, false, err
	}
	d, err := s.Document(ctx, id)
	d.Warnings = warnings
	return d, created, err
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
	var draft bool
	err := s.pool.QueryRow(ctx, `SELECT `+documentColumns+`, pdf FROM documents WHERE id = $1`, id).
		Scan(&d.ID, &d.DealID, &d.Type, &d.Number, &d.Version, &d.Date, &d.Total, &draft, &d.SupersededBy, &d.CreatedAt, &d.External, &pdf)
	d.Status = documentStatus(draft, d.SupersededBy)
	if err == nil && d.External {
		return d, nil, Errorf(ENOTFOUND, "contract № %s was signed outside Leadd: there is no PDF of it here", d.Number)
	}
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

// ExternalContract is a contract signed outside Leadd, as a deal records
// it: its number and its date (YYYY-MM-DD).
type ExternalContract struct {
	Number string `json:"number"`
	Date   string `json:"date"`
}

// RecordExternalContract records the deal's contract signed outside Leadd:
// from now on the deal's invoices and acts name it as their basis. It
// replaces the deal's earlier external contract, if any. Errors:
// ENOTFOUND (the deal), EINVALID (a number that is empty, too long or not
// text; a date that is not a date, before 2000 or more than a year ahead).
func (s *Store) RecordExternalContract(ctx context.Context, dealID int64, c ExternalContract) (Document, error) {
	number := strings.TrimSpace(c.Number)
	if number == "" || utf8.RuneCountInString(number) > 64 || strings.ContainsFunc(number, unicode.IsControl) {
		return Document{}, Invalid("external.number", "the contract's number as printed on it, 1 to 64 characters")
	}
	date, err := time.Parse(time.DateOnly, strings.TrimSpace(c.Date))
	if err != nil || date.Year() < 2000 || date.After(s.now().AddDate(1, 0, 0)) {
		return Document{}, Invalid("external.date", "the date the contract was signed, YYYY-MM-DD")
	}
	var id int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockDeal(ctx, tx, dealID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO documents (deal_id, type, number, version, date, total, pdf, created_at, external)
			VALUES ($1, 'contract', $2, 1, $3::date, coalesce((SELECT sum(total) FROM deal_lines WHERE deal_id = $1), 0), '', $4, true)
			RETURNING id`, dealID, number, date.Format(time.DateOnly), s.now()).Scan(&id); err != nil {
			return translate(err, "contract")
		}
		_, err := tx.Exec(ctx, `UPDATE documents SET superseded_by = $2
			WHERE deal_id = $1 AND external AND superseded_by IS NULL AND id <> $2`, dealID, id)
		return translate(err, "contract")
	})
	if err != nil {
		return Document{}, err
	}
	return s.Document(ctx, id)
}
