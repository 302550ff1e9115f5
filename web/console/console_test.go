package console

import (
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Every key a template or the Go code translates is in the catalogue, in
// both languages: a missing one would show its key to a person.
func TestCatalogueHasEveryKey(t *testing.T) {
	keyRe := regexp.MustCompile(`\.T "([a-z_.0-9]+)"`)
	goRe := regexp.MustCompile(`v\.T\("([a-z_.0-9]+)"\)`)
	check := func(where, src string, re *regexp.Regexp) {
		for _, m := range re.FindAllStringSubmatch(src, -1) {
			tr, ok := catalogue[m[1]]
			if !ok {
				t.Errorf("%s: key %q is not in the catalogue", where, m[1])
			} else if tr[0] == "" || tr[1] == "" {
				t.Errorf("%s: key %q lacks a language", where, m[1])
			}
		}
	}
	_ = fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(templateFS, path)
			check(path, string(b), keyRe)
		}
		return nil
	})
	for _, key := range []string{"status.new", "status.in_progress", "status.converted", "status.junk"} {
		if _, ok := catalogue[key]; !ok {
			t.Errorf("no %s", key)
		}
	}
	for _, j := range []string{"spam", "test", "job_seeker", "duplicate", "unreachable", "other"} {
		if _, ok := catalogue["junk."+j]; !ok {
			t.Errorf("no junk.%s", j)
		}
	}
	for _, src := range goSources(t) {
		check(src.name, src.text, goRe)
	}
}

type source struct{ name, text string }

func goSources(t *testing.T) []source {
	var out []source
	for _, name := range []string{"auth.go", "lead.go", "deal.go", "deals.go", "incoming.go", "render.go", "clients.go", "work.go", "team.go"} {
		b, err := fs.ReadFile(osDir{}, name)
		if err != nil {
			continue
		}
		out = append(out, source{name, string(b)})
	}
	return out
}

func TestMoneyInTheViewersLocale(t *testing.T) {
	for _, tc := range []struct{ amount, cur, lang, want string }{
		{"1275833.33", "RUB", "ru", "1 275 833,33 ₽"},
		{"1275833.33", "RUB", "en", "1,275,833.33 ₽"},
		{"0", "RUB", "ru", "0,00 ₽"},
		{"999.5", "USD", "ru", "999,50 $"},
		{"-1200", "EUR", "ru", "−1 200,00 €"},
		{"100", "KGS", "en", "100.00 KGS"},
	} {
		got := strings.ReplaceAll(formatMoney(tc.amount, tc.cur, tc.lang), nbsp, " ")
		if got != tc.want {
			t.Errorf("%s %s in %s = %q, want %q", tc.amount, tc.cur, tc.lang, got, tc.want)
		}
	}
}

func TestDatesInTheViewersZone(t *testing.T) {
	msk, _ := time.LoadLocation("Europe/Moscow")
	at := time.Date(2026, 12, 6, 9, 5, 0, 0, time.UTC)
	v := &viewer{Lang: "ru", Loc: msk, Now: at.Add(75 * time.Minute)}
	if got := v.Time(at); got != "06.12.2026 12:05" {
		t.Errorf("Time = %q", got)
	}
	if got := v.Date(at); got != "6 декабря 2026 г." {
		t.Errorf("Date = %q", got)
	}
	if got := strings.ReplaceAll(v.Ago(at), nbsp, " "); got != "1 ч 15 мин" {
		t.Errorf("Ago = %q", got)
	}
}

func TestLocalPathKeepsSignInOnThisSite(t *testing.T) {
	for in, want := range map[string]string{"/deals/5": "/deals/5", "//evil.example/x": "/", "https://evil.example": "/", "": "/", "/\\evil": "/"} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// osDir reads the package's own files.
type osDir struct{}

func (osDir) Open(name string) (fs.File, error) { return os.Open(name) }

// Routing's explanations, as routing/engine.go words them, read in
// Russian: no English word is left but the names of pools and people.
func TestRoutingExplanationsInRussian(t *testing.T) {
	v := &viewer{Lang: "ru"}
	english := regexp.MustCompile(`\b(by|of|is|at|the|turn|pool|manager|nobody|queued|away|off|hours|capacity|chosen|loaded|weight|until|inactive|already|unreachable|target|returning|customer)\b`)
	for _, s := range []string{
		"pool sales: Анна Смирнова by round-robin turn 1 of 3",
		"pool sales: Анна by weighted turn (weight 2)",
		"pool b2b: Борис by least loaded (4 open leads)",
		"returning customer: their manager Анна Смирнова",
		"their manager Анна Смирнова is away; pool sales: Борис by round-robin turn 2 of 2",
		"pool night: nobody working now; Борис starts first, at 2026-12-07T06:00:00Z",
		"pool sales: nobody available; manager Анна: nobody available; queued",
		"target: queue",
		"away", "off hours", "inactive", "had it already", "time off until 2026-12-20",
		"at capacity (5 of 5 new leads)", "unreachable in Telegram (the chat refused the last message)",
		"not chosen: round-robin turn 1 of 2",
	} {
		got := v.Routing(s)
		if w := english.FindString(got); w != "" {
			t.Errorf("%q reads %q: %q is left in English", s, got, w)
		}
	}
	if got := (&viewer{Lang: "en"}).Routing("away"); got != "away" {
		t.Errorf("in English the explanation stays as it is, got %q", got)
	}
}
