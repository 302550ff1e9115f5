package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/web/httperr"
)

// navItem is a line of the navigation; Staff items are for supervisors and
// admins only.
type navItem struct {
	Path  string
	Key   string // the catalogue key of its label
	Staff bool
}

// nav is the console's menu, in order. Adding a page: a line here, a
// s.page in Register, a template.
var nav = []navItem{
	{Path: "/", Key: "nav.incoming"},
	{Path: "/deals", Key: "nav.deals"},
	{Path: "/clients", Key: "nav.clients"},
	{Path: "/work", Key: "nav.work"},
	{Path: "/reports", Key: "nav.reports"},
	{Path: "/team", Key: "nav.team", Staff: true},
}

type pageTemplate struct{ t *template.Template }

// parsePages parses each page's template with the layout and the shared
// partials.
func parsePages() (map[string]*pageTemplate, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*pageTemplate{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", f)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", name, err)
		}
		out[name] = &pageTemplate{t: t}
	}
	return out, nil
}

var funcs = template.FuncMap{
	"deref": func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	},
	"str": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
	// query marks an encoded query string (url.Values.Encode) as the
	// query it is: after "?" in an href, html/template would otherwise
	// escape its = and & and the link would lose its filters.
	"query": func(encoded string) template.URL { return template.URL(encoded) },
	"add":   func(a, b int) int { return a + b },
	"ptr":   func(id int64) *int64 { return &id },
	"list":  func(xs ...int) []int { return xs },
	"acts":  func(v view, items []crm.Activity) actsView { return actsView{V: v.viewer, Items: items} },
	"wl": func(v view, l workList) workListView {
		return workListView{V: v.viewer, L: l, Acts: actsView{V: v.viewer, Items: l.Items}}
	},
	"mergeBox": func(v view, kind string, id int64, back string) mergeView {
		m, _ := strconv.ParseInt(v.q.Get("merged"), 10, 64)
		return mergeView{V: v.viewer, Kind: kind, ID: id, Back: back, Merged: m}
	},
	"card": func(v view, c crm.BoardCard) cardView { return cardView{V: v.viewer, C: c} },
	"tl":   func(v view, items []timelineItem) timelineView { return timelineView{V: v.viewer, Items: items} },
	"row":  func(v view, l crm.QueueLead) queueRow { return queueRow{V: v.viewer, L: l} },
	"deref_time": func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	},
	"eqid": func(a *int64, b int64) bool { return a != nil && *a == b },
	"json": func(v any) template.JS {
		b, _ := json.Marshal(v)
		return template.JS(b)
	},
}

// view is what a page's template gets: the viewer (for T, Money, Time…)
// and the page's data.
type view struct {
	*viewer
	Nav  []navItem
	Data any
	Page string
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, v *viewer, status int, name string, data any) {
	pt, ok := s.pages[name]
	if !ok {
		s.log.Error("console: no template", "name", name)
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	var items []navItem
	for _, n := range nav {
		if !n.Staff || v.SeesAll() {
			items = append(items, n)
		}
	}
	var buf bytes.Buffer
	if err := pt.t.ExecuteTemplate(&buf, "layout", view{viewer: v, Nav: items, Data: data, Page: name}); err != nil {
		s.log.Error("console render", "page", name, "err", err)
		http.Error(w, v.T("error.internal"), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src *; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	w.WriteHeader(status)
	_, _ = w.Write(unescapePlus(buf.Bytes()))
}

// unescapePlus undoes html/template's escaping of "+" (a guard against
// UTF-7, which a page declared UTF-8 does not need), so that phone
// numbers read and search as typed.
func unescapePlus(b []byte) []byte { return bytes.ReplaceAll(b, []byte("&#43;"), []byte("+")) }

// errorPage answers with a page in the viewer's language, never JSON: a
// missing record is a 404 page, another manager's a 403 page with nothing
// of it.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	code := crm.ErrorCode(err)
	status := httperr.Status(err)
	var title, text string
	switch {
	case isCSRF(err):
		title, text = v.T("error.csrf.title"), v.T("error.csrf.text")
	case code == crm.ENOTFOUND:
		title, text = v.T("error.notfound.title"), v.T("error.notfound.text")
	case code == crm.EFORBIDDEN && crm.AsError(err).Field != "":
		// A refusal of a parameter asked (a report's manager_id) is the
		// request's own, said in its words — not "another manager's record".
		title, text = v.T("error.forbidden.title"), capitalize(crm.Localize(err, v.Lang))
	case code == crm.EFORBIDDEN:
		title, text = v.T("error.forbidden.title"), v.T("error.forbidden.text")
	case code == crm.EINTERNAL:
		s.log.Error("console", "path", r.URL.Path, "err", err)
		title, text = v.T("error.internal.title"), v.T("error.internal")
	default:
		title, text = v.T("error.title"), v.errorText(err)
	}
	s.render(w, r, v, status, "error", struct{ Title, Text string }{title, text})
}

// notFoundPage answers paths nobody serves: a page for people, the JSON
// envelope under /api and /hooks.
func (s *Server) notFoundPage(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/hooks/") {
		httperr.Write(w, r, s.log, crm.Errorf(crm.ENOTFOUND, "no route %s %s", r.Method, r.URL.Path))
		return
	}
	v := s.viewerOf(w, r)
	if !v.Signed() && r.URL.Path == "/" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.errorPage(w, r, v, crm.Errorf(crm.ENOTFOUND, "no page"))
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// staticHandler serves the embedded assets, cached for a day.
func staticHandler(fsys fs.FS) http.Handler {
	fileServer := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fileServer.ServeHTTP(w, r)
	})
}

// queueRow is one line of the incoming queue, rendered in the page and
// sent alone by the live stream.
type queueRow struct {
	V *viewer
	L crm.QueueLead
}

// Current reports whether a navigation item is the page shown.
func (v *viewer) Current(p string) bool {
	if p == "/" {
		return v.Path == "/"
	}
	return v.Path == p || strings.HasPrefix(v.Path, p+"/")
}

// timelineView is a timeline with its viewer, for the partial.
type timelineView struct {
	V     *viewer
	Items []timelineItem
}

// cardView is a board's card with what its no-script form offers.
type cardView struct {
	V *viewer
	C crm.BoardCard
}

// actsView is a list of activities with complete buttons.
type actsView struct {
	V     *viewer
	Items []crm.Activity
}

// workListView is a page of a work list with its links.
type workListView struct {
	V    *viewer
	L    workList
	Acts actsView
}

// mergeView is a record's merge form, and the undo of a merge just made.
type mergeView struct {
	V      *viewer
	Kind   string
	ID     int64
	Back   string
	Merged int64
}
