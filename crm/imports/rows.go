package imports

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
)

// item is one data row: what it says, parsed, and what became of it.
type item struct {
	n        int
	reject   string   // the row cannot be imported at all
	warnings []string // what of the row is not taken
	// note is what becomes a note on the record the row makes or matches:
	// its comment, and text of its phone column that is no number.
	note     []string
	conflict string // an owner the file gives that is not the record's
	person   *personIn
	company  *companyIn
	deal     *dealIn

	res RowResult // per attempt
	p   *person
	c   *company
	d   *deal
}

type personIn struct {
	name, position string
	phones, emails []string
	managerID      *int64
	fields         crm.Fields // the contact's custom fields (a contacts import)
}

func (in *personIn) identities() []string {
	return (&crm.Inbound{Phones: in.phones, Emails: in.emails}).Identities()
}

// value is the phone or e-mail as the row gives it behind an identity:
// a phone with its extension (+7…;ext=205), which the identity leaves out.
func (in *personIn) value(id string) string {
	kind, v, _ := strings.Cut(id, ":")
	if kind == "tel" {
		for _, p := range in.phones {
			if dedupe.PhoneKey(p) == v {
				return p
			}
		}
	}
	return v
}

type companyIn struct {
	name, inn, kpp, ogrn, address string
	phones, emails                []string
	managerID                     *int64
	fields                        crm.Fields // a companies import's
}

type dealIn struct {
	title, amount, currency string
	pipeline                *crm.Pipeline
	stage                   crm.Stage
	managerID               *int64
	fields                  crm.Fields
}

// run is one import: what it knows of the store, and how it is going.
type run struct {
	im        *Importer
	o         Options
	write     bool
	now       time.Time
	managers  map[string][]int64 // by lower-cased name
	names     map[int64]string   // managers' names by id
	pipelines []crm.Pipeline
	created   map[string]int // "contact 12" → the row that made it, kept across retries
	first     map[string]int // "contact 12" → the first row that came to it
	fs        *crm.FieldSet
	defs      []crm.FieldDef // the kind's custom fields
	*cache
}

func (im *Importer) newRun(ctx context.Context, o Options, write bool) (*run, error) {
	now := time.Now
	if im.Now != nil {
		now = im.Now
	}
	r := &run{im: im, o: o, write: write, now: now(), managers: map[string][]int64{}, names: map[int64]string{}, created: map[string]int{},
		first: map[string]int{}, cache: newCache()}
	ms, err := im.Store.Managers(ctx)
	if err != nil {
		return nil, fmt.Errorf("managers: %w", err)
	}
	for _, m := range ms {
		k := managerKey(m.Name)
		r.managers[k] = append(r.managers[k], m.ID)
		r.names[m.ID] = m.Name
	}
	if o.Kind == Deals {
		if r.pipelines, err = im.Store.Pipelines(ctx); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// warn adds a warning once.
func (it *item) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for _, w := range it.warnings {
		if w == msg {
			return
		}
	}
	it.warnings = append(it.warnings, msg)
}

// parse reads a row's values for the run's kind.
func (r *run) parse(n int, v values) *item {
	it := &item{n: n}
	if c := strings.TrimSpace(v["comment"]); c != "" {
		it.note = append(it.note, c)
	}
	switch r.o.Kind {
	case Contacts:
		it.person = r.parsePerson(it, dedupe.Name(strings.Join([]string{v["last_name"], v["name"], v["middle_name"]}, " ")), v)
		if it.person == nil {
			it.reject = "no name, phone or e-mail"
		} else {
			it.person.fields = r.custom(it, v)
		}
		it.company = r.parseCompany(it, v["company"], v)
	case Companies:
		c := r.parseCompany(it, v["name"], v)
		if c == nil && it.reject == "" {
			it.reject = "no name or INN"
		}
		if c != nil {
			c.kpp, c.ogrn, c.address = r.registration(it, v["kpp"], "KPP", 9), r.registration(it, v["ogrn"], "OGRN", 13, 15), dedupe.Name(v["address"])
			c.phones, c.emails = r.reach(it, v)
			c.fields = r.custom(it, v)
		}
		it.company = c
	case Deals:
		it.person = r.parsePerson(it, dedupe.Name(v["contact"]), v)
		it.company = r.parseCompany(it, v["company"], v)
		if it.reject == "" {
			it.deal = r.parseDeal(it, v)
		}
		if it.deal != nil {
			it.deal.fields = r.custom(it, v)
		}
	}
	return it
}

// parsePerson is nil when the row names nobody reachable.
func (r *run) parsePerson(it *item, name string, v values) *personIn {
	p := &personIn{name: name, position: dedupe.Name(v["position"])}
	p.phones, p.emails = r.reach(it, v)
	if p.name == "" && len(p.phones) == 0 && len(p.emails) == 0 {
		return nil
	}
	p.managerID = r.manager(it, v["manager"])
	return p
}

// reach reads the phones and e-mails; the pieces that are neither are
// noted, not saved.
func (r *run) reach(it *item, v values) (phones, emails []string) {
	phones, badPhones := r.im.Phones.Phones(v["phone"])
	for _, p := range badPhones {
		// Words in a phone column say something ("после 18", "секретарь"):
		// reported, and kept in a note on the record.
		it.warn("%q is not a phone number, not saved as one", p)
		if n := "Телефон в файле: " + p; !slices.Contains(it.note, n) {
			it.note = append(it.note, n)
		}
	}
	emails, badEmails := parseEmails(v["email"])
	for _, e := range badEmails {
		it.warn("%q is not an e-mail address, not saved", e)
	}
	return phones, emails
}

// parseCompany is nil when the row names no company; a bad INN rejects
// the row.
func (r *run) parseCompany(it *item, name string, v values) *companyIn {
	name = dedupe.Name(name)
	inn, err := parseINN(v["inn"])
	if err != nil {
		it.reject = err.Error()
		return nil
	}
	if name == "" && inn == "" {
		return nil
	}
	return &companyIn{name: name, inn: inn, managerID: r.manager(it, v["manager"])}
}

func (r *run) registration(it *item, raw, what string, lengths ...int) string {
	if raw == "" {
		return ""
	}
	s, ok := digitsOnly(raw, lengths...)
	if !ok {
		it.warn("%q is not a %s, not saved", raw, what)
	} else if what == "OGRN" && !dedupe.ValidOGRN(s) {
		it.reject = fmt.Sprintf("bad OGRN %q: control digit does not match, it is mistyped", raw)
		return ""
	}
	return s
}

// managerKey is a name's words in any order: "Смирнова Анна" is "Анна
// Смирнова".
func managerKey(name string) string {
	words := strings.Fields(strings.ToLower(strings.ReplaceAll(name, "ё", "е")))
	slices.Sort(words)
	return strings.Join(words, " ")
}

// manager finds the manager a cell names; one not found is noted and the
// record is left without one.
func (r *run) manager(it *item, name string) *int64 {
	if name == "" {
		return nil
	}
	ids := r.managers[managerKey(name)]
	switch len(ids) {
	case 1:
		return &ids[0]
	case 0:
		it.warn("no manager named %q, left without one", name)
	default:
		it.warn("%d managers are named %q, left without one", len(ids), name)
	}
	return nil
}

func (r *run) parseDeal(it *item, v values) *dealIn {
	d := &dealIn{title: dedupe.Name(v["title"]), currency: "RUB", amount: "0"}
	if v["amount"] != "" {
		amount, cur, err := parseAmount(v["amount"])
		if err != nil {
			it.reject = err.Error()
			return nil
		}
		d.amount = amount
		if cur != "" {
			d.currency = cur
		}
	}
	if v["currency"] != "" {
		cur, err := parseCurrency(v["currency"])
		if err != nil {
			it.reject = err.Error()
			return nil
		}
		d.currency = cur
	}
	var err error
	if d.pipeline, err = r.pipeline(v["pipeline"]); err != nil {
		it.reject = err.Error()
		return nil
	}
	if d.stage, err = stageOf(d.pipeline, v["stage"]); err != nil {
		it.reject = err.Error()
		return nil
	}
	if d.title == "" {
		switch {
		case it.company != nil && it.company.name != "":
			d.title = it.company.name
		case it.person != nil && it.person.name != "":
			d.title = it.person.name
		case it.person != nil && len(it.person.phones) > 0:
			d.title = it.person.phones[0]
		case it.person != nil:
			d.title = it.person.emails[0]
		default:
			it.reject = "no title, contact or company"
			return nil
		}
	}
	d.managerID = r.manager(it, v["manager"])
	return d
}

// pipeline finds a pipeline by key or name; none named is the default.
func (r *run) pipeline(name string) (*crm.Pipeline, error) {
	var names []string
	for i := range r.pipelines {
		p := &r.pipelines[i]
		if (name == "" && p.Default) || (name != "" && (strings.EqualFold(p.Key, name) || headerKey(p.Name) == headerKey(name))) {
			return p, nil
		}
		names = append(names, p.Name)
	}
	if name == "" {
		return nil, fmt.Errorf("no default pipeline")
	}
	return nil, fmt.Errorf("unknown pipeline %q; the pipelines are %s", name, strings.Join(names, ", "))
}

// stageOf finds a stage by key or name; none named is the first.
func stageOf(p *crm.Pipeline, name string) (crm.Stage, error) {
	if name == "" {
		return p.Stages[0], nil
	}
	var names []string
	for _, s := range p.Stages {
		if strings.EqualFold(s.Key, name) || headerKey(s.Name) == headerKey(name) {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return crm.Stage{}, fmt.Errorf("pipeline %q has no stage %q; its stages are %s", p.Name, name, strings.Join(names, ", "))
}

// custom reads the row's custom fields, each checked by its type as the
// API checks it; a value its type refuses rejects the row, naming the
// column's field.
func (r *run) custom(it *item, v values) crm.Fields {
	out := crm.Fields{}
	for _, d := range r.defs {
		raw := v[fieldsPrefix+d.Key]
		if strings.TrimSpace(raw) == "" {
			continue
		}
		nv, err := r.fs.Normalize(d, raw)
		if err != nil {
			if it.reject == "" {
				it.reject = fmt.Sprintf("%s (fields.%s): %s", d.Label, d.Key, crm.AsError(err).Message)
			}
			return nil
		}
		out[d.Key] = nv
	}
	return out
}

// missing says which required custom field a new record lacks, or "".
func (r *run) missing(f crm.Fields) string {
	for _, d := range r.defs {
		if d.Required && f[d.Key] == "" {
			return fmt.Sprintf("%s (fields.%s) is required for a new record and the row has none", d.Label, d.Key)
		}
	}
	return ""
}
