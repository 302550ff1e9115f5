package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/dedupe"
)

// ImportBatch is what a file import (crm/imports) reads and writes of the
// core tables, in bulk: one statement per kind of record and batch. A
// batch that writes runs in one transaction (Store.ImportBatch); a dry
// run reads through the pool (Store.ImportReader). The import decides
// what each row is; this only reads and writes.
type ImportBatch struct {
	q Querier
}

// ImportReader reads for a dry run; its writes are refused.
func (s *Store) ImportReader() *ImportBatch { return &ImportBatch{q: s.pool} }

// ImportBatch runs fn in one transaction: everything it writes is kept,
// or nothing. Errors: fn's (a unique violation when someone else wrote a
// phone, an e-mail or an INN meanwhile: the import decides again).
func (s *Store) ImportBatch(ctx context.Context, fn func(*ImportBatch) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(&ImportBatch{q: tx}) })
}

// ImportedCompany is a company as an import reads and writes it. Via is
// the INN that led to it when it is the company another one (that had
// the INN) was merged into.
type ImportedCompany struct {
	ID                            int64
	Via                           string
	Name, INN, KPP, OGRN, Address string
	ManagerID                     *int64
	Phones, Emails                []string
	Fields                        Fields
}

// ImportedPerson is a contact as an import reads and writes it; Identity
// is the identity it was found by.
type ImportedPerson struct {
	Identity             string
	ID                   int64
	Name, Position       string
	CompanyID, ManagerID *int64
	Phones, Emails       []string
	Fields               Fields
}

// ImportedDeal is a deal an import may match: by its title, pipeline,
// contact and company.
type ImportedDeal struct {
	ID, PipelineID                  int64
	Title                           string
	ContactID, CompanyID, ManagerID *int64
}

// ImportDealRow is a deal an import makes.
type ImportDealRow struct {
	ID, PipelineID, StageID         int64
	Title, Currency, Amount         string
	ContactID, CompanyID, ManagerID *int64
	Closed                          bool
	Fields                          Fields
}

// ImportNote is a note a row leaves on its record (a deal's names its
// contact too).
type ImportNote struct {
	ContactID, CompanyID, DealID *int64
	Text                         string
}

const importCompanyColumns = `c.id, c.name, coalesce(c.inn, ''), coalesce(c.kpp, ''), coalesce(c.ogrn, ''), c.address, c.manager_id,
	c.phones, c.emails, c.fields`

// Companies finds the companies with one of the INNs (also through a
// company merged into another) or one of the names (case aside), by id.
func (b *ImportBatch) Companies(ctx context.Context, inns, names []string) ([]ImportedCompany, error) {
	if len(inns)+len(names) == 0 {
		return nil, nil
	}
	rows, err := b.q.Query(ctx, `SELECT '', `+importCompanyColumns+` FROM companies c
		WHERE c.merged_into IS NULL AND (c.inn = ANY($1) OR lower(c.name) = ANY(SELECT lower(x) FROM unnest($2::text[]) x))
		UNION ALL
		-- A company merged into another may keep its INN: the INN leads to the one it went into.
		SELECT m.inn, `+importCompanyColumns+` FROM companies m JOIN companies c ON c.id = m.merged_into
		WHERE m.inn = ANY($1) AND c.merged_into IS NULL
		ORDER BY 2`, nonNil(inns), nonNil(names))
	if err != nil {
		return nil, fmt.Errorf("look up companies: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ImportedCompany, error) {
		var c ImportedCompany
		err := r.Scan(&c.Via, &c.ID, &c.Name, &c.INN, &c.KPP, &c.OGRN, &c.Address, &c.ManagerID, &c.Phones, &c.Emails, &c.Fields)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("look up companies: %w", err)
	}
	return out, nil
}

const importPersonColumns = `c.id, c.name, c.position, c.company_id, c.manager_id, c.phones, c.emails, c.fields`

func collectPeople(rows pgx.Rows, err error) ([]ImportedPerson, error) {
	if err != nil {
		return nil, fmt.Errorf("look up contacts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ImportedPerson, error) {
		var p ImportedPerson
		err := r.Scan(&p.Identity, &p.ID, &p.Name, &p.Position, &p.CompanyID, &p.ManagerID, &p.Phones, &p.Emails, &p.Fields)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("look up contacts: %w", err)
	}
	return out, nil
}

// PeopleByIdentity finds the contacts with one of the identities
// ("tel:+7…", "email:…"), each with the identity it was found by.
func (b *ImportBatch) PeopleByIdentity(ctx context.Context, idents []string) ([]ImportedPerson, error) {
	if len(idents) == 0 {
		return nil, nil
	}
	return collectPeople(b.q.Query(ctx, `SELECT ci.identity, `+importPersonColumns+`
		FROM contact_identities ci JOIN contacts c ON c.id = ci.contact_id WHERE ci.identity = ANY($1)`, idents))
}

// PeopleByName finds the contacts with one of the names (case aside),
// oldest first. No index serves this: an import looks up by name only
// the rows with neither phone nor e-mail.
func (b *ImportBatch) PeopleByName(ctx context.Context, names []string) ([]ImportedPerson, error) {
	if len(names) == 0 {
		return nil, nil
	}
	return collectPeople(b.q.Query(ctx, `SELECT '', `+importPersonColumns+` FROM contacts c
		WHERE c.merged_into IS NULL AND lower(c.name) = ANY(SELECT lower(x) FROM unnest($1::text[]) x) ORDER BY c.id`, names))
}

// DealsByTitle finds the deals with one of the titles (case aside),
// oldest first.
func (b *ImportBatch) DealsByTitle(ctx context.Context, titles []string) ([]ImportedDeal, error) {
	if len(titles) == 0 {
		return nil, nil
	}
	rows, err := b.q.Query(ctx, `SELECT id, pipeline_id, title, contact_id, company_id, manager_id FROM deals
		WHERE lower(title) = ANY(SELECT lower(x) FROM unnest($1::text[]) x) ORDER BY id`, titles)
	if err != nil {
		return nil, fmt.Errorf("look up deals: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ImportedDeal, error) {
		var d ImportedDeal
		err := r.Scan(&d.ID, &d.PipelineID, &d.Title, &d.ContactID, &d.CompanyID, &d.ManagerID)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("look up deals: %w", err)
	}
	return out, nil
}

// NewIDs takes n ids of a table's sequence (companies, contacts, deals),
// so that rows inserted together are known by the id each got.
func (b *ImportBatch) NewIDs(ctx context.Context, table string, n int) ([]int64, error) {
	switch table {
	case "companies", "contacts", "deals":
	default:
		return nil, fmt.Errorf("new ids: no table %q", table)
	}
	rows, err := b.q.Query(ctx, `SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)`, table, n)
	if err != nil {
		return nil, fmt.Errorf("%s ids: %w", table, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("%s ids: %w", table, err)
	}
	return ids, nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// fieldsText is fields as a JSON object's text ({} for none), for a
// text[] parameter unnested into jsonb.
func fieldsText(f Fields) string {
	if len(f) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(f)
	return string(b)
}

// InsertCompanies writes new companies with the ids NewIDs gave them.
func (b *ImportBatch) InsertCompanies(ctx context.Context, cs []ImportedCompany, now time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	u := companyRows(cs)
	_, err := b.q.Exec(ctx, `INSERT INTO companies (id, name, inn, kpp, ogrn, address, manager_id, phones, emails, name_key, created_at, updated_at,
			fields)
		SELECT u.id, u.name, u.inn, u.kpp, u.ogrn, u.address, u.manager_id, string_to_array(u.phones, ' '), string_to_array(u.emails, ' '),
			u.name_key, $10, $10, u.fields::jsonb
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[], $11::text[],
			$12::text[])
			AS u(id, name, inn, kpp, ogrn, address, manager_id, phones, emails, name_key, fields)`,
		u.ids, u.names, u.inns, u.kpps, u.ogrns, u.addresses, u.managers, u.phones, u.emails, now, u.keys, u.fields)
	if err != nil {
		return fmt.Errorf("insert companies: %w", err)
	}
	return nil
}

// FillCompanies gives matched companies what they lack: the statement
// checks again that a field is blank, so nothing written meanwhile is
// overwritten; phones, e-mails and custom fields they lack are added.
func (b *ImportBatch) FillCompanies(ctx context.Context, cs []ImportedCompany, now time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	u := companyRows(cs)
	_, err := b.q.Exec(ctx, `UPDATE companies c SET inn = coalesce(c.inn, u.inn), kpp = coalesce(c.kpp, u.kpp), ogrn = coalesce(c.ogrn, u.ogrn),
			address = CASE WHEN c.address = '' THEN u.address ELSE c.address END, manager_id = coalesce(c.manager_id, u.manager_id),
			phones = c.phones || ARRAY(SELECT x FROM unnest(string_to_array(u.phones, ' ')) WITH ORDINALITY a(x, i) WHERE x <> ALL(c.phones) ORDER BY i),
			emails = c.emails || ARRAY(SELECT x FROM unnest(string_to_array(u.emails, ' ')) WITH ORDINALITY a(x, i) WHERE x <> ALL(c.emails) ORDER BY i),
			fields = u.fields::jsonb || c.fields, updated_at = $9
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $10::text[])
			AS u(id, inn, kpp, ogrn, address, manager_id, phones, emails, fields)
		WHERE c.id = u.id`, u.ids, u.inns, u.kpps, u.ogrns, u.addresses, u.managers, u.phones, u.emails, now, u.fields)
	if err != nil {
		return fmt.Errorf("update companies: %w", err)
	}
	return nil
}

// InsertContacts writes new contacts with the ids NewIDs gave them (their
// identities: ClaimIdentities).
func (b *ImportBatch) InsertContacts(ctx context.Context, ps []ImportedPerson, now time.Time) error {
	if len(ps) == 0 {
		return nil
	}
	u := personRows(ps)
	_, err := b.q.Exec(ctx, `INSERT INTO contacts (id, name, position, company_id, manager_id, phones, emails, created_at, updated_at, fields)
		SELECT u.id, u.name, u.position, u.company_id, u.manager_id, string_to_array(u.phones, ' '), string_to_array(u.emails, ' '), $8, $8,
			u.fields::jsonb
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $9::text[])
			AS u(id, name, position, company_id, manager_id, phones, emails, fields)`,
		u.ids, u.names, u.positions, u.companies, u.managers, u.phones, u.emails, now, u.fields)
	if err != nil {
		return fmt.Errorf("insert contacts: %w", err)
	}
	return nil
}

// FillContacts gives matched contacts what they lack and adds their new
// phones, e-mails and custom fields; the statement checks again that a
// field is blank.
func (b *ImportBatch) FillContacts(ctx context.Context, ps []ImportedPerson, now time.Time) error {
	if len(ps) == 0 {
		return nil
	}
	u := personRows(ps)
	_, err := b.q.Exec(ctx, `UPDATE contacts c SET name = CASE WHEN c.name = '' THEN u.name ELSE c.name END,
			position = CASE WHEN c.position = '' THEN u.position ELSE c.position END,
			company_id = coalesce(c.company_id, u.company_id), manager_id = coalesce(c.manager_id, u.manager_id),
			phones = c.phones || ARRAY(SELECT x FROM unnest(string_to_array(u.phones, ' ')) WITH ORDINALITY a(x, i) WHERE x <> ALL(c.phones) ORDER BY i),
			emails = c.emails || ARRAY(SELECT x FROM unnest(string_to_array(u.emails, ' ')) WITH ORDINALITY a(x, i) WHERE x <> ALL(c.emails) ORDER BY i),
			fields = u.fields::jsonb || c.fields, updated_at = $8
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $9::text[])
			AS u(id, name, position, company_id, manager_id, phones, emails, fields)
		WHERE c.id = u.id`, u.ids, u.names, u.positions, u.companies, u.managers, u.phones, u.emails, now, u.fields)
	if err != nil {
		return fmt.Errorf("update contacts: %w", err)
	}
	return nil
}

// companyCols are companies as the columns of an unnest: phones and
// e-mails space-joined, custom fields as JSON text.
type companyCols struct {
	ids                                            []int64
	names, addresses, phones, emails, fields, keys []string
	inns, kpps, ogrns                              []*string
	managers                                       []*int64
}

func companyRows(cs []ImportedCompany) companyCols {
	var u companyCols
	for _, c := range cs {
		u.ids, u.names, u.addresses = append(u.ids, c.ID), append(u.names, c.Name), append(u.addresses, c.Address)
		u.inns, u.kpps, u.ogrns = append(u.inns, nullable(c.INN)), append(u.kpps, nullable(c.KPP)), append(u.ogrns, nullable(c.OGRN))
		u.managers = append(u.managers, c.ManagerID)
		u.phones, u.emails = append(u.phones, strings.Join(c.Phones, " ")), append(u.emails, strings.Join(c.Emails, " "))
		u.fields, u.keys = append(u.fields, fieldsText(c.Fields)), append(u.keys, dedupe.CompanyKey(c.Name))
	}
	return u
}

// personCols are contacts as the columns of an unnest.
type personCols struct {
	ids                                      []int64
	names, positions, phones, emails, fields []string
	companies, managers                      []*int64
}

func personRows(ps []ImportedPerson) personCols {
	var u personCols
	for _, p := range ps {
		u.ids, u.names, u.positions = append(u.ids, p.ID), append(u.names, p.Name), append(u.positions, p.Position)
		u.companies, u.managers = append(u.companies, p.CompanyID), append(u.managers, p.ManagerID)
		u.phones, u.emails = append(u.phones, strings.Join(p.Phones, " ")), append(u.emails, strings.Join(p.Emails, " "))
		u.fields = append(u.fields, fieldsText(p.Fields))
	}
	return u
}

// ClaimIdentities makes each identity its contact's. One claimed
// meanwhile by someone else fails the batch (a unique violation).
func (b *ImportBatch) ClaimIdentities(ctx context.Context, idents []string, owners []int64) error {
	if len(idents) == 0 {
		return nil
	}
	if _, err := b.q.Exec(ctx, `INSERT INTO contact_identities (identity, contact_id) SELECT * FROM unnest($1::text[], $2::bigint[])`,
		idents, owners); err != nil {
		return fmt.Errorf("insert contact identities: %w", err)
	}
	return nil
}

// InsertDeals writes new deals with the ids NewIDs gave them, and their
// first stage in the history, moved by the importing manager (by) or the
// import.
func (b *ImportBatch) InsertDeals(ctx context.Context, ds []ImportDealRow, by *int64, now time.Time) error {
	if len(ds) == 0 {
		return nil
	}
	var ids, pipelines, stages []int64
	var titles, currencies, amounts, fields []string
	var contacts, companies, managers []*int64
	var closed []bool
	for _, d := range ds {
		ids, pipelines, stages = append(ids, d.ID), append(pipelines, d.PipelineID), append(stages, d.StageID)
		titles, currencies, amounts = append(titles, d.Title), append(currencies, d.Currency), append(amounts, d.Amount)
		contacts, companies, managers = append(contacts, d.ContactID), append(companies, d.CompanyID), append(managers, d.ManagerID)
		closed, fields = append(closed, d.Closed), append(fields, fieldsText(d.Fields))
	}
	_, err := b.q.Exec(ctx, `INSERT INTO deals (id, title, pipeline_id, stage_id, contact_id, company_id, manager_id, currency, amount,
			closed_at, created_at, updated_at, fields)
		SELECT u.id, u.title, u.pipeline_id, u.stage_id, u.contact_id, u.company_id, u.manager_id, u.currency, u.amount::numeric,
			CASE WHEN u.closed THEN $11::timestamptz END, $11, $11, u.fields::jsonb
		FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::bool[],
			$12::text[])
			AS u(id, title, pipeline_id, stage_id, contact_id, company_id, manager_id, currency, amount, closed, fields)`,
		ids, titles, pipelines, stages, contacts, companies, managers, currencies, amounts, closed, now, fields)
	if err != nil {
		return fmt.Errorf("insert deals: %w", err)
	}
	if _, err := b.q.Exec(ctx, `INSERT INTO deal_stage_history (deal_id, to_stage_id, at, by_manager_id)
		SELECT u.id, u.stage_id, $3, $4 FROM unnest($1::bigint[], $2::bigint[]) AS u(id, stage_id)`,
		ids, stages, now, by); err != nil {
		return fmt.Errorf("insert deal history: %w", err)
	}
	return nil
}

// InsertNotes writes the rows' notes, written by the importing manager
// (by) or the import; a record that has the same note already (the file
// imported again) gets none.
func (b *ImportBatch) InsertNotes(ctx context.Context, ns []ImportNote, by *int64, now time.Time) error {
	if len(ns) == 0 {
		return nil
	}
	var contacts, companies, deals []*int64
	var texts []string
	for _, n := range ns {
		contacts, companies, deals, texts = append(contacts, n.ContactID), append(companies, n.CompanyID), append(deals, n.DealID), append(texts, n.Text)
	}
	kind := ActorImport
	if by != nil {
		kind = ActorManager
	}
	_, err := b.q.Exec(ctx, `INSERT INTO notes (contact_id, company_id, deal_id, text, at, by_manager_id, by_kind, by_name)
		SELECT u.contact_id, u.company_id, u.deal_id, u.text, $5, $6, $7, 'импорт'
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[]) AS u(contact_id, company_id, deal_id, text)
		WHERE NOT EXISTS (SELECT 1 FROM notes n WHERE n.text = u.text AND CASE
			WHEN u.deal_id IS NOT NULL THEN n.deal_id = u.deal_id
			WHEN u.contact_id IS NOT NULL THEN n.contact_id = u.contact_id
			ELSE n.company_id = u.company_id END)`,
		contacts, companies, deals, texts, now, by, kind)
	if err != nil {
		return fmt.Errorf("insert notes: %w", err)
	}
	return nil
}
