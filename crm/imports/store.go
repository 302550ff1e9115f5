package imports

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
)

// resolve looks up in bulk what a batch's rows may match, then decides
// each row.
func (r *run) resolve(ctx context.Context, q crm.Querier, items []*item, b *batch) error {
	var inns, coNames, idents, names, titles []string
	for _, it := range items {
		if it.reject != "" {
			continue
		}
		if c := it.company; c != nil {
			if c.inn != "" && !r.innLooked[c.inn] {
				r.innLooked[c.inn] = true
				inns = append(inns, c.inn)
			}
			if k := lower(c.name); c.name != "" && !r.coNameLooked[k] {
				r.coNameLooked[k] = true
				coNames = append(coNames, c.name)
			}
		}
		if p := it.person; p != nil {
			ids := p.identities()
			for _, id := range ids {
				if !r.identLooked[id] {
					r.identLooked[id] = true
					idents = append(idents, id)
				}
			}
			if k := lower(p.name); len(ids) == 0 && !r.nameLooked[k] {
				r.nameLooked[k] = true
				names = append(names, p.name)
			}
		}
		if d := it.deal; d != nil && !r.titleLooked[lower(d.title)] {
			r.titleLooked[lower(d.title)] = true
			titles = append(titles, d.title)
		}
	}
	if err := r.lookupCompanies(ctx, q, inns, coNames); err != nil {
		return err
	}
	if err := r.lookupPeople(ctx, q, idents, names); err != nil {
		return err
	}
	if err := r.lookupDeals(ctx, q, titles); err != nil {
		return err
	}
	r.resolveRows(items, b)
	if !r.write {
		r.finish(items)
	}
	return nil
}

const companyLookupColumns = `c.id, c.name, coalesce(c.inn, ''), coalesce(c.kpp, ''), coalesce(c.ogrn, ''), c.address, c.manager_id, c.phones, c.emails,
	c.fields`

func (r *run) lookupCompanies(ctx context.Context, q crm.Querier, inns, names []string) error {
	if len(inns)+len(names) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT '', `+companyLookupColumns+` FROM companies c
		WHERE c.merged_into IS NULL AND (c.inn = ANY($1) OR lower(c.name) = ANY(SELECT lower(x) FROM unnest($2::text[]) x))
		UNION ALL
		-- A company merged into another may keep its INN: the INN leads to the one it went into.
		SELECT m.inn, `+companyLookupColumns+` FROM companies m JOIN companies c ON c.id = m.merged_into
		WHERE m.inn = ANY($1) AND c.merged_into IS NULL
		ORDER BY 2`, inns, names)
	if err != nil {
		return fmt.Errorf("look up companies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var via string
		var c company
		if err := rows.Scan(&via, &c.id, &c.name, &c.inn, &c.kpp, &c.ogrn, &c.address, &c.managerID, &c.phones, &c.emails, &c.fields); err != nil {
			return fmt.Errorf("look up companies: %w", err)
		}
		have := r.companyByID(&c.id)
		if !have.loaded {
			c.row, c.first, c.loaded = have.row, have.first, true
			*have = c
		}
		r.addCompany(have)
		if via != "" && r.coINN[via] == nil {
			r.coINN[via] = have
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("look up companies: %w", err)
	}
	return nil
}

const personLookupColumns = `c.id, c.name, c.position, c.company_id, c.manager_id, c.phones, c.emails, c.fields`

func (r *run) lookupPeople(ctx context.Context, q crm.Querier, idents, names []string) error {
	if len(idents) > 0 {
		rows, err := q.Query(ctx, `SELECT ci.identity, `+personLookupColumns+`
			FROM contact_identities ci JOIN contacts c ON c.id = ci.contact_id WHERE ci.identity = ANY($1)`, idents)
		if err != nil {
			return fmt.Errorf("look up contacts: %w", err)
		}
		err = r.scanPeople(rows, func(identity string, p *person) {
			if r.owner[identity] == nil {
				r.owner[identity] = p
			}
		})
		if err != nil {
			return err
		}
	}
	if len(names) > 0 {
		// No index serves this: only rows with neither phone nor e-mail
		// are looked up by name.
		rows, err := q.Query(ctx, `SELECT '', `+personLookupColumns+` FROM contacts c
			WHERE c.merged_into IS NULL AND lower(c.name) = ANY(SELECT lower(x) FROM unnest($1::text[]) x) ORDER BY c.id`, names)
		if err != nil {
			return fmt.Errorf("look up contacts: %w", err)
		}
		err = r.scanPeople(rows, func(_ string, p *person) {
			if k := (nameKey{lower(dedupe.Name(p.name)), p.company}); r.byName[k] == nil {
				r.byName[k] = p
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *run) scanPeople(rows pgx.Rows, found func(string, *person)) error {
	defer rows.Close()
	for rows.Next() {
		var key string
		var p person
		var companyID *int64
		if err := rows.Scan(&key, &p.id, &p.name, &p.position, &companyID, &p.managerID, &p.phones, &p.emails, &p.fields); err != nil {
			return fmt.Errorf("look up contacts: %w", err)
		}
		have := r.personByID(p.id)
		if !have.loaded {
			p.row, p.first, p.loaded, p.company = have.row, have.first, true, r.companyByID(companyID)
			*have = p
		}
		found(key, have)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("look up contacts: %w", err)
	}
	return nil
}

func (r *run) lookupDeals(ctx context.Context, q crm.Querier, titles []string) error {
	if len(titles) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT id, pipeline_id, title, contact_id, company_id FROM deals
		WHERE lower(title) = ANY(SELECT lower(x) FROM unnest($1::text[]) x) ORDER BY id`, titles)
	if err != nil {
		return fmt.Errorf("look up deals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d deal
		var k dealKey
		var contactID, companyID *int64
		if err := rows.Scan(&d.id, &k.pipeline, &k.title, &contactID, &companyID); err != nil {
			return fmt.Errorf("look up deals: %w", err)
		}
		k.title = lower(dedupe.Name(k.title))
		if contactID != nil {
			k.p = r.personByID(*contactID)
		}
		k.c = r.companyByID(companyID)
		if r.deals[k] == nil {
			d.row, d.first = r.created[fmt.Sprint("deal ", d.id)], r.first[fmt.Sprint("deal ", d.id)]
			r.deals[k] = &d
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("look up deals: %w", err)
	}
	return nil
}

// writeBatch writes a resolved batch: companies, then the people who work
// there, their phones and e-mails, then deals with both.
func (r *run) writeBatch(ctx context.Context, tx pgx.Tx, b *batch) error {
	for _, step := range []func(context.Context, pgx.Tx, *batch) error{
		r.insertCompanies, r.updateCompanies, r.insertPeople, r.updatePeople, r.insertIdentities, r.insertDeals,
	} {
		if err := step(ctx, tx, b); err != nil {
			return err
		}
	}
	return nil
}

// newIDs takes n ids of a table's sequence, so that rows inserted together
// are known by the id each got.
func newIDs(ctx context.Context, tx pgx.Tx, table string, n int) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)`, table, n)
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

func (c *company) idPtr() *int64 {
	if c == nil {
		return nil
	}
	return &c.id
}

func (r *run) insertCompanies(ctx context.Context, tx pgx.Tx, b *batch) error {
	if len(b.newCompanies) == 0 {
		return nil
	}
	ids, err := newIDs(ctx, tx, "companies", len(b.newCompanies))
	if err != nil {
		return err
	}
	var names, addresses, phones, emails, fields []string
	var inns, kpps, ogrns []*string
	var managers []*int64
	for i, c := range b.newCompanies {
		fields = append(fields, fieldsJSON(c.fields))
		c.id = ids[i]
		r.companies[c.id] = c
		r.created[fmt.Sprint("company ", c.id)] = c.row
		r.first[fmt.Sprint("company ", c.id)] = c.first
		names, addresses = append(names, c.name), append(addresses, c.address)
		inns, kpps, ogrns = append(inns, nullable(c.inn)), append(kpps, nullable(c.kpp)), append(ogrns, nullable(c.ogrn))
		managers = append(managers, c.managerID)
		phones, emails = append(phones, strings.Join(c.phones, " ")), append(emails, strings.Join(c.emails, " "))
	}
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = dedupe.CompanyKey(n)
	}
	_, err = tx.Exec(ctx, `INSERT INTO companies (id, name, inn, kpp, ogrn, address, manager_id, phones, emails, name_key, created_at, updated_at,
			fields)
		SELECT u.id, u.name, u.inn, u.kpp, u.ogrn, u.address, u.manager_id, string_to_array(u.phones, ' '), string_to_array(u.emails, ' '),
			u.name_key, $10, $10, u.fields::jsonb
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[], $11::text[],
			$12::text[])
			AS u(id, name, inn, kpp, ogrn, address, manager_id, phones, emails, name_key, fields)`,
		ids, names, inns, kpps, ogrns, addresses, managers, phones, emails, r.now, keys, fields)
	if err != nil {
		return fmt.Errorf("insert companies: %w", err)
	}
	return nil
}

// updateCompanies fills what matched companies lack; the SQL checks again
// that it is lacking, so nothing written meanwhile is overwritten.
func (r *run) updateCompanies(ctx context.Context, tx pgx.Tx, b *batch) error {
	if len(b.fillCompany) == 0 {
		return nil
	}
	var ids []int64
	var addresses, phones, emails, fields []string
	var inns, kpps, ogrns []*string
	var managers []*int64
	for _, c := range b.fillCompany {
		fields = append(fields, fieldsJSON(c.fields))
		ids, addresses = append(ids, c.id), append(addresses, c.address)
		inns, kpps, ogrns = append(inns, nullable(c.inn)), append(kpps, nullable(c.kpp)), append(ogrns, nullable(c.ogrn))
		managers = append(managers, c.managerID)
		phones, emails = append(phones, strings.Join(c.phones, " ")), append(emails, strings.Join(c.emails, " "))
	}
	_, err := tx.Exec(ctx, `UPDATE companies c SET inn = coalesce(c.inn, u.inn), kpp = coalesce(c.kpp, u.kpp), ogrn = coalesce(c.ogrn, u.ogrn),
			address = CASE WHEN c.address = '' THEN u.address ELSE c.address END, manager_id = coalesce(c.manager_id, u.manager_id),
			phones = c.phones || ARRAY(SELECT x FROM unnest(string_to_array(u.phones, ' ')) WITH ORDINALITY a(x, i) WHERE x <> ALL(c.phones) ORDER BY i),
			emails = c.emails || ARRAY(SELECT x FROM unnest(string_to_array(u.emails, ' ')) WITH ORDINALITY a(x, i) WHERE x <> ALL(c.emails) ORDER BY i),
			fields = u.fields::jsonb || c.fields, updated_at = $9
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $10::text[])
			AS u(id, inn, kpp, ogrn, address, manager_id, phones, emails, fields)
		WHERE c.id = u.id`, ids, inns, kpps, ogrns, addresses, managers, phones, emails, r.now, fields)
	if err != nil {
		return fmt.Errorf("update companies: %w", err)
	}
	return nil
}

func (r *run) insertPeople(ctx context.Context, tx pgx.Tx, b *batch) error {
	if len(b.newPeople) == 0 {
		return nil
	}
	ids, err := newIDs(ctx, tx, "contacts", len(b.newPeople))
	if err != nil {
		return err
	}
	var names, positions, phones, emails, fields []string
	var companies, managers []*int64
	for i, p := range b.newPeople {
		fields = append(fields, fieldsJSON(p.fields))
		p.id = ids[i]
		r.people[p.id] = p
		r.created[fmt.Sprint("contact ", p.id)] = p.row
		r.first[fmt.Sprint("contact ", p.id)] = p.first
		names, positions = append(names, p.name), append(positions, p.position)
		companies, managers = append(companies, p.company.idPtr()), append(managers, p.managerID)
		phones, emails = append(phones, strings.Join(p.phones, " ")), append(emails, strings.Join(p.emails, " "))
	}
	_, err = tx.Exec(ctx, `INSERT INTO contacts (id, name, position, company_id, manager_id, phones, emails, created_at, updated_at, fields)
		SELECT u.id, u.name, u.position, u.company_id, u.manager_id, string_to_array(u.phones, ' '), string_to_array(u.emails, ' '), $8, $8,
			u.fields::jsonb
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $9::text[])
			AS u(id, name, position, company_id, manager_id, phones, emails, fields)`,
		ids, names, positions, companies, managers, phones, emails, r.now, fields)
	if err != nil {
		return fmt.Errorf("insert contacts: %w", err)
	}
	return nil
}

// updatePeople fills what matched contacts lack and adds their new phones
// and e-mails; the SQL checks again that a field is blank.
func (r *run) updatePeople(ctx context.Context, tx pgx.Tx, b *batch) error {
	if len(b.fillPerson) == 0 {
		return nil
	}
	var ids []int64
	var names, positions, phones, emails, fields []string
	var companies, managers []*int64
	for _, p := range b.fillPerson {
		fields = append(fields, fieldsJSON(p.fields))
		ids, names, positions = append(ids, p.id), append(names, p.name), append(positions, p.position)
		companies, managers = append(companies, p.company.idPtr()), append(managers, p.managerID)
		phones, emails = append(phones, strings.Join(p.phones, " ")), append(emails, strings.Join(p.emails, " "))
	}
	_, err := tx.Exec(ctx, `UPDATE contacts c SET name = CASE WHEN c.name = '' THEN u.name ELSE c.name END,
			position = CASE WHEN c.position = '' THEN u.position ELSE c.position END,
			company_id = coalesce(c.company_id, u.company_id), manager_id = coalesce(c.manager_id, u.manager_id),
			phones = c.phones || ARRAY(SELECT x FROM unnest(string_to_array(u.phones, ' ')) WITH ORDINALITY a(x, i) WHERE x <> ALL(c.phones) ORDER BY i),
			emails = c.emails || ARRAY(SELECT x FROM unnest(string_to_array(u.emails, ' ')) WITH ORDINALITY a(x, i) WHERE x <> ALL(c.emails) ORDER BY i),
			fields = u.fields::jsonb || c.fields, updated_at = $8
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $9::text[])
			AS u(id, name, position, company_id, manager_id, phones, emails, fields)
		WHERE c.id = u.id`, ids, names, positions, companies, managers, phones, emails, r.now, fields)
	if err != nil {
		return fmt.Errorf("update contacts: %w", err)
	}
	return nil
}

// insertIdentities claims the new people's phones and e-mails and those a
// matched person gains. One claimed meanwhile by someone else fails the
// batch, which is then decided again.
func (r *run) insertIdentities(ctx context.Context, tx pgx.Tx, b *batch) error {
	var idents []string
	var owners []int64
	for _, p := range b.newPeople {
		for _, id := range (&personIn{phones: p.phones, emails: p.emails}).identities() {
			idents, owners = append(idents, id), append(owners, p.id)
		}
	}
	for _, c := range b.claims {
		idents, owners = append(idents, c.identity), append(owners, c.p.id)
	}
	if len(idents) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO contact_identities (identity, contact_id) SELECT * FROM unnest($1::text[], $2::bigint[])`,
		idents, owners); err != nil {
		return fmt.Errorf("insert contact identities: %w", err)
	}
	return nil
}

func (r *run) insertDeals(ctx context.Context, tx pgx.Tx, b *batch) error {
	if len(b.newDeals) == 0 {
		return nil
	}
	ids, err := newIDs(ctx, tx, "deals", len(b.newDeals))
	if err != nil {
		return err
	}
	var titles, currencies, amounts, fields []string
	var pipelines, stages []int64
	var contacts, companies, managers []*int64
	var closed []bool
	for i, d := range b.newDeals {
		fields = append(fields, fieldsJSON(d.in.fields))
		d.id = ids[i]
		r.created[fmt.Sprint("deal ", d.id)] = d.row
		r.first[fmt.Sprint("deal ", d.id)] = d.first
		titles, currencies, amounts = append(titles, d.in.title), append(currencies, d.in.currency), append(amounts, d.in.amount)
		pipelines, stages = append(pipelines, d.in.pipeline.ID), append(stages, d.in.stage.ID)
		var contactID *int64
		if d.p != nil {
			contactID = &d.p.id
		}
		contacts, companies, managers = append(contacts, contactID), append(companies, d.c.idPtr()), append(managers, d.in.managerID)
		closed = append(closed, d.in.stage.Closed())
	}
	_, err = tx.Exec(ctx, `INSERT INTO deals (id, title, pipeline_id, stage_id, contact_id, company_id, manager_id, currency, amount,
			closed_at, created_at, updated_at, fields)
		SELECT u.id, u.title, u.pipeline_id, u.stage_id, u.contact_id, u.company_id, u.manager_id, u.currency, u.amount::numeric,
			CASE WHEN u.closed THEN $11::timestamptz END, $11, $11, u.fields::jsonb
		FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::bool[],
			$12::text[])
			AS u(id, title, pipeline_id, stage_id, contact_id, company_id, manager_id, currency, amount, closed, fields)`,
		ids, titles, pipelines, stages, contacts, companies, managers, currencies, amounts, closed, r.now, fields)
	if err != nil {
		return fmt.Errorf("insert deals: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO deal_stage_history (deal_id, to_stage_id, at, by_manager_id)
		SELECT u.id, u.stage_id, $3, $4 FROM unnest($1::bigint[], $2::bigint[]) AS u(id, stage_id)`,
		ids, stages, r.now, r.o.By); err != nil {
		return fmt.Errorf("insert deal history: %w", err)
	}
	return nil
}

// fieldsJSON is a record's custom fields as a JSON object ({} for none).
func fieldsJSON(f crm.Fields) string {
	if len(f) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(f)
	return string(b)
}
