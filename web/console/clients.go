package console

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/imports"
	"github.com/leadd/leadd/dedupe"
)

// clientsData is the clients page: a search over contacts and companies.
type clientsData struct {
	Q         string
	By        string // what the query was read as: name, phone, email, inn
	Contacts  []crm.Contact
	Companies []crm.Company
}

// clients searches by name, a phone in any spelling, an e-mail or an INN.
func (s *Server) clients(r *http.Request, v *viewer) (any, error) {
	ctx := r.Context()
	d := clientsData{Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	cf := crm.ContactFilter{ManagerID: s.scope(v), Limit: 50}
	kf := crm.CompanyFilter{ManagerID: s.scope(v), Limit: 50}
	compact := strings.NewReplacer(" ", "", "-", "", "(", ")", ")", "").Replace(d.Q)
	switch {
	case d.Q == "":
		d.By = "recent"
	case strings.Contains(d.Q, "@"):
		d.By = "email"
		e, ok := dedupe.Email(d.Q)
		if !ok {
			return nil, crm.Invalid("q", "%s", v.T("clients.bad_email"))
		}
		cf.Email = e
	case digits(compact) && (len(compact) == 10 || len(compact) == 12) && !strings.HasPrefix(compact, "8") && !strings.HasPrefix(compact, "7") && !strings.HasPrefix(compact, "9"):
		d.By = "inn"
		kf.INN = compact
	default:
		if p, ok := s.opts.Phones.Phone(d.Q); ok && len(compact) >= 7 {
			d.By, cf.Phone = "phone", p
		} else if digits(compact) && (len(compact) == 10 || len(compact) == 12) {
			d.By, kf.INN = "inn", compact
		} else {
			d.By, cf.Query, kf.Query = "name", d.Q, d.Q
		}
	}
	var err error
	if d.By != "inn" {
		if d.Contacts, _, err = s.store.Contacts(ctx, cf); err != nil {
			return nil, err
		}
	}
	if d.By == "name" || d.By == "inn" || d.By == "recent" {
		if d.Companies, _, err = s.store.Companies(ctx, kf); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// contactData is a contact's card.
type contactData struct {
	Contact crm.Contact
	Company *crm.Company
	Leads   []crm.Lead
	Deals   []crm.Deal
	Custom  customFields
}

func (s *Server) contactCard(r *http.Request, v *viewer) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	if err := s.store.Authorize(ctx, v.P, crm.Read, crm.Path(crm.KindContact, id)); err != nil {
		return nil, err
	}
	c, err := s.store.Contact(ctx, id)
	if err != nil {
		return nil, err
	}
	d := contactData{Contact: c, Custom: s.cardFields(crm.FieldsContact, "/contacts/"+strconv.FormatInt(c.ID, 10)+"/fields", c.Fields)}
	if c.CompanyID != nil {
		if co, err := s.store.Company(ctx, *c.CompanyID); err == nil {
			d.Company = &co
		}
	}
	if d.Deals, _, err = s.store.Deals(ctx, crm.DealFilter{ContactID: &c.ID, Limit: 50}); err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	for _, p := range c.Phones {
		ls, _, err := s.store.Leads(ctx, crm.LeadFilter{Phone: p, Limit: 20})
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			if !seen[l.ID] {
				seen[l.ID] = true
				d.Leads = append(d.Leads, l)
			}
		}
	}
	return d, nil
}

// companyData is a company's card.
type companyData struct {
	Company  crm.Company
	Contacts []crm.Contact
	Deals    []crm.Deal
	Custom   customFields
}

func (s *Server) companyCard(r *http.Request, v *viewer) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	if err := s.store.Authorize(ctx, v.P, crm.Read, crm.Path(crm.KindCompany, id)); err != nil {
		return nil, err
	}
	c, err := s.store.Company(ctx, id)
	if err != nil {
		return nil, err
	}
	d := companyData{Company: c, Custom: s.cardFields(crm.FieldsCompany, "/companies/"+strconv.FormatInt(c.ID, 10)+"/fields", c.Fields)}
	if d.Contacts, _, err = s.store.Contacts(ctx, crm.ContactFilter{CompanyID: &c.ID, Limit: 50}); err != nil {
		return nil, err
	}
	if d.Deals, _, err = s.store.Deals(ctx, crm.DealFilter{CompanyID: &c.ID, Limit: 50}); err != nil {
		return nil, err
	}
	return d, nil
}

// merge folds another contact or company into this one; the flash offers
// to undo it.
func (s *Server) merge(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	kind := r.PostFormValue("kind")
	keep, err1 := strconv.ParseInt(r.PostFormValue("keep"), 10, 64)
	back := "/clients"
	if err1 == nil {
		back = "/" + map[string]string{"company": "companies", "contact": "contacts"}[kind] + "/" + strconv.FormatInt(keep, 10)
	}
	other, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(r.PostFormValue("other")), "#"), 10, 64)
	if err1 != nil || err != nil || other <= 0 {
		return back, crm.Invalid("other", "%s", v.T("merge.bad_id"))
	}
	// Merging is a supervisor's or an admin's work, as in the API.
	if err := s.store.Authorize(r.Context(), v.P, crm.Write, crm.Ref{Kind: crm.KindMerge}); err != nil {
		return "", err
	}
	var m crm.Merge
	switch kind {
	case "contact":
		m, err = s.store.MergeContacts(r.Context(), keep, other, v.P.ManagerID)
	case "company":
		m, err = s.store.MergeCompanies(r.Context(), keep, other, v.P.ManagerID)
	default:
		return back, crm.Invalid("kind", "contact or company")
	}
	if err != nil {
		return back, err
	}
	s.flash(w, r, v.T("merge.done")+" #"+strconv.FormatInt(m.ID, 10), false)
	return back + "?merged=" + strconv.FormatInt(m.ID, 10), nil
}

func (s *Server) undoMerge(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return "", err
	}
	back := localPath(r.PostFormValue("back"))
	if err := s.store.Authorize(r.Context(), v.P, crm.Write, crm.Ref{Kind: crm.KindMerge, ID: id}); err != nil {
		return "", err
	}
	if _, err := s.store.UndoMerge(r.Context(), id); err != nil {
		return back, err
	}
	s.flash(w, r, v.T("merge.undone"), false)
	return back, nil
}

// importData is the import page: the form, and after a dry run its report
// with the file carried on for the real import.
type importData struct {
	Kind    string
	Report  *imports.Report
	Done    bool
	File    string // base64 of the file, for "import"
	Name    string
	Kinds   []string
	TooMany bool
}

const maxConsoleImport = 4 << 20

func (s *Server) importPage(r *http.Request, v *viewer) (any, error) {
	if !v.P.SeesAll() {
		return nil, crm.Errorf(crm.EFORBIDDEN, "imports are for supervisors")
	}
	return importData{Kind: "contacts", Kinds: []string{"contacts", "companies", "deals"}}, nil
}

// importFile plans the upload (dry run) and shows its report; with apply
// and the carried file it imports.
func (s *Server) importFile(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	if !v.P.SeesAll() {
		return "", crm.Errorf(crm.EFORBIDDEN, "imports are for supervisors")
	}
	if s.opts.Importer == nil {
		return "/clients/import", crm.Errorf(crm.EUNAVAILABLE, "import is off")
	}
	d := importData{Kind: r.FormValue("kind"), Kinds: []string{"contacts", "companies", "deals"}}
	var data []byte
	if enc := r.FormValue("data"); enc != "" {
		b, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return "/clients/import", crm.Invalid("file", "%s", v.T("import.again"))
		}
		data, d.Name = b, r.FormValue("name")
	} else {
		f, h, err := r.FormFile("file")
		if err != nil {
			return "/clients/import", crm.Invalid("file", "%s", v.T("import.pick_file"))
		}
		defer f.Close()
		if data, err = io.ReadAll(io.LimitReader(f, maxConsoleImport+1)); err != nil {
			return "/clients/import", err
		}
		if len(data) > maxConsoleImport {
			return "/clients/import", crm.Invalid("file", "%s", v.T("import.too_large"))
		}
		d.Name = h.Filename
	}
	t, err := imports.Read(d.Name, bytes.NewReader(data))
	if err != nil {
		return "/clients/import", err
	}
	o := imports.Options{Kind: imports.Kind(d.Kind), By: v.P.ManagerID}
	var rep imports.Report
	if r.FormValue("apply") == "1" {
		rep, err = s.opts.Importer.Apply(r.Context(), t, o)
		d.Done = true
	} else {
		rep, err = s.opts.Importer.Plan(r.Context(), t, o)
		d.File = base64.StdEncoding.EncodeToString(data)
	}
	if err != nil {
		return "/clients/import", err
	}
	if len(rep.Results) > 500 {
		rep.Results, d.TooMany = rep.Results[:500], true
	}
	d.Report = &rep
	s.render(w, r, v, http.StatusOK, "import", d)
	return "", errRendered
}
