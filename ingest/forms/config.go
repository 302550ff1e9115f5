package forms

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/leadd/leadd/web/clientip"
)

// Config is the forms section of the configuration.
type Config struct {
	// MaxBody is the largest request body accepted, in bytes (64 KiB).
	MaxBody int64 `yaml:"max_body"`
	// RateLimit is posts per minute per client (an IPv4 address, an IPv6
	// /64; behind http.trusted_proxies, the address they forwarded), over
	// all forms and names that are no form (0: no limit).
	RateLimit int `yaml:"rate_limit"`
	// Trusted networks are never rate limited (the site's own backend):
	// matched against the client address, not a proxy's.
	Trusted []string `yaml:"trusted_networks"`
	// Company is the name the built-in thank-you and error pages show
	// (the documents' seller when empty).
	Company string `yaml:"company"`
	// Forms by the name in /hooks/forms/{name}.
	Forms map[string]Form `yaml:"forms"`

	trusted   []netip.Prefix
	strictest int // the lowest positive limit of any form: for names that are none
}

// Form declares one website form.
type Form struct {
	// Title names the form for people («Обратный звонок»): the managers'
	// cards say where a lead came from by it (the form's name if empty).
	Title string `yaml:"title"`
	// Fields maps what the form's fields mean; each lists the field names
	// (matched case-insensitively) that carry it.
	Fields      FieldMap `yaml:"fields"`
	ThankYouURL string   `yaml:"thank_you_url"`
	// ErrorURL, when set, is the page a browser is sent to when its post
	// is refused, with error, field, message (Russian) and back in the
	// query; else Leadd answers with its own page in Russian.
	ErrorURL       string   `yaml:"error_url"`
	AllowedOrigins []string `yaml:"allowed_origins"`
	// Honeypot is a field hidden from people: a bot that fills it is
	// answered as if all went well and filed as junk "spam".
	Honeypot string `yaml:"honeypot"`
	// Consent, when set, is the field that must carry the visitor's
	// personal-data consent (152-FZ); its value and time are stored.
	Consent string `yaml:"consent"`
	// RateLimit overrides the section's per-address limit for this form
	// (0: the section's).
	RateLimit int `yaml:"rate_limit"`
}

// FieldMap names the fields that carry the person and their words.
type FieldMap struct {
	Name    []string `yaml:"name"`
	Phone   []string `yaml:"phone"`
	Email   []string `yaml:"email"`
	Comment []string `yaml:"comment"`
	// Custom maps declared lead fields (configs: fields.lead) to the
	// form's field names that carry them: {budget: [Бюджет, sum]}. A
	// field named as the key or the label is taken without it.
	Custom map[string][]string `yaml:"custom"`
}

// Defaults cover the names website builders use (Tilda's Name, Phone,
// Email, Comments; plain HTML's name, tel, message).
var defaultFields = FieldMap{
	Name:    []string{"name", "fio", "full_name", "fullname", "your-name"},
	Phone:   []string{"phone", "tel", "telephone", "phone_number", "mobile", "your-phone"},
	Email:   []string{"email", "e-mail", "mail", "your-email"},
	Comment: []string{"comment", "comments", "message", "text", "question", "your-message"},
}

// Defaults fills what the configuration leaves out.
func (c *Config) Defaults() {
	if c.MaxBody == 0 {
		c.MaxBody = 64 << 10
	}
	for name, f := range c.Forms {
		f.Fields.Name = orDefault(f.Fields.Name, defaultFields.Name)
		f.Fields.Phone = orDefault(f.Fields.Phone, defaultFields.Phone)
		f.Fields.Email = orDefault(f.Fields.Email, defaultFields.Email)
		f.Fields.Comment = orDefault(f.Fields.Comment, defaultFields.Comment)
		c.Forms[name] = f
	}
}

func orDefault(have, def []string) []string {
	if len(have) == 0 {
		return def
	}
	return have
}

// Validate returns every problem, each naming its key under prefix.
func (c *Config) Validate(prefix string) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	if c.MaxBody < 1024 {
		bad("max_body", "must be at least 1024 bytes, not %d", c.MaxBody)
	}
	if c.RateLimit < 0 {
		bad("rate_limit", "must not be negative")
	}
	c.trusted = c.trusted[:0]
	for i, n := range c.Trusted {
		p, err := clientip.ParseNetworks([]string{n})
		if err != nil {
			bad(fmt.Sprintf("trusted_networks[%d]", i), "not a network: %q", n)
			continue
		}
		c.trusted = append(c.trusted, p...)
	}
	c.strictest = c.RateLimit
	for _, f := range c.Forms {
		if f.RateLimit > 0 && (c.strictest <= 0 || f.RateLimit < c.strictest) {
			c.strictest = f.RateLimit
		}
	}
	for name, f := range c.Forms {
		key := "forms." + name
		if name == "" || strings.ContainsAny(name, "/?#% ") {
			bad(key, "a form name must be a plain URL segment")
		}
		if f.ThankYouURL != "" {
			if u, err := url.Parse(f.ThankYouURL); err != nil || (u.Scheme != "http" && u.Scheme != "https" && !strings.HasPrefix(f.ThankYouURL, "/")) {
				bad(key+".thank_you_url", "must be an http(s) URL or a path, not %q", f.ThankYouURL)
			}
		}
		if f.ErrorURL != "" {
			if u, err := url.Parse(f.ErrorURL); err != nil || (u.Scheme != "http" && u.Scheme != "https" && !strings.HasPrefix(f.ErrorURL, "/")) {
				bad(key+".error_url", "must be an http(s) URL or a path, not %q", f.ErrorURL)
			}
		}
		for i, o := range f.AllowedOrigins {
			if u, err := url.Parse(o); o != "*" && (err != nil || u.Scheme == "" || u.Host == "" || u.Path != "") {
				bad(fmt.Sprintf("%s.allowed_origins[%d]", key, i), "must be an origin like https://example.ru, not %q", o)
			}
		}
		if f.RateLimit < 0 {
			bad(key+".rate_limit", "must not be negative")
		}
	}
	return errs
}

func (c *Config) isTrusted(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	for _, p := range c.trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
