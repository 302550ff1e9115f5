package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/ingest/mail"
	"github.com/leadd/leadd/telephony/generic"
)

// hostile returns a random string of the kinds that broke intake: NUL
// bytes, broken UTF-8, JSON escapes, control characters, Cyrillic,
// emoji, and lengths around and far past every limit.
func hostile(r *rand.Rand) string {
	pieces := []string{"\x00", "\xff", "\xc3", "\xed\xa0\x80", `\u0000`, `\`, `"`, "'", "\r\n", "\t", "<script>", "=cmd|",
		"Иван", "ООО «Ромашка»", "🦄", "a", "@", ".ru", " ", "%00", "%ff", "+7 917 ", "0123456789", "\u202e", "\ufeff"}
	var b strings.Builder
	switch r.IntN(4) {
	case 0: // short and odd
		for range r.IntN(6) + 1 {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
	case 1: // long, around a limit
		n := []int{250, 255, 256, 300, 1000, 2100, 2800, 3100, 4001, 9000}[r.IntN(10)]
		for b.Len() < n {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
	case 2: // long plain text
		b.WriteString(strings.Repeat(pieces[12+r.IntN(5)], r.IntN(5000)+1))
	default: // an e-mail that is syntactically fine but long, and not compressible
		for range r.IntN(4000) + 1 {
			b.WriteByte("abcdefghijklmnopqrstuvwxyz0123456789"[r.IntN(36)])
		}
		b.WriteString("@example.ru")
	}
	return b.String()
}

// settled waits until every inbox event was tried at least once and
// returns how many were processed without an error, and those that were
// not, with their errors.
func (ta *testApp) settled() (ok int, bad []string) {
	ta.t.Helper()
	waitFor(ta.t, "every event to be tried", func() bool {
		return ta.db.Count(ta.t, `SELECT count(*) FROM inbox WHERE attempts = 0`) == 0
	})
	rows, err := ta.db.Pool.Query(ta.t.Context(), `SELECT source, coalesce(outcome, ''), coalesce(last_error, ''), lead_id IS NOT NULL
		FROM inbox`)
	if err != nil {
		ta.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var source, outcome, lastErr string
		var lead bool
		if err := rows.Scan(&source, &outcome, &lastErr, &lead); err != nil {
			ta.t.Fatal(err)
		}
		if lastErr != "" || (!lead && outcome != "ignored") {
			bad = append(bad, fmt.Sprintf("%s: outcome %q lead %v: %s", source, outcome, lead, lastErr))
			continue
		}
		ok++
	}
	return ok, bad
}

// Accepted means processable: random hostile strings posted through every
// adapter are either refused at the door with a 4xx, or accepted and
// landed on a lead. Nothing is answered 5xx, nothing accepted fails later.
func TestHostileInputIsRefusedAtTheDoorOrBecomesALead(t *testing.T) {
	ta := startApp(t, nil)
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 12))
	seed := r.Uint64()
	r = rand.New(rand.NewPCG(seed, 12))
	t.Logf("seed %d", seed)
	accepted, refused := 0, 0
	count := func(what string, status int, body []byte) {
		t.Helper()
		switch {
		case status >= 200 && status < 300:
			accepted++
		case status >= 400 && status < 500:
			refused++
		default:
			t.Errorf("%s answered %d: %s", what, status, excerpt(body))
		}
	}
	for i := range 60 {
		phone := fmt.Sprintf("+7 917 3%02d %02d %02d", i, r.IntN(100), r.IntN(100))
		v := url.Values{"name": {hostile(r)}, "phone": {phone}, "comment": {hostile(r)}}
		switch r.IntN(4) {
		case 0:
			v.Set("email", hostile(r))
		case 1:
			v.Set(hostile(r), hostile(r))
		case 2:
			v.Set("utm_source", hostile(r))
			v.Set("page_url", hostile(r))
		}
		if r.IntN(3) == 0 {
			v.Del("phone")
			v.Set("email", hostile(r))
		}
		headers := []string{}
		if r.IntN(3) == 0 {
			key := strings.Map(func(c rune) rune {
				if c < 0x20 || c == 0x7f {
					return -1
				}
				return c
			}, hostile(r))
			if key != "" {
				headers = append(headers, "Idempotency-Key: "+key)
			}
		}
		res := ta.postForm("contact", v, headers...)
		count("form (urlencoded)", res.Status, res.Body)

		obj := map[string]any{"name": hostile(r), "phone": phone + "9", "message": hostile(r), hostile(r): hostile(r)}
		b, _ := json.Marshal(obj)
		res = ta.do("POST", "/hooks/forms/contact", "application/json", bytes.NewReader(b), "Accept: application/json")
		count("form (JSON)", res.Status, res.Body)

		ev := generic.Event{CallID: hostile(r), Direction: "in", From: phone, To: hostile(r), Extension: hostile(r),
			State: "ringing", RecordingURL: hostile(r)}
		b, _ = json.Marshal(ev)
		res = ta.do("POST", "/hooks/telephony/generic", "application/json", bytes.NewReader(b),
			"X-Signature: "+generic.Sign(ta.cfg.Telephony.Generic.Secret, b))
		count("generic PBX", res.Status, res.Body)

		letter := fmt.Sprintf("From: %s <%s>\r\nTo: sales@example.ru\r\nSubject: %s\r\nMessage-ID: <%s@x>\r\n"+
			"Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\nТел: %s\r\n",
			hostile(r), []string{"client@example.ru", hostile(r)}[r.IntN(2)], hostile(r), hostile(r), hostile(r), phone)
		mb := &mail.Mailbox{Name: "sales", Username: "sales@example.ru"}
		if _, _, err := ta.inbox.Accept(t.Context(), mail.Parse([]byte(letter), mb, dedupe.Normalizer{Region: "RU"}, time.Now()), nil); err != nil {
			t.Errorf("a letter the mail adapter made was refused by the inbox: %v", err)
		} else {
			accepted++
		}
	}
	ok, bad := ta.settled()
	for _, b := range bad {
		t.Errorf("accepted but not processed: %s", excerpt([]byte(b)))
	}
	t.Logf("accepted %d, refused %d at the door, processed %d", accepted, refused, ok)
	if accepted == 0 || refused == 0 {
		t.Errorf("accepted %d and refused %d: the generator should make both", accepted, refused)
	}
}

// One bad post never fails another: posts with a NUL byte, broken UTF-8
// in the Idempotency-Key, a 3,000-character e-mail, 9,000 custom fields
// go in at the same moment as good ones; every good one is 202 and
// becomes a lead, every bad one gets a 4xx naming what is wrong.
func TestABadPostInAGroupCommitFailsOnlyItself(t *testing.T) {
	ta := startApp(t, func(c *configs.Config) { c.Forms.MaxBody = 1 << 20 })
	type post struct {
		body   string
		ct     string
		header [2]string
		good   bool
	}
	var posts []post
	for i := range 150 {
		posts = append(posts, post{body: url.Values{"name": {fmt.Sprintf("Good %d", i)}, "phone": {fmt.Sprintf("+7917400%04d", i)}}.Encode(),
			ct: "application/x-www-form-urlencoded", good: true})
		switch i % 5 {
		case 0:
			posts = append(posts, post{body: "name=a%00b&phone=%2B79174999999", ct: "application/x-www-form-urlencoded"})
		case 1:
			posts = append(posts, post{body: "name=x&phone=%2B79174999998", ct: "application/x-www-form-urlencoded",
				header: [2]string{"Idempotency-Key", "key-\xff\xfe"}})
		case 2:
			posts = append(posts, post{body: "email=" + strings.Repeat("a", 3000) + "%40example.ru", ct: "application/x-www-form-urlencoded"})
		case 3:
			many := url.Values{"phone": {"+79174999997"}}
			for j := range 9000 {
				many.Set(fmt.Sprintf("f%d", j), "x")
			}
			posts = append(posts, post{body: many.Encode(), ct: "application/x-www-form-urlencoded"})
		case 4:
			posts = append(posts, post{body: `{"name":"a\u0000b","phone":"+79174999996"}`, ct: "application/json"})
		}
	}
	rand.Shuffle(len(posts), func(i, j int) { posts[i], posts[j] = posts[j], posts[i] })
	type answer struct {
		status int
		good   bool
		body   string
	}
	answers := make(chan answer, len(posts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, p := range posts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			req, _ := http.NewRequest("POST", ta.srv.URL+"/hooks/forms/contact", strings.NewReader(p.body))
			req.Header.Set("Content-Type", p.ct)
			req.Header.Set("Accept", "application/json")
			if p.header[0] != "" {
				req.Header[p.header[0]] = []string{p.header[1]}
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				answers <- answer{good: p.good, body: err.Error()}
				return
			}
			var b bytes.Buffer
			_, _ = b.ReadFrom(res.Body)
			res.Body.Close()
			answers <- answer{status: res.StatusCode, good: p.good, body: b.String()}
		}()
	}
	wg.Wait()
	close(answers)
	good, statuses := 0, map[int]int{}
	for a := range answers {
		switch {
		case a.good && a.status == http.StatusAccepted:
			good++
		case a.good:
			t.Errorf("a good post answered %d: %s", a.status, excerpt([]byte(a.body)))
		case a.status < 400 || a.status >= 500:
			t.Errorf("a bad post answered %d, want 4xx: %s", a.status, excerpt([]byte(a.body)))
		default:
			statuses[a.status]++
			var e struct {
				Error struct{ Code, Field string }
			}
			if json.Unmarshal([]byte(a.body), &e) != nil || e.Error.Code == "" || e.Error.Field == "" {
				t.Errorf("a bad post's answer does not name the field at fault: %s", excerpt([]byte(a.body)))
			}
		}
	}
	t.Logf("good posts accepted: %d of 150; bad posts by status: %v", good, statuses)
	if statuses[http.StatusRequestEntityTooLarge] == 0 || statuses[http.StatusUnprocessableEntity] == 0 {
		t.Errorf("bad posts by status %v: sizes past a limit are 413, broken text 422", statuses)
	}
	ta.waitProcessed()
	if n := ta.db.Count(t, `SELECT count(*) FROM leads WHERE name LIKE 'Good %'`); n != 150 {
		t.Errorf("%d leads from 150 good posts", n)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM inbox WHERE last_error IS NOT NULL`); n != 0 {
		t.Errorf("%d accepted events failed in processing", n)
	}
}

// The API's JSON bodies are held to the same limits at the door: what
// cannot be stored is a 4xx naming the field, sizes past a limit 413,
// never a 500 from the database.
func TestAPIBodiesAreCheckedAtTheDoor(t *testing.T) {
	ta := startApp(t, nil)
	deep := strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40)
	for _, c := range []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"PATCH", "/api/v1/managers/1", `{"capacity": 99999999999}`, 422, "capacity"},
		{"PATCH", "/api/v1/managers/1", `{"capacity": 2147483648}`, 422, "capacity"},
		{"POST", "/api/v1/managers", `{"name": "a\u0000b"}`, 422, "name"},
		{"POST", "/api/v1/leads", `{"name": "x", "phone": "+79175550000", "email": "` + strings.Repeat("a", 3000) + `@example.ru"}`, 413, "email"},
		{"POST", "/api/v1/contacts", `{"name": "` + strings.Repeat("я", 400) + `"}`, 413, "name"},
		{"POST", "/api/v1/leads", deep, 413, "body"},
		{"POST", "/api/v1/leads", `{"name": "` + strings.Repeat("a", 1<<20) + `"}`, 413, ""},
		{"POST", "/api/v1/leads", "{\"name\": \"\xff\"}", 422, "body"},
	} {
		res := ta.do(c.method, c.path, "application/json", strings.NewReader(c.body), "Authorization: Bearer "+adminToken)
		var e struct {
			Error struct{ Code, Field string }
		}
		_ = json.Unmarshal(res.Body, &e)
		if res.Status != c.status || e.Error.Field != c.field {
			t.Errorf("%s %s %s: %d %s, want %d naming %q", c.method, c.path, excerpt([]byte(c.body)), res.Status, excerpt(res.Body), c.status, c.field)
		}
	}
}
