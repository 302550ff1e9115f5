package zadarma

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/telephony"
)

var _ telephony.Recorder = Provider{}

// DefaultAPI is Zadarma's API.
const DefaultAPI = "https://api.zadarma.com"

// recordMethod is the API method that gives a recording's download link.
const recordMethod = "/v1/pbx/record/request/"

// APISignature is the Authorization header of a call to Zadarma's API
// (https://zadarma.com/en/support/api/, "Authorization", and the
// official library's Client::_getAuthHeader): "key:signature", the
// signature being base64 of the lowercase hex HMAC-SHA1, under the
// secret, of method + query + md5(query), the query being the
// parameters sorted by name and encoded as PHP's http_build_query
// (RFC 1738) does.
func APISignature(key, secret, method string, params url.Values) string {
	q := PHPQuery(params)
	sum := md5.Sum([]byte(q))
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(method + q + hex.EncodeToString(sum[:])))
	return key + ":" + base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(m.Sum(nil))))
}

// PHPQuery encodes params sorted by name as PHP's http_build_query with
// PHP_QUERY_RFC1738: letters, digits and -_. kept, a space as +,
// everything else %XX.
func PHPQuery(params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range params[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(phpEscape(k) + "=" + phpEscape(v))
		}
	}
	return b.String()
}

func phpEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// recordAnswer is /v1/pbx/record/request/'s answer: one link for a
// call_id, links for a pbx_call_id.
type recordAnswer struct {
	Status  string   `json:"status"`
	Message string   `json:"message"`
	Link    string   `json:"link"`
	Links   []string `json:"links"`
}

// Recording opens the recording a NOTIFY_RECORD named: it asks Zadarma's
// signed API for a download link with the configured key and secret, and
// opens the link. Errors: ENOTFOUND when Zadarma has no such recording,
// EUNAVAILABLE when it cannot be reached or refuses the key.
func (p Provider) Recording(ctx context.Context, ref string, hdr http.Header) (*http.Response, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return nil, crm.Errorf(crm.ENOTFOUND, "not a Zadarma recording reference")
	}
	q := u.Query()
	params := url.Values{"format": {"json"}}
	// call_id (call_id_with_rec) names the one file; pbx_call_id the call.
	if id := q.Get("call_id"); id != "" {
		params.Set("call_id", id)
	} else if id := q.Get("pbx_call_id"); id != "" {
		params.Set("pbx_call_id", id)
	} else {
		return nil, crm.Errorf(crm.ENOTFOUND, "the Zadarma recording reference names no call")
	}
	if p.Key == "" || p.Secret == "" {
		return nil, crm.Errorf(crm.EUNAVAILABLE, "telephony.zadarma.key and secret are needed to fetch recordings")
	}
	base := p.API
	if base == "" {
		base = DefaultAPI
	}
	actx, cancel := context.WithTimeout(ctx, 15*time.Second)
	req, err := http.NewRequestWithContext(actx, http.MethodGet, strings.TrimRight(base, "/")+recordMethod+"?"+PHPQuery(params), nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("zadarma recording request: %w", err)
	}
	req.Header.Set("Authorization", APISignature(p.Key, p.Secret, recordMethod, params))
	res, err := p.client().Do(req)
	if err != nil {
		cancel()
		return nil, crm.Errorf(crm.EUNAVAILABLE, "Zadarma's API cannot be reached: %v", err)
	}
	var ans recordAnswer
	err = json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&ans)
	res.Body.Close()
	cancel()
	link := ans.Link
	if link == "" && len(ans.Links) > 0 {
		link = ans.Links[0]
	}
	switch {
	case err == nil && ans.Status == "success" && link != "":
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return nil, crm.Errorf(crm.EUNAVAILABLE, "Zadarma refused the API key (%d %s)", res.StatusCode, ans.Message)
	case res.StatusCode >= 500 || err != nil:
		return nil, crm.Errorf(crm.EUNAVAILABLE, "Zadarma's API answered %d (%s)", res.StatusCode, ans.Message)
	default:
		return nil, crm.Errorf(crm.ENOTFOUND, "Zadarma has no such recording: %s", ans.Message)
	}
	return p.download(ctx, link, hdr)
}

// download opens the link Zadarma gave, for as long as the listener
// listens.
func (p Provider) download(ctx context.Context, link string, hdr http.Header) (*http.Response, error) {
	lu, err := url.Parse(link)
	if err != nil || (lu.Scheme != "https" && lu.Scheme != "http") {
		return nil, crm.Errorf(crm.EUNAVAILABLE, "Zadarma gave no usable link")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, lu.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("zadarma recording download: %w", err)
	}
	if rg := hdr.Get("Range"); rg != "" {
		req.Header.Set("Range", rg)
	}
	res, err := p.client().Do(req)
	if err != nil {
		return nil, crm.Errorf(crm.EUNAVAILABLE, "the recording cannot be downloaded: %v", err)
	}
	switch {
	case res.StatusCode == http.StatusOK || res.StatusCode == http.StatusPartialContent:
		return res, nil
	case res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusGone:
		res.Body.Close()
		return nil, crm.Errorf(crm.ENOTFOUND, "Zadarma no longer has the recording")
	}
	res.Body.Close()
	return nil, crm.Errorf(crm.EUNAVAILABLE, "the recording's download answered %d", res.StatusCode)
}

func (p Provider) client() *http.Client {
	if p.HTTP != nil {
		return p.HTTP
	}
	return &http.Client{Timeout: 10 * time.Minute} // a long call is a big file
}
