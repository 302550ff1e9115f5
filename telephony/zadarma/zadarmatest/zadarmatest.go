// Package zadarmatest is a local stand-in for Zadarma's API as far as
// recordings go: GET /v1/pbx/record/request/ answers a download link when
// the Authorization header is signed the way Zadarma documents it, and
// the link serves the file (with Range). It shares no code with the
// client it checks.
package zadarmatest

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var timeZero time.Time

// Server is one test's Zadarma API.
type Server struct {
	*httptest.Server
	key, secret string

	mu         sync.Mutex
	recordings map[string][]byte // by call_id (call_id_with_rec)
	byPBX      map[string]string // pbx_call_id → call_id
	requests   int               // signed requests answered
	refused    int               // requests refused for their signature
	downloads  int
}

// Start starts a fake API accepting key and secret; it stops when the
// test ends.
func Start(t testing.TB, key, secret string) *Server {
	s := &Server{key: key, secret: secret, recordings: map[string][]byte{}, byPBX: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/pbx/record/request/":
			s.request(w, r)
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/rec/"):
			s.download(w, r, strings.TrimPrefix(r.URL.Path, "/rec/"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// Add keeps a recording of pbxCallID under callID.
func (s *Server) Add(pbxCallID, callID string, audio []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordings[callID] = audio
	s.byPBX[pbxCallID] = callID
}

// Counts are the signed requests answered, those refused for their
// signature, and the downloads.
func (s *Server) Counts() (requests, refused, downloads int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.refused, s.downloads
}

// signature is Zadarma's documented algorithm, written out step by step:
// sort the parameters by name, build the query as PHP's http_build_query
// does (urlencode: a space is +, ~ is escaped), append the query's md5
// to the method and the query, HMAC-SHA1 it with the secret as
// lowercase hex, base64 the hex.
func signature(secret, method string, q url.Values) string {
	names := make([]string, 0, len(q))
	for n := range q {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := []string{}
	for _, n := range names {
		for _, v := range q[n] {
			parts = append(parts, phpURLEncode(n)+"="+phpURLEncode(v))
		}
	}
	query := strings.Join(parts, "&")
	md := md5.Sum([]byte(query))
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(method + query + hex.EncodeToString(md[:])))
	return base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(mac.Sum(nil))))
}

func phpURLEncode(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "~", "%7E")
}

func (s *Server) request(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	q := r.URL.Query()
	want := s.key + ":" + signature(s.secret, r.URL.Path, q)
	if r.Header.Get("Authorization") != want {
		s.mu.Lock()
		s.refused++
		s.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"status": "error", "message": "Not authorized"})
		return
	}
	s.mu.Lock()
	s.requests++
	callID := q.Get("call_id")
	if callID == "" {
		callID = s.byPBX[q.Get("pbx_call_id")]
	}
	_, ok := s.recordings[callID]
	s.mu.Unlock()
	if !ok {
		json.NewEncoder(w).Encode(map[string]string{"status": "error", "message": "Record not found"})
		return
	}
	link := fmt.Sprintf("%s/rec/%s", s.URL, url.PathEscape(callID))
	if q.Get("call_id") != "" {
		json.NewEncoder(w).Encode(map[string]any{"status": "success", "link": link, "lifetime_till": "2026-12-06 15:00:00"})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"status": "success", "links": []string{link}, "lifetime_till": "2026-12-06 15:00:00"})
}

func (s *Server) download(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	audio, ok := s.recordings[id]
	s.downloads++
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "audio/mpeg")
	http.ServeContent(w, r, "rec.mp3", timeZero, strings.NewReader(string(audio)))
}
