// Package forms is the website-form adapter: POST /hooks/forms/{form} in
// urlencoded, multipart or JSON, mapped by the form's declaration into one
// ingest.Event and stored in the inbox before it answers.
package forms

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/ingest"
	"github.com/leadd/leadd/web/clientip"
	"github.com/leadd/leadd/web/httperr"
)

// Inbox is where accepted events go.
type Inbox interface {
	Accept(ctx context.Context, ev *ingest.Event, hash []byte) (id string, duplicate bool, err error)
}

var _ Inbox = (*ingest.Inbox)(nil)

// Handler serves the form hooks.
type Handler struct {
	cfg     *Config
	inbox   Inbox
	norm    dedupe.Normalizer
	limiter *ingest.RateLimiter
	log     *slog.Logger
	now     func() time.Time

	// Fields, when set, is the custom fields in force: a posted field
	// that is a declared lead field (by key or label, or as the form's
	// fields.custom maps it) is checked and kept under its key.
	Fields func() *crm.FieldSet
}

// New returns the forms handler; cfg must have passed Validate.
func New(cfg *Config, inbox Inbox, norm dedupe.Normalizer, limiter *ingest.RateLimiter, log *slog.Logger, now func() time.Time) *Handler {
	return &Handler{cfg: cfg, inbox: inbox, norm: norm, limiter: limiter, log: log, now: now}
}

// Register adds the form routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /hooks/forms/{form}", h.post)
	mux.HandleFunc("OPTIONS /hooks/forms/{form}", h.preflight)
	mux.HandleFunc("GET /hooks/forms/{form}/thanks", h.thanks)
	mux.HandleFunc("GET /hooks/forms/{form}/embed.js", h.embed)
}

func (h *Handler) post(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	name := r.PathValue("form")
	form, ok := h.cfg.Forms[name]
	source := "form:" + name
	if !ok {
		source = "form:unknown"
	}
	result, err := h.accept(w, r, name, form, ok)
	if err != nil {
		result = "rejected_" + crm.ErrorCode(err)
		if s := httperr.Status(err); s == http.StatusTooManyRequests || s >= 500 {
			h.log.Warn("form rejected", "form", name, "code", crm.ErrorCode(err), "client", clientip.Of(r), "err", err)
		}
		h.writeError(w, r, form, err)
	}
	ingest.Accepted.WithLabelValues(source, result).Inc()
	ingest.AcceptSeconds.WithLabelValues(source).Observe(time.Since(start).Seconds())
}

// accept does the work of post and answers success itself; errors are
// answered by the caller.
func (h *Handler) accept(w http.ResponseWriter, r *http.Request, name string, form Form, known bool) (string, error) {
	// Every post counts, before anything else is looked at: one to a
	// form that does not exist or from an origin it refuses costs a
	// client as much as one that is accepted.
	if err := h.limit(w, r, form, known); err != nil {
		return "", err
	}
	if !known {
		return "", crm.Errorf(crm.ENOTFOUND, "no form named %q", name)
	}
	if !h.cors(w, r, form) {
		return "", &problem{err: crm.Errorf(crm.EFORBIDDEN, "origin %q may not post this form", r.Header.Get("Origin")),
			ru: "Эта форма не принимает заявки с сайта " + r.Header.Get("Origin") + ". Позвоните нам или напишите на почту."}
	}
	values, err := readValues(w, r, h.cfg.MaxBody)
	if err != nil {
		return "", err
	}
	if isTildaProbe(values) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ok"))
		return "probe", nil
	}
	ev, err := h.event(r, name, form, values)
	if err != nil {
		return "", err
	}
	id, dup, err := h.inbox.Accept(r.Context(), ev, hashValues(values))
	if err != nil {
		return "", err
	}
	result := "accepted"
	if dup {
		result = "duplicate"
	}
	if h.log.Enabled(r.Context(), slog.LevelInfo) {
		// Masking and boxing the attributes cost allocations on every
		// post; at warn level nobody reads them.
		h.log.Info("form accepted", "form", name, "event_id", id, "duplicate", dup,
			"phone", maskPhone(first(ev.Touch.Phones)), "email", maskEmail(first(ev.Touch.Emails)), "spam", ev.Touch.JunkReason != "")
	}
	if wantsHTML(r) {
		back := backURL(ev.Touch.PageURL)
		if back == "" {
			back = backURL(r.Header.Get("Referer"))
		}
		http.Redirect(w, r, h.thankYouURL(name, form, back), http.StatusSeeOther)
		return result, nil
	}
	httperr.WriteJSON(w, http.StatusAccepted, acceptedAnswer{EventID: id})
	return result, nil
}

// acceptedAnswer is the 202's body: {"event_id": "…"}.
type acceptedAnswer struct {
	EventID string `json:"event_id"`
}

// event maps the posted values to an Event by the form's declaration.
func (h *Handler) event(r *http.Request, name string, form Form, values map[string]string) (*ingest.Event, error) {
	now := h.now().UTC()
	in := crm.Inbound{Channel: crm.ChannelForm, Source: name, At: now, Fields: map[string]string{}, UTM: map[string]string{}}
	used := map[string]bool{}
	pick := func(names []string) (string, string) {
		for _, n := range names {
			for k, v := range values {
				if strings.EqualFold(k, n) && strings.TrimSpace(v) != "" {
					used[k] = true
					return k, v
				}
			}
		}
		return "", ""
	}
	nameKey, nameValue := pick(form.Fields.Name)
	phoneKey, phone := pick(form.Fields.Phone)
	emailKey, email := pick(form.Fields.Email)
	commentKey, comment := pick(form.Fields.Comment)
	for _, f := range []struct {
		key, value string
		max        int
	}{{nameKey, nameValue, crm.MaxName}, {phoneKey, phone, crm.MaxPhoneText}, {emailKey, email, crm.MaxEmail * 4}, {commentKey, comment, crm.MaxText}} {
		if err := crm.CheckText(f.key, f.value, f.max); err != nil {
			return nil, err
		}
	}
	in.Name = dedupe.Name(nameValue)
	in.Phones, in.RawPhones = h.norm.Phones(phone)
	in.Emails = dedupe.Emails(email)
	for _, e := range in.Emails {
		if err := crm.CheckText(emailKey, e, crm.MaxEmail); err != nil {
			return nil, err
		}
	}
	in.Text = strings.TrimSpace(comment)

	if len(in.Phones) == 0 && len(in.Emails) == 0 {
		switch {
		case phone != "":
			return nil, invalidRu(phoneKey, "Проверьте номер телефона: «"+clip(phone, 40)+"» не похож на номер, по которому можно позвонить. Укажите его с кодом города или оператора, например +7 912 345-67-89.",
				"%q is not a phone number we can call", phone)
		case email != "":
			return nil, invalidRu(emailKey, "Проверьте адрес электронной почты: «"+clip(email, 60)+"» не похож на адрес, например ivan@example.ru.",
				"%q is not an e-mail address", email)
		default:
			return nil, invalidRu("phone", "Укажите телефон или адрес электронной почты, чтобы мы могли с вами связаться.",
				"a phone or an e-mail is required to reach the person")
		}
	}
	// The consent and the honeypot say something about the post, not
	// about the person: neither is kept among the form's fields.
	if form.Consent != "" {
		key, v := pick([]string{form.Consent})
		markUsed(values, used, form.Consent)
		if !consentGiven(v) {
			return nil, invalidRu(form.Consent, "Отметьте согласие на обработку персональных данных: без него мы не можем принять заявку.",
				"consent to the processing of personal data is required")
		}
		in.Consent = &crm.Consent{Field: key, Value: v, At: now}
	}
	if form.Honeypot != "" {
		if _, v := pick([]string{form.Honeypot}); v != "" {
			in.JunkReason = "spam"
		}
		markUsed(values, used, form.Honeypot)
	}
	for k, v := range values {
		lk := strings.ToLower(k)
		switch {
		case used[k]:
		case strings.HasPrefix(lk, "utm_"):
			in.UTM[lk] = v
		case lk == "page_url" || lk == "pageurl" || lk == "page":
			in.PageURL = v
		case lk == "referrer" || lk == "referer":
			in.Referrer = v
		default:
			in.Fields[k] = v
			continue
		}
		if err := crm.CheckText(k, v, crm.MaxURL); err != nil {
			return nil, err
		}
	}
	for k, v := range in.Fields {
		if err := crm.CheckText(k, v, crm.MaxFieldValue); err != nil {
			return nil, err
		}
	}
	if err := h.declared(form, in.Fields); err != nil {
		return nil, err
	}
	if in.PageURL == "" {
		if err := crm.CheckText("Referer", r.Header.Get("Referer"), crm.MaxURL); err != nil {
			return nil, err
		}
	}
	if in.PageURL == "" {
		in.PageURL = r.Header.Get("Referer")
	}
	// A form that does not copy UTM into fields still has them in the
	// address of the page it was posted from.
	if u, err := url.Parse(in.PageURL); err == nil && in.PageURL != "" {
		for k, vs := range u.Query() {
			if lk := strings.ToLower(k); strings.HasPrefix(lk, "utm_") && in.UTM[lk] == "" && len(vs) > 0 {
				in.UTM[lk] = vs[0]
			}
		}
	}
	raw, _ := json.Marshal(values)
	ev := &ingest.Event{ID: ingest.NewID(now), Source: "form:" + name, Raw: raw, Touch: in}
	ev.ExternalID = r.Header.Get("Idempotency-Key")
	if ev.ExternalID == "" && values["tranid"] != "" {
		// Tilda numbers each submission ("1234567:8901234") and sends the
		// same tranid when it resends one.
		ev.ExternalID = "tilda:" + values["tranid"]
	}
	if ev.ExternalID == "" {
		ev.ExternalID = ev.ID
	} else if err := crm.CheckText("Idempotency-Key", ev.ExternalID, crm.MaxKey); err != nil {
		return nil, err
	}
	return ev, nil
}

// readValues reads a urlencoded, multipart or JSON body into one value per
// field (repeated fields are joined with ", ").
func readValues(w http.ResponseWriter, r *http.Request, limit int64) (map[string]string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	tooLarge := func(err error) error {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return crm.Errorf(crm.ETOOLARGE, "the body is larger than %d bytes", limit)
		}
		return &crm.Error{Code: crm.EMALFORMED, Message: "cannot read the body: " + err.Error()}
	}
	values := map[string]string{}
	switch ct {
	case "application/json":
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, tooLarge(err)
		}
		if crm.JSONDepth(b) > crm.MaxJSONDepth {
			return nil, &crm.Error{Code: crm.ETOOLARGE, Field: "body", Message: fmt.Sprintf("nests deeper than %d levels", crm.MaxJSONDepth)}
		}
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			return nil, tooLarge(err)
		}
		for k, v := range obj {
			switch v := v.(type) {
			case string:
				values[k] = v
			case nil:
			case json.Number, bool:
				values[k] = fmt.Sprint(v)
			default:
				b, _ := json.Marshal(v)
				values[k] = string(b)
			}
		}
		return values, checkValues(values)
	case "multipart/form-data":
		if err := r.ParseMultipartForm(limit); err != nil {
			if strings.Contains(err.Error(), "too large") {
				return nil, crm.Errorf(crm.ETOOLARGE, "the form has too many parts")
			}
			return nil, tooLarge(err)
		}
		if n := len(r.MultipartForm.Value) + len(r.MultipartForm.File); n > crm.MaxFields {
			return nil, &crm.Error{Code: crm.ETOOLARGE, Field: "body", Message: fmt.Sprintf("has %d parts; at most %d", n, crm.MaxFields)}
		}
	case "application/x-www-form-urlencoded", "":
		if err := r.ParseForm(); err != nil {
			return nil, tooLarge(err)
		}
	default:
		return nil, crm.Errorf(crm.EUNSUPPORTED, "content type %q is not a form; send urlencoded, multipart or JSON", ct)
	}
	for k, vs := range r.PostForm {
		values[k] = strings.Join(vs, ", ")
	}
	return values, checkValues(values)
}

// checkValues refuses what no field of a lead could keep: more than
// crm.MaxFields fields (413), a name or a value with broken UTF-8 or a
// NUL byte (422, naming the field), a value past crm.MaxText (413).
// Each field's own limit is checked when it is mapped.
func checkValues(values map[string]string) error {
	if len(values) > crm.MaxFields {
		return &crm.Error{Code: crm.ETOOLARGE, Field: "body", Message: fmt.Sprintf("has %d fields; at most %d", len(values), crm.MaxFields)}
	}
	for k, v := range values {
		name, _ := crm.CleanText(k, crm.MaxFieldKey)
		if err := crm.CheckText(name, k, crm.MaxFieldKey); err != nil {
			return err
		}
		if err := crm.CheckText(k, v, crm.MaxText); err != nil {
			return err
		}
	}
	return nil
}

// isTildaProbe recognises the post Tilda sends when a webhook is set up.
func isTildaProbe(v map[string]string) bool {
	return len(v) == 1 && v["test"] == "test"
}

func consentGiven(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "no", "off", "false", "нет":
		return false
	}
	return true
}

// hashValues identifies a post by its fields, not its encoding: a retry
// with another multipart boundary is the same post.
func hashValues(v map[string]string) []byte {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// Each field as "len:key" "len:value" (the bytes earlier versions
	// wrote with fmt, so a retry across an upgrade is still recognised).
	h := sha256.New()
	var b []byte
	for _, k := range keys {
		b = strconv.AppendInt(b[:0], int64(len(k)), 10)
		b = append(b, ':')
		b = append(b, k...)
		b = strconv.AppendInt(b, int64(len(v[k])), 10)
		b = append(b, ':')
		b = append(b, v[k]...)
		h.Write(b)
	}
	return h.Sum(nil)
}

func wantsHTML(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "text/html") && !strings.Contains(accept, "application/json")
}

// thankYouURL is where a browser goes after its post: the form's own page,
// or the built-in one with the way back to the site.
func (h *Handler) thankYouURL(name string, form Form, back string) string {
	if form.ThankYouURL != "" {
		return form.ThankYouURL
	}
	u := "/hooks/forms/" + url.PathEscape(name) + "/thanks"
	if back != "" {
		u += "?" + url.Values{"back": {back}}.Encode()
	}
	return u
}

// markUsed marks every value named name (case-insensitively) as taken.
func markUsed(values map[string]string, used map[string]bool, name string) {
	for k := range values {
		if strings.EqualFold(k, name) {
			used[k] = true
		}
	}
}

// clip shortens what a visitor typed for quoting it back.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// cors sets the CORS answer for an allowed origin and reports whether the
// origin may post. A post with no Origin (a server, curl) is allowed.
func (h *Handler) cors(w http.ResponseWriter, r *http.Request, form Form) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(form.AllowedOrigins) == 0 {
		if len(form.AllowedOrigins) == 0 {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		return true
	}
	if !slices.Contains(form.AllowedOrigins, origin) && !slices.Contains(form.AllowedOrigins, "*") {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Add("Vary", "Origin")
	return true
}

func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	form, ok := h.cfg.Forms[r.PathValue("form")]
	if !ok {
		httperr.Write(w, r, h.log, crm.Errorf(crm.ENOTFOUND, "no form named %q", r.PathValue("form")))
		return
	}
	if !h.cors(w, r, form) {
		httperr.Write(w, r, h.log, crm.Errorf(crm.EFORBIDDEN, "origin %q may not post this form", r.Header.Get("Origin")))
		return
	}
	w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Idempotency-Key")
	w.Header().Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

// limit counts a post against its client's per-minute limit: one counter
// per client (an IPv4 address, an IPv6 /64) across every form name, known
// or not. A form's own limit applies to posts to it; a name that is no
// form gets the strictest limit of any form, so that guessing names is
// never cheaper than posting. Clients in trusted_networks are not counted.
func (h *Handler) limit(w http.ResponseWriter, r *http.Request, form Form, known bool) error {
	ip := clientip.Of(r)
	if h.cfg.isTrusted(ip) {
		return nil
	}
	limit := h.cfg.RateLimit
	switch {
	case !known:
		limit = h.cfg.strictest
	case form.RateLimit != 0:
		limit = form.RateLimit
	}
	if ok, retry := h.limiter.Allow(r.Context(), "form:"+clientip.Key(ip), limit); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds())+1))
		return crm.Errorf(crm.ERATELIMITED, "too many posts from %s; try again in a minute", clientip.Key(ip))
	}
	return nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// maskPhone keeps the country code and the last two digits.
func maskPhone(p string) string {
	if len(p) < 6 {
		return p
	}
	return p[:2] + strings.Repeat("*", len(p)-4) + p[len(p)-2:]
}

func maskEmail(e string) string {
	at := strings.IndexByte(e, '@')
	if at < 1 {
		return e
	}
	return e[:1] + "***" + e[at:]
}

// declared takes the posted fields that are declared lead fields — named
// by the field's key or label, or by the form's fields.custom — checked
// by their type and kept under their key; the rest stay the lead's free
// fields as posted. A value its type refuses is refused with the post,
// in Russian, naming fields.<key>.
func (h *Handler) declared(form Form, fields map[string]string) error {
	if h.Fields == nil {
		return nil
	}
	fs := h.Fields()
	defs := fs.Decls.Of(crm.FieldsLead)
	if len(defs) == 0 {
		return nil
	}
	for _, posted := range slices.Sorted(maps.Keys(fields)) {
		v := fields[posted]
		for _, d := range defs {
			if !strings.EqualFold(posted, d.Key) && !strings.EqualFold(posted, d.Label) &&
				!slices.ContainsFunc(form.Fields.Custom[d.Key], func(n string) bool { return strings.EqualFold(n, posted) }) {
				continue
			}
			if strings.TrimSpace(v) == "" {
				delete(fields, posted)
				break
			}
			nv, err := fs.Normalize(d, v)
			if err != nil {
				return invalidRu("fields."+d.Key, "Проверьте поле «"+d.Label+"»: «"+clip(v, 40)+"» "+typeRu[d.Type]+".",
					"%s", crm.AsError(err).Message)
			}
			delete(fields, posted)
			fields[d.Key] = nv
			break
		}
	}
	return nil
}

// typeRu says what a field's value must be, after «value».
var typeRu = map[string]string{
	crm.FieldString: "— слишком длинное значение или в нём несколько строк",
	crm.FieldText:   "— слишком длинный текст",
	crm.FieldNumber: "не похоже на число, например 12,5",
	crm.FieldMoney:  "не похоже на сумму, например 1 500,00",
	crm.FieldDate:   "не похоже на дату, например 06.12.2026",
	crm.FieldBool:   "— ответьте «да» или «нет»",
	crm.FieldEnum:   "— выберите одно из предложенных значений",
	crm.FieldPhone:  "не похоже на номер телефона",
	crm.FieldEmail:  "не похоже на адрес электронной почты",
	crm.FieldURL:    "не похоже на адрес сайта, например https://example.ru",
}
