package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/leadd/leadd/crm"
)

// dealFor loads the deal of the address if the viewer may do access to it
// (crm.Authorize: a supervisor or admin any, a manager their own).
// Errors: ENOTFOUND, EFORBIDDEN.
func (s *Server) dealFor(r *http.Request, v *viewer, access crm.Access) (crm.Deal, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return crm.Deal{}, err
	}
	if err := s.store.Authorize(r.Context(), v.P, access, crm.Path(crm.KindDeal, id)); err != nil {
		return crm.Deal{}, err
	}
	return s.store.Deal(r.Context(), id)
}

func dealPath(id int64) string { return "/deals/" + strconv.FormatInt(id, 10) }

// dealData is the deal card.
type dealData struct {
	Deal       crm.Deal
	Pipeline   crm.Pipeline
	Contact    *crm.Contact
	Company    *crm.Company
	Lines      []crm.Line
	Products   []crm.Product
	VAT        []string
	Documents  []crm.Document
	DocTypes   []string
	Docs       bool
	History    []crm.StageMove
	Activities []crm.Activity
	Timeline   []timelineItem
	Payments   []crm.Payment
	Net, Tax   string
	SendMail   bool // documents can be e-mailed
	PayLinks   bool // payment links can be made
	Custom     customFields
}

func (s *Server) dealCard(r *http.Request, v *viewer) (any, error) {
	deal, err := s.dealFor(r, v, crm.Read)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	d := dealData{Deal: deal, Docs: s.opts.Documents != nil, DocTypes: []string{"quote", "invoice", "contract", "act"},
		SendMail: s.opts.SendMail, PayLinks: s.payments != nil, Custom: s.cardFields(crm.FieldsDeal, dealPath(deal.ID)+"/fields", deal.Fields)}
	ps, err := s.store.Pipelines(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.Key == deal.Pipeline {
			d.Pipeline = p
		}
	}
	if deal.ContactID != nil {
		c, err := s.store.Contact(ctx, *deal.ContactID)
		if err != nil && crm.ErrorCode(err) != crm.ENOTFOUND {
			return nil, err
		}
		if err == nil {
			d.Contact = &c
		}
	}
	if deal.CompanyID != nil {
		c, err := s.store.Company(ctx, *deal.CompanyID)
		if err != nil && crm.ErrorCode(err) != crm.ENOTFOUND {
			return nil, err
		}
		if err == nil {
			d.Company = &c
		}
	}
	if d.Lines, err = s.store.Lines(ctx, deal.ID); err != nil {
		return nil, err
	}
	d.Net, d.Tax = lineTotals(d.Lines)
	if d.Products, err = s.store.Products(ctx, "", false); err != nil {
		return nil, err
	}
	for k := range s.opts.VAT {
		d.VAT = append(d.VAT, k)
	}
	sort.Strings(d.VAT)
	if d.Documents, err = s.store.Documents(ctx, deal.ID); err != nil {
		return nil, err
	}
	if d.History, err = s.store.DealHistory(ctx, deal.ID); err != nil {
		return nil, err
	}
	if d.Activities, err = s.store.DealActivities(ctx, deal.ID); err != nil {
		return nil, err
	}
	touches, err := s.store.DealTouches(ctx, deal.ID)
	if err != nil {
		return nil, err
	}
	if d.Timeline, err = s.withNotes(r, crm.RecordDeal, deal.ID, timeline(touches, nil, nil)); err != nil {
		return nil, err
	}
	if d.Payments, err = s.store.DealPayments(ctx, deal.ID); err != nil {
		return nil, err
	}
	return d, nil
}

// lineTotals sums the lines' net and VAT exactly, in kopecks.
func lineTotals(lines []crm.Line) (net, tax string) {
	var n, t int64
	for _, l := range lines {
		n += kopecks(l.Net)
		t += kopecks(l.VATAmount)
	}
	return fromKopecks(n), fromKopecks(t)
}

func kopecks(s string) int64 {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "00")[:2]
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	k := w*100 + f
	if neg {
		k = -k
	}
	return k
}

func fromKopecks(k int64) string {
	sign := ""
	if k < 0 {
		sign, k = "-", -k
	}
	return fmt.Sprintf("%s%d.%02d", sign, k/100, k%100)
}

// moveDeal moves the deal to a stage (lost asks for the reason).
func (s *Server) moveDeal(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	d, err := s.dealFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	back := localPath(r.PostFormValue("back"))
	if back == "/" {
		back = dealPath(d.ID)
	}
	stage := r.PostFormValue("stage")
	if _, err := s.store.MoveDeal(r.Context(), d.ID, stage, r.PostFormValue("loss_reason"), v.P.Actor()); err != nil {
		return back, err
	}
	return back, nil
}

var decimalRe = regexp.MustCompile(`^\d{1,12}([.,]\d{1,4})?$`)

// decimal reads a number as people type it ("1 200,50") into the store's
// form ("1200.50"); empty stays nil.
func decimal(v *viewer, field, raw string) (*string, error) {
	raw = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "").Replace(strings.TrimSpace(raw))
	if raw == "" {
		return nil, nil
	}
	if !decimalRe.MatchString(raw) {
		return nil, crm.Invalid(field, "%s", v.T("form.bad_number"))
	}
	out := strings.Replace(raw, ",", ".", 1)
	return &out, nil
}

// lineInput reads a line's form.
func lineInput(r *http.Request, v *viewer) (crm.LineInput, error) {
	var in crm.LineInput
	var err error
	for _, f := range []struct {
		name string
		dst  **string
	}{{"quantity", &in.Quantity}, {"price", &in.Price}, {"discount", &in.Discount}} {
		if *f.dst, err = decimal(v, f.name, r.PostFormValue(f.name)); err != nil {
			return in, err
		}
	}
	if vat := r.PostFormValue("vat"); vat != "" {
		in.VAT = &vat
	}
	if name := strings.TrimSpace(r.PostFormValue("name")); name != "" {
		in.Name = &name
	}
	return in, nil
}

func (s *Server) addLine(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	d, err := s.dealFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	back := dealPath(d.ID) + "#lines"
	in, err := lineInput(r, v)
	if err != nil {
		return back, err
	}
	if p := r.PostFormValue("product_id"); p != "" {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || id <= 0 {
			return back, crm.Invalid("product_id", "%s", v.T("form.pick_product"))
		}
		in.ProductID = &id
	} else if in.Name == nil {
		return back, crm.Invalid("product_id", "%s", v.T("form.pick_product"))
	}
	if in.Quantity == nil {
		one := "1"
		in.Quantity = &one
	}
	if _, err := s.store.AddLine(r.Context(), d.ID, in, s.opts.VAT); err != nil {
		return back, err
	}
	s.flash(w, r, v.T("deal.line_added"), false)
	return back, nil
}

func (s *Server) updateLine(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	d, err := s.dealFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	back := dealPath(d.ID) + "#lines"
	lineID, err := pathID(r, "line")
	if err != nil {
		return "", err
	}
	in, err := lineInput(r, v)
	if err != nil {
		return back, err
	}
	if _, err := s.store.UpdateLine(r.Context(), d.ID, lineID, in, s.opts.VAT); err != nil {
		return back, err
	}
	s.flash(w, r, v.T("deal.line_saved"), false)
	return back, nil
}

// previewLine answers, as JSON and without writing, what a line's form
// would make of the deal: the line's total and the deal's totals, or the
// error that saving would show. The deal card calls it while the manager
// types. Form: the add or edit form's fields, with line (the edited
// line's id) for an edit.
func (s *Server) previewLine(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	d, err := s.dealFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	type preview struct {
		Line  string `json:"line,omitempty"`
		Net   string `json:"net,omitempty"`
		Tax   string `json:"tax,omitempty"`
		Total string `json:"total,omitempty"`
		Error string `json:"error,omitempty"`
		Field string `json:"field,omitempty"`
	}
	answer := func(code int, p preview) (string, error) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(p)
		return "", errRendered
	}
	refuse := func(err error) (string, error) {
		if c := crm.ErrorCode(err); c != crm.EINVALID && c != crm.ENOTFOUND {
			return "", err
		}
		var e *crm.Error
		errors.As(err, &e)
		return answer(http.StatusUnprocessableEntity, preview{Error: v.errorText(err), Field: e.Field})
	}
	var lineID int64
	if raw := r.PostFormValue("line"); raw != "" {
		if lineID, err = strconv.ParseInt(raw, 10, 64); err != nil || lineID <= 0 {
			return refuse(crm.Invalid("line", "no line %q", raw))
		}
	}
	in, err := lineInput(r, v)
	if err != nil {
		return refuse(err)
	}
	if lineID == 0 {
		if p := r.PostFormValue("product_id"); p != "" {
			id, err := strconv.ParseInt(p, 10, 64)
			if err != nil || id <= 0 {
				return refuse(crm.Invalid("product_id", "%s", v.T("form.pick_product")))
			}
			in.ProductID = &id
		} else if in.Name == nil {
			return refuse(crm.Invalid("product_id", "%s", v.T("form.pick_product")))
		}
	}
	line, err := s.store.PreviewLine(r.Context(), d.ID, lineID, in, s.opts.VAT)
	if err != nil {
		return refuse(err)
	}
	lines, err := s.store.Lines(r.Context(), d.ID)
	if err != nil {
		return "", err
	}
	if lineID == 0 {
		lines = append(lines, line)
	}
	total := int64(0)
	for i := range lines {
		if lines[i].ID == lineID {
			lines[i] = line
		}
		total += kopecks(lines[i].Total)
	}
	net, tax := lineTotals(lines)
	return answer(http.StatusOK, preview{Line: v.Money(line.Total, d.Currency), Net: v.Money(net, d.Currency),
		Tax: v.Money(tax, d.Currency), Total: v.Money(fromKopecks(total), d.Currency)})
}

func (s *Server) deleteLine(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	d, err := s.dealFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	lineID, err := pathID(r, "line")
	if err != nil {
		return "", err
	}
	if err := s.store.DeleteLine(r.Context(), d.ID, lineID); err != nil {
		return dealPath(d.ID) + "#lines", err
	}
	return dealPath(d.ID) + "#lines", nil
}

// makeDocument makes the next version of a quote, invoice, contract or
// act, or the configured package.
func (s *Server) makeDocument(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	d, err := s.dealFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	back := dealPath(d.ID) + "#documents"
	if s.opts.Documents == nil {
		return back, crm.Errorf(crm.EUNAVAILABLE, "%s", v.T("deal.docs_off"))
	}
	typ := r.PostFormValue("type")
	if typ == "package" {
		docs, err := s.store.CreateDocumentPackage(r.Context(), d.ID, s.opts.Package, s.opts.Documents)
		if err != nil {
			return back, err
		}
		s.flash(w, r, fmt.Sprintf("%s: %d", v.T("deal.package_made"), len(docs)), false)
		return back, nil
	}
	// The deal's current document when it is unchanged: one number.
	doc, _, err := s.store.CreateDocument(r.Context(), d.ID, typ, s.opts.Documents, crm.DocumentOptions{})
	if err != nil {
		return back, err
	}
	msg := v.DocType(doc.Type) + " № " + doc.Number + " — " + v.T("deal.doc_made")
	if len(doc.Warnings) > 0 {
		msg += " " + strings.Join(doc.Warnings, " ")
	}
	s.flash(w, r, msg, len(doc.Warnings) > 0)
	return back, nil
}

// documentPDF opens a document of a deal the viewer may see.
func (s *Server) documentPDF(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.store.Authorize(r.Context(), v.P, crm.Read, crm.Path(crm.KindDocument, id)); err != nil {
		return err
	}
	doc, pdf, err := s.store.DocumentPDF(r.Context(), id)
	if err != nil {
		return err
	}
	name := doc.Type + "-" + doc.Number + "-v" + strconv.Itoa(doc.Version) + ".pdf"
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-%d.pdf"; filename*=UTF-8''%s`, doc.Type, doc.ID, url.PathEscape(name)))
	w.Header().Set("Content-Length", strconv.Itoa(len(pdf)))
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(pdf)
	return nil
}

// recordContract records the deal's contract signed outside Leadd: its
// number and date become the basis of the deal's invoices and acts.
func (s *Server) recordContract(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	d, err := s.dealFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	back := dealPath(d.ID) + "#documents"
	doc, err := s.store.RecordExternalContract(r.Context(), d.ID, crm.ExternalContract{Number: r.PostFormValue("number"), Date: r.PostFormValue("date")})
	if err != nil {
		return back, err
	}
	s.flash(w, r, v.T("doc.external_saved")+" № "+doc.Number, false)
	return back, nil
}

// sendDocuments e-mails the deal's current documents the form names (one
// letter, to the deal's contact), through the outbox.
func (s *Server) sendDocuments(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	d, err := s.dealFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	back := dealPath(d.ID) + "#documents"
	if !s.opts.SendMail {
		return back, crm.Errorf(crm.EUNAVAILABLE, "%s", v.T("deal.mail_off"))
	}
	if err := r.ParseForm(); err != nil {
		return back, crm.Errorf(crm.EMALFORMED, "%v", err)
	}
	var docs []crm.Document
	for _, f := range r.PostForm["document"] {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return back, crm.Invalid("document", "%s", v.T("deal.pick_documents"))
		}
		doc, err := s.store.Document(r.Context(), id)
		if err != nil || doc.DealID != d.ID {
			return back, crm.Invalid("document", "%s", v.T("deal.pick_documents"))
		}
		docs = append(docs, doc)
	}
	if len(docs) == 0 {
		return back, crm.Invalid("document", "%s", v.T("deal.pick_documents"))
	}
	send, err := s.store.SendDocuments(r.Context(), d, docs, v.P.ManagerID)
	if err != nil {
		return back, err
	}
	s.flash(w, r, v.T("deal.sending")+" "+send.To, false)
	return back, nil
}

// paymentLink makes a Robokassa link for the deal's amount (or the amount
// typed) and shows it to copy and send.
func (s *Server) paymentLink(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	d, err := s.dealFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	back := dealPath(d.ID) + "#payments"
	if s.payments == nil {
		return back, crm.Errorf(crm.EUNAVAILABLE, "%s", v.T("deal.pay_off"))
	}
	amount := strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("amount")), " ", ""), ",", ".")
	link, pay, err := s.payments.NewLink(r.Context(), v.P, d.ID, amount)
	if err != nil {
		return back, err
	}
	s.flash(w, r, fmt.Sprintf("%s %s (%s): %s", v.T("deal.pay_link"), strconv.FormatInt(pay.InvID, 10), v.Rub(pay.Amount), link), false)
	return back, nil
}
