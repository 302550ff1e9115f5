package crm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/dedupe"
)

// Conversion qualifies a lead: for a person (contact + deal), or for a
// legal entity when Company is given (contact + company + deal).
type Conversion struct {
	Pipeline string        `json:"pipeline"` // default: the default pipeline
	Title    string        `json:"title"`    // default: from the lead
	Company  *CompanyInput `json:"company"`
	// Fields are the deal's custom fields, ContactFields the contact's
	// (the company's are Company.Fields). A lead's field whose key the
	// deal, the contact or the company also declares is carried over
	// unless given here.
	Fields        Fields `json:"fields"`
	ContactFields Fields `json:"contact_fields"`
}

// carry is what a record made or found by a conversion takes: the lead's
// fields its kind declares, then those given.
func (fs *FieldSet) carry(kind string, lead, given Fields) Fields {
	out := Fields{}
	for k, v := range lead {
		if _, ok := fs.Decls.Def(kind, k); ok && v != "" {
			out[k] = v
		}
	}
	for k, v := range given {
		out[k] = v
	}
	return out
}

// prefixed names a nested field of an input error: company.fields.size.
func prefixed(err error, prefix string) error {
	var e *Error
	if errors.As(err, &e) && e.Field != "" {
		e.Field = prefix + e.Field
	}
	return err
}

// Converted is what a conversion made or found.
type Converted struct {
	DealID    int64  `json:"deal_id"`
	ContactID int64  `json:"contact_id"`
	CompanyID *int64 `json:"company_id"`
}

// ConvertLead turns an open lead into a deal. The person is looked up
// again — an existing contact (by phone or e-mail) and company (by INN,
// then by name) are reused, not duplicated. The lead becomes converted,
// its touches and activities move to the deal, and the deal's manager is
// the lead's. Errors: ENOTFOUND, EINVALID, ECONFLICT (the lead is closed).
func (s *Store) ConvertLead(ctx context.Context, leadID int64, c Conversion, by Actor) (Converted, error) {
	if c.Company != nil {
		err := c.Company.validate(true)
		if err == nil {
			var co Company
			c.Company.apply(&co)
			err = CheckCompanyRequisites(co)
		}
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Field = "company." + e.Field
			}
			return Converted{}, err
		}
	}
	var out Converted
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var l Lead
		var err error
		if l, err = scanLead(tx.QueryRow(ctx, `SELECT `+leadColumns+` FROM leads WHERE id = $1 FOR UPDATE`, leadID)); err != nil {
			return translate(err, "lead")
		}
		if !l.Open() {
			return Errorf(ECONFLICT, "lead %d is %s and cannot be converted", leadID, l.Status)
		}
		fs := s.FieldSet()
		dealFields, err := fs.Apply(FieldsDeal, nil, fs.carry(FieldsDeal, l.Fields, c.Fields), true)
		if err != nil {
			return err
		}
		contactGiven := fs.carry(FieldsContact, l.Fields, c.ContactFields)
		var companyIn *CompanyInput
		if c.Company != nil {
			ci := *c.Company
			if ci.Fields, err = fs.Apply(FieldsCompany, nil, fs.carry(FieldsCompany, l.Fields, c.Company.Fields), false); err != nil {
				return prefixed(err, "company.")
			}
			companyIn = &ci
		}
		now := s.now()
		// The person: the lead's contact, else whoever has one of its
		// phones or e-mails, else a new contact.
		contactID := l.ContactID
		if contactID == nil {
			if contactID, _, err = contactFor(ctx, tx, (&Inbound{Phones: l.Phones, Emails: l.Emails}).Identities()); err != nil {
				return err
			}
		}
		if contactID == nil {
			f, err := fs.Apply(FieldsContact, nil, contactGiven, true)
			if err != nil {
				return prefixed(err, "contact_")
			}
			id, err := createContact(ctx, tx, ContactInput{Name: &l.Name, ManagerID: l.ManagerID, Phones: &l.Phones, Emails: &l.Emails,
				Fields: f}, now)
			if err != nil {
				return err
			}
			contactID = &id
		} else {
			// A known contact gains the fields it lacks; what it has stays.
			f, err := fs.Apply(FieldsContact, nil, contactGiven, false)
			if err != nil {
				return prefixed(err, "contact_")
			}
			if _, err := tx.Exec(ctx, `UPDATE contacts SET fields = $2::jsonb || fields WHERE id = $1`, *contactID, nonNilFields(f)); err != nil {
				return translate(err, "contact")
			}
			// Learn what the lead knew, and give an unowned contact its manager.
			if _, err := tx.Exec(ctx, `UPDATE contacts SET
					phones = phones || ARRAY(SELECT x FROM unnest($2::text[]) x WHERE x <> ALL(contacts.phones)),
					emails = emails || ARRAY(SELECT x FROM unnest($3::text[]) x WHERE x <> ALL(contacts.emails)),
					manager_id = coalesce(manager_id, $4), name = CASE WHEN name = '' THEN $5 ELSE name END, updated_at = $6
				WHERE id = $1`, *contactID, l.Phones, l.Emails, l.ManagerID, l.Name, now); err != nil {
				return translate(err, "contact")
			}
			if _, err := tx.Exec(ctx, `INSERT INTO contact_identities (identity, contact_id) SELECT unnest($1::text[]), $2
				ON CONFLICT DO NOTHING`, (&Inbound{Phones: l.Phones, Emails: l.Emails}).Identities(), *contactID); err != nil {
				return translate(err, "contact identities")
			}
		}
		out.ContactID = *contactID
		if c.Company != nil {
			// A company made here is a new record: its required fields are
			// asked for, as creating it would; a company found keeps its own.
			required := func() error {
				if missing := fs.Missing(FieldsCompany, companyIn.Fields); len(missing) > 0 {
					key := strings.TrimPrefix(missing[0], "fields.")
					d, _ := fs.Decls.Def(FieldsCompany, key)
					return Invalid("company."+missing[0], "%s is required", d.Label)
				}
				return nil
			}
			id, err := findOrCreateCompany(ctx, tx, *companyIn, l.ManagerID, now, required)
			if err != nil {
				return err
			}
			out.CompanyID = &id
			if _, err := tx.Exec(ctx, `UPDATE contacts SET company_id = coalesce(company_id, $2) WHERE id = $1`, *contactID, id); err != nil {
				return translate(err, "contact")
			}
		}
		title := strings.TrimSpace(c.Title)
		if title == "" {
			title = dealTitle(l, c.Company)
		}
		pipeline := c.Pipeline
		if out.DealID, err = createDeal(ctx, tx, DealInput{Title: &title, Pipeline: &pipeline, ContactID: contactID,
			CompanyID: out.CompanyID, ManagerID: l.ManagerID, Fields: dealFields}, &leadID, by, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE leads SET status = 'converted', contact_id = $2, sla_due_at = NULL,
			updated_at = $3, status_changed_at = $3 WHERE id = $1`, leadID, *contactID, now); err != nil {
			return translate(err, "lead")
		}
		// The person's Telegram stays known through the contact, so their
		// next message finds the deal.
		if _, err := tx.Exec(ctx, `INSERT INTO contact_identities (identity, contact_id)
			SELECT identity, $2 FROM lead_identities WHERE lead_id = $1 AND identity LIKE 'tg:%' ON CONFLICT DO NOTHING`,
			leadID, *contactID); err != nil {
			return translate(err, "contact identities")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM lead_identities WHERE lead_id = $1`, leadID); err != nil {
			return translate(err, "lead identities")
		}
		if _, err := tx.Exec(ctx, `UPDATE touches SET deal_id = $2, contact_id = $3 WHERE lead_id = $1`, leadID, out.DealID, *contactID); err != nil {
			return translate(err, "touches")
		}
		// The calls that were to reach the person have done their work:
		// qualifying the lead is the answer. The rest (a letter to answer,
		// a meeting) moves to the deal with its history.
		if _, err := tx.Exec(ctx, `UPDATE activities SET done_at = $2, outcome = 'done: lead converted'
			WHERE lead_id = $1 AND type = 'call' AND done_at IS NULL`, leadID, now); err != nil {
			return translate(err, "activities")
		}
		if _, err := tx.Exec(ctx, `UPDATE activities SET deal_id = $2, contact_id = $3 WHERE lead_id = $1`, leadID, out.DealID, *contactID); err != nil {
			return translate(err, "activities")
		}
		if _, err := tx.Exec(ctx, `UPDATE notes SET deal_id = $2, contact_id = $3 WHERE lead_id = $1`, leadID, out.DealID, *contactID); err != nil {
			return translate(err, "notes")
		}
		return Enqueue(ctx, tx, fmt.Sprintf("lead.converted:%d", leadID),
			LeadConverted{LeadID: leadID, DealID: out.DealID, ContactID: out.ContactID, CompanyID: out.CompanyID, ManagerID: l.ManagerID})
	})
	return out, err
}

// findOrCreateCompany reuses a company by INN, then by its name key (legal
// form, quotes and alphabet aside: «ООО "Ромашка"» is "OOO Romashka"), a
// company with another INN never.
func findOrCreateCompany(ctx context.Context, tx pgx.Tx, in CompanyInput, managerID *int64, now time.Time, creating func() error) (int64, error) {
	var id int64
	if in.INN != nil {
		err := tx.QueryRow(ctx, `SELECT id FROM companies WHERE inn = $1 AND merged_into IS NULL`, *in.INN).Scan(&id)
		if err == nil {
			return id, gainFields(ctx, tx, id, in.Fields)
		} else if err != pgx.ErrNoRows {
			return 0, translate(err, "company")
		}
	}
	key := dedupe.CompanyKey(deref(in.Name))
	if key == "" {
		key = "\x00" // only a legal form: it names no company
	}
	err := tx.QueryRow(ctx, `SELECT id FROM companies WHERE name_key = $1 AND merged_into IS NULL
		AND ($2::text IS NULL OR inn IS NULL) ORDER BY id LIMIT 1`, key, in.INN).Scan(&id)
	if err == nil {
		if in.INN != nil {
			_, err = tx.Exec(ctx, `UPDATE companies SET inn = $2 WHERE id = $1`, id, *in.INN)
		}
		if err != nil {
			return 0, translate(err, "company")
		}
		return id, gainFields(ctx, tx, id, in.Fields)
	} else if err != pgx.ErrNoRows {
		return 0, translate(err, "company")
	}
	if err := creating(); err != nil {
		return 0, err
	}
	if in.ManagerID == nil {
		in.ManagerID = managerID
	}
	return createCompany(ctx, tx, in, now)
}

// gainFields gives a company found by a conversion the custom fields it
// lacks; what it has stays.
func gainFields(ctx context.Context, tx pgx.Tx, id int64, f Fields) error {
	if len(f) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE companies SET fields = $2::jsonb || fields WHERE id = $1`, id, f)
	return translate(err, "company")
}

func dealTitle(l Lead, company *CompanyInput) string {
	switch {
	case company != nil:
		return deref(company.Name)
	case l.Name != "":
		return l.Name
	case len(l.Phones) > 0:
		return l.Phones[0]
	case len(l.Emails) > 0:
		return l.Emails[0]
	}
	return fmt.Sprintf("Лид №%d", l.ID)
}
