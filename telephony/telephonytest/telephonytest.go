// Package telephonytest reads the requests the telephony providers' tests
// keep in their testdata (name.http: a request line, headers, a blank line
// and the body, as a PBX sent them) and replays them through a provider's
// Parse.
package telephonytest

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/telephony"
)

// Recorded is one request kept in testdata.
type Recorded struct {
	Method, Target string
	Headers        []string // "Name: value", in the file's order
	Body           string
}

// Read reads the recorded request in the file at path.
func Read(t testing.TB, path string) Recorded {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := strings.Cut(string(raw), "\n\n")
	r := Recorded{Body: strings.TrimSuffix(body, "\n")}
	sc := bufio.NewScanner(strings.NewReader(head))
	sc.Scan()
	r.Method, r.Target, _ = strings.Cut(sc.Text(), " ")
	for sc.Scan() {
		r.Headers = append(r.Headers, sc.Text())
	}
	return r
}

// Request is the recorded request as a server receives it, and its body.
func (r Recorded) Request() (*http.Request, []byte) {
	req := httptest.NewRequest(r.Method, r.Target, strings.NewReader(r.Body))
	for _, h := range r.Headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Add(k, v)
	}
	return req, []byte(r.Body)
}

// Request reads the file testdata/file of the package under test as a
// server receives it, and its body.
func Request(t testing.TB, file string) (*http.Request, []byte) {
	t.Helper()
	return Read(t, filepath.Join("testdata", file)).Request()
}

// Parse is a provider's Parse.
type Parse func(r *http.Request, body []byte) ([]telephony.Call, error)

// Replay parses the recorded requests testdata/name.http in order, as the
// PBX sent them, and returns all their calls. A request that does not
// parse stops the test; a call that is not valid fails it.
func Replay(t testing.TB, parse Parse, names ...string) []telephony.Call {
	t.Helper()
	var got []telephony.Call
	for _, f := range names {
		r, body := Request(t, f+".http")
		calls, err := parse(r, body)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range calls {
			if err := c.Validate(); err != nil {
				t.Errorf("%s: %+v: %v", f, c, err)
			}
		}
		got = append(got, calls...)
	}
	return got
}

// Refused checks what Parse returned for a request it must refuse: no
// calls (nil) and a *crm.Error of code about field ("" for none).
func Refused(t testing.TB, calls []telephony.Call, err error, code, field string) {
	t.Helper()
	if crm.ErrorCode(err) != code || calls != nil {
		t.Fatalf("calls %+v, err %v: want %s", calls, err, code)
	}
	if e := err.(*crm.Error); e.Field != field {
		t.Errorf("field %q, want %q", e.Field, field)
	}
}

// All reads every recorded request in the package's testdata: the seeds
// of its fuzz target.
func All(tb testing.TB) []Recorded {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.http"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no recorded requests in testdata: %v", err)
	}
	out := make([]Recorded, 0, len(files))
	for _, f := range files {
		out = append(out, Read(tb, f))
	}
	return out
}

// Holds checks what a provider's Parse must hold for any request, signed
// or not. A refusal is a *crm.Error the hook answers with a 4xx
// (unauthorized, malformed or invalid: never a 500) and comes with no
// calls; every call accepted passes Validate and becomes an event the
// inbox takes as it is (accepted means processable).
func Holds(tb testing.TB, provider string, calls []telephony.Call, err error) {
	tb.Helper()
	if err != nil {
		switch e := crm.AsError(err); {
		case e == nil:
			tb.Fatalf("Parse refused with an untyped error, which the hook answers 500: %v", err)
		case e.Code != crm.EUNAUTHORIZED && e.Code != crm.EMALFORMED && e.Code != crm.EINVALID:
			tb.Fatalf("Parse refused with code %s: %v", e.Code, err)
		}
		if len(calls) != 0 {
			tb.Fatalf("Parse refused (%v) and still gave calls %+v", err, calls)
		}
		return
	}
	in := telephony.Intake{Norm: dedupe.Normalizer{Region: "RU"}, Now: func() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) }}
	for _, c := range calls {
		if err := c.Validate(); err != nil {
			tb.Fatalf("Parse gave a call Validate refuses: %+v: %v", c, err)
		}
		ev, err := in.Event(provider, c)
		if err != nil {
			tb.Fatalf("the intake refuses a parsed call %+v: %v", c, err)
		}
		if err := ev.Check(); err != nil {
			tb.Fatalf("a parsed call %+v makes an event the inbox refuses: %v", c, err)
		}
	}
}
