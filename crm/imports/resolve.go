package imports

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/leadd/leadd/crm"
)

// person is a contact as the import knows it: one of the store's (id set,
// row 0 unless this import made it) or one a row of the file makes.
type person struct {
	id             int64
	row            int  // the row of this import that made it
	first          int  // the first row of this import that came to it
	loaded         bool // its fields are read, not only its id
	name, position string
	company        *company
	managerID      *int64
	phones, emails []string
	fields         crm.Fields
}

// company is a company as the import knows it.
type company struct {
	id                            int64
	row                           int
	first                         int
	loaded                        bool
	name, inn, kpp, ogrn, address string
	managerID                     *int64
	phones, emails                []string
	fields                        crm.Fields
}

type deal struct {
	id        int64
	row       int
	first     int
	in        dealIn
	p         *person
	c         *company
	managerID *int64
}

// A deal repeats another with the same title in the same pipeline with
// the same contact and company.
type dealKey struct {
	pipeline int64
	title    string
	p        *person
	c        *company
}

// A person without a phone or an e-mail is found by name at the same
// company.
type nameKey struct {
	name string
	c    *company
}

// cache is what the run knows: the store's records it has looked up and
// the ones the file makes, by every key a row may match them by.
type cache struct {
	people       map[int64]*person
	owner        map[string]*person // by identity
	identLooked  map[string]bool
	byName       map[nameKey]*person
	nameLooked   map[string]bool
	companies    map[int64]*company
	coINN        map[string]*company
	innLooked    map[string]bool
	coName       map[string][]*company // oldest first, as lead conversion picks
	coNameLooked map[string]bool
	deals        map[dealKey]*deal
	titleLooked  map[string]bool
}

func newCache() *cache {
	return &cache{
		people: map[int64]*person{}, owner: map[string]*person{}, identLooked: map[string]bool{},
		byName: map[nameKey]*person{}, nameLooked: map[string]bool{},
		companies: map[int64]*company{}, coINN: map[string]*company{}, innLooked: map[string]bool{},
		coName: map[string][]*company{}, coNameLooked: map[string]bool{},
		deals: map[dealKey]*deal{}, titleLooked: map[string]bool{},
	}
}

// reset forgets everything; the batches written are in the store and are
// found there again.
func (r *run) reset() { r.cache = newCache() }

// batch is what one batch writes.
type batch struct {
	newCompanies []*company
	fillCompany  []*company
	newPeople    []*person
	fillPerson   []*person
	claims       []claim
	newDeals     []*deal
	notes        []rowNote
}

// rowNote is a note a row leaves on its record.
type rowNote struct {
	p    *person
	c    *company
	d    *deal
	text string
}

type claim struct {
	identity string
	p        *person
}

func (b *batch) touchCompany(c *company) {
	if c.id != 0 && !slices.Contains(b.fillCompany, c) {
		b.fillCompany = append(b.fillCompany, c)
	}
}

func (b *batch) touchPerson(p *person) {
	if p.id != 0 && !slices.Contains(b.fillPerson, p) {
		b.fillPerson = append(b.fillPerson, p)
	}
}

func lower(s string) string { return strings.ToLower(s) }

func (r *run) personByID(id int64) *person {
	p := r.people[id]
	if p == nil {
		p = &person{id: id, row: r.created[fmt.Sprint("contact ", id)], first: r.first[fmt.Sprint("contact ", id)]}
		r.people[id] = p
	}
	return p
}

func (r *run) companyByID(id *int64) *company {
	if id == nil {
		return nil
	}
	c := r.companies[*id]
	if c == nil {
		c = &company{id: *id, row: r.created[fmt.Sprint("company ", *id)], first: r.first[fmt.Sprint("company ", *id)]}
		r.companies[*id] = c
	}
	return c
}

// order sorts companies as the store would number them: the ones the
// file makes come after every one it has.
func (c *company) order() int64 {
	if c.id != 0 {
		return c.id
	}
	return math.MaxInt64/2 + int64(c.row)
}

func (r *run) addCompany(c *company) {
	if c.inn != "" && r.coINN[c.inn] == nil {
		r.coINN[c.inn] = c
	}
	if c.name == "" {
		return
	}
	k := lower(c.name)
	list := r.coName[k]
	if slices.Contains(list, c) {
		return
	}
	i, _ := slices.BinarySearchFunc(list, c, func(a, b *company) int { return cmp.Compare(a.order(), b.order()) })
	r.coName[k] = slices.Insert(list, i, c)
}

func identityText(id string) string {
	kind, v, _ := strings.Cut(id, ":")
	if kind == "tel" {
		return "phone " + v
	}
	return "e-mail " + v
}

// who names a person the way a reader of the report finds them: by the
// row that makes them, else by id.
func who(p *person) string {
	if p.row != 0 {
		return fmt.Sprintf("the contact of row %d", p.row)
	}
	return fmt.Sprintf("contact %d", p.id)
}

// seen returns the first row of this import that came to a record, and
// makes it n when none did.
func (r *run) seen(first *int, key string, id int64, n int) int {
	if *first == 0 {
		*first = n
		if id != 0 {
			r.first[fmt.Sprint(key, " ", id)] = n
		}
	}
	return *first
}

// resolveRows decides each row of a batch, in file order, against what the
// run knows.
func (r *run) resolveRows(items []*item, b *batch) {
	for _, it := range items {
		it.res = RowResult{Row: it.n, Warnings: slices.Clone(it.warnings)}
		it.p, it.c, it.d = nil, nil, nil
		if it.reject != "" {
			it.res.Status, it.res.Reason = StatusRejected, it.reject
			continue
		}
		switch r.o.Kind {
		case Contacts:
			if reason := r.conflict(it.person); reason != "" {
				it.res.Status, it.res.Reason = StatusConflicting, reason
				continue
			}
			if known := r.matchPerson(*it.person, it.company); known != nil {
				if reason := r.ownerDiffers(who(known), known.managerID, it.person.managerID); reason != "" {
					it.res.Status, it.res.Reason = StatusConflicting, reason
					continue
				}
			} else if reason := r.missing(it.person.fields); reason != "" {
				it.res.Status, it.res.Reason = StatusRejected, reason
				continue
			}
			if it.company != nil {
				it.c, _, _ = r.companyFor(it, b, *it.company, "company")
			}
			it.p, it.res.Status, it.res.By = r.personFor(it, b, *it.person, it.c, "")
			it.res.MatchedRow = matchedRow(it.res.Status, r.seen(&it.p.first, "contact", it.p.id, it.n), it.n)
		case Companies:
			if known := r.matchCompany(*it.company); known != nil {
				if reason := r.ownerDiffers(whichCompany(known), known.managerID, it.company.managerID); reason != "" {
					it.res.Status, it.res.Reason = StatusConflicting, reason
					continue
				}
			} else if reason := r.missing(it.company.fields); reason != "" {
				it.res.Status, it.res.Reason = StatusRejected, reason
				continue
			}
			it.c, it.res.Status, it.res.By = r.companyFor(it, b, *it.company, "")
			if it.c == nil {
				it.res.Status, it.res.Reason = StatusRejected, fmt.Sprintf("no company has INN %s, and a new one needs a name", it.company.inn)
				continue
			}
			it.res.MatchedRow = matchedRow(it.res.Status, r.seen(&it.c.first, "company", it.c.id, it.n), it.n)
		case Deals:
			r.dealRow(it, b)
		}
		if (it.res.Status == StatusNew || it.res.Status == StatusMatched) && len(it.note) > 0 {
			r.addNote(it, b)
		}
	}
}

// whichCompany names a company the way a reader of the report finds it.
func whichCompany(c *company) string {
	if c.row != 0 {
		return fmt.Sprintf("the company of row %d", c.row)
	}
	return fmt.Sprintf("company %d", c.id)
}

func matchedRow(status string, row, n int) int {
	if status == StatusMatched && row != n {
		return row
	}
	return 0
}

// conflict says why a person's phones and e-mails name more than one
// record, or "".
func (r *run) conflict(in *personIn) string {
	if in == nil {
		return ""
	}
	var owners []*person
	var parts []string
	for _, id := range in.identities() {
		if o := r.owner[id]; o != nil && !slices.Contains(owners, o) {
			owners = append(owners, o)
			parts = append(parts, identityText(id)+" belongs to "+who(o))
		}
	}
	if len(owners) < 2 {
		return ""
	}
	return strings.Join(parts, ", ")
}

// personFor finds the row's person — by any phone or e-mail, else by name
// at the same company — or makes one. The row must not be conflicting.
func (r *run) personFor(it *item, b *batch, in personIn, co *company, what string) (*person, string, string) {
	ids := in.identities()
	for _, id := range ids {
		if p := r.owner[id]; p != nil {
			r.fillPerson(it, b, p, in, co, ids, what)
			return p, StatusMatched, identityText(id)
		}
	}
	if len(ids) == 0 {
		if p := r.byName[nameKey{lower(in.name), co}]; p != nil {
			r.fillPerson(it, b, p, in, co, ids, what)
			return p, StatusMatched, "name"
		}
	}
	p := &person{row: it.n, first: it.n, loaded: true, name: in.name, position: in.position, company: co, managerID: in.managerID,
		fields: in.fields}
	for _, id := range ids {
		r.claim(b, p, id, in.value(id))
	}
	if k := (nameKey{lower(p.name), co}); p.name != "" && r.byName[k] == nil {
		r.byName[k] = p
	}
	b.newPeople = append(b.newPeople, p)
	return p, StatusNew, ""
}

// claim makes an identity the person's; v is the phone (with its
// extension) or e-mail it stands for.
func (r *run) claim(b *batch, p *person, id, v string) {
	r.owner[id] = p
	if strings.HasPrefix(id, "tel:") {
		p.phones = append(p.phones, v)
	} else {
		p.emails = append(p.emails, v)
	}
	if p.id != 0 {
		b.claims = append(b.claims, claim{id, p})
		b.touchPerson(p)
	}
}

// fillPerson gives a matched person what the row knows and it lacks.
func (r *run) fillPerson(it *item, b *batch, p *person, in personIn, co *company, ids []string, what string) {
	var gains []string
	if p.name == "" && in.name != "" {
		p.name, gains = in.name, append(gains, "name")
		if k := (nameKey{lower(p.name), p.company}); r.byName[k] == nil {
			r.byName[k] = p
		}
	}
	if p.position == "" && in.position != "" {
		p.position, gains = in.position, append(gains, "position")
	}
	if p.company == nil && co != nil {
		p.company, gains = co, append(gains, "company")
	}
	if p.managerID == nil && in.managerID != nil {
		p.managerID, gains = in.managerID, append(gains, "manager")
	}
	gains = append(gains, r.gainFields(&p.fields, in.fields)...)
	for _, id := range ids {
		if r.owner[id] == nil {
			r.claim(b, p, id, in.value(id))
			gains = append(gains, identityText(id))
		}
	}
	if len(gains) > 0 {
		b.touchPerson(p)
		it.res.Notes = append(it.res.Notes, prefix(what)+"gains "+strings.Join(gains, ", "))
	}
}

func prefix(what string) string {
	if what == "" {
		return ""
	}
	return what + " "
}

// companyFor finds the row's company as lead conversion does — by INN,
// then by name among those without an INN when the row has one — or makes
// one; it is nil when the row has only an INN nobody has.
func (r *run) companyFor(it *item, b *batch, in companyIn, what string) (*company, string, string) {
	if in.inn != "" {
		if c := r.coINN[in.inn]; c != nil {
			r.fillCompany(it, b, c, in, what)
			return c, StatusMatched, "INN " + in.inn
		}
	}
	if in.name == "" {
		if what != "" {
			it.res.Warnings = append(it.res.Warnings, fmt.Sprintf("no company has INN %s, none linked", in.inn))
		}
		return nil, "", ""
	}
	for _, c := range r.coName[lower(in.name)] {
		if in.inn == "" || c.inn == "" {
			r.fillCompany(it, b, c, in, what)
			return c, StatusMatched, "name"
		}
	}
	c := &company{row: it.n, first: it.n, loaded: true, name: in.name, inn: in.inn, kpp: in.kpp, ogrn: in.ogrn, address: in.address,
		managerID: in.managerID, phones: in.phones, emails: in.emails, fields: in.fields}
	r.addCompany(c)
	b.newCompanies = append(b.newCompanies, c)
	if what != "" {
		it.res.Notes = append(it.res.Notes, fmt.Sprintf("new company %q", c.name))
	}
	return c, StatusNew, ""
}

// fillCompany gives a matched company what the row knows and it lacks.
func (r *run) fillCompany(it *item, b *batch, c *company, in companyIn, what string) {
	var gains []string
	fill := func(have *string, v, name string) {
		if *have == "" && v != "" {
			*have, gains = v, append(gains, name)
		}
	}
	if c.inn == "" && in.inn != "" && r.coINN[in.inn] == nil {
		c.inn, gains = in.inn, append(gains, "INN "+in.inn)
		r.coINN[in.inn] = c
	}
	fill(&c.kpp, in.kpp, "KPP")
	fill(&c.ogrn, in.ogrn, "OGRN")
	fill(&c.address, in.address, "address")
	if c.managerID == nil && in.managerID != nil {
		c.managerID, gains = in.managerID, append(gains, "manager")
	}
	gains = append(gains, r.gainFields(&c.fields, in.fields)...)
	for _, p := range in.phones {
		if !slices.Contains(c.phones, p) {
			c.phones, gains = append(c.phones, p), append(gains, "phone "+p)
		}
	}
	for _, e := range in.emails {
		if !slices.Contains(c.emails, e) {
			c.emails, gains = append(c.emails, e), append(gains, "e-mail "+e)
		}
	}
	if len(gains) > 0 {
		b.touchCompany(c)
		it.res.Notes = append(it.res.Notes, prefix(what)+"gains "+strings.Join(gains, ", "))
	}
}

// dealRow decides a deal row: its contact and company first, then the
// deal itself.
func (r *run) dealRow(it *item, b *batch) {
	if reason := r.conflict(it.person); reason != "" {
		it.res.Status, it.res.Reason = StatusConflicting, "contact: "+reason
		return
	}
	if reason := r.missing(it.deal.fields); reason != "" {
		it.res.Status, it.res.Reason = StatusRejected, reason
		return
	}
	if it.company != nil {
		it.c, _, _ = r.companyFor(it, b, *it.company, "company")
	}
	if it.person != nil {
		var status string
		if it.p, status, _ = r.personFor(it, b, *it.person, it.c, "contact"); status == StatusNew {
			it.res.Notes = append(it.res.Notes, fmt.Sprintf("new contact %q", it.person.name))
		}
	}
	k := dealKey{it.deal.pipeline.ID, lower(it.deal.title), it.p, it.c}
	if d := r.deals[k]; d != nil {
		if reason := r.ownerDiffers(fmt.Sprintf("deal %q", d.in.title), d.managerID, it.deal.managerID); reason != "" {
			it.res.Status, it.res.Reason = StatusConflicting, reason
			return
		}
		it.d, it.res.Status, it.res.By = d, StatusMatched, "title"
		it.res.MatchedRow = matchedRow(StatusMatched, r.seen(&d.first, "deal", d.id, it.n), it.n)
		return
	}
	it.d = &deal{row: it.n, first: it.n, in: *it.deal, p: it.p, c: it.c, managerID: it.deal.managerID}
	r.deals[k] = it.d
	b.newDeals = append(b.newDeals, it.d)
	it.res.Status = StatusNew
}

// finish puts the ids into the rows' results, once the batch is written.
func (r *run) finish(items []*item) {
	for _, it := range items {
		var id int64
		switch {
		case it.res.Status != StatusNew && it.res.Status != StatusMatched:
			continue
		case r.o.Kind == Contacts:
			id = it.p.id
		case r.o.Kind == Companies:
			id = it.c.id
		case r.o.Kind == Deals:
			id = it.d.id
		}
		if id != 0 {
			it.res.ID = &id
		}
	}
}

// gainFields gives a matched record the custom fields it lacks and names
// them by label; what it has stays.
func (r *run) gainFields(have *crm.Fields, in crm.Fields) []string {
	var gains []string
	for _, d := range r.defs {
		v := in[d.Key]
		if v == "" || (*have)[d.Key] != "" {
			continue
		}
		if *have == nil {
			*have = crm.Fields{}
		}
		(*have)[d.Key] = v
		gains = append(gains, d.Label)
	}
	return gains
}

// matchPerson is the person the run knows for a row, as personFor would
// find them, or nil: a new one must carry the required fields, a known
// one must not be given another owner.
func (r *run) matchPerson(in personIn, co *companyIn) *person {
	ids := in.identities()
	for _, id := range ids {
		if p := r.owner[id]; p != nil {
			return p
		}
	}
	if len(ids) > 0 {
		return nil
	}
	var c *company
	if co != nil {
		if co.inn != "" {
			c = r.coINN[co.inn]
		}
		if l := r.coName[lower(co.name)]; c == nil && len(l) > 0 {
			c = l[0]
		}
	}
	return r.byName[nameKey{lower(in.name), c}]
}

// matchCompany is the company companyFor would find for a row, or nil.
func (r *run) matchCompany(in companyIn) *company {
	if in.inn != "" && r.coINN[in.inn] != nil {
		return r.coINN[in.inn]
	}
	for _, c := range r.coName[lower(in.name)] {
		if in.inn == "" || c.inn == "" {
			return c
		}
	}
	return nil
}

// ownerDiffers says why a row conflicts with the record it matches when
// the file names another owner than the record has, or "".
func (r *run) ownerDiffers(what string, have, file *int64) string {
	if have == nil || file == nil || *have == *file {
		return ""
	}
	return fmt.Sprintf("the file gives %s to %s, but %s is %s's; change the owner in the CRM (or the file) and import again",
		what, r.names[*file], what, r.names[*have])
}

// addNote makes the row's note a note on the record it made or matched.
func (r *run) addNote(it *item, b *batch) {
	text := strings.Join(it.note, "\n")
	n := rowNote{text: text}
	switch r.o.Kind {
	case Contacts:
		n.p = it.p
	case Companies:
		n.c = it.c
	case Deals:
		n.d = it.d
	}
	b.notes = append(b.notes, n)
	shown := []rune(text)
	if len(shown) > 60 {
		shown = append(shown[:60], '…')
	}
	it.res.Notes = append(it.res.Notes, fmt.Sprintf("a note %q", string(shown)))
}
