package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/web/clientip"
	"github.com/leadd/leadd/web/httperr"
)

const (
	sessionCookie = "leadd_session"
	flashCookie   = "leadd_flash"
	langCookie    = "leadd_lang"
	tzCookie      = "leadd_tz"
)

// viewer is the person looking at a page: who they are, their language,
// time zone and the form token; templates call its methods to translate
// and format.
type viewer struct {
	ses   crm.Session
	P     crm.Principal
	Lang  string
	Loc   *time.Location
	CSRF  string
	Path  string
	Now   time.Time
	Flash string
	Error string
	s     *Server
	ctx   context.Context
	names map[int64]string
	q     url.Values
}

// Signed reports whether a person is signed in.
func (v *viewer) Signed() bool { return v.ses.ID != 0 }

// SeesAll reports whether the viewer sees the whole department.
func (v *viewer) SeesAll() bool { return v.Signed() && v.P.SeesAll() }

// Admin reports whether the viewer is an admin.
func (v *viewer) Admin() bool { return v.P.Role == crm.RoleAdmin }

// secure reports whether the browser reached us over HTTPS: directly, or
// through a trusted proxy (http.trusted_proxies) that says so.
func (s *Server) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return r.Header.Get("X-Forwarded-Proto") == "https" && clientip.ViaTrustedProxy(r)
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration, httpOnly bool) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: httpOnly, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)}
	if maxAge < 0 {
		c.MaxAge = -1
	} else if maxAge > 0 {
		c.MaxAge = int(maxAge.Seconds())
	}
	http.SetCookie(w, c)
}

// viewerOf reads the session cookie (if any), the language and the time
// zone. A missing or dead session leaves the viewer signed out.
func (s *Server) viewerOf(w http.ResponseWriter, r *http.Request) *viewer {
	v := &viewer{s: s, ctx: r.Context(), Path: r.URL.Path, q: r.URL.Query(), Now: s.opts.Now(), Loc: s.loc, Lang: s.lang(w, r)}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		ses, err := s.store.SessionByToken(r.Context(), c.Value, s.opts.SessionTTL)
		if err == nil {
			v.ses, v.P, v.CSRF = ses, ses.Principal(), ses.CSRF
		} else if crm.ErrorCode(err) != crm.EUNAUTHORIZED {
			s.log.Error("console session", "err", err)
		}
	}
	v.Loc = s.zone(r, v)
	if c, err := r.Cookie(flashCookie); err == nil && c.Value != "" {
		msg, _ := url.QueryUnescape(c.Value)
		if kind, text, ok := strings.Cut(msg, ":"); ok {
			if kind == "e" {
				v.Error = text
			} else {
				v.Flash = text
			}
		}
		s.setCookie(w, r, flashCookie, "", -1, true)
	}
	return v
}

// zone is the viewer's time zone: their manager record's, else their
// browser's (a cookie the script sets), else the console's.
func (s *Server) zone(r *http.Request, v *viewer) *time.Location {
	if v.ses.ManagerID != nil {
		if m, err := s.store.Manager(r.Context(), *v.ses.ManagerID); err == nil && m.TimeZone != "" {
			if loc := s.location(m.TimeZone); loc != nil {
				return loc
			}
		}
	}
	if c, err := r.Cookie(tzCookie); err == nil {
		if name, err := url.QueryUnescape(c.Value); err == nil {
			if loc := s.location(name); loc != nil {
				return loc
			}
		}
	}
	return s.loc
}

func (s *Server) location(name string) *time.Location {
	if len(name) > 64 || name == "" {
		return nil
	}
	if l, ok := s.zones.Load(name); ok {
		return l.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	s.zones.Store(name, loc)
	return loc
}

// flash shows a message on the next page: an error (isErr) or a success.
func (s *Server) flash(w http.ResponseWriter, r *http.Request, msg string, isErr bool) {
	kind := "ok:"
	if isErr {
		kind = "e:"
	}
	if len(msg) > 600 {
		msg = msg[:600]
	}
	s.setCookie(w, r, flashCookie, url.QueryEscape(kind+msg), time.Minute, true)
}

// sameOrigin refuses a state-changing request another site made: its
// Origin (or, without one, its Referer) must be this host, and the
// browser must not call it cross-site.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		ref := r.Header.Get("Referer")
		if ref == "" {
			return origin == "" // a client that sends neither (curl) is not a browser on another site
		}
		origin = ref
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// validCSRF checks the form's token against the session's.
func validCSRF(r *http.Request, v *viewer) bool {
	got := r.PostFormValue("csrf")
	if got == "" {
		got = r.Header.Get("X-CSRF-Token")
	}
	return v.CSRF != "" && subtle.ConstantTimeCompare([]byte(got), []byte(v.CSRF)) == 1
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	v := s.viewerOf(w, r)
	if v.Signed() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.render(w, r, v, http.StatusOK, "login", localPath(r.URL.Query().Get("next")))
}

// loginToken signs an admin or a supervisor in with an API token.
func (s *Server) loginToken(w http.ResponseWriter, r *http.Request) {
	v := s.viewerOf(w, r)
	if !sameOrigin(r) {
		s.errorPage(w, r, v, errCSRF)
		return
	}
	if !s.mayTrySignIn(w, r, v) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	tok := strings.TrimSpace(r.PostFormValue("token"))
	fail := func(key string) {
		v.Error = v.T(key)
		s.render(w, r, v, http.StatusUnauthorized, "login", nil)
	}
	if tok == "" {
		fail("login.empty")
		return
	}
	if s.opts.Tokens == nil {
		fail("login.bad_token")
		return
	}
	p, err := s.opts.Tokens(tok)
	if err != nil {
		s.log.Info("console sign-in refused", "reason", "unknown token")
		fail("login.bad_token")
		return
	}
	switch p.Role {
	case crm.RoleAdmin, crm.RoleSupervisor:
	case crm.RoleManager:
		fail("login.manager_token")
		return
	default:
		fail("login.integration_token")
		return
	}
	s.signIn(w, r, p, localPath(r.PostFormValue("next")))
}

// mayTrySignIn bounds sign-in attempts per client address, so that
// neither a token nor a link's code can be guessed by trying: past the
// bound the page says when to try again (429, Retry-After).
func (s *Server) mayTrySignIn(w http.ResponseWriter, r *http.Request, v *viewer) bool {
	if s.opts.Limiter == nil {
		return true
	}
	n := s.opts.LoginAttempts
	if n <= 0 {
		n = 10
	}
	client := clientip.Of(r)
	ok, wait := s.opts.Limiter.Allow(r.Context(), "console-login:"+clientip.Key(client), n)
	if ok {
		return true
	}
	secs := int(wait.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	s.log.Warn("console sign-in attempts bounded", "client", client)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	v.Error = fmt.Sprintf(v.T("login.too_many"), secs)
	s.render(w, r, v, http.StatusTooManyRequests, "login", nil)
	return false
}

// localPath is where to go after signing in: a path on this site, never
// another site ("//evil.example" or "https://…").
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request, p crm.Principal, to string) {
	tok, _, err := s.store.CreateSession(r.Context(), p, s.opts.SessionTTL)
	if err != nil {
		s.errorPage(w, r, s.viewerOf(w, r), err)
		return
	}
	s.setCookie(w, r, sessionCookie, tok, s.opts.SessionTTL*30, true)
	s.log.Info("console signed in", "name", p.Name, "role", p.Role)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// loginLink spends a manager's one-time link and signs them in.
func (s *Server) loginLink(w http.ResponseWriter, r *http.Request) {
	v := s.viewerOf(w, r)
	if !s.mayTrySignIn(w, r, v) {
		return
	}
	m, err := s.store.UseLoginCode(r.Context(), r.PathValue("code"))
	if err != nil {
		if crm.ErrorCode(err) != crm.ENOTFOUND {
			s.errorPage(w, r, v, err)
			return
		}
		v.Error = v.T("login.link_used")
		s.render(w, r, v, http.StatusGone, "login", nil)
		return
	}
	if v.Signed() {
		if c, err := r.Cookie(sessionCookie); err == nil {
			_ = s.store.EndSession(r.Context(), c.Value)
		}
	}
	id := m.ID
	s.signIn(w, r, crm.Principal{Name: m.Name, Role: m.Role, ManagerID: &id}, "/")
}

func (s *Server) logoutPage(w http.ResponseWriter, r *http.Request) {
	v := s.viewerOf(w, r)
	if !v.Signed() {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.render(w, r, v, http.StatusOK, "logout", nil)
}

// logout ends the session (a form with the CSRF token).
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	v := s.viewerOf(w, r)
	if v.Signed() {
		if !sameOrigin(r) || !validCSRF(r, v) {
			s.errorPage(w, r, v, errCSRF)
			return
		}
		if c, err := r.Cookie(sessionCookie); err == nil {
			if err := s.store.EndSession(r.Context(), c.Value); err != nil {
				s.errorPage(w, r, v, err)
				return
			}
		}
	}
	s.setCookie(w, r, sessionCookie, "", -1, true)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// pageFunc loads a page's data for its template.
type pageFunc func(r *http.Request, v *viewer) (any, error)

// actionFunc does what a form asks and returns where to go next (also on
// an error the person can fix: the message is shown there).
type actionFunc func(w http.ResponseWriter, r *http.Request, v *viewer) (string, error)

// page registers a page: signed-in people only, rendered with the layout.
func (s *Server) page(pattern, name string, h pageFunc) {
	s.handle(pattern, func(w http.ResponseWriter, r *http.Request) {
		v := s.viewerOf(w, r)
		if !v.Signed() {
			to := "/login"
			if r.URL.Path != "/" {
				to += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		data, err := h(r, v)
		if err != nil && data != nil && crm.ErrorCode(err) == crm.EINVALID {
			// A page that answers a refusal with its own form (a report's
			// filter) shows it again as it was sent, with what to fix.
			v.Error = v.errorText(err)
			s.render(w, r, v, httperr.Status(err), name, data)
			return
		}
		if err != nil {
			s.errorPage(w, r, v, err)
			return
		}
		s.render(w, r, v, http.StatusOK, name, data)
	})
}

// sessionHandler is a handler for signed-in people that writes its own
// answer (a stream, a file, a fragment).
func (s *Server) sessionHandler(h func(w http.ResponseWriter, r *http.Request, v *viewer) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := s.viewerOf(w, r)
		if !v.Signed() {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if err := h(w, r, v); err != nil {
			s.errorPage(w, r, v, err)
		}
	}
}

// action registers a form's target: signed-in, same-origin, with the
// session's CSRF token; it redirects (303) to the page to show next.
func (s *Server) action(pattern string, h actionFunc) {
	s.handle(pattern, func(w http.ResponseWriter, r *http.Request) {
		v := s.viewerOf(w, r)
		if !v.Signed() {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		}
		if !sameOrigin(r) || !validCSRF(r, v) {
			s.errorPage(w, r, v, errCSRF)
			return
		}
		to, err := h(w, r, v)
		if err == errRendered {
			return // the action answered with a page of its own
		}
		if err != nil {
			switch crm.ErrorCode(err) {
			case crm.EINVALID, crm.ECONFLICT, crm.EUNAVAILABLE, crm.EMALFORMED, crm.ETOOLARGE:
				s.flash(w, r, v.errorText(err), true)
				if to == "" {
					to = "/"
				}
			default:
				s.errorPage(w, r, v, err)
				return
			}
		}
		if r.Header.Get("X-Requested-With") == "fetch" {
			w.Header().Set("Content-Type", "application/json")
			if err != nil {
				w.WriteHeader(http.StatusUnprocessableEntity)
			}
			_, _ = w.Write([]byte(`{"location":` + jsonString(to) + `}`))
			return
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
	})
}

var errCSRF = crm.Errorf(crm.EFORBIDDEN, "csrf")

// errRendered is what an action returns when it answered with a page
// itself (an import's report) rather than a redirect.
var errRendered = errors.New("rendered")

func isCSRF(err error) bool {
	var e *crm.Error
	return errors.As(err, &e) && e == errCSRF
}
