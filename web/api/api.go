package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
)

// Store is what the API needs of the core.
type Store interface {
	CallRecording(ctx context.Context, id int64) (crm.CallRecording, error)
	Leads(ctx context.Context, f crm.LeadFilter) ([]crm.Lead, string, error)
	Lead(ctx context.Context, id int64) (crm.Lead, error)
	SetLeadStatus(ctx context.Context, id int64, status, junkReason string) (crm.Lead, error)
	Assignments(ctx context.Context, leadID int64) ([]crm.Assignment, error)
	Managers(ctx context.Context) ([]crm.Manager, error)
	CreateManager(ctx context.Context, m crm.Manager) (crm.Manager, error)
	Counters(ctx context.Context, managerID int64) (crm.Counters, error)
	Manager(ctx context.Context, id int64) (crm.Manager, error)
	UpdateManager(ctx context.Context, id int64, p crm.ManagerPatch) (crm.Manager, error)
	AssignLead(ctx context.Context, leadID, managerID int64, by *int64, sla time.Duration) (crm.Lead, error)
	CompleteActivity(ctx context.Context, id int64, c crm.Completion, cadence crm.Cadence) (crm.CompleteResult, error)
	Activities(ctx context.Context, managerID int64, due string) ([]crm.Activity, error)
	ActivityList(ctx context.Context, f crm.ActivityFilter) ([]crm.Activity, string, error)
	Calls(ctx context.Context, f crm.CallFilter) ([]crm.Call, string, error)
	Activity(ctx context.Context, id int64) (crm.Activity, error)

	LandNow(ctx context.Context, l *crm.Lander, in *crm.Inbound) (crm.Landing, error)
	UpdateLead(ctx context.Context, id int64, p crm.LeadPatch) (crm.Lead, error)
	FieldSet() *crm.FieldSet
	AddNote(ctx context.Context, kind string, id int64, text string, by crm.Actor) (crm.Note, error)
	Timeline(ctx context.Context, kind string, id int64, f crm.TimelineFilter) ([]crm.TimelineItem, string, error)
	ConvertLead(ctx context.Context, leadID int64, c crm.Conversion, by crm.Actor) (crm.Converted, error)
	Pipelines(ctx context.Context) ([]crm.Pipeline, error)
	CreateDeal(ctx context.Context, in crm.DealInput, by crm.Actor) (crm.Deal, error)
	Deal(ctx context.Context, id int64) (crm.Deal, error)
	Deals(ctx context.Context, f crm.DealFilter) ([]crm.Deal, string, error)
	UpdateDeal(ctx context.Context, id int64, in crm.DealInput) (crm.Deal, error)
	MoveDeal(ctx context.Context, id int64, stage, lossReason string, by crm.Actor) (crm.Deal, error)
	DealHistory(ctx context.Context, id int64) ([]crm.StageMove, error)
	CreateContact(ctx context.Context, in crm.ContactInput) (crm.Contact, error)
	Contact(ctx context.Context, id int64) (crm.Contact, error)
	Contacts(ctx context.Context, f crm.ContactFilter) ([]crm.Contact, string, error)
	UpdateContact(ctx context.Context, id int64, in crm.ContactInput) (crm.Contact, error)
	CreateCompany(ctx context.Context, in crm.CompanyInput) (crm.Company, error)
	Company(ctx context.Context, id int64) (crm.Company, error)
	Companies(ctx context.Context, f crm.CompanyFilter) ([]crm.Company, string, error)
	UpdateCompany(ctx context.Context, id int64, in crm.CompanyInput) (crm.Company, error)
	MergeContacts(ctx context.Context, keep, other int64, by *int64) (crm.Merge, error)
	MergeCompanies(ctx context.Context, keep, other int64, by *int64) (crm.Merge, error)
	MergeLeads(ctx context.Context, keep, other int64, by *int64) (crm.Merge, error)
	UndoMerge(ctx context.Context, id int64) (crm.Merge, error)
	CreateProduct(ctx context.Context, in crm.ProductInput, rates crm.VATRates) (crm.Product, error)
	UpdateProduct(ctx context.Context, id int64, in crm.ProductInput, rates crm.VATRates) (crm.Product, error)
	Product(ctx context.Context, id int64) (crm.Product, error)
	Products(ctx context.Context, query string, all bool) ([]crm.Product, error)
	Lines(ctx context.Context, dealID int64) ([]crm.Line, error)
	Line(ctx context.Context, dealID, lineID int64) (crm.Line, error)
	AddLine(ctx context.Context, dealID int64, in crm.LineInput, rates crm.VATRates) (crm.Line, error)
	UpdateLine(ctx context.Context, dealID, lineID int64, in crm.LineInput, rates crm.VATRates) (crm.Line, error)
	DeleteLine(ctx context.Context, dealID, lineID int64) error
	CreateActivity(ctx context.Context, in crm.ActivityInput) (crm.Activity, error)
	RotateCalendarSecret(ctx context.Context, managerID int64) (string, error)
	CalendarSecretAt(ctx context.Context, managerID int64) (*time.Time, error)
	CalendarFeed(ctx context.Context, token string) (crm.Manager, []crm.CalendarEvent, error)
	FreeSlots(ctx context.Context, ids []int64, length time.Duration, from, to time.Time) ([]crm.Slot, error)
	CreateLinkCode(ctx context.Context, managerID int64) (string, error)
	CreateDocument(ctx context.Context, dealID int64, typ string, m crm.DocumentMaker, opts crm.DocumentOptions) (crm.Document, bool, error)
	Documents(ctx context.Context, dealID int64) ([]crm.Document, error)
	DocumentPDF(ctx context.Context, id int64) (crm.Document, []byte, error)
	RecordExternalContract(ctx context.Context, dealID int64, c crm.ExternalContract) (crm.Document, error)
	SendDocuments(ctx context.Context, d crm.Deal, docs []crm.Document, by *int64) (crm.DocumentSend, error)
	DocumentRecipient(ctx context.Context, d crm.Deal) (crm.Contact, error)
	Document(ctx context.Context, id int64) (crm.Document, error)
	FillCompany(ctx context.Context, id int64, p crm.Party) (crm.Filled, error)
	CreateDocumentPackage(ctx context.Context, dealID int64, types []string, m crm.DocumentMaker) ([]crm.Document, error)
	QueueDocumentSend(ctx context.Context, in crm.DocumentSend) (crm.DocumentSend, error)
	DocumentSendByID(ctx context.Context, id int64) (crm.DocumentSend, error)
	Webhooks(ctx context.Context) ([]crm.WebhookEndpoint, error)
	Webhook(ctx context.Context, id int64) (crm.WebhookEndpoint, error)
	CreateWebhook(ctx context.Context, in crm.WebhookInput) (crm.WebhookEndpoint, error)
	UpdateWebhook(ctx context.Context, id int64, in crm.WebhookInput) (crm.WebhookEndpoint, error)
	DeleteWebhook(ctx context.Context, id int64) error
	RotateWebhookSecret(ctx context.Context, id int64) (crm.WebhookEndpoint, error)
	WebhookAttempts(ctx context.Context, endpointID, before int64, limit int) ([]crm.WebhookAttempt, error)
	ReplayWebhook(ctx context.Context, endpointID int64, from, to time.Time) (int, error)
	FailedEvents(ctx context.Context, cursor string, limit int) ([]crm.FailedEvent, string, error)
	RetryEvent(ctx context.Context, id string) (crm.FailedEvent, error)
	CreateLoginCode(ctx context.Context, managerID int64, ttl time.Duration) (string, error)
	EndManagerSessions(ctx context.Context, managerID int64) (int, error)

	// The one authorization rule (crm/authz.go): every handler asks it.
	Authorize(ctx context.Context, p crm.Principal, access crm.Access, refs ...crm.Ref) error
	AuthorizeReach(ctx context.Context, p crm.Principal, access crm.Access, reach ...crm.Reach) error

	TokenStore
	CreateToken(ctx context.Context, in crm.TokenInput, by string) (crm.APIToken, error)
	Tokens(ctx context.Context) ([]crm.APIToken, error)
	RevokeToken(ctx context.Context, id int64) (crm.APIToken, error)
}

var _ Store = (*crm.Store)(nil)

// Server is the REST API v1.
type Server struct {
	store   Store
	reports Reporter
	auth    *authenticator
	opts    Options
	log     *slog.Logger

	vatRates atomic.Pointer[crm.VATRates] // SetVAT's; nil: opts.VAT
}

// SetVAT changes the VAT rates lines and products may use (a SIGHUP
// reload); safe while requests run.
func (s *Server) SetVAT(rates crm.VATRates) { s.vatRates.Store(&rates) }

func (s *Server) vat() crm.VATRates {
	if p := s.vatRates.Load(); p != nil {
		return *p
	}
	return s.opts.VAT
}

// Options are the rules the API applies that come from the configuration.
type Options struct {
	// Recordings serves call recordings; nil: none are kept.
	Recordings Recordings
	Phones     dedupe.Normalizer
	SLA        time.Duration // a lead assigned by hand: its call is due within this
	// StuckDays: the pipeline report's open deal with no activity this
	// long is stuck (default 14).
	StuckDays int
	Cadence   crm.Cadence  // calls after no answer
	Lander    *crm.Lander  // leads entered by hand land as intake's do
	VAT       crm.VATRates // the rates deal lines may use
	// Documents numbers and renders deals' documents; nil: documents are off.
	Documents crm.DocumentMaker
	// Package is the documents POST /deals/{id}/documents/package makes;
	// empty: documents.DefaultPackage.
	Package []string
	// SendMail: documents can be e-mailed (smtp.host is set); off: 503.
	SendMail bool
	// Registry fills companies' requisites by INN; nil: lookups are off.
	Registry crm.PartyFinder
	// WebhooksAllowPrivate lets webhook endpoints be private addresses.
	WebhooksAllowPrivate bool
	// LoginLinkTTL is how long a console login link works (crm.LoginLinkTTL
	// when zero).
	LoginLinkTTL time.Duration
}

// New returns the API over store, answering the tokens the store keeps
// (crm.Store.SeedTokens puts the configuration's there on a fresh database).
func New(store Store, opts Options, log *slog.Logger) *Server {
	srv := &Server{store: store, auth: newAuthenticator(store), opts: opts, log: log}
	srv.reports, _ = store.(Reporter)
	return srv
}

// Mount adds a handler from outside the package behind the bearer check
// and the role rules of the API's own routes.
func (s *Server) Mount(mux *http.ServeMux, pattern string, h func(r *http.Request, p Principal) (int, any, error)) {
	s.route(mux, pattern, h)
}

// handler is an API handler: it returns its answer or an error.
type handler func(r *http.Request, p Principal) (status int, body any, err error)

// Register adds the API routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/openapi.yaml", serveOpenAPI)    // no token: the contract is public
	mux.HandleFunc("GET /calendar/{token}", s.serveCalendar) // no token: the address is the secret
	s.route(mux, "GET /api/v1/leads", s.listLeads)
	s.route(mux, "GET /api/v1/leads/{id}", s.getLead)
	s.route(mux, "POST /api/v1/leads/{id}/status", s.setLeadStatus)
	s.route(mux, "GET /api/v1/leads/{id}/assignments", s.leadAssignments)
	s.route(mux, "POST /api/v1/leads/{id}/assign", s.assignLead)
	s.route(mux, "GET /api/v1/managers", s.listManagers)
	s.route(mux, "POST /api/v1/managers", s.createManager)
	s.route(mux, "GET /api/v1/managers/{id}", s.getManager)
	s.route(mux, "PATCH /api/v1/managers/{id}", s.patchManager)
	s.route(mux, "GET /api/v1/counters", s.counters)
	s.route(mux, "GET /api/v1/tokens", s.listTokens)
	s.route(mux, "POST /api/v1/tokens", s.createToken)
	s.route(mux, "DELETE /api/v1/tokens/{id}", s.revokeToken)
	s.route(mux, "GET /api/v1/activities", s.listActivities)
	s.route(mux, "GET /api/v1/calls", s.listCalls)
	s.route(mux, "POST /api/v1/leads", s.createLead)
	s.route(mux, "PATCH /api/v1/leads/{id}", s.patchLead)
	s.route(mux, "POST /api/v1/leads/{id}/notes", s.addNoteTo(crm.RecordLead))
	s.route(mux, "POST /api/v1/deals/{id}/notes", s.addNoteTo(crm.RecordDeal))
	s.route(mux, "POST /api/v1/contacts/{id}/notes", s.addNoteTo(crm.RecordContact))
	s.route(mux, "POST /api/v1/companies/{id}/notes", s.addNoteTo(crm.RecordCompany))
	s.route(mux, "GET /api/v1/leads/{id}/timeline", s.timelineOf(crm.RecordLead))
	s.route(mux, "GET /api/v1/deals/{id}/timeline", s.timelineOf(crm.RecordDeal))
	s.route(mux, "GET /api/v1/contacts/{id}/timeline", s.timelineOf(crm.RecordContact))
	s.route(mux, "GET /api/v1/companies/{id}/timeline", s.timelineOf(crm.RecordCompany))
	s.route(mux, "POST /api/v1/leads/{id}/convert", s.convertLead)
	s.route(mux, "GET /api/v1/pipelines", s.listPipelines)
	s.route(mux, "GET /api/v1/fields", s.listFields)
	s.route(mux, "GET /api/v1/deals", s.listDeals)
	s.route(mux, "POST /api/v1/deals", s.createDeal)
	s.route(mux, "GET /api/v1/deals/{id}", s.getDeal)
	s.route(mux, "PATCH /api/v1/deals/{id}", s.patchDeal)
	s.route(mux, "POST /api/v1/deals/{id}/stage", s.moveDeal)
	s.route(mux, "GET /api/v1/deals/{id}/history", s.dealHistory)
	s.route(mux, "GET /api/v1/contacts", s.listContacts)
	s.route(mux, "POST /api/v1/contacts", s.createContact)
	s.route(mux, "GET /api/v1/contacts/{id}", s.getContact)
	s.route(mux, "PATCH /api/v1/contacts/{id}", s.patchContact)
	s.route(mux, "GET /api/v1/companies", s.listCompanies)
	s.route(mux, "POST /api/v1/companies", s.createCompany)
	s.route(mux, "GET /api/v1/companies/{id}", s.getCompany)
	s.route(mux, "PATCH /api/v1/companies/{id}", s.patchCompany)
	s.route(mux, "POST /api/v1/contacts/{id}/merge", s.mergeContacts)
	s.route(mux, "POST /api/v1/companies/{id}/merge", s.mergeCompanies)
	s.route(mux, "POST /api/v1/leads/{id}/merge", s.mergeLeads)
	s.route(mux, "POST /api/v1/companies/{id}/requisites/lookup", s.lookupRequisites)
	s.route(mux, "POST /api/v1/merges/{id}/undo", s.undoMerge)
	s.route(mux, "GET /api/v1/products", s.listProducts)
	s.route(mux, "POST /api/v1/products", s.createProduct)
	s.route(mux, "GET /api/v1/products/{id}", s.getProduct)
	s.route(mux, "PATCH /api/v1/products/{id}", s.patchProduct)
	s.route(mux, "GET /api/v1/deals/{id}/lines", s.listLines)
	s.route(mux, "POST /api/v1/deals/{id}/lines", s.addLine)
	s.route(mux, "GET /api/v1/deals/{id}/lines/{line}", s.getLine)
	s.route(mux, "PATCH /api/v1/deals/{id}/lines/{line}", s.patchLine)
	s.route(mux, "DELETE /api/v1/deals/{id}/lines/{line}", s.deleteLine)
	s.route(mux, "POST /api/v1/activities", s.createActivity)
	s.route(mux, "GET /api/v1/managers/{id}/calendar", s.calendarState)
	s.route(mux, "POST /api/v1/managers/{id}/calendar", s.rotateCalendar)
	s.route(mux, "GET /api/v1/calendar/free", s.freeSlots)
	s.route(mux, "POST /api/v1/managers/{id}/telegram-link", s.telegramLink)
	s.route(mux, "POST /api/v1/managers/{id}/login-link", s.loginLink)
	s.route(mux, "DELETE /api/v1/managers/{id}/sessions", s.endSessions)
	mux.HandleFunc("POST /api/v1/import", s.importFile)   // long: its own deadlines, multipart
	mux.HandleFunc("GET /api/v1/export/{kind}", s.export) // streams a file, not JSON
	s.route(mux, "POST /api/v1/activities/{id}/complete", s.completeActivity)
	s.route(mux, "GET /api/v1/deals/{id}/documents", s.listDocuments)
	s.route(mux, "POST /api/v1/deals/{id}/documents", s.createDocument)
	mux.HandleFunc("GET /api/v1/documents/{id}/pdf", s.documentPDF)        // a PDF, not JSON
	mux.HandleFunc("GET /api/v1/touches/{id}/recording", s.touchRecording) // audio, not JSON
	s.route(mux, "POST /api/v1/deals/{id}/documents/package", s.createDocumentPackage)
	s.route(mux, "POST /api/v1/deals/{id}/documents/package/send", s.sendDocumentPackage)
	mux.HandleFunc("GET /api/v1/deals/{id}/documents/zip", s.dealDocumentsZip) // a ZIP, not JSON
	s.route(mux, "POST /api/v1/documents/{id}/send", s.sendDocument)
	s.route(mux, "GET /api/v1/document-sends/{id}", s.getDocumentSend)
	s.route(mux, "GET /api/v1/webhooks", s.listWebhooks)
	s.route(mux, "POST /api/v1/webhooks", s.createWebhook)
	s.route(mux, "GET /api/v1/webhooks/{id}", s.getWebhook)
	s.route(mux, "PATCH /api/v1/webhooks/{id}", s.patchWebhook)
	s.route(mux, "DELETE /api/v1/webhooks/{id}", s.deleteWebhook)
	s.route(mux, "POST /api/v1/webhooks/{id}/rotate", s.rotateWebhook)
	s.route(mux, "GET /api/v1/webhooks/{id}/deliveries", s.webhookDeliveries)
	s.route(mux, "POST /api/v1/webhooks/{id}/replay", s.replayWebhook)
	s.route(mux, "GET /api/v1/inbox/failed", s.listFailedEvents)
	s.route(mux, "POST /api/v1/inbox/{id}/retry", s.retryEvent)
	if s.reports != nil {
		s.registerReports(mux)
	}
}

func (s *Server) route(mux *http.ServeMux, pattern string, h handler) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		p, err := s.principal(r)
		if err != nil {
			WriteError(w, r, s.log, err)
			return
		}
		status, body, err := h(r, p)
		if err != nil {
			WriteError(w, r, s.log, err)
			return
		}
		WriteJSON(w, status, body)
	})
}

// principal authenticates the request and asks the rule whether its
// principal may make a request of this method at all (an integration
// token reads only).
func (s *Server) principal(r *http.Request) (Principal, error) {
	p, err := s.auth.principal(r)
	if err != nil {
		return Principal{}, err
	}
	return p, s.store.Authorize(r.Context(), p, accessOf(r))
}

// accessOf is what a request does: GET and HEAD read, the rest write.
func accessOf(r *http.Request) crm.Access {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return crm.Read
	}
	return crm.Write
}

// allow asks the rule whether p may touch the records r names.
func (s *Server) allow(r *http.Request, p Principal, refs ...crm.Ref) error {
	return s.store.Authorize(r.Context(), p, accessOf(r), refs...)
}

// allowReach asks the rule whether p may name the people in reach.
func (s *Server) allowReach(r *http.Request, p Principal, reach ...crm.Reach) error {
	return s.store.AuthorizeReach(r.Context(), p, accessOf(r), reach...)
}

// refs joins the records several fields name.
func refs(lists ...[]crm.Ref) []crm.Ref {
	var out []crm.Ref
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// page is a list answer.
type page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func newPage[T any](items []T, next string) page[T] {
	if items == nil {
		items = []T{}
	}
	p := page[T]{Items: items}
	if next != "" {
		p.NextCursor = &next
	}
	return p
}

func (s *Server) listLeads(r *http.Request, p Principal) (int, any, error) {
	q := r.URL.Query()
	f := crm.LeadFilter{Status: q.Get("status"), Cursor: q.Get("cursor")}
	if f.Cursor == "" {
		f.Cursor = q.Get("next_cursor")
	}
	var err error
	if f.Oldest, err = oldest(q.Get("sort")); err != nil {
		return 0, nil, err
	}
	if f.ManagerID, err = optionalID(q.Get("manager_id"), "manager_id"); err != nil {
		return 0, nil, err
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 {
			return 0, nil, crm.Invalid("limit", "must be a positive number, at most %d", crm.MaxPage)
		}
	}
	if v := q.Get("phone"); v != "" {
		e164, ok := s.opts.Phones.Phone(v)
		if !ok {
			return 0, nil, crm.Invalid("phone", "%q is not a phone number", v)
		}
		f.Phone = e164
	}
	if v := q.Get("queue"); v != "" {
		if f.Queue, err = strconv.ParseBool(v); err != nil {
			return 0, nil, crm.Invalid("queue", "must be true or false")
		}
	}
	if v := q.Get("email"); v != "" {
		e, ok := dedupe.Email(v)
		if !ok {
			return 0, nil, crm.Invalid("email", "%q is not an e-mail address", v)
		}
		f.Email = e
	}
	if f.Drill, err = s.drill(r, p); err != nil {
		return 0, nil, err
	}
	if f.Fields, err = crm.FieldConds(q); err != nil {
		return 0, nil, err
	}
	if !f.Queue { // the queue is every manager's to see
		if f.ManagerID, err = crm.Scope(p, f.ManagerID, "manager_id"); err != nil {
			return 0, nil, err
		}
	}
	leads, next, err := s.store.Leads(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(leads, next), nil
}

func (s *Server) lead(r *http.Request, p Principal) (crm.Lead, error) {
	id, err := pathID(r)
	if err != nil {
		return crm.Lead{}, err
	}
	if err := s.allow(r, p, crm.Path(crm.KindLead, id)); err != nil {
		return crm.Lead{}, err
	}
	return s.store.Lead(r.Context(), id)
}

func (s *Server) getLead(r *http.Request, p Principal) (int, any, error) {
	l, err := s.lead(r, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, detail(l), nil
}

// leadDetail is a lead with its touches, activities and assignment, shown
// even when empty.
type leadDetail struct {
	crm.Lead
	Touches    []crm.Touch     `json:"touches"`
	Activities []crm.Activity  `json:"activities"`
	Assignment *crm.Assignment `json:"assignment"`
}

func detail(l crm.Lead) leadDetail {
	d := leadDetail{Lead: l, Touches: l.Touches, Activities: l.Activities, Assignment: l.Assignment}
	if d.Touches == nil {
		d.Touches = []crm.Touch{}
	}
	if d.Activities == nil {
		d.Activities = []crm.Activity{}
	}
	return d
}

func (s *Server) setLeadStatus(r *http.Request, p Principal) (int, any, error) {
	if _, err := s.lead(r, p); err != nil {
		return 0, nil, err
	}
	var body struct {
		Status     string `json:"status"`
		JunkReason string `json:"junk_reason"`
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	id, _ := pathID(r)
	l, err := s.store.SetLeadStatus(r.Context(), id, body.Status, body.JunkReason)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, detail(l), nil
}

func (s *Server) leadAssignments(r *http.Request, p Principal) (int, any, error) {
	l, err := s.lead(r, p)
	if err != nil {
		return 0, nil, err
	}
	hops, err := s.store.Assignments(r.Context(), l.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(hops, ""), nil
}

func (s *Server) listManagers(r *http.Request, _ Principal) (int, any, error) {
	ms, err := s.store.Managers(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(ms, ""), nil
}

// createManager adds a manager with every field PATCH takes; the team
// changes without a restart.
func (s *Server) createManager(r *http.Request, p Principal) (int, any, error) {
	if !p.Supervises() {
		return 0, nil, crm.Errorf(crm.EFORBIDDEN, "only an admin or a supervisor adds managers")
	}
	var body struct {
		Name           string        `json:"name"`
		Role           string        `json:"role"`
		TimeZone       string        `json:"time_zone"`
		Email          string        `json:"email"`
		Active         *bool         `json:"active"`
		TelegramChatID *int64        `json:"telegram_chat_id"`
		Away           bool          `json:"away"`
		Weight         int           `json:"weight"`
		Capacity       *int          `json:"capacity"`
		Hours          crm.Hours     `json:"hours"`
		TimeOff        []crm.TimeOff `json:"time_off"`
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	if body.Role == RoleAdmin && p.Role != RoleAdmin {
		return 0, nil, crm.Errorf(crm.EFORBIDDEN, "only an admin adds an admin")
	}
	m := crm.Manager{Name: body.Name, Role: body.Role, TimeZone: body.TimeZone, Email: body.Email, Active: true, TelegramChatID: body.TelegramChatID,
		Away: body.Away, Weight: body.Weight, Capacity: body.Capacity, Hours: body.Hours, TimeOff: body.TimeOff}
	if body.Active != nil {
		m.Active = *body.Active
	}
	if m.Capacity != nil && *m.Capacity == 0 {
		m.Capacity = nil
	}
	out, err := s.store.CreateManager(r.Context(), m)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, out, nil
}

func (s *Server) counters(r *http.Request, p Principal) (int, any, error) {
	id, err := optionalID(r.URL.Query().Get("manager_id"), "manager_id")
	if err != nil {
		return 0, nil, err
	}
	if id, err = ownScope(p, id); err != nil {
		return 0, nil, err
	}
	c, err := s.store.Counters(r.Context(), *id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c, nil
}

// ownScope is the one manager whose counters or activities are asked
// for: the principal's own when none is named.
func ownScope(p Principal, id *int64) (*int64, error) {
	if id == nil {
		id = p.ManagerID
	}
	if id == nil {
		return nil, crm.Invalid("manager_id", "is required")
	}
	return crm.Scope(p, id, "manager_id")
}

// oldest reads sort=newest (the default) or sort=oldest.
func oldest(v string) (bool, error) {
	switch v {
	case "", "newest":
		return false, nil
	case "oldest":
		return true, nil
	}
	return false, crm.Invalid("sort", "must be newest or oldest, not %q", v)
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, crm.Errorf(crm.ENOTFOUND, "no such id %q", r.PathValue("id"))
	}
	return id, nil
}

func optionalID(v, field string) (*int64, error) {
	if v == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return nil, crm.Invalid(field, "must be an id, not %q", v)
	}
	return &id, nil
}

// maxBody is the largest JSON body the API reads.
const maxBody = 1 << 20

// decode reads a JSON body of at most 1 MiB, refusing unknown fields and
// what Leadd cannot store (crm.CheckBody).
func decode(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return &crm.Error{Code: crm.EMALFORMED, Message: "cannot read the body: " + err.Error()}
	}
	if len(b) > maxBody {
		return crm.Errorf(crm.ETOOLARGE, "the body is larger than %d bytes", maxBody)
	}
	return strictUnmarshal(b, v)
}

// strictUnmarshal decodes a JSON body into v, refusing unknown fields,
// broken UTF-8, deep nesting and what crm.CheckBody refuses.
func strictUnmarshal(b []byte, v any) error {
	if !utf8.Valid(b) {
		return crm.Invalid("body", "is not valid UTF-8")
	}
	if crm.JSONDepth(b) > crm.MaxJSONDepth {
		return &crm.Error{Code: crm.ETOOLARGE, Field: "body", Message: fmt.Sprintf("nests deeper than %d levels", crm.MaxJSONDepth)}
	}
	if err := strictDecode(b, v); err != nil {
		return err
	}
	return crm.CheckBody(v)
}

func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return &crm.Error{Code: crm.EMALFORMED, Message: "the body is empty; send JSON"}
		}
		return &crm.Error{Code: crm.EMALFORMED, Message: "cannot read the JSON body: " + err.Error()}
	}
	if bytes.Contains(b, []byte(`\u0000`)) { // no text we store may hold a NUL
		var generic any
		_ = json.Unmarshal(b, &generic)
		if field, ok := nulField(generic, ""); ok {
			return crm.Invalid(field, "must not contain a NUL character")
		}
	}
	return nil
}

// nulField finds a string holding a NUL in a decoded JSON value and names
// where it is (company.name, phones[1]).
func nulField(v any, at string) (string, bool) {
	switch x := v.(type) {
	case string:
		return at, strings.ContainsRune(x, 0)
	case map[string]any:
		for k, e := range x {
			name := k
			if at != "" {
				name = at + "." + k
			}
			if strings.ContainsRune(k, 0) {
				return name, true
			}
			if f, ok := nulField(e, name); ok {
				return f, true
			}
		}
	case []any:
		for i, e := range x {
			if f, ok := nulField(e, fmt.Sprintf("%s[%d]", at, i)); ok {
				return f, true
			}
		}
	}
	return "", false
}
