package telegram

import (
	"context"
	"errors"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/notify/telegram/telegramtest"
)

// TestTelegramClassify reads the Bot API's error envelope, through the
// library, as the deliverer must act on it.
func TestTelegramClassify(t *testing.T) {
	fake := telegramtest.NewServer()
	defer fake.Close()
	c, err := NewClient(Options{Token: telegramtest.Token, Endpoint: fake.Endpoint(), PerChat: time.Millisecond, Global: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if name, err := c.Check(context.Background()); err != nil || name != "leadd_test_bot" {
		t.Errorf("getMe: %q, %v", name, err)
	}
	fake.Block(42)
	cases := []struct {
		name  string
		fail  *telegramtest.Failure
		chat  int64
		kind  int
		after time.Duration
	}{
		{"sent", nil, 1, failNone, 0},
		{"429", &telegramtest.Failure{Code: 429, Description: "Too Many Requests: retry after 7", RetryAfter: 7}, 1, failRateLimited, 7 * time.Second},
		{"500", &telegramtest.Failure{Code: 500, Description: "Internal Server Error"}, 2, failTransient, 0},
		{"502", &telegramtest.Failure{Code: 502, Description: "Bad Gateway"}, 3, failTransient, 0},
		{"blocked", nil, 42, failUnreachable, 0},
		{"chat not found", &telegramtest.Failure{Code: 400, Description: "Bad Request: chat not found"}, 4, failUnreachable, 0},
		{"deactivated", &telegramtest.Failure{Code: 403, Description: "Forbidden: user is deactivated"}, 5, failUnreachable, 0},
		{"too long", &telegramtest.Failure{Code: 400, Description: "Bad Request: message is too long"}, 6, failRejected, 0},
	}
	for _, tc := range cases {
		if tc.fail != nil {
			fake.Fail("sendMessage", *tc.fail)
		}
		_, err := c.send(context.Background(), tc.chat, tgbotapi.NewMessage(tc.chat, "hi"))
		f := classify(err)
		if f.kind != tc.kind || f.retryAfter != tc.after {
			t.Errorf("%s: kind %d after %s (err %v), want %d after %s", tc.name, f.kind, f.retryAfter, err, tc.kind, tc.after)
		}
	}
	if f := classify(errors.New("dial tcp: connection refused")); f.kind != failTransient {
		t.Errorf("a network error is %d", f.kind)
	}
}

func TestTelegramLimiter(t *testing.T) {
	l := NewLimiter(100*time.Millisecond, 10*time.Millisecond)
	ctx := context.Background()
	start := time.Now()
	for range 3 {
		if err := l.Wait(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("three messages to one chat took %s, want ≥ 200ms", d)
	}
	start = time.Now()
	for chat := range int64(5) {
		_ = l.Wait(ctx, 100+chat)
	}
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Errorf("five chats took %s: one chat's pace held the others", d)
	}
	l.Pause(7, 150*time.Millisecond)
	start = time.Now()
	_ = l.Wait(ctx, 7)
	if d := time.Since(start); d < 140*time.Millisecond {
		t.Errorf("a paused chat went after %s", d)
	}
	cctx, cancel := context.WithCancel(ctx)
	l.Pause(8, time.Hour)
	cancel()
	if err := l.Wait(cctx, 8); err == nil {
		t.Errorf("Wait outlived its context")
	}
}

// TestTelegramCard renders the card in each of its states, in each
// language, into golden files a person reads (testdata/golden/<lang>).
func TestTelegramCard(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) { cards(t, lang) })
	}
}

func cards(t *testing.T, lang string) {
	tx, ok := TextsFor(lang)
	if !ok {
		t.Fatalf("no texts for %s", lang)
	}
	tx.Forms = map[string]string{"contact": "Обратная связь"}
	g := func(name, got string) { golden(t, lang, name, got) }
	junk := "spam"
	contact := int64(5)
	due := time.Date(2026, 11, 26, 7, 5, 0, 0, time.UTC)
	l := crm.Lead{ID: 9223372036854775807, Status: crm.StatusNew, Channel: crm.ChannelCall, Source: "+74950000000",
		Name: "Иван", Phones: []string{"+79123456789"}, Emails: []string{"ivan@example.ru"}, Comment: "Нужен станок",
		UTM: map[string]string{"utm_source": "yandex", "utm_campaign": "spring"}, ContactID: &contact,
		Touches:    []crm.Touch{{Text: "a"}, {Text: "b"}},
		Activities: []crm.Activity{{ID: 9223372036854775807, Type: crm.ActivityCall, DueAt: due}}}
	moscow := location("Europe/Moscow")
	g("card_new_call.txt", cardText(tx, l, crm.CardFacts{}, 0, moscow))
	kb := cardKeyboard(tx, l, 0)
	var data []string
	for _, row := range append(kb.InlineKeyboard, junkKeyboard(tx, l.ID, crm.DefaultJunkReasons).InlineKeyboard...) {
		for _, b := range row {
			data = append(data, *b.CallbackData)
			if len(*b.CallbackData) > 64 {
				t.Errorf("callback data over 64 bytes: %q", *b.CallbackData)
			}
		}
	}
	if got := strings.Join(data, " "); !strings.Contains(got, "t:") || !strings.Contains(got, "n:") ||
		!strings.Contains(got, "jr:9223372036854775807:job_seeker") {
		t.Errorf("buttons: %s", got)
	}
	anna := int64(7)
	at := time.Date(2026, 11, 26, 7, 7, 0, 0, time.UTC)
	facts := crm.CardFacts{ManagerName: "Анна", StatusChangedAt: at, JunkReasons: crm.DefaultJunkReasons}
	l.ManagerID = &anna

	// Taken, then two calls unanswered: each redraw says all of it.
	l.Status = crm.StatusInProgress
	noAnswer := crm.OutcomeNoAnswer
	first, second := at.Add(10*time.Minute), at.Add(2*time.Hour)
	l.Activities = []crm.Activity{
		{ID: 1, Type: crm.ActivityCall, DueAt: due, DoneAt: &first, Outcome: &noAnswer},
		{ID: 2, Type: crm.ActivityCall, DueAt: due.Add(time.Hour), DoneAt: &second, Outcome: &noAnswer},
		{ID: 3, Type: crm.ActivityCall, DueAt: time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)}}
	g("card_in_progress_no_answer.txt", cardText(tx, l, facts, anna, moscow))
	if kb := cardKeyboard(tx, l, anna); kb == nil || kb.InlineKeyboard[0][0].Text != tx.T("Не дозвонился") {
		t.Errorf("the card of a lead in progress: %+v", kb)
	}
	// Handed to Борис: Анна's card says so, and has no buttons.
	boris := int64(8)
	l.ManagerID = &boris
	g("card_moved.txt", cardText(tx, l, crm.CardFacts{ManagerName: "Борис", StatusChangedAt: at}, anna, moscow))
	if cardKeyboard(tx, l, anna) != nil {
		t.Errorf("the old manager's card keeps buttons")
	}
	l.ManagerID = &anna
	// Qualified: the deal.
	deal := int64(42)
	l.Status = crm.StatusConverted
	g("card_converted.txt", cardText(tx, l, crm.CardFacts{ManagerName: "Анна", StatusChangedAt: at, DealID: &deal}, anna, moscow))
	l.Activities = []crm.Activity{{ID: 9223372036854775807, Type: crm.ActivityCall, DueAt: due}}

	l.Status, l.JunkReason = crm.StatusJunk, &junk
	if cardKeyboard(tx, l, 0) != nil {
		t.Errorf("a closed lead's card keeps buttons")
	}
	g("card_junk.txt", cardText(tx, l, facts, anna, moscow))
	l.Status, l.JunkReason, l.Channel, l.Source, l.ContactID, l.Touches, l.ManagerID = crm.StatusNew, nil, crm.ChannelForm, "contact", nil, nil, nil
	g("card_new_form.txt", tx.T("Новая заявка для вас\n")+cardText(tx, l, crm.CardFacts{}, 0, moscow))

	// What a manager back in reach is told; a client's message.
	lead := int64(12)
	g("manager_back.txt", backText(tx, crm.Missed{
		Leads: []crm.MissedLead{{ID: 12, Status: crm.StatusNew, Name: "Иван Петров", Phones: []string{"+79123456789"}},
			{ID: 15, Status: crm.StatusInProgress}},
		Messages: []crm.MessengerMessage{{Name: "Мария", LeadID: &lead, Text: "Когда доставка?"}}, Notices: 2}, at.In(moscow)))
	g("client_message.txt", messengerText(tx, crm.MessengerMessage{Name: "Мария", LeadID: &lead, Text: "Когда доставка?"}, 3500))
	var waits []string
	for _, d := range []time.Duration{30 * time.Second, time.Minute, 6 * time.Minute, 22 * time.Minute, 2*time.Hour + 5*time.Minute} {
		waits = append(waits, tx.T("⏳ Заявка №%d ждёт %s: %s", 3, waitText(tx, d), tx.T("никто не взял, передана в очередь")))
	}
	g("summary_lines.txt", strings.Join(waits, "\n"))
	g("digest.txt", digestText(tx, crm.ManagerDigest{Date: "2026-12-07", Today: 5, Overdue: 2}))

	// A supervisor's Monday summary, and a payment's notice.
	med, inTime, fast, plan := int64(245), 87.5, 40.0, 80.0
	g("weekly.txt", weeklyText(tx, crm.WeeklySummary{Week: "2026-11-23", Last: "2026-11-29",
		URL: "https://crm.example.ru/reports/funnel?from=2026-11-23&to=2026-11-29&tz=Europe%2FMoscow",
		Figures: &crm.WeeklyFigures{Leads: 120, Taken: 110, Converted: 31, Junk: 9, Won: 7,
			WonSums:   []crm.CurrencySum{{Amount: "1275833.33", Currency: "RUB"}, {Amount: "3000.00", Currency: "USD"}},
			Responded: 110, MedianSeconds: &med, WithinSLAPct: &inTime, SLAMissed: 4,
			Fast: &crm.WeeklyFast{Leads: 60, ConvertedPct: &fast}, Best: &crm.WeeklySource{Source: "yandex", Leads: 48, Revenue: "980000.00"},
			Overdue: 3, Plans: []crm.WeeklyPlan{{Month: "2026-11", Revenue: "2400000.00", Target: "3000000.00", Pct: &plan}}}}))
	g("payment.txt", tx.T("💰 Оплата: сделка №%d, %s", 42, tx.Money("1275833.33", "RUB")))
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares a text the bot sends with testdata/golden/lang/name,
// the file a person reads to judge the bot's words (go test -update
// rewrites it). Russian holds no English; English no Russian phrase of the
// catalogue (a name or a client's words may be Russian in either).
func golden(t *testing.T, lang, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", lang, name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if string(want) != got+"\n" {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
	switch lang {
	case "ru":
		for _, english := range []string{"Lead #", "Touches", "Call due", "Form \"", "junk", "Returning", "minute"} {
			if strings.Contains(got, english) {
				t.Errorf("%s speaks English or shows a key: %q", path, english)
			}
		}
	case "en":
		for ru := range english {
			if r := strings.TrimSpace(ru); len([]rune(r)) > 6 && strings.Contains(got, r) {
				t.Errorf("%s holds a Russian phrase: %q", path, r)
			}
		}
	}
}

// TestTelegramCatalogue reads the package's code: every Russian phrase in
// it (Cyrillic, or the sign №) has its English entry, and every entry is a phrase the code holds.
func TestTelegramCatalogue(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	seen := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "texts_en.go" || f == "texts.go" {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) || r == '№' }) {
				return true
			}
			seen[s] = true
			if _, ok := english[s]; !ok {
				t.Errorf("%s: %q has no English in texts_en.go", fset.Position(lit.Pos()), s)
			}
			return true
		})
	}
	for ru := range english {
		if !seen[ru] {
			t.Errorf("texts_en.go: %q is no phrase of the code", ru)
		}
	}
}
