package imports

import (
	"context"
	"fmt"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
)

// resolve looks up in bulk what a batch's rows may match, then decides
// each row.
func (r *run) resolve(ctx context.Context, db *crm.ImportBatch, items []*item, b *batch) error {
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
	if err := r.lookupCompanies(ctx, db, inns, coNames); err != nil {
		return err
	}
	if err := r.lookupPeople(ctx, db, idents, names); err != nil {
		return err
	}
	if err := r.lookupDeals(ctx, db, titles); err != nil {
		return err
	}
	r.resolveRows(items, b)
	if !r.write {
		r.finish(items)
	}
	return nil
}

// lookupCompanies reads the companies the rows may name into the cache.
func (r *run) lookupCompanies(ctx context.Context, db *crm.ImportBatch, inns, names []string) error {
	found, err := db.Companies(ctx, inns, names)
	if err != nil {
		return err
	}
	for _, f := range found {
		c := company{id: f.ID, name: f.Name, inn: f.INN, kpp: f.KPP, ogrn: f.OGRN, address: f.Address, managerID: f.ManagerID,
			phones: f.Phones, emails: f.Emails, fields: f.Fields}
		have := r.companyByID(&c.id)
		if !have.loaded {
			c.row, c.first, c.loaded = have.row, have.first, true
			*have = c
		}
		r.addCompany(have)
		if f.Via != "" && r.coINN[f.Via] == nil {
			r.coINN[f.Via] = have
		}
	}
	return nil
}

// lookupPeople reads the contacts the rows' phones and e-mails name, and
// by name those of the rows with neither.
func (r *run) lookupPeople(ctx context.Context, db *crm.ImportBatch, idents, names []string) error {
	byIdent, err := db.PeopleByIdentity(ctx, idents)
	if err != nil {
		return err
	}
	for _, f := range byIdent {
		if p := r.person(f); r.owner[f.Identity] == nil {
			r.owner[f.Identity] = p
		}
	}
	byName, err := db.PeopleByName(ctx, names)
	if err != nil {
		return err
	}
	for _, f := range byName {
		p := r.person(f)
		if k := (nameKey{lower(dedupe.Name(p.name)), p.company}); r.byName[k] == nil {
			r.byName[k] = p
		}
	}
	return nil
}

// person is the run's person for a contact read from the store.
func (r *run) person(f crm.ImportedPerson) *person {
	have := r.personByID(f.ID)
	if !have.loaded {
		*have = person{id: f.ID, row: have.row, first: have.first, loaded: true, name: f.Name, position: f.Position,
			company: r.companyByID(f.CompanyID), managerID: f.ManagerID, phones: f.Phones, emails: f.Emails, fields: f.Fields}
	}
	return have
}

func (r *run) lookupDeals(ctx context.Context, db *crm.ImportBatch, titles []string) error {
	found, err := db.DealsByTitle(ctx, titles)
	if err != nil {
		return err
	}
	for _, f := range found {
		k := dealKey{pipeline: f.PipelineID, title: lower(dedupe.Name(f.Title))}
		if f.ContactID != nil {
			k.p = r.personByID(*f.ContactID)
		}
		k.c = r.companyByID(f.CompanyID)
		if r.deals[k] == nil {
			r.deals[k] = &deal{id: f.ID, managerID: f.ManagerID, row: r.created[fmt.Sprint("deal ", f.ID)], first: r.first[fmt.Sprint("deal ", f.ID)]}
		}
	}
	return nil
}

// writeBatch writes a resolved batch: companies, then the people who work
// there, their phones and e-mails, then deals with both, then the notes.
func (r *run) writeBatch(ctx context.Context, db *crm.ImportBatch, b *batch) error {
	for _, step := range []func(context.Context, *crm.ImportBatch, *batch) error{
		r.insertCompanies, r.updateCompanies, r.insertPeople, r.updatePeople, r.insertIdentities, r.insertDeals, r.insertNotes,
	} {
		if err := step(ctx, db, b); err != nil {
			return err
		}
	}
	return nil
}

func (c *company) idPtr() *int64 {
	if c == nil {
		return nil
	}
	return &c.id
}

func (c *company) imported() crm.ImportedCompany {
	return crm.ImportedCompany{ID: c.id, Name: c.name, INN: c.inn, KPP: c.kpp, OGRN: c.ogrn, Address: c.address, ManagerID: c.managerID,
		Phones: c.phones, Emails: c.emails, Fields: c.fields}
}

func (p *person) imported() crm.ImportedPerson {
	return crm.ImportedPerson{ID: p.id, Name: p.name, Position: p.position, CompanyID: p.company.idPtr(), ManagerID: p.managerID,
		Phones: p.phones, Emails: p.emails, Fields: p.fields}
}

func (r *run) insertCompanies(ctx context.Context, db *crm.ImportBatch, b *batch) error {
	if len(b.newCompanies) == 0 {
		return nil
	}
	ids, err := db.NewIDs(ctx, "companies", len(b.newCompanies))
	if err != nil {
		return err
	}
	out := make([]crm.ImportedCompany, len(b.newCompanies))
	for i, c := range b.newCompanies {
		c.id = ids[i]
		r.companies[c.id] = c
		r.created[fmt.Sprint("company ", c.id)] = c.row
		r.first[fmt.Sprint("company ", c.id)] = c.first
		out[i] = c.imported()
	}
	return db.InsertCompanies(ctx, out, r.now)
}

// updateCompanies fills what matched companies lack.
func (r *run) updateCompanies(ctx context.Context, db *crm.ImportBatch, b *batch) error {
	out := make([]crm.ImportedCompany, len(b.fillCompany))
	for i, c := range b.fillCompany {
		out[i] = c.imported()
	}
	return db.FillCompanies(ctx, out, r.now)
}

func (r *run) insertPeople(ctx context.Context, db *crm.ImportBatch, b *batch) error {
	if len(b.newPeople) == 0 {
		return nil
	}
	ids, err := db.NewIDs(ctx, "contacts", len(b.newPeople))
	if err != nil {
		return err
	}
	out := make([]crm.ImportedPerson, len(b.newPeople))
	for i, p := range b.newPeople {
		p.id = ids[i]
		r.people[p.id] = p
		r.created[fmt.Sprint("contact ", p.id)] = p.row
		r.first[fmt.Sprint("contact ", p.id)] = p.first
		out[i] = p.imported()
	}
	return db.InsertContacts(ctx, out, r.now)
}

// updatePeople fills what matched contacts lack and adds their new phones
// and e-mails.
func (r *run) updatePeople(ctx context.Context, db *crm.ImportBatch, b *batch) error {
	out := make([]crm.ImportedPerson, len(b.fillPerson))
	for i, p := range b.fillPerson {
		out[i] = p.imported()
	}
	return db.FillContacts(ctx, out, r.now)
}

// insertIdentities claims the new people's phones and e-mails and those a
// matched person gains. One claimed meanwhile by someone else fails the
// batch, which is then decided again.
func (r *run) insertIdentities(ctx context.Context, db *crm.ImportBatch, b *batch) error {
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
	return db.ClaimIdentities(ctx, idents, owners)
}

func (r *run) insertDeals(ctx context.Context, db *crm.ImportBatch, b *batch) error {
	if len(b.newDeals) == 0 {
		return nil
	}
	ids, err := db.NewIDs(ctx, "deals", len(b.newDeals))
	if err != nil {
		return err
	}
	out := make([]crm.ImportDealRow, len(b.newDeals))
	for i, d := range b.newDeals {
		d.id = ids[i]
		r.created[fmt.Sprint("deal ", d.id)] = d.row
		r.first[fmt.Sprint("deal ", d.id)] = d.first
		var contactID *int64
		if d.p != nil {
			contactID = &d.p.id
		}
		out[i] = crm.ImportDealRow{ID: d.id, PipelineID: d.in.pipeline.ID, StageID: d.in.stage.ID, Title: d.in.title, Currency: d.in.currency,
			Amount: d.in.amount, ContactID: contactID, CompanyID: d.c.idPtr(), ManagerID: d.in.managerID, Closed: d.in.stage.Closed(),
			Fields: d.in.fields}
	}
	return db.InsertDeals(ctx, out, r.o.By, r.now)
}

// insertNotes writes the rows' notes on the records they made or matched
// (once per record and text).
func (r *run) insertNotes(ctx context.Context, db *crm.ImportBatch, b *batch) error {
	var out []crm.ImportNote
	seen := map[string]bool{}
	for _, n := range b.notes {
		var note crm.ImportNote
		switch {
		case n.d != nil:
			note.DealID = &n.d.id
			if n.d.p != nil {
				note.ContactID = &n.d.p.id
			}
		case n.p != nil:
			note.ContactID = &n.p.id
		case n.c != nil:
			note.CompanyID = &n.c.id
		default:
			continue
		}
		note.Text = n.text
		key := fmt.Sprint(idOf(note.DealID), " ", idOf(note.ContactID), " ", idOf(note.CompanyID), " ", note.Text)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, note)
	}
	return db.InsertNotes(ctx, out, r.o.By, r.now)
}

func idOf(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
