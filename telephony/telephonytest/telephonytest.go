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

	"github.com/leadd/leadd/crm"
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
