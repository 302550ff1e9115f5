package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
)

// createLead enters a lead by hand (channel manual); it lands as intake's
// leads do, so a person with an open lead gets a touch, not a second lead.
func (s *Server) createLead(r *http.Request, p Principal) (int, any, error) {
	var body struct {
		Name    string     `json:"name"`
		Phone   string     `json:"phone"`
		Email   string     `json:"email"`
		Comment string     `json:"comment"`
		Source  string     `json:"source"`
		Fields  crm.Fields `json:"fields"`
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	// A lead entered by hand holds the declared fields, checked as any
	// write is (a form's post keeps its free ones: ingest/forms).
	fields, err := s.store.FieldSet().Apply(crm.FieldsLead, nil, body.Fields, true)
	if err != nil {
		return 0, nil, err
	}
	body.Fields = fields
	in := crm.Inbound{Channel: crm.ChannelManual, Source: body.Source, At: time.Now().UTC(), Name: dedupe.Name(body.Name),
		Text: body.Comment, Fields: map[string]string(body.Fields)}
	in.Phones, in.RawPhones = s.opts.Phones.Phones(body.Phone)
	in.Emails = dedupe.Emails(body.Email)
	if len(in.Phones) == 0 && len(in.Emails) == 0 {
		field := "phone"
		if body.Phone == "" && body.Email != "" {
			field = "email"
		}
		return 0, nil, crm.Invalid(field, "a phone or an e-mail is required to reach the person")
	}
	// A person who is another manager's client stays theirs: no touch,
	// nothing of them in the answer.
	if err := s.allowReach(r, p, crm.Reach{Field: "phone", Phones: in.Phones}, crm.Reach{Field: "email", Emails: in.Emails}); err != nil {
		return 0, nil, err
	}
	landing, err := s.store.LandNow(r.Context(), s.opts.Lander, &in)
	if err != nil {
		return 0, nil, err
	}
	if landing.LeadID == 0 {
		return http.StatusOK, map[string]any{"outcome": landing.Outcome, "deal_id": landing.DealID}, nil
	}
	l, err := s.store.Lead(r.Context(), landing.LeadID)
	if err != nil {
		return 0, nil, err
	}
	status := http.StatusCreated
	if landing.Outcome != crm.LandedNewLead {
		status = http.StatusOK // the person's open lead got the touch
	}
	return status, detail(l), nil
}

func (s *Server) patchLead(r *http.Request, p Principal) (int, any, error) {
	l, err := s.lead(r, p)
	if err != nil {
		return 0, nil, err
	}
	var patch crm.LeadPatch
	if err := decode(r, &patch); err != nil {
		return 0, nil, err
	}
	if err := s.normalizeContact(&patch.Phones, &patch.Emails); err != nil {
		return 0, nil, err
	}
	// A phone or an e-mail that is another manager's client is theirs.
	if err := s.allowReach(r, p, crm.Reach{Field: "phones", Phones: patch.Phones}, crm.Reach{Field: "emails", Emails: patch.Emails}); err != nil {
		return 0, nil, err
	}
	out, err := s.store.UpdateLead(r.Context(), l.ID, patch)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, detail(out), nil
}

func (s *Server) convertLead(r *http.Request, p Principal) (int, any, error) {
	l, err := s.lead(r, p)
	if err != nil {
		return 0, nil, err
	}
	var c crm.Conversion
	if err := decode(r, &c); err != nil {
		return 0, nil, err
	}
	if c.Company != nil {
		if err := s.allow(r, p, crm.Named(crm.KindManager, "company.manager_id", c.Company.ManagerID)...); err != nil {
			return 0, nil, err
		}
	}
	if err := s.allowReach(r, p, c.Company.Reach("company")...); err != nil {
		return 0, nil, err
	}
	out, err := s.store.ConvertLead(r.Context(), l.ID, c, p.Actor())
	if err != nil {
		return 0, nil, err
	}
	// With a registry configured, a company given by INN gets its
	// requisites at once; a lookup that fails leaves the conversion as it
	// is and says why.
	if out.CompanyID != nil && c.Company != nil && c.Company.INN != nil && s.opts.Registry != nil {
		resp := convertedWithLookup{Converted: out}
		if party, err := s.opts.Registry.FindParty(r.Context(), *c.Company.INN); err != nil {
			resp.Lookup = err.Error()
		} else if filled, err := s.store.FillCompany(r.Context(), *out.CompanyID, party); err != nil {
			resp.Lookup = err.Error()
		} else {
			resp.Lookup, resp.Filled = "ok", filled.Changed
		}
		return http.StatusOK, resp, nil
	}
	return http.StatusOK, out, nil
}

// convertedWithLookup is a conversion with the requisites lookup it made.
type convertedWithLookup struct {
	crm.Converted
	Lookup string   `json:"lookup"`           // "ok", or why the lookup failed
	Filled []string `json:"filled,omitempty"` // the company fields it filled
}

func (s *Server) listPipelines(r *http.Request, _ Principal) (int, any, error) {
	ps, err := s.store.Pipelines(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(ps, ""), nil
}

func (s *Server) listDeals(r *http.Request, p Principal) (int, any, error) {
	q := r.URL.Query()
	f := crm.DealFilter{Pipeline: q.Get("pipeline"), Stage: q.Get("stage"), Status: q.Get("status"), Cursor: q.Get("cursor")}
	var err error
	if f.Oldest, err = oldest(q.Get("sort")); err != nil {
		return 0, nil, err
	}
	if f.ManagerID, err = optionalID(q.Get("manager_id"), "manager_id"); err != nil {
		return 0, nil, err
	}
	if f.ContactID, err = optionalID(q.Get("contact_id"), "contact_id"); err != nil {
		return 0, nil, err
	}
	if f.CompanyID, err = optionalID(q.Get("company_id"), "company_id"); err != nil {
		return 0, nil, err
	}
	if f.Limit, err = limit(q.Get("limit")); err != nil {
		return 0, nil, err
	}
	if f.Drill, err = s.drill(r, p); err != nil {
		return 0, nil, err
	}
	if f.Fields, err = crm.FieldConds(q); err != nil {
		return 0, nil, err
	}
	if f.ManagerID, err = crm.Scope(p, f.ManagerID, "manager_id"); err != nil {
		return 0, nil, err
	}
	if err := s.allow(r, p, refs(crm.Named(crm.KindContact, "contact_id", f.ContactID), crm.Named(crm.KindCompany, "company_id", f.CompanyID))...); err != nil {
		return 0, nil, err
	}
	list, next, err := s.store.Deals(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(list, next), nil
}

func limit(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, crm.Invalid("limit", "must be a positive number, at most %d", crm.MaxPage)
	}
	return n, nil
}

func (s *Server) deal(r *http.Request, p Principal) (crm.Deal, error) {
	id, err := pathID(r)
	if err != nil {
		return crm.Deal{}, err
	}
	if err := s.allow(r, p, crm.Path(crm.KindDeal, id)); err != nil {
		return crm.Deal{}, err
	}
	return s.store.Deal(r.Context(), id)
}

// dealRefs are the records a deal's input names.
func dealRefs(in crm.DealInput) []crm.Ref {
	return refs(crm.Named(crm.KindContact, "contact_id", in.ContactID), crm.Named(crm.KindCompany, "company_id", in.CompanyID),
		crm.Named(crm.KindManager, "manager_id", in.ManagerID))
}

func (s *Server) createDeal(r *http.Request, p Principal) (int, any, error) {
	var in crm.DealInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if err := s.allow(r, p, dealRefs(in)...); err != nil {
		return 0, nil, err
	}
	if in.ManagerID == nil && !p.SeesAll() {
		in.ManagerID = p.ManagerID
	}
	d, err := s.store.CreateDeal(r.Context(), in, p.Actor())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, d, nil
}

func (s *Server) getDeal(r *http.Request, p Principal) (int, any, error) {
	d, err := s.deal(r, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, d, nil
}

func (s *Server) patchDeal(r *http.Request, p Principal) (int, any, error) {
	d, err := s.deal(r, p)
	if err != nil {
		return 0, nil, err
	}
	var in crm.DealInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if err := s.allow(r, p, dealRefs(in)...); err != nil {
		return 0, nil, err
	}
	out, err := s.store.UpdateDeal(r.Context(), d.ID, in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Server) moveDeal(r *http.Request, p Principal) (int, any, error) {
	d, err := s.deal(r, p)
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		Stage      string `json:"stage"`
		LossReason string `json:"loss_reason"`
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	out, err := s.store.MoveDeal(r.Context(), d.ID, body.Stage, body.LossReason, p.Actor())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Server) dealHistory(r *http.Request, p Principal) (int, any, error) {
	d, err := s.deal(r, p)
	if err != nil {
		return 0, nil, err
	}
	h, err := s.store.DealHistory(r.Context(), d.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(h, ""), nil
}

// normalizeContact puts phones and e-mails in the form identities use;
// a value that is not one is an error naming it.
func (s *Server) normalizeContact(phones, emails *[]string) error {
	if phones != nil {
		out := []string{}
		for _, raw := range *phones {
			e164, ok := s.opts.Phones.Phone(raw)
			if !ok {
				return crm.Invalid("phones", "%q is not a phone number", raw)
			}
			out = append(out, e164)
		}
		*phones = out
	}
	if emails != nil {
		out := []string{}
		for _, raw := range *emails {
			e, ok := dedupe.Email(raw)
			if !ok {
				return crm.Invalid("emails", "%q is not an e-mail address", raw)
			}
			out = append(out, e)
		}
		*emails = out
	}
	return nil
}

func (s *Server) listContacts(r *http.Request, p Principal) (int, any, error) {
	q := r.URL.Query()
	f := crm.ContactFilter{Query: q.Get("q"), Cursor: q.Get("cursor")}
	var err error
	if f.Oldest, err = oldest(q.Get("sort")); err != nil {
		return 0, nil, err
	}
	if f.ManagerID, err = optionalID(q.Get("manager_id"), "manager_id"); err != nil {
		return 0, nil, err
	}
	if f.CompanyID, err = optionalID(q.Get("company_id"), "company_id"); err != nil {
		return 0, nil, err
	}
	if f.Limit, err = limit(q.Get("limit")); err != nil {
		return 0, nil, err
	}
	if v := q.Get("phone"); v != "" {
		e164, ok := s.opts.Phones.Phone(v)
		if !ok {
			return 0, nil, crm.Invalid("phone", "%q is not a phone number", v)
		}
		f.Phone = e164
	}
	if v := q.Get("email"); v != "" {
		e, ok := dedupe.Email(v)
		if !ok {
			return 0, nil, crm.Invalid("email", "%q is not an e-mail address", v)
		}
		f.Email = e
	}
	if f.Fields, err = crm.FieldConds(q); err != nil {
		return 0, nil, err
	}
	if f.ManagerID, err = crm.Scope(p, f.ManagerID, "manager_id"); err != nil {
		return 0, nil, err
	}
	if err := s.allow(r, p, crm.Named(crm.KindCompany, "company_id", f.CompanyID)...); err != nil {
		return 0, nil, err
	}
	list, next, err := s.store.Contacts(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(list, next), nil
}

func (s *Server) createContact(r *http.Request, p Principal) (int, any, error) {
	var in crm.ContactInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if err := s.normalizeContact(in.Phones, in.Emails); err != nil {
		return 0, nil, err
	}
	if err := s.allowContact(r, p, in); err != nil {
		return 0, nil, err
	}
	if in.ManagerID == nil && !p.SeesAll() {
		in.ManagerID = p.ManagerID
	}
	c, err := s.store.CreateContact(r.Context(), in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, c, nil
}

func (s *Server) contact(r *http.Request, p Principal) (crm.Contact, error) {
	id, err := pathID(r)
	if err != nil {
		return crm.Contact{}, err
	}
	if err := s.allow(r, p, crm.Path(crm.KindContact, id)); err != nil {
		return crm.Contact{}, err
	}
	return s.store.Contact(r.Context(), id)
}

// allowContact asks the rule about what a contact's input names: its
// company, its manager, and the people its phones and e-mails are.
func (s *Server) allowContact(r *http.Request, p Principal, in crm.ContactInput) error {
	if err := s.allow(r, p, refs(crm.Named(crm.KindCompany, "company_id", in.CompanyID),
		crm.Named(crm.KindManager, "manager_id", in.ManagerID))...); err != nil {
		return err
	}
	return s.allowReach(r, p, crm.Reach{Field: "phones", Phones: derefSlice(in.Phones)},
		crm.Reach{Field: "emails", Emails: derefSlice(in.Emails)})
}

func derefSlice(s *[]string) []string {
	if s == nil {
		return nil
	}
	return *s
}

func (s *Server) getContact(r *http.Request, p Principal) (int, any, error) {
	c, err := s.contact(r, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c, nil
}

func (s *Server) patchContact(r *http.Request, p Principal) (int, any, error) {
	c, err := s.contact(r, p)
	if err != nil {
		return 0, nil, err
	}
	var in crm.ContactInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if err := s.normalizeContact(in.Phones, in.Emails); err != nil {
		return 0, nil, err
	}
	if err := s.allowContact(r, p, in); err != nil {
		return 0, nil, err
	}
	out, err := s.store.UpdateContact(r.Context(), c.ID, in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Server) listCompanies(r *http.Request, p Principal) (int, any, error) {
	q := r.URL.Query()
	f := crm.CompanyFilter{Query: q.Get("q"), INN: q.Get("inn"), Cursor: q.Get("cursor")}
	var err error
	if f.Oldest, err = oldest(q.Get("sort")); err != nil {
		return 0, nil, err
	}
	if f.ManagerID, err = optionalID(q.Get("manager_id"), "manager_id"); err != nil {
		return 0, nil, err
	}
	if f.Limit, err = limit(q.Get("limit")); err != nil {
		return 0, nil, err
	}
	if f.Fields, err = crm.FieldConds(q); err != nil {
		return 0, nil, err
	}
	if f.ManagerID, err = crm.Scope(p, f.ManagerID, "manager_id"); err != nil {
		return 0, nil, err
	}
	list, next, err := s.store.Companies(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(list, next), nil
}

// createCompany adds a company; one the CRM has — by INN, else by the
// name with legal form and quotes aside — is a 409 naming it
// (existing_id), as a contact's phone that is another contact's is.
func (s *Server) createCompany(r *http.Request, p Principal) (int, any, error) {
	var in crm.CompanyInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if err := s.normalizeContact(in.Phones, in.Emails); err != nil {
		return 0, nil, err
	}
	if err := s.allowCompany(r, p, in); err != nil {
		return 0, nil, err
	}
	if in.Name != nil {
		// Another manager's company by the same name is theirs to say.
		if err := s.allowReach(r, p, crm.Reach{Field: "name", CompanyNames: []string{*in.Name}}); err != nil {
			return 0, nil, err
		}
	}
	if in.ManagerID == nil && !p.SeesAll() {
		in.ManagerID = p.ManagerID
	}
	c, err := s.store.CreateCompany(r.Context(), in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, c, nil
}

func (s *Server) company(r *http.Request, p Principal) (crm.Company, error) {
	id, err := pathID(r)
	if err != nil {
		return crm.Company{}, err
	}
	if err := s.allow(r, p, crm.Path(crm.KindCompany, id)); err != nil {
		return crm.Company{}, err
	}
	return s.store.Company(r.Context(), id)
}

// allowCompany asks the rule about what a company's input names: its
// manager, and an INN, phones or e-mails that are another's client's.
func (s *Server) allowCompany(r *http.Request, p Principal, in crm.CompanyInput) error {
	if err := s.allow(r, p, crm.Named(crm.KindManager, "manager_id", in.ManagerID)...); err != nil {
		return err
	}
	return s.allowReach(r, p, in.Reach("")...)
}

func (s *Server) getCompany(r *http.Request, p Principal) (int, any, error) {
	c, err := s.company(r, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c, nil
}

func (s *Server) patchCompany(r *http.Request, p Principal) (int, any, error) {
	c, err := s.company(r, p)
	if err != nil {
		return 0, nil, err
	}
	var in crm.CompanyInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if err := s.normalizeContact(in.Phones, in.Emails); err != nil {
		return 0, nil, err
	}
	if err := s.allowCompany(r, p, in); err != nil {
		return 0, nil, err
	}
	out, err := s.store.UpdateCompany(r.Context(), c.ID, in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

// listFields answers the custom fields declared per kind of record
// (configs: fields), as the cards, the import and the filters take them.
func (s *Server) listFields(r *http.Request, _ Principal) (int, any, error) {
	d := s.store.FieldSet().Decls
	for _, l := range []*[]crm.FieldDef{&d.Lead, &d.Deal, &d.Contact, &d.Company} {
		if *l == nil {
			*l = []crm.FieldDef{}
		}
	}
	return http.StatusOK, d, nil
}
