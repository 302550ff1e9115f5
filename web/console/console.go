// Package console is the browser console served by leadd under "/": pages
// rendered on the server from Go templates, assets embedded in the binary,
// forms that work without JavaScript and a small script for what a form
// cannot do (live updates, dragging a deal).
//
// A page is a handler, a template and a line in the navigation: register
// it with s.page in Register, write templates/<name>.html defining "title"
// and "content", and add a navItem to nav when it belongs in the menu.
package console

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/imports"
	"github.com/leadd/leadd/dedupe"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Store is what the console needs of the core: the API's store methods and
// the console's read models.
type Store interface {
	CallRecording(ctx context.Context, id int64) (crm.CallRecording, error)
	// The one authorization rule every surface asks (crm/authz.go).
	Authorize(ctx context.Context, p crm.Principal, access crm.Access, refs ...crm.Ref) error
	AuthorizeReach(ctx context.Context, p crm.Principal, access crm.Access, reach ...crm.Reach) error

	CreateLoginCode(ctx context.Context, managerID int64, ttl time.Duration) (string, error)
	UseLoginCode(ctx context.Context, code string) (crm.Manager, error)
	CreateSession(ctx context.Context, p crm.Principal, ttl time.Duration) (string, crm.Session, error)
	SessionByToken(ctx context.Context, tok string, ttl time.Duration) (crm.Session, error)
	EndSession(ctx context.Context, tok string) error
	EndManagerSessions(ctx context.Context, managerID int64) (int, error)
	ManagerSessions(ctx context.Context) (map[int64]int, error)

	Managers(ctx context.Context) ([]crm.Manager, error)
	Manager(ctx context.Context, id int64) (crm.Manager, error)
	UpdateManager(ctx context.Context, id int64, p crm.ManagerPatch) (crm.Manager, error)
	Counters(ctx context.Context, managerID int64) (crm.Counters, error)
	DepartmentCounters(ctx context.Context, loc *time.Location) (crm.Counters, error)
	NewLeads(ctx context.Context, managerID *int64, after int64, limit int) ([]crm.QueueLead, error)
	QueuedLeads(ctx context.Context, limit int) ([]crm.QueueLead, error)
	LastLeadID(ctx context.Context) (int64, error)

	Lead(ctx context.Context, id int64) (crm.Lead, error)
	UpdateLead(ctx context.Context, id int64, p crm.LeadPatch) (crm.Lead, error)
	UpdateDeal(ctx context.Context, id int64, in crm.DealInput) (crm.Deal, error)
	UpdateContact(ctx context.Context, id int64, in crm.ContactInput) (crm.Contact, error)
	UpdateCompany(ctx context.Context, id int64, in crm.CompanyInput) (crm.Company, error)
	FieldSet() *crm.FieldSet
	Leads(ctx context.Context, f crm.LeadFilter) ([]crm.Lead, string, error)
	Assignments(ctx context.Context, leadID int64) ([]crm.Assignment, error)
	SetLeadStatus(ctx context.Context, id int64, status, junkReason string) (crm.Lead, error)
	AssignLead(ctx context.Context, leadID, managerID int64, by *int64, sla time.Duration) (crm.Lead, error)
	AddNote(ctx context.Context, kind string, id int64, text string, by crm.Actor) (crm.Note, error)
	Timeline(ctx context.Context, kind string, id int64, f crm.TimelineFilter) ([]crm.TimelineItem, string, error)
	ConvertLead(ctx context.Context, leadID int64, c crm.Conversion, by crm.Actor) (crm.Converted, error)
	CompleteActivity(ctx context.Context, id int64, c crm.Completion, cadence crm.Cadence) (crm.CompleteResult, error)
	Activity(ctx context.Context, id int64) (crm.Activity, error)
	Activities(ctx context.Context, managerID int64, due string) ([]crm.Activity, error)
	FillCompany(ctx context.Context, id int64, p crm.Party) (crm.Filled, error)

	Pipelines(ctx context.Context) ([]crm.Pipeline, error)
	ReportRequest(ctx context.Context, q url.Values, p crm.Principal, sla time.Duration, stuckDays int) (crm.ReportQuery, error)
	ReportScope(ctx context.Context, f *crm.ReportFilter, p crm.Principal) error
	Report(ctx context.Context, name string, rq crm.ReportQuery) (crm.Tabular, error)
	ReportChoices(ctx context.Context, from, to time.Time, managerID *int64) (crm.ReportChoices, error)
	Plans(ctx context.Context, month string) ([]crm.Plan, error)
	SetPlans(ctx context.Context, ps []crm.Plan) ([]crm.Plan, error)
	AdSpends(ctx context.Context) ([]crm.AdSpend, error)
	SetAdSpend(ctx context.Context, utmSource, month, amount string) (crm.AdSpend, error)
	Board(ctx context.Context, f crm.BoardFilter) ([]crm.BoardColumn, error)
	BoardCards(ctx context.Context, f crm.BoardFilter, stage string, before int64, limit int) ([]crm.BoardCard, error)
	Deal(ctx context.Context, id int64) (crm.Deal, error)
	MoveDeal(ctx context.Context, id int64, stage, lossReason string, by crm.Actor) (crm.Deal, error)
	DealHistory(ctx context.Context, id int64) ([]crm.StageMove, error)
	DealActivities(ctx context.Context, dealID int64) ([]crm.Activity, error)
	DealTouches(ctx context.Context, dealID int64) ([]crm.Touch, error)
	DealPayments(ctx context.Context, dealID int64) ([]crm.Payment, error)
	Contact(ctx context.Context, id int64) (crm.Contact, error)
	Company(ctx context.Context, id int64) (crm.Company, error)
	Contacts(ctx context.Context, f crm.ContactFilter) ([]crm.Contact, string, error)
	Companies(ctx context.Context, f crm.CompanyFilter) ([]crm.Company, string, error)
	Deals(ctx context.Context, f crm.DealFilter) ([]crm.Deal, string, error)
	ActivityList(ctx context.Context, f crm.ActivityFilter) ([]crm.Activity, string, error)
	Calls(ctx context.Context, f crm.CallFilter) ([]crm.Call, string, error)
	MergeContacts(ctx context.Context, keep, other int64, by *int64) (crm.Merge, error)
	MergeCompanies(ctx context.Context, keep, other int64, by *int64) (crm.Merge, error)
	UndoMerge(ctx context.Context, id int64) (crm.Merge, error)
	Products(ctx context.Context, query string, all bool) ([]crm.Product, error)
	Lines(ctx context.Context, dealID int64) ([]crm.Line, error)
	AddLine(ctx context.Context, dealID int64, in crm.LineInput, rates crm.VATRates) (crm.Line, error)
	UpdateLine(ctx context.Context, dealID, lineID int64, in crm.LineInput, rates crm.VATRates) (crm.Line, error)
	PreviewLine(ctx context.Context, dealID, lineID int64, in crm.LineInput, rates crm.VATRates) (crm.Line, error)
	DeleteLine(ctx context.Context, dealID, lineID int64) error
	CreateDocument(ctx context.Context, dealID int64, typ string, m crm.DocumentMaker, opts crm.DocumentOptions) (crm.Document, bool, error)
	CreateDocumentPackage(ctx context.Context, dealID int64, types []string, m crm.DocumentMaker) ([]crm.Document, error)
	Documents(ctx context.Context, dealID int64) ([]crm.Document, error)
	DocumentPDF(ctx context.Context, id int64) (crm.Document, []byte, error)
	RecordExternalContract(ctx context.Context, dealID int64, c crm.ExternalContract) (crm.Document, error)
	SendDocuments(ctx context.Context, d crm.Deal, docs []crm.Document, by *int64) (crm.DocumentSend, error)
	Document(ctx context.Context, id int64) (crm.Document, error)
	FreeSlots(ctx context.Context, ids []int64, length time.Duration, from, to time.Time) ([]crm.Slot, error)
	OpenActivities(ctx context.Context, managerID *int64, list string, now, end, until time.Time, after int64, limit int) ([]crm.Activity, error)
	CalendarActivities(ctx context.Context, managerID *int64, bounds []time.Time, perDay int) ([][]crm.Activity, error)
	SLAMisses(ctx context.Context, limit int) ([]crm.QueueLead, error)
}

var _ Store = (*crm.Store)(nil)

// Options are the console's rules from the configuration.
type Options struct {
	// Tokens signs admins and supervisors in by API token: it returns
	// who the token acts as, or EUNAUTHORIZED.
	Tokens func(token string) (crm.Principal, error)
	// SessionTTL is how long a session lives unused (sliding; 24h when 0).
	SessionTTL time.Duration
	// TimeZone is the viewer's zone when neither their manager record nor
	// their browser names one (Europe/Moscow when empty).
	TimeZone string
	SLA      time.Duration // a lead assigned by hand: its call is due within this
	Cadence  crm.Cadence
	VAT      crm.VATRates
	Phones   dedupe.Normalizer
	// Documents makes quotes, invoices, contracts and acts; nil: off.
	Documents crm.DocumentMaker
	Package   []string // the documents the "package" button makes
	// SendMail: an SMTP server is configured, so documents can be e-mailed.
	SendMail bool
	// Registry fills a company's requisites by INN; nil: lookups are off.
	Registry crm.PartyFinder
	// Importer plans and applies spreadsheet imports; nil: import is off.
	Importer *imports.Importer
	// Recordings serves call recordings (telephony.Recordings); nil:
	// none are kept.
	Recordings interface {
		Serve(w http.ResponseWriter, r *http.Request, provider, ref, name string) error
	}
	// Limiter bounds sign-in attempts (a token on /login, a link's code)
	// per client address, LoginAttempts a minute (10 when 0); nil: no
	// bound. The intake's Redis limiter, shared by every replica.
	Limiter       Limiter
	LoginAttempts int
	// Forms are the website forms' titles by key ("contact" → "Обратная
	// связь"): a form lead's source is shown by its title.
	Forms map[string]string
	// Live is how often the incoming page's stream looks for new leads (2s).
	Live time.Duration
	Now  func() time.Time
}

// Server is the console.
type Server struct {
	store    Store
	opts     Options
	log      *slog.Logger
	pages    map[string]*pageTemplate
	loc      *time.Location
	mux      *http.ServeMux
	routes   []string
	payments Payments
	zones    sync.Map      // time zone name → *time.Location, for the tz cookie
	stop     chan struct{} // closed by Stop: live streams end
	live     *live         // the one poller of the incoming pages' streams
	stopped  sync.Once
}

// Stop ends the live streams, so that an HTTP server's Shutdown is not held
// by them; register it with http.Server.RegisterOnShutdown.
func (s *Server) Stop() { s.stopped.Do(func() { close(s.stop) }) }

// New returns the console over store. Errors: a template that does not
// parse, or an unknown time zone.
func New(store Store, opts Options, log *slog.Logger) (*Server, error) {
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 24 * time.Hour
	}
	if opts.Live <= 0 {
		opts.Live = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TimeZone == "" {
		opts.TimeZone = "Europe/Moscow"
	}
	loc, err := time.LoadLocation(opts.TimeZone)
	if err != nil {
		return nil, err
	}
	s := &Server{store: store, opts: opts, log: log, loc: loc, stop: make(chan struct{})}
	s.live = newLive(s)
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	return s, nil
}

// Register adds the console's routes to mux. The API keeps /api and the
// hooks /hooks; everything else under / is the console's.
func (s *Server) Register(mux *http.ServeMux) {
	s.mux = mux
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(static)))
	s.handle("GET /login", s.loginPage)
	s.handle("POST /login", s.loginToken)
	s.handle("GET /login/{code}", s.loginLink)
	s.handle("POST /logout", s.logout)
	s.handle("GET /logout", s.logoutPage)

	s.page("GET /{$}", "incoming", s.incoming)
	s.handle("GET /events", s.events)
	s.registerCards()
	s.registerReports()
	s.registerTargets()
	mux.HandleFunc("GET /", s.notFoundPage)
}

// Limiter counts requests per key in one-minute windows.
type Limiter interface {
	Allow(ctx context.Context, key string, perMinute int) (bool, time.Duration)
}

// Payments makes payment links (Robokassa, when configured).
type Payments interface {
	NewLink(ctx context.Context, p crm.Principal, dealID int64, amount string) (string, crm.Payment, error)
}

// SetPayments turns on the deal card's payment link; call before Register.
func (s *Server) SetPayments(p Payments) { s.payments = p }

// handle registers a route and keeps its pattern for Routes.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.HandleFunc(pattern, h)
}

// Routes are the patterns of every page and form the console serves, so
// that tests cover a route the day it is added.
func (s *Server) Routes() []string { return slices.Clone(s.routes) }
