package crm

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
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
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

const contactColumns = `id, name, position, company_id, manager_id, phones, emails, created_at, updated_at`

func scanContact(row pgx.Row) (Contact, error) {
	var c Contact
	err := row.Scan(&c.ID, &c.Name, &c.Position, &c.CompanyID, &c.ManagerID, &c.Phones, &c.Emails, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

const companyColumns = `id, name, inn, kpp, ogrn, address, director, director_post, signatory_basis, manager_id, phones, emails, created_at, updated_at`

func scanCompany(row pgx.Row) (Company, error) {
	var c Company
	err := row.Scan(&c.ID, &c.Name, &c.INN, &c.KPP, &c.OGRN, &c.Address, &c.Director, &c.DirectorPost, &c.SignatoryBasis,
		&c.ManagerID, &c.Phones, &c.Emails, &c.CreatedAt, &c.UpdatedAt)
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
}

// CreateContact stores a contact and its identities. Errors: EINVALID,
// ECONFLICT when a phone or e-mail is already another contact's.
func (s *Store) CreateContact(ctx context.Context, in ContactInput) (Contact, error) {
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
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
	err := tx.QueryRow(ctx, `INSERT INTO contacts (name, position, company_id, manager_id, phones, emails, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
		strings.TrimSpace(deref(in.Name)), deref(in.Position), in.CompanyID, in.ManagerID,
		nonNil(derefSlice(in.Phones)), nonNil(derefSlice(in.Emails)), now).Scan(&id)
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
			return &Error{Code: ECONFLICT, Field: field, Message: fmt.Sprintf("%s is already contact %d's", strings.SplitN(id, ":", 2)[1], owner)}
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
		if _, err := tx.Exec(ctx, `UPDATE contacts SET name = $2, position = $3, company_id = $4, manager_id = $5,
			phones = $6, emails = $7, updated_at = $8 WHERE id = $1`,
			id, c.Name, c.Position, c.CompanyID, c.ManagerID, nonNil(c.Phones), nonNil(c.Emails), s.now()); err != nil {
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
	Oldest    bool   // oldest first instead of newest
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
	Name      *string   `json:"name"`
	INN       *string   `json:"inn"`
	KPP       *string   `json:"kpp"`
	OGRN      *string   `json:"ogrn"`
	Address   *string   `json:"address"`
	ManagerID *int64    `json:"manager_id"`
	Phones    *[]string `json:"phones"`
	Emails    *[]string `json:"emails"`
	// The signatory of the company's contracts (see Company).
	Director       *string `json:"director"`
	DirectorPost   *string `json:"director_post"`
	SignatoryBasis *string `json:"signatory_basis"`
}

var innRe = regexp.MustCompile(`^(\d{10}|\d{12})$`)

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
	if in.INN != nil {
		inn := strings.TrimSpace(*in.INN)
		in.INN = &inn
		if inn == "" {
			in.INN = nil
		} else if !innRe.MatchString(inn) {
			return Invalid("inn", "an INN is 10 digits (organisation) or 12 (entrepreneur), not %q", inn)
		}
	}
	return nil
}

// CreateCompany stores a company. Errors: EINVALID, ECONFLICT (the INN is
// another company's).
func (s *Store) CreateCompany(ctx context.Context, in CompanyInput) (Company, error) {
	if err := in.validate(true); err != nil {
		return Company{}, err
	}
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
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
	err := tx.QueryRow(ctx, `INSERT INTO companies (name, inn, kpp, ogrn, address, manager_id, phones, emails, created_at, updated_at,
			director, director_post, signatory_basis)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12) RETURNING id`,
		deref(in.Name), in.INN, in.KPP, in.OGRN, deref(in.Address), in.ManagerID,
		nonNil(derefSlice(in.Phones)), nonNil(derefSlice(in.Emails)), now,
		strings.TrimSpace(deref(in.Director)), strings.TrimSpace(deref(in.DirectorPost)), strings.TrimSpace(deref(in.SignatoryBasis))).Scan(&id)
	return id, translate(err, "company with this INN")
}

// Company returns one company. Errors: ENOTFOUND.
func (s *Store) Company(ctx context.Context, id int64) (Company, error) {
	c, err := scanCompany(s.pool.QueryRow(ctx, `SELECT `+companyColumns+` FROM companies WHERE id = $1 AND merged_into IS NULL`, id))
	return c, translate(err, "company")
}

// UpdateCompany changes a company. Errors: ENOTFOUND, EINVALID, ECONFLICT.
func (s *Store) UpdateCompany(ctx context.Context, id int64, in CompanyInput) (Company, error) {
	if err := in.validate(false); err != nil {
		return Company{}, err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE companies SET name = coalesce($2, name), inn = coalesce($3, inn), kpp = coalesce($4, kpp),
			ogrn = coalesce($5, ogrn), address = coalesce($6, address), manager_id = coalesce($7, manager_id),
			phones = coalesce($8, phones), emails = coalesce($9, emails), updated_at = $10,
			director = coalesce($11, director), director_post = coalesce($12, director_post),
			signatory_basis = coalesce($13, signatory_basis)
		WHERE id = $1 AND merged_into IS NULL`, id, in.Name, in.INN, in.KPP, in.OGRN, in.Address, in.ManagerID, in.Phones, in.Emails, s.now(),
		trimmed(in.Director), trimmed(in.DirectorPost), trimmed(in.SignatoryBasis))
	if err != nil {
		return Company{}, translate(err, "company with this INN")
	}
	if tag.RowsAffected() == 0 {
		return Company{}, Errorf(ENOTFOUND, "company not found")
	}
	return s.Company(ctx, id)
}

// CompanyFilter selects companies, newest first.
type CompanyFilter struct {
	ManagerID *int64
	INN       string
	Query     string
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
