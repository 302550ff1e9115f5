package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/imports"
	"github.com/leadd/leadd/dedupe"
)

// maxImport is the largest file an import takes: 100,000 rows of a client
// base are about 15 MB of CSV.
const maxImport = 64 << 20

// longRequest is how long an import or an export may read and write; the
// server's 30 s are for ordinary requests.
const longRequest = 10 * time.Minute

// importFile is POST /api/v1/import?kind=contacts|companies|deals&dry_run=
// with the file as multipart field "file" and, optionally, field "mapping"
// ({"column header": "field"}). It answers the report; dry_run is true
// unless it is false. Only an admin or a supervisor imports.
func (s *Server) importFile(w http.ResponseWriter, r *http.Request) {
	status, body, err := s.importReport(w, r)
	if err != nil {
		WriteError(w, r, s.log, err)
		return
	}
	WriteJSON(w, status, body)
}

func (s *Server) importReport(w http.ResponseWriter, r *http.Request) (int, any, error) {
	p, err := s.principal(r)
	if err != nil {
		return 0, nil, err
	}
	if !p.Supervises() {
		return 0, nil, crm.Errorf(crm.EFORBIDDEN, "only an admin or a supervisor imports")
	}
	store, ok := s.store.(*crm.Store)
	if !ok {
		return 0, nil, crm.Errorf(crm.EUNAVAILABLE, "import needs the Postgres store")
	}
	q := r.URL.Query()
	dryRun := true
	if v := q.Get("dry_run"); v != "" {
		if dryRun, err = strconv.ParseBool(v); err != nil {
			return 0, nil, crm.Invalid("dry_run", "must be true or false")
		}
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(longRequest))
	_ = rc.SetWriteDeadline(time.Now().Add(longRequest))
	r.Body = http.MaxBytesReader(w, r.Body, maxImport)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return 0, nil, crm.Errorf(crm.ETOOLARGE, "the file is over %d MB", maxImport>>20)
		case errors.Is(err, http.ErrNotMultipart):
			return 0, nil, crm.Errorf(crm.EUNSUPPORTED, "send multipart/form-data with the file in field \"file\"")
		}
		return 0, nil, &crm.Error{Code: crm.EMALFORMED, Message: "cannot read the form: " + err.Error()}
	}
	defer r.MultipartForm.RemoveAll()
	file, header, err := r.FormFile("file")
	if err != nil {
		return 0, nil, crm.Invalid("file", "send the CSV or XLSX in field \"file\"")
	}
	defer file.Close()
	var mapping imports.Mapping
	if v := r.FormValue("mapping"); v != "" {
		if err := strictUnmarshal([]byte(v), &mapping); err != nil {
			return 0, nil, crm.Invalid("mapping", "must be a JSON object {\"column header\": \"field\"}")
		}
	}
	t, err := imports.Read(header.Filename, file)
	if err != nil {
		return 0, nil, err
	}
	im := &imports.Importer{Store: store, Phones: s.opts.Phones}
	o := imports.Options{Kind: imports.Kind(q.Get("kind")), Mapping: mapping, By: p.ManagerID}
	run := im.Apply
	if dryRun {
		run = im.Plan
	}
	rep, err := run(r.Context(), t, o)
	if err != nil {
		return 0, nil, err
	}
	s.log.Info("import", "by", p.Name, "kind", o.Kind, "dry_run", dryRun, "file", header.Filename, "rows", rep.Rows,
		"new", rep.New, "matched", rep.Matched, "conflicting", rep.Conflicting, "rejected", rep.Rejected)
	return http.StatusOK, rep, nil
}

// export is GET /api/v1/export/{kind}?format=csv|xlsx with the filters of
// the kind's list; a manager exports only their own records, as they list
// them. The file streams as an attachment.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	p, err := s.principal(r)
	if err != nil {
		WriteError(w, r, s.log, err)
		return
	}
	kind := imports.Kind(r.PathValue("kind"))
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	f, err := s.exportFilter(r, p, kind)
	if err != nil {
		WriteError(w, r, s.log, err)
		return
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(longRequest))
	out := &startOnWrite{w: w, start: func() {
		w.Header().Set("Content-Type", imports.ContentType(format))
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.%s"`, kind, time.Now().UTC().Format("2006-01-02"), format))
		w.WriteHeader(http.StatusOK)
	}}
	if err := imports.Export(r.Context(), out, format, kind, s.store, f); err != nil {
		if !out.started {
			WriteError(w, r, s.log, err)
			return
		}
		// Half a file must not pass for a whole one: break the connection.
		s.log.Error("export failed part-way", "kind", kind, "format", format, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// startOnWrite sends the status and headers with the first byte, so that
// an export failing before it still answers with an error.
type startOnWrite struct {
	w       http.ResponseWriter
	start   func()
	started bool
}

func (s *startOnWrite) Write(b []byte) (int, error) {
	if !s.started {
		s.started = true
		s.start()
	}
	return s.w.Write(b)
}

// exportFilter reads the filters the kind's list endpoint takes.
func (s *Server) exportFilter(r *http.Request, p Principal, kind imports.Kind) (imports.Filter, error) {
	q := r.URL.Query()
	var f imports.Filter
	manager, err := optionalID(q.Get("manager_id"), "manager_id")
	if err != nil {
		return f, err
	}
	if manager, err = crm.Scope(p, manager, "manager_id"); err != nil {
		return f, err
	}
	phone, email, err := s.reachFilter(q.Get("phone"), q.Get("email"))
	if err != nil {
		return f, err
	}
	conds, err := crm.FieldConds(q)
	if err != nil {
		return f, err
	}
	switch kind {
	case imports.Leads:
		f.Leads = crm.LeadFilter{Status: q.Get("status"), ManagerID: manager, Phone: phone, Email: email, Fields: conds}
		if v := q.Get("queue"); v != "" {
			if f.Leads.Queue, err = strconv.ParseBool(v); err != nil {
				return f, crm.Invalid("queue", "must be true or false")
			}
		}
		if !p.SeesAll() && f.Leads.Queue {
			f.Leads.ManagerID = nil // the queue is everyone's to see, as in the list
		}
	case imports.Contacts:
		f.Contacts = crm.ContactFilter{ManagerID: manager, Phone: phone, Email: email, Query: q.Get("q"), Fields: conds}
		if f.Contacts.CompanyID, err = optionalID(q.Get("company_id"), "company_id"); err != nil {
			return f, err
		}
		if err := s.allow(r, p, crm.Named(crm.KindCompany, "company_id", f.Contacts.CompanyID)...); err != nil {
			return f, err
		}
	case imports.Companies:
		f.Companies = crm.CompanyFilter{ManagerID: manager, INN: q.Get("inn"), Query: q.Get("q"), Fields: conds}
	case imports.Deals:
		f.Deals = crm.DealFilter{Pipeline: q.Get("pipeline"), Stage: q.Get("stage"), Status: q.Get("status"), ManagerID: manager, Fields: conds}
		if f.Deals.ContactID, err = optionalID(q.Get("contact_id"), "contact_id"); err != nil {
			return f, err
		}
		if f.Deals.CompanyID, err = optionalID(q.Get("company_id"), "company_id"); err != nil {
			return f, err
		}
		if err := s.allow(r, p, refs(crm.Named(crm.KindContact, "contact_id", f.Deals.ContactID),
			crm.Named(crm.KindCompany, "company_id", f.Deals.CompanyID))...); err != nil {
			return f, err
		}
	default:
		return f, crm.Errorf(crm.ENOTFOUND, "nothing to export as %q: leads, contacts, companies or deals", kind)
	}
	return f, nil
}

// reachFilter normalizes the phone and e-mail filters as the lists do.
func (s *Server) reachFilter(phone, email string) (string, string, error) {
	if phone != "" {
		e164, ok := s.opts.Phones.Phone(phone)
		if !ok {
			return "", "", crm.Invalid("phone", "%q is not a phone number", phone)
		}
		phone = e164
	}
	if email != "" {
		e, ok := dedupe.Email(email)
		if !ok {
			return "", "", crm.Invalid("email", "%q is not an e-mail address", email)
		}
		email = e
	}
	return phone, email, nil
}
