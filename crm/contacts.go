package crm

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/dedupe"
)

// Contact is a person the company knows.
type Contact struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Position  string    `json:"position"`
	CompanyID *int64    `json:"company_id"`
	ManagerID *int64    `json:"manager_id"`
	Phones    []string  `json:"phones"`
	Emails    []string  `json:"emails"`
	Fields    Fields    `json:"fields"` // custom fields (configs: fields.contact)
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Company is an organisation the company sells to.
type Company struct {
	ID      int64   `json:"id"`
	Name    string  `json:"name"`
	INN     *string `json:"inn"`
	KPP     *string `json:"kpp"`
	OGRN    *string `json:"ogrn"`
	Address string  `json:"address"`
	// The company's bank: its name, BIK, settlement and correspondent
	// accounts (the control keys checked against the BIK).
	Bank        string  `json:"bank"`
	BIK         *string `json:"bik"`
	Account     *string `json:"account"`
	CorrAccount *string `json:"corr_account"`
	// Director, DirectorPost and SignatoryBasis are who signs for the
	// company and on what basis, in the nominative («Сидоров Пётр
	// Ильич», «Генеральный директор») and the genitive («Устава»): a
	// contract writes «в лице генерального директора Сидорова Петра
	// Ильича, действующего на основании Устава».
	Director       string    `json:"director"`
	DirectorPost   string    `json:"director_post"`
	SignatoryBasis string    `json:"signatory_basis"`
	ManagerID      *int64    `json:"manager_id"`
	Phones         []string  `json:"phones"`
	Emails         []string  `json:"emails"`
	Fields         Fields    `json:"fields"` // custom fields (configs: fields.company)
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

const contactColumns = `id, name, position, company_id, manager_id, phones, emails, fields, created_at, updated_at`

func scanContact(row pgx.Row) (Contact, error) {
	var c Contact
	err := row.Scan(&c.ID, &c.Name, &c.Position, &c.CompanyID, &c.ManagerID, &c.Phones, &c.Emails, &c.Fields, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

const companyColumns = `id, name, inn, kpp, ogrn, address, bank, bik, account, corr_account, director, director_post, signatory_basis,
	manager_id, phones, emails, fields, created_at, updated_at`

func scanCompany(row pgx.Row) (Company, error) {
	var c Company
	err := row.Scan(&c.ID, &c.Name, &c.INN, &c.KPP, &c.OGRN, &c.Address, &c.Bank, &c.BIK, &c.Account, &c.CorrAccount,
		&c.Director, &c.DirectorPost, &c.SignatoryBasis,
		&c.ManagerID, &c.Phones, &c.Emails, &c.Fields, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// ContactInput creates or changes a contact; phones and e-mails are
// normalized by the caller (dedupe). Nil fields stay.
type ContactInput struct {
	Name      *string   `json:"name"`
	Position  *string   `json:"position"`
	CompanyID *int64    `json:"company_id"`
	ManagerID *int64    `json:"manager_id"`
	Phones    *[]string `json:"phones"`
	Emails    *[]string `json:"emails"`
	// Fields are merged into the contact's custom fields ("" removes one).
	Fields Fields `json:"fields"`
}

// CreateContact stores a contact and its identities. Errors: EINVALID
// (naming the field, fields.<key> for a custom one), ECONFLICT when a
// phone or e-mail is already another contact's.
func (s *Store) CreateContact(ctx context.Context, in ContactInput) (Contact, error) {
	f, err := s.FieldSet().Apply(FieldsContact, nil, in.Fields, true)
	if err != nil {
		return Contact{}, err
	}
	in.Fields = f
	var id int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		id, err = createContact(ctx, tx, in, s.now())
		return err
	})
	if err != nil {
		return Contact{}, err
	}
	return s.Contact(ctx, id)
}

func createContact(ctx context.Context, tx pgx.Tx, in ContactInput, now time.Time) (int64, error) {
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		if (in.Phones == nil || len(*in.Phones) == 0) && (in.Emails == nil || len(*in.Emails) == 0) {
			return 0, Invalid("name", "a contact needs a name, a phone or an e-mail")
		}
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO contacts (name, position, company_id, manager_id, phones, emails, fields, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $8, $7, $7) RETURNING id`,
		strings.TrimSpace(deref(in.Name)), deref(in.Position), in.CompanyID, in.ManagerID,
		nonNil(derefSlice(in.Phones)), nonNil(derefSlice(in.Emails)), now, nonNilFields(in.Fields)).Scan(&id)
	if err != nil {
		return 0, translate(err, "contact")
	}
	return id, claimIdentities(ctx, tx, id, derefSlice(in.Phones), derefSlice(in.Emails))
}

func derefSlice(s *[]string) []string {
	if s == nil {
		return nil
	}
	return *s
}

// claimIdentities makes the phones and e-mails the contact's; one that is
// another contact's is a conflict naming it.
func claimIdentities(ctx context.Context, tx pgx.Tx, contactID int64, phones, emails []string) error {
	ids := (&Inbound{Phones: phones, Emails: emails}).Identities()
	for _, id := range ids {
		var owner int64
		err := tx.QueryRow(ctx, `INSERT INTO contact_identities (identity, contact_id) VALUES ($1, $2)
			ON CONFLICT (identity) DO UPDATE SET identity = EXCLUDED.identity RETURNING contact_id`, id, contactID).Scan(&owner)
		if err != nil {
			return translate(err, "contact identity")
		}
		if owner != contactID {
			field := "phones"
			if strings.HasPrefix(id, "email:") {
				field = "emails"
			}
			return conflictWith(owner, FieldErrorf(ECONFLICT, field, "%s is already contact %d's", strings.SplitN(id, ":", 2)[1], owner))
		}
	}
	return nil
}

// Contact returns one contact. Errors: ENOTFOUND.
func (s *Store) Contact(ctx context.Context, id int64) (Contact, error) {
	c, err := scanContact(s.pool.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts WHERE id = $1 AND merged_into IS NULL`, id))
	return c, translate(err, "contact")
}

// UpdateContact changes a contact; new phones and e-mails become its
// identities, removed ones are released. Errors: ENOTFOUND, EINVALID,
// ECONFLICT.
func (s *Store) UpdateContact(ctx context.Context, id int64, in ContactInput) (Contact, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		c, err := scanContact(tx.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts WHERE id = $1 AND merged_into IS NULL FOR UPDATE`, id))
		if err != nil {
			return translate(err, "contact")
		}
		set(&c.Name, in.Name)
		set(&c.Position, in.Position)
		set(&c.Phones, in.Phones)
		set(&c.Emails, in.Emails)
		if in.CompanyID != nil {
			c.CompanyID = in.CompanyID
		}
		if in.ManagerID != nil {
			c.ManagerID = in.ManagerID
		}
		if c.Fields, err = s.FieldSet().Apply(FieldsContact, c.Fields, in.Fields, false); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE contacts SET name = $2, position = $3, company_id = $4, manager_id = $5,
			phones = $6, emails = $7, updated_at = $8, fields = $9 WHERE id = $1`,
			id, c.Name, c.Position, c.CompanyID, c.ManagerID, nonNil(c.Phones), nonNil(c.Emails), s.now(), nonNilFields(c.Fields)); err != nil {
			return translate(err, "contact")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM contact_identities WHERE contact_id = $1 AND NOT identity = ANY($2)`,
			id, (&Inbound{Phones: c.Phones, Emails: c.Emails}).Identities()); err != nil {
			return translate(err, "contact identities")
		}
		return claimIdentities(ctx, tx, id, c.Phones, c.Emails)
	})
	if err != nil {
		return Contact{}, err
	}
	return s.Contact(ctx, id)
}

// ContactFilter selects contacts, newest first.
type ContactFilter struct {
	ManagerID *int64
	CompanyID *int64
	Phone     string // E.164
	Email     string
	Query     string // in the name
	Fields    []FieldCond
	Oldest    bool // oldest first instead of newest
	Limit     int
	Cursor    string
}

// Contacts lists contacts and the next page's cursor. Errors: EINVALID.
func (s *Store) Contacts(ctx context.Context, f ContactFilter) ([]Contact, string, error) {
	f.Limit = pageSize(f.Limit)
	q := newListQuery("merged_into IS NULL")
	if f.ManagerID != nil {
		q.add("manager_id = ?", *f.ManagerID)
	}
	if f.CompanyID != nil {
		q.add("company_id = ?", *f.CompanyID)
	}
	if f.Phone != "" {
		q.add("id IN (SELECT contact_id FROM contact_identities WHERE identity = ?)", "tel:"+f.Phone)
	}
	if f.Email != "" {
		q.add("id IN (SELECT contact_id FROM contact_identities WHERE identity = ?)", "email:"+f.Email)
	}
	if f.Query != "" {
		q.add("name ILIKE ?", "%"+escapeLike(f.Query)+"%")
	}
	if err := s.FieldSet().filter(q, FieldsContact, "fields", f.Fields); err != nil {
		return nil, "", err
	}
	tail, args, err := q.page("id", f.Cursor, f.Oldest, f.Limit)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+contactColumns+` FROM contacts`+tail, args...)
	if err != nil {
		return nil, "", translate(err, "contacts")
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Contact, error) { return scanContact(r) })
	if err != nil {
		return nil, "", translate(err, "contacts")
	}
	return page(list, f.Limit, func(c Contact) int64 { return c.ID })
}

// trimmed is a field's value without surrounding space; nil stays nil.
func trimmed(s *string) *string {
	if s == nil {
		return nil
	}
	v := strings.TrimSpace(*s)
	return &v
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// CompanyInput creates or changes a company. Nil fields stay.
type CompanyInput struct {
	Name        *string   `json:"name"`
	INN         *string   `json:"inn"`
	KPP         *string   `json:"kpp"`
	OGRN        *string   `json:"ogrn"`
	Address     *string   `json:"address"`
	Bank        *string   `json:"bank"`
	BIK         *string   `json:"bik"`
	Account     *string   `json:"account"`
	CorrAccount *string   `json:"corr_account"`
	ManagerID   *int64    `json:"manager_id"`
	Phones      *[]string `json:"phones"`
	Emails      *[]string `json:"emails"`
	// The signatory of the company's contracts (see Company).
	Director       *string `json:"director"`
	DirectorPost   *string `json:"director_post"`
	SignatoryBasis *string `json:"signatory_basis"`
	// Fields are merged into the company's custom fields ("" removes one).
	Fields Fields `json:"fields"`
}

// validate tidies the input (requisites without the spaces and dashes
// typed in them; "" clears one on a patch) and checks what it can alone.
func (in *CompanyInput) validate(create bool) error {
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
	}
	if (create || in.Name != nil) && deref(in.Name) == "" {
		return Invalid("name", "a company needs a name")
	}
	for field, v := range map[string]*string{"director": in.Director, "director_post": in.DirectorPost, "signatory_basis": in.SignatoryBasis} {
		if v != nil && (utf8.RuneCountInString(*v) > 200 || strings.ContainsAny(*v, "\r\n")) {
			return Invalid(field, "is one line of at most 200 characters")
		}
	}
	for _, f := range []**string{&in.INN, &in.KPP, &in.OGRN, &in.BIK, &in.Account, &in.CorrAccount} {
		if *f != nil {
			v := dedupe.Requisite(**f)
			*f = &v
		}
	}
	if create {
		for _, f := range []**string{&in.INN, &in.KPP, &in.OGRN, &in.BIK, &in.Account, &in.CorrAccount} {
			if *f != nil && **f == "" {
				*f = nil
			}
		}
	}
	return nil
}

// CheckCompanyRequisites returns an EINVALID error naming the first field
// at fault (inn, kpp, ogrn, bik, account, corr_account), or nil. Every
// field is optional, but what is given must pass its checksum, agree with
// the INN (an entrepreneur has no KPP and a 15-digit OGRNIP) and an
// account needs its bank's BIK.
func CheckCompanyRequisites(c Company) error {
	inn, kpp, ogrn := deref(c.INN), deref(c.KPP), deref(c.OGRN)
	bik, account, corr := deref(c.BIK), deref(c.Account), deref(c.CorrAccount)
	org, ie := len(inn) == 10, len(inn) == 12
	switch {
	case inn == "":
	case !dedupe.AllDigits(inn) || !org && !ie:
		return Invalid("inn", "an INN is 10 digits (organisation) or 12 (entrepreneur), not %q", inn)
	case !dedupe.ValidINN(inn):
		return Invalid("inn", "control digits do not match: %q is mistyped", inn)
	}
	switch {
	case kpp == "":
	case ie:
		return Invalid("kpp", "an entrepreneur (12-digit INN) has no KPP")
	case !dedupe.ValidKPP(kpp):
		return Invalid("kpp", "a KPP is 4 digits, 2 digits or letters A-Z, 3 digits, not %q", kpp)
	}
	switch {
	case ogrn == "":
	case !dedupe.AllDigits(ogrn) || len(ogrn) != 13 && len(ogrn) != 15:
		return Invalid("ogrn", "an OGRN is 13 digits, an OGRNIP 15, not %q", ogrn)
	case org && len(ogrn) != 13:
		return Invalid("ogrn", "an organisation has a 13-digit OGRN, not %q", ogrn)
	case ie && len(ogrn) != 15:
		return Invalid("ogrn", "an entrepreneur has a 15-digit OGRNIP, not %q", ogrn)
	case !dedupe.ValidOGRN(ogrn):
		return Invalid("ogrn", "control digit does not match: %q is mistyped", ogrn)
	}
	switch {
	case bik != "" && !dedupe.ValidBIK(bik):
		return Invalid("bik", "a BIK is 9 digits, not %q", bik)
	case bik == "" && (account != "" || corr != ""):
		return Invalid("bik", "is required with an account")
	}
	for _, a := range []struct {
		field, v string
		ok       func(bik, account string) bool
	}{{"account", account, dedupe.ValidAccount}, {"corr_account", corr, dedupe.ValidCorrAccount}} {
		switch {
		case a.v == "":
		case len(a.v) != 20 || !dedupe.AllDigits(a.v):
			return Invalid(a.field, "an account is 20 digits, not %q", a.v)
		case !a.ok(bik, a.v):
			return Invalid(a.field, "control key does not match BIK %s: %q is mistyped or belongs to another bank", bik, a.v)
		}
	}
	return nil
}

// apply puts the input's fields on a company.
func (in *CompanyInput) apply(c *Company) {
	set(&c.Name, in.Name)
	set(&c.Address, in.Address)
	set(&c.Bank, in.Bank)
	for _, f := range []struct{ dst, v *string }{{&c.Director, in.Director}, {&c.DirectorPost, in.DirectorPost}, {&c.SignatoryBasis, in.SignatoryBasis}} {
		if f.v != nil {
			*f.dst = strings.TrimSpace(*f.v)
		}
	}
	for _, f := range []struct{ dst, v **string }{{&c.INN, &in.INN}, {&c.KPP, &in.KPP}, {&c.OGRN, &in.OGRN},
		{&c.BIK, &in.BIK}, {&c.Account, &in.Account}, {&c.CorrAccount, &in.CorrAccount}} {
		if *f.v != nil {
			*f.dst = *f.v
			if **f.v == "" {
				*f.dst = nil
			}
		}
	}
	if in.ManagerID != nil {
		c.ManagerID = in.ManagerID
	}
	set(&c.Phones, in.Phones)
	set(&c.Emails, in.Emails)
}

// CreateCompany stores a company. Errors: EINVALID (naming the field: a
// requisite that fails its checksum), ECONFLICT (the INN is another
// company's).
func (s *Store) CreateCompany(ctx context.Context, in CompanyInput) (Company, error) {
	if err := in.validate(true); err != nil {
		return Company{}, err
	}
	var c Company
	in.apply(&c)
	if err := CheckCompanyRequisites(c); err != nil {
		return Company{}, err
	}
	f, err := s.FieldSet().Apply(FieldsCompany, nil, in.Fields, true)
	if err != nil {
		return Company{}, err
	}
	in.Fields = f
	var id int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := companyExists(ctx, tx, 0, in.INN, deref(in.Name)); err != nil {
			return err
		}
		var err error
		id, err = createCompany(ctx, tx, in, s.now())
		return err
	})
	if err != nil {
		return Company{}, err
	}
	return s.Company(ctx, id)
}

func createCompany(ctx context.Context, tx pgx.Tx, in CompanyInput, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO companies (name, inn, kpp, ogrn, address, bank, bik, account, corr_account, manager_id,
			phones, emails, name_key, created_at, updated_at, director, director_post, signatory_basis, fields)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17, $18) RETURNING id`,
		deref(in.Name), in.INN, in.KPP, in.OGRN, deref(in.Address), deref(in.Bank), in.BIK, in.Account, in.CorrAccount, in.ManagerID,
		nonNil(derefSlice(in.Phones)), nonNil(derefSlice(in.Emails)), dedupe.CompanyKey(deref(in.Name)), now,
		strings.TrimSpace(deref(in.Director)), strings.TrimSpace(deref(in.DirectorPost)), strings.TrimSpace(deref(in.SignatoryBasis)),
		nonNilFields(in.Fields)).Scan(&id)
	return id, translate(err, "company with this INN")
}

// Company returns one company. Errors: ENOTFOUND.
func (s *Store) Company(ctx context.Context, id int64) (Company, error) {
	c, err := scanCompany(s.pool.QueryRow(ctx, `SELECT `+companyColumns+` FROM companies WHERE id = $1 AND merged_into IS NULL`, id))
	return c, translate(err, "company")
}

// UpdateCompany changes a company; a requisite given as "" is cleared.
// The company as it would be is checked, so an account is checked against
// the BIK it already has. Errors: ENOTFOUND, EINVALID (naming the field),
// ECONFLICT.
func (s *Store) UpdateCompany(ctx context.Context, id int64, in CompanyInput) (Company, error) {
	if err := in.validate(false); err != nil {
		return Company{}, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		c, err := scanCompany(tx.QueryRow(ctx, `SELECT `+companyColumns+` FROM companies WHERE id = $1 AND merged_into IS NULL FOR UPDATE`, id))
		if err != nil {
			return translate(err, "company")
		}
		in.apply(&c)
		if err := CheckCompanyRequisites(c); err != nil {
			return err
		}
		if in.Name != nil || in.INN != nil {
			if err := companyExists(ctx, tx, id, c.INN, c.Name); err != nil {
				return err
			}
		}
		if c.Fields, err = s.FieldSet().Apply(FieldsCompany, c.Fields, in.Fields, false); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE companies SET name = $2, inn = $3, kpp = $4, ogrn = $5, address = $6, bank = $7, bik = $8,
				account = $9, corr_account = $10, manager_id = $11, phones = $12, emails = $13, name_key = $14, updated_at = $15,
				director = $16, director_post = $17, signatory_basis = $18, fields = $19
			WHERE id = $1`, id, c.Name, c.INN, c.KPP, c.OGRN, c.Address, c.Bank, c.BIK, c.Account, c.CorrAccount, c.ManagerID,
			nonNil(c.Phones), nonNil(c.Emails), dedupe.CompanyKey(c.Name), s.now(), c.Director, c.DirectorPost, c.SignatoryBasis,
			nonNilFields(c.Fields))
		return translate(err, "company with this INN")
	})
	if err != nil {
		return Company{}, err
	}
	return s.Company(ctx, id)
}

// companyExists refuses a company that is one the CRM has — by INN, else
// by its name key (legal form, quotes and alphabet aside: «ООО
// "Ромашка"» is "Ромашка ПАО" is "OOO Romashka") where one of the two has
// no INN, as conversion and the import find companies — with ECONFLICT
// naming the field and the company that is (except, on a patch, self).
// The name key is locked for the transaction, so two at once make one.
func companyExists(ctx context.Context, tx pgx.Tx, self int64, inn *string, name string) error {
	if inn != nil && *inn != "" {
		var id int64
		err := tx.QueryRow(ctx, `SELECT coalesce(merged_into, id) FROM companies WHERE inn = $1 AND id <> $2`, *inn, self).Scan(&id)
		switch {
		case err == nil && id != self:
			return conflictWith(id, FieldErrorf(ECONFLICT, "inn", "INN %s is already company %d's", *inn, id))
		case err != nil && err != pgx.ErrNoRows:
			return translate(err, "company")
		}
	}
	key := dedupe.CompanyKey(name)
	if key == "" {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('company:' || $1, 0))`, key); err != nil {
		return translate(err, "company")
	}
	var id int64
	var other *string
	err := tx.QueryRow(ctx, `SELECT id, inn FROM companies WHERE name_key = $1 AND merged_into IS NULL AND id <> $2
		AND ($3::text IS NULL OR inn IS NULL) ORDER BY id LIMIT 1`, key, self, nilIfEmpty(inn)).Scan(&id, &other)
	switch {
	case err == pgx.ErrNoRows:
		return nil
	case err != nil:
		return translate(err, "company")
	}
	return conflictWith(id, FieldErrorf(ECONFLICT, "name", "%q is already company %d (the same name, legal form and quotes aside); add to it, or give each its INN", name, id))
}

// KeyCompanies gives the companies made before name keys their key; it
// returns how many it keyed.
func (s *Store) KeyCompanies(ctx context.Context) (int, error) {
	n := 0
	for {
		var ids []int64
		var keys []string
		rows, err := s.pool.Query(ctx, `SELECT id, name FROM companies WHERE name_key IS NULL ORDER BY id LIMIT 1000`)
		if err != nil {
			return n, translate(err, "companies")
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return n, err
			}
			ids, keys = append(ids, id), append(keys, dedupe.CompanyKey(name))
		}
		rows.Close()
		if len(ids) == 0 {
			return n, rows.Err()
		}
		if _, err := s.pool.Exec(ctx, `UPDATE companies c SET name_key = u.key FROM unnest($1::bigint[], $2::text[]) AS u(id, key)
			WHERE c.id = u.id`, ids, keys); err != nil {
			return n, translate(err, "companies")
		}
		n += len(ids)
	}
}

// CompanyFilter selects companies, newest first.
type CompanyFilter struct {
	ManagerID *int64
	INN       string
	Query     string
	Fields    []FieldCond
	Oldest    bool // oldest first instead of newest
	Limit     int
	Cursor    string
}

// Companies lists companies and the next page's cursor.
func (s *Store) Companies(ctx context.Context, f CompanyFilter) ([]Company, string, error) {
	f.Limit = pageSize(f.Limit)
	q := newListQuery("merged_into IS NULL")
	if f.ManagerID != nil {
		q.add("manager_id = ?", *f.ManagerID)
	}
	if f.INN != "" {
		q.add("inn = ?", f.INN)
	}
	if f.Query != "" {
		q.add("name ILIKE ?", "%"+escapeLike(f.Query)+"%")
	}
	if err := s.FieldSet().filter(q, FieldsCompany, "fields", f.Fields); err != nil {
		return nil, "", err
	}
	tail, args, err := q.page("id", f.Cursor, f.Oldest, f.Limit)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+companyColumns+` FROM companies`+tail, args...)
	if err != nil {
		return nil, "", translate(err, "companies")
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Company, error) { return scanCompany(r) })
	if err != nil {
		return nil, "", translate(err, "companies")
	}
	return page(list, f.Limit, func(c Company) int64 { return c.ID })
}
