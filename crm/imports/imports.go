// Package imports brings a client base in from a spreadsheet — contacts,
// companies or deals, CSV or XLSX — and takes any list out to one.
//
// An import is planned before it is applied: every row is new, matched (a
// record the CRM already has, or an earlier row of the same file),
// conflicting (it names two different records) or rejected, with the
// reason. People are recognised exactly as intake recognises them — by a
// normalized phone or e-mail — and companies as lead conversion does: by
// INN, then by name. Applying writes in batches, each in a transaction;
// a matched record only gains what it lacks, nothing it has is
// overwritten, so importing the same file again adds nothing.
package imports

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
)

// Row statuses of a report.
const (
	StatusNew         = "new"
	StatusMatched     = "matched"
	StatusConflicting = "conflicting"
	StatusRejected    = "rejected"
)

// Importer imports tables into the store.
type Importer struct {
	Store     *crm.Store
	Phones    dedupe.Normalizer
	BatchSize int              // rows per lookup and per transaction; 1000 when 0
	Now       func() time.Time // time.Now when nil
}

// Options are one import's.
type Options struct {
	Kind    Kind
	Mapping Mapping // overrides the columns guessed from the headers
	By      *int64  // the manager importing, named in new deals' stage history
}

// Report is what an import found, or did, row by row.
type Report struct {
	Kind        Kind        `json:"kind"`
	DryRun      bool        `json:"dry_run"`
	File        *Table      `json:"file"`
	HeaderRow   int         `json:"header_row"`
	Columns     []Column    `json:"columns"`
	Rows        int         `json:"rows"`
	New         int         `json:"new"`
	Matched     int         `json:"matched"`
	Conflicting int         `json:"conflicting"`
	Rejected    int         `json:"rejected"`
	Results     []RowResult `json:"results"`
}

// RowResult is one row's fate.
type RowResult struct {
	Row        int      `json:"row"` // as the spreadsheet numbers it
	Status     string   `json:"status"`
	Reason     string   `json:"reason,omitempty"`      // why conflicting or rejected
	ID         *int64   `json:"id,omitempty"`          // the record matched, or created when applied
	MatchedRow int      `json:"matched_row,omitempty"` // the earlier row of this file it repeats
	By         string   `json:"by,omitempty"`          // what matched: "phone +7…", "e-mail …", "INN …", "name"
	Warnings   []string `json:"warnings,omitempty"`    // what of the row is not taken, and why
	Notes      []string `json:"notes,omitempty"`       // what else it makes, and what a record it matched gains
}

// Plan reports what Apply would do, writing nothing. Errors: EINVALID (the
// kind, the mapping, a file without rows).
func (im *Importer) Plan(ctx context.Context, t *Table, o Options) (Report, error) {
	return im.run(ctx, t, o, false)
}

// Apply imports the table: new rows are created, matched records gain the
// phones, e-mails and blank fields the row fills, conflicting and rejected
// rows are left out. The report is Plan's, with the ids created. Errors:
// as Plan's; a failure part-way leaves the batches before it imported, and
// importing the file again goes on from there.
func (im *Importer) Apply(ctx context.Context, t *Table, o Options) (Report, error) {
	return im.run(ctx, t, o, true)
}

func (im *Importer) run(ctx context.Context, t *Table, o Options, write bool) (Report, error) {
	switch o.Kind {
	case Contacts, Companies, Deals:
	default:
		return Report{}, crm.Invalid("kind", "must be contacts, companies or deals, not %q", o.Kind)
	}
	if len(t.Rows) == 0 {
		return Report{}, crm.Invalid("file", "the file has no rows")
	}
	fs := im.Store.FieldSet()
	m := mapper{kind: o.Kind, defs: fs.Decls.Of(fieldKind[o.Kind])}
	h := m.headerRow(t.Rows, o.Mapping)
	cols, err := m.columns(t.Rows[h].Cells, o.Mapping)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Kind: o.Kind, DryRun: !write, File: t, HeaderRow: t.Rows[h].N, Columns: cols}
	r, err := im.newRun(ctx, o, write)
	if err != nil {
		return Report{}, err
	}
	r.fs, r.defs = fs, m.defs
	items := r.parseAll(t.Rows[h+1:], cols)
	size := im.BatchSize
	if size <= 0 {
		size = 1000
	}
	for start := 0; start < len(items); start += size {
		chunk := items[start:min(start+size, len(items))]
		err := r.batch(ctx, chunk)
		for attempt := 1; retryable(err) && attempt < 3; attempt++ {
			// Someone else wrote a phone, an e-mail or an INN of this
			// batch meanwhile: forget what we knew and look again.
			r.reset()
			err = r.batch(ctx, chunk)
		}
		if retryable(err) {
			err = crm.Errorf(crm.ECONFLICT, "the records of rows %d–%d kept changing while they were imported: %v", chunk[0].n, chunk[len(chunk)-1].n, err)
		}
		if err != nil && write && start > 0 {
			return Report{}, fmt.Errorf("import rows %d–%d (the rows before them are imported; importing the file again goes on from there): %w",
				chunk[0].n, chunk[len(chunk)-1].n, err)
		}
		if err != nil {
			return Report{}, err
		}
	}
	rep.Results = make([]RowResult, 0, len(items))
	for _, it := range items {
		rep.Results = append(rep.Results, it.res)
		switch it.res.Status {
		case StatusNew:
			rep.New++
		case StatusMatched:
			rep.Matched++
		case StatusConflicting:
			rep.Conflicting++
		case StatusRejected:
			rep.Rejected++
		}
	}
	rep.Rows = len(items)
	return rep, nil
}

// batch resolves a batch of rows and, when writing, writes them in one
// transaction.
func (r *run) batch(ctx context.Context, items []*item) error {
	if !r.write {
		return r.resolve(ctx, r.im.Store.ImportReader(), items, &batch{})
	}
	return r.im.Store.ImportBatch(ctx, func(db *crm.ImportBatch) error {
		b := &batch{}
		if err := r.resolve(ctx, db, items, b); err != nil {
			return err
		}
		if err := r.writeBatch(ctx, db, b); err != nil {
			return err
		}
		r.finish(items)
		return nil
	})
}

// parseAll parses the rows on every core: normalizing phone numbers is
// most of an import's work, and each row is its own.
func (r *run) parseAll(rows []Row, cols []Column) []*item {
	items := make([]*item, len(rows))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(rows); i += workers {
				items[i] = r.parse(rows[i].N, rowValues(cols, rows[i].Cells))
			}
		})
	}
	wg.Wait()
	return items
}

func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "23505" || pg.Code == "40P01" || pg.Code == "40001")
}
