package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
)

// browserClient is a cookie-keeping HTTP client that does not follow
// redirects, as a person's browser signed in to the console.
type browserClient struct {
	t      *testing.T
	base   string
	http   *http.Client
	header http.Header // sent with every request (an X-Forwarded-For)
}

func (ta *testApp) browserClient() *browserClient {
	jar, _ := cookiejar.New(nil)
	return &browserClient{t: ta.t, base: ta.srv.URL, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get fetches a page; the answer's body is read whole.
func (b *browserClient) get(path string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	for k, v := range b.header {
		req.Header[k] = v
	}
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// post sends a form as the console's pages do (same origin).
func (b *browserClient) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	for k, v := range b.header {
		req.Header[k] = v
	}
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the form token of a signed-in page.
func (b *browserClient) csrf() string {
	b.t.Helper()
	_, body := b.get("/")
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token on the start page:\n%s", excerpt([]byte(body)))
	}
	return m[1]
}

// loginLink asks the API for a manager's one-time console link.
func (ta *testApp) loginLink(managerID int64) string {
	ta.t.Helper()
	var out struct {
		URL string `json:"url"`
	}
	if st := ta.api("POST", fmt.Sprintf("/api/v1/managers/%d/login-link", managerID), nil, &out); st != http.StatusCreated {
		ta.t.Fatalf("login-link answered %d", st)
	}
	return out.URL
}

func TestConsoleSignIn(t *testing.T) {
	one := int64(1)
	ta := startApp(t, func(c *configs.Config) {
		c.API.Tokens = append(c.API.Tokens,
			crm.Token{Name: "integ", Token: "integration-token-01", Role: crm.RoleIntegration},
			crm.Token{Name: "m1", Token: "manager1-token-01", Role: crm.RoleManager, ManagerID: &one})
		c.Console.TrustedProxies = []string{"127.0.0.0/8"}
	})

	t.Run("a stranger is sent to the sign-in page", func(t *testing.T) {
		res, _ := ta.browserClient().get("/")
		if res.StatusCode/100 != 3 || res.Header.Get("Location") != "/login" {
			t.Fatalf("GET / answered %d → %q", res.StatusCode, res.Header.Get("Location"))
		}
		res, _ = ta.browserClient().get("/deals/1?x=1")
		if !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
			t.Errorf("GET /deals/1 → %q, want the sign-in page remembering where to go", res.Header.Get("Location"))
		}
	})

	t.Run("an admin token signs in with a safe cookie", func(t *testing.T) {
		b := ta.browserClient()
		res, _ := b.post("/login", url.Values{"token": {adminToken}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST /login answered %d", res.StatusCode)
		}
		c := sessionCookieOf(t, res)
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
			t.Errorf("cookie HttpOnly=%v SameSite=%v Secure=%v over plain HTTP", c.HttpOnly, c.SameSite, c.Secure)
		}
		if n := ta.db.Count(t, `SELECT count(*) FROM console_sessions WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, c.Value); n != 1 {
			t.Errorf("sessions stored by the cookie's hash: %d, want 1 (the token itself is not kept)", n)
		}
		if res, body := b.get("/"); res.StatusCode != 200 || !strings.Contains(body, "Входящие") {
			t.Errorf("the start page answered %d", res.StatusCode)
		}
	})

	for _, tc := range []struct{ name, token, says string }{
		{"an integration token", "integration-token-01", "Токен интеграции"},
		{"a manager token", "manager1-token-01", "по ссылке"},
		{"an unknown token", "no-such-token-000", "Такого токена нет"},
	} {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			res, body := ta.browserClient().post("/login", url.Values{"token": {tc.token}})
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, tc.says) {
				t.Errorf("answered %d, want 401 saying %q:\n%s", res.StatusCode, tc.says, excerpt([]byte(body)))
			}
		})
	}

	t.Run("a login link works once", func(t *testing.T) {
		link := ta.loginLink(1)
		b := ta.browserClient()
		if res, _ := b.get(link); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the link answered %d", res.StatusCode)
		}
		if res, body := b.get("/"); res.StatusCode != 200 || !strings.Contains(body, "Анна Смирнова") {
			t.Errorf("signed in by the link, the start page answered %d without the manager's name", res.StatusCode)
		}
		res, body := ta.browserClient().get(link)
		if res.StatusCode != http.StatusGone || !strings.Contains(body, "уже использована") {
			t.Errorf("the second use answered %d:\n%s", res.StatusCode, excerpt([]byte(body)))
		}
	})

	t.Run("a manager asks for their own link only", func(t *testing.T) {
		for id, want := range map[int64]int{1: http.StatusCreated, 2: http.StatusForbidden} {
			res := ta.do("POST", fmt.Sprintf("/api/v1/managers/%d/login-link", id), "", nil, "Authorization: Bearer manager1-token-01")
			if res.Status != want {
				t.Errorf("manager 1 asking for manager %d's link: %d, want %d", id, res.Status, want)
			}
		}
	})

	t.Run("a form without the session's token or from another site is refused", func(t *testing.T) {
		b := ta.browserClient()
		b.post("/login", url.Values{"token": {adminToken}})
		if res, body := b.post("/logout", url.Values{"csrf": {"forged"}}); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Форма устарела") {
			t.Errorf("a forged token answered %d", res.StatusCode)
		}
		req, _ := http.NewRequest("POST", b.base+"/logout", strings.NewReader(url.Values{"csrf": {b.csrf()}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		res, err := b.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("a post from another origin answered %d", res.StatusCode)
		}
		if res, _ := b.get("/"); res.StatusCode != 200 {
			t.Errorf("after refused sign-outs the session is gone (%d)", res.StatusCode)
		}
		if res, _ := b.post("/logout", url.Values{"csrf": {b.csrf()}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-out answered %d", res.StatusCode)
		}
		if res, _ := b.get("/"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("after sign-out the start page answered %d", res.StatusCode)
		}
	})

	t.Run("an admin ends all of a manager's sessions", func(t *testing.T) {
		b1, b2 := ta.browserClient(), ta.browserClient()
		b1.get(ta.loginLink(2))
		b2.get(ta.loginLink(2))
		var out struct {
			Ended int `json:"ended"`
		}
		if st := ta.api("DELETE", "/api/v1/managers/2/sessions", nil, &out); st != 200 || out.Ended != 2 {
			t.Fatalf("DELETE sessions: %d, ended %d, want 2", st, out.Ended)
		}
		for _, b := range []*browserClient{b1, b2} {
			if res, _ := b.get("/"); res.StatusCode != http.StatusSeeOther {
				t.Errorf("an ended session still opens the start page (%d)", res.StatusCode)
			}
		}
	})

	t.Run("behind a trusted HTTPS proxy the cookie is Secure", func(t *testing.T) {
		req, _ := http.NewRequest("POST", ta.srv.URL+"/login", strings.NewReader(url.Values{"token": {adminToken}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Proto", "https")
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if !sessionCookieOf(t, res).Secure {
			t.Error("the cookie is not Secure though the trusted proxy said https")
		}
	})
}

func sessionCookieOf(t *testing.T, res *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == "leadd_session" {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", res.Header["Set-Cookie"])
	return nil
}
