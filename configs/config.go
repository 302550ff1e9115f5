// Package configs holds Leadd's configuration: one struct read from a YAML
// file, then overridden from the environment, with defaults and a Validate
// whose errors name the key. The YAML files beside it are the demo
// configuration and samples.
package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/documents"
	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/ingest/forms"
	"github.com/leadd/leadd/ingest/mail"
	outmail "github.com/leadd/leadd/notify/mail"
	"github.com/leadd/leadd/notify/telegram"
	"github.com/leadd/leadd/payments/robokassa"
	"github.com/leadd/leadd/routing"
	"github.com/leadd/leadd/telephony"
	"github.com/leadd/leadd/web/clientip"
	"gopkg.in/yaml.v3"
)

// Config is the whole configuration.
type Config struct {
	HTTP struct {
		Addr string `yaml:"addr"`
		// ShutdownTimeout bounds how long in-flight requests may drain.
		ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
		// TrustedProxies are the networks (CIDR, or single addresses) of
		// the site's own reverse proxies. A request from one of them is
		// the client's at the right-most X-Forwarded-For address that is
		// not one of them (rate limits, logs), and its X-Forwarded-Proto
		// https makes the console's cookie Secure; from anyone else those
		// headers are ignored.
		TrustedProxies []string `yaml:"trusted_proxies"`
	} `yaml:"http"`
	Database struct {
		URL      string `yaml:"url"`
		MaxConns int32  `yaml:"max_conns"`
		// ReadURL, when set, is a replica the reports read from; default
		// the main database.
		ReadURL string `yaml:"read_url"`
	} `yaml:"database"`
	Redis struct {
		URL    string `yaml:"url"`
		Prefix string `yaml:"prefix"`
	} `yaml:"redis"`
	Log struct {
		Level  string `yaml:"level"`
		Format string `yaml:"format"` // json or text
	} `yaml:"log"`
	// PhoneRegion is where numbers written without a country code are
	// (ISO 3166: RU).
	PhoneRegion string `yaml:"phone_region"`
	FollowUp    struct {
		// SLA is how soon a new lead's first call is due, and how long it
		// may stay new before it moves on (a routing target may override).
		SLA time.Duration `yaml:"sla"`
		// Cadence is when to call again after no answer: "15m", "2h",
		// "next_day 10:00"; after the last, the lead is junk "unreachable".
		Cadence []string `yaml:"cadence"`
		// DigestHour is the local hour of each manager's morning digest.
		DigestHour int `yaml:"digest_hour"`
		// MissedCallGrace: a missed call's call-back is due at once and
		// counts as overdue after this (15m).
		MissedCallGrace time.Duration `yaml:"missed_call_grace"`
	} `yaml:"followup"`
	Routing routing.Config `yaml:"routing"`
	// Leads: the reasons a lead may be closed as junk (spam, duplicate
	// and unreachable must be among them). Reloaded on SIGHUP.
	Leads struct {
		JunkReasons []crm.Reason `yaml:"junk_reasons"`
	} `yaml:"leads"`
	// Fields are the custom fields of leads, deals, contacts and
	// companies (key, label, type, required; an enum's values). Reloaded
	// on SIGHUP.
	Fields crm.FieldDecls `yaml:"fields"`
	// Pipelines are the sales processes, reconciled into the database at
	// start (a stage's key is its identity: renaming keeps its deals).
	Pipelines []crm.Pipeline `yaml:"pipelines"`
	// VATRates are the VAT rates lines may use: a key and its percent
	// ("" for without VAT).
	VATRates crm.VATRates `yaml:"vat_rates"`
	// Documents are the quotes, invoices, contracts and acts made from a
	// deal's lines: our requisites, the templates and the numbering.
	Documents documents.Config `yaml:"documents"`
	// SMTP is the server documents are e-mailed through; off without a host.
	SMTP outmail.SMTPConfig `yaml:"smtp"`
	// Automation are the stage rules: on entering a stage, an activity or
	// a tunnel into another pipeline, each at most once per deal.
	Automation []crm.Rule `yaml:"automation"`
	Processor  struct {
		Workers int           `yaml:"workers"`
		Batch   int           `yaml:"batch"`
		Poll    time.Duration `yaml:"poll"`
		// Linger waits this long after a new event for more to arrive, so
		// a busy intake makes full batches (0: process at once).
		Linger time.Duration `yaml:"linger"`
		// BurstPause, when set, makes the processor that keeps landing
		// during an intake burst wait this long before each batch (the
		// others wait for the burst to pass): more of the machine for
		// intake, processing slowed but never stopped. Off by default: on
		// a busy machine a steady 1,000 posts/s can look like a burst,
		// and then processing falls behind (docs/benchmarks.md).
		BurstPause time.Duration `yaml:"burst_pause"`
		// MaxAttempts: an event that fails this many times is given up
		// as failed (GET /api/v1/inbox/failed, a metric, a notice).
		MaxAttempts int `yaml:"max_attempts"`
	} `yaml:"processor"`
	API struct {
		// Tokens seed a database that has never had a token; after that
		// tokens are made and revoked with /api/v1/tokens.
		Tokens []crm.Token `yaml:"tokens"`
	} `yaml:"api"`
	// Seed is created at start only on a database with no managers: the
	// managers, and with them a catalogue to try lines and documents on.
	Seed struct {
		Managers []crm.Manager      `yaml:"managers"`
		Products []crm.ProductInput `yaml:"products"`
	} `yaml:"seed"`
	Forms     forms.Config `yaml:"forms"`
	Telephony Telephony    `yaml:"telephony"`
	Mail      mail.Config  `yaml:"mail"`
	// Telegram is the managers' bot; off unless a token is given.
	Telegram struct {
		Token    string        `yaml:"token"`    // from @BotFather; or TELEGRAM_TOKEN / TELEGRAM_TOKEN_FILE
		Endpoint string        `yaml:"endpoint"` // "": https://api.telegram.org/bot%s/%s
		Updates  bool          `yaml:"updates"`  // poll for updates here (one replica only)
		Poll     time.Duration `yaml:"poll"`     // long-poll timeout
		PerChat  time.Duration `yaml:"per_chat"` // at most one message a chat this often
		Global   time.Duration `yaml:"global"`   // and one overall this often
		// Company: the bot also talks to clients (chats not linked to a
		// manager); or CompanyToken: a second bot for clients.
		Company      bool   `yaml:"company"`
		CompanyToken string `yaml:"company_token"` // or TELEGRAM_COMPANY_TOKEN / _FILE
		// WebhookSecret switches from long polling to webhooks: Telegram
		// posts to /hooks/telegram/managers (and /hooks/telegram/company)
		// with this secret in X-Telegram-Bot-Api-Secret-Token.
		WebhookSecret string `yaml:"webhook_secret"` // or TELEGRAM_WEBHOOK_SECRET / _FILE
		// Language is what both bots speak: ru (the default) or en.
		Language string `yaml:"language"`
	} `yaml:"telegram"`
	// Robokassa is the payment links for deals and their ResultURL; off
	// while merchant_login is empty.
	Robokassa robokassa.Config `yaml:"robokassa"`
	// Registry fills a company's requisites by INN (DaData's API); off
	// while url or token is empty.
	Registry documents.RegistryConfig `yaml:"registry"`
	// Webhooks are how outgoing webhooks are sent; admins subscribe the
	// endpoints through the API (/api/v1/webhooks).
	Webhooks struct {
		// AllowPrivate lets an endpoint be a private or loopback address
		// (10.0.0.0/8, 127.0.0.1, …). Off in production: a webhook must
		// not be a way into the daemon's own network.
		AllowPrivate bool `yaml:"allow_private"`
		// Timeout: a 2xx answer within it counts as delivered (15s).
		Timeout time.Duration `yaml:"timeout"`
		// DisableAfter: an endpoint failing this long is disabled and the
		// admins are told (72h, the length of the retry schedule).
		DisableAfter time.Duration `yaml:"disable_after"`
	} `yaml:"webhooks"`
	// Console is the browser console served under "/".
	Console Console `yaml:"console"`
	// Reports: the weekly summary to supervisors and the pipeline report.
	Reports struct {
		// ConsoleURL is the console's address, for the link in the weekly
		// summary ("https://crm.example.ru"); empty leaves it relative.
		ConsoleURL string `yaml:"console_url"`
		// WeeklyHour is the local hour on Monday the summary goes out (9).
		WeeklyHour int `yaml:"weekly_hour"`
		// StuckDays: an open deal with no activity this long is stuck (14).
		StuckDays int `yaml:"stuck_days"`
	} `yaml:"reports"`
}

// Console is the browser console's sign-in and display settings.
type Console struct {
	// SessionTTL is how long a session lives unused (sliding).
	SessionTTL time.Duration `yaml:"session_ttl"`
	// LoginLinkTTL is how long a manager's one-time login link works.
	LoginLinkTTL time.Duration `yaml:"login_link_ttl"`
	// PublicURL is the console's address as people reach it, for the
	// links the bot sends (/login); "" sends the path alone.
	PublicURL string `yaml:"public_url"`
	// TrustedProxies is the older place of http.trusted_proxies, still
	// read: its networks are trusted as if listed there.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// TimeZone shows times to viewers without one of their own.
	TimeZone string `yaml:"time_zone"`
}

// Telephony is the PBX connections; a provider is on when its section is
// given.
type Telephony struct {
	// PublicURL is how PBXs reach this daemon (behind a proxy, not the
	// listen address): signatures that cover the URL (Twilio) use it.
	PublicURL string `yaml:"public_url"`
	// Each webhook provider may list allowed_sources: the addresses and
	// networks (CIDR) its requests come from; others are refused with 403.
	// Behind a reverse proxy, http.trusted_proxies says whose
	// X-Forwarded-For to believe.
	Generic *struct {
		Secret         string   `yaml:"secret"`
		AllowedSources []string `yaml:"allowed_sources"`
	} `yaml:"generic"`
	Zadarma *struct {
		Key            string   `yaml:"key"` // with secret, fetches recordings through Zadarma's API
		Secret         string   `yaml:"secret"`
		TimeZone       string   `yaml:"time_zone"` // the account's: call_start comes without an offset
		AllowedSources []string `yaml:"allowed_sources"`
		API            string   `yaml:"api"` // Zadarma's API base; https://api.zadarma.com when empty
	} `yaml:"zadarma"`
	Mango *struct {
		APIKey         string   `yaml:"api_key"`
		APISalt        string   `yaml:"api_salt"`
		AllowedSources []string `yaml:"allowed_sources"`
	} `yaml:"mango"`
	Twilio *struct {
		AuthToken      string   `yaml:"auth_token"`
		AllowedSources []string `yaml:"allowed_sources"`
	} `yaml:"twilio"`
	Asterisk *struct {
		Addr     string   `yaml:"addr"` // host:5038
		Username string   `yaml:"username"`
		Secret   string   `yaml:"secret"`
		Lines    []string `yaml:"lines"` // the company's external numbers
	} `yaml:"asterisk"`
}

// AllowedSources are the allowed_sources of each configured webhook
// provider, by name.
func (t Telephony) AllowedSources() map[string][]string {
	out := map[string][]string{}
	if g := t.Generic; g != nil {
		out["generic"] = g.AllowedSources
	}
	if z := t.Zadarma; z != nil {
		out["zadarma"] = z.AllowedSources
	}
	if m := t.Mango; m != nil {
		out["mango"] = m.AllowedSources
	}
	if tw := t.Twilio; tw != nil {
		out["twilio"] = tw.AllowedSources
	}
	return out
}

// Default returns the configuration every file starts from.
func Default() Config {
	var c Config
	c.HTTP.Addr = ":8080"
	c.HTTP.ShutdownTimeout = 15 * time.Second
	c.Console.SessionTTL = 24 * time.Hour
	c.Console.LoginLinkTTL = 15 * time.Minute
	c.Console.TimeZone = "Europe/Moscow"
	c.Database.URL = "postgres://postgres@127.0.0.1:5432/leadd?sslmode=disable"
	c.Database.MaxConns = 16
	c.Redis.URL = "redis://127.0.0.1:6379/0"
	c.Redis.Prefix = "leadd:"
	c.Log.Level = "info"
	c.Log.Format = "json"
	c.PhoneRegion = "RU"
	c.FollowUp.SLA = 5 * time.Minute
	c.FollowUp.Cadence = crm.DefaultCadence
	c.FollowUp.DigestHour = 9
	c.FollowUp.MissedCallGrace = crm.DefaultMissedCallGrace
	c.Reports.WeeklyHour = 9
	c.Reports.StuckDays = 14
	c.Processor.Workers = 4
	c.Processor.Batch = 50
	c.Processor.Poll = 250 * time.Millisecond
	c.Processor.Linger = 40 * time.Millisecond
	c.Processor.MaxAttempts = 10
	c.Telegram.Updates = true
	c.Telegram.Language = "ru"
	c.Webhooks.Timeout = 15 * time.Second
	c.Webhooks.DisableAfter = 72 * time.Hour
	return c
}

// Load reads the file at path over the defaults, applies the environment
// (DATABASE_URL, REDIS_URL, LEADD_HTTP_ADDR, each also as *_FILE naming a
// file that holds the value) and fills derived defaults. It does not
// validate: call Validate.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Default(), fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(b, filepath.Dir(path))
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	for env, dst := range map[string]*string{
		"DATABASE_URL":            &c.Database.URL,
		"DATABASE_READ_URL":       &c.Database.ReadURL,
		"REDIS_URL":               &c.Redis.URL,
		"LEADD_HTTP_ADDR":         &c.HTTP.Addr,
		"TELEGRAM_TOKEN":          &c.Telegram.Token,
		"TELEGRAM_COMPANY_TOKEN":  &c.Telegram.CompanyToken,
		"TELEGRAM_WEBHOOK_SECRET": &c.Telegram.WebhookSecret,
		"ROBOKASSA_PASSWORD1":     &c.Robokassa.Password1,
		"ROBOKASSA_PASSWORD2":     &c.Robokassa.Password2,
		"DADATA_TOKEN":            &c.Registry.Token,
	} {
		v, err := fromEnv(env)
		if err != nil {
			return c, err
		}
		if v != "" {
			*dst = v
		}
	}
	return c, nil
}

// Parse reads a configuration file's text over the defaults and fills
// derived defaults; relative template paths are taken from dir. It reads
// no environment and does not validate: call Validate. Errors: YAML that
// does not parse, or a key that is not a setting.
func Parse(b []byte, dir string) (Config, error) {
	c := Default()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, err
	}
	// Template files named in the file are found beside it, wherever
	// the daemon is started from.
	if t := c.Documents.Templates; t != "" && !filepath.IsAbs(t) {
		c.Documents.Templates = filepath.Join(dir, t)
	}
	c.Forms.Defaults()
	if c.Forms.Company == "" {
		// The pages a visitor sees after a post name the company as its
		// documents do.
		c.Forms.Company = c.Documents.Seller.Name
	}
	c.Mail.Defaults()
	c.Robokassa.Defaults()
	c.Registry.Defaults()
	if c.VATRates == nil {
		c.VATRates = crm.DefaultVATRates
	}
	c.Documents.Defaults()
	c.SMTP.Defaults()
	if c.Pipelines == nil {
		c.Pipelines = DefaultPipelines()
	}
	if c.Leads.JunkReasons == nil {
		c.Leads.JunkReasons = slices.Clone(crm.DefaultJunkReasons)
	}
	if c.Routing.Pools == nil && c.Routing.Rules == nil && c.Routing.Default == (routing.Target{}) {
		c.Routing = DefaultRouting()
	}
	return c, nil
}

// DefaultPipelines is one sales pipeline, for a configuration that names
// none.
func DefaultPipelines() []crm.Pipeline {
	return []crm.Pipeline{{Key: "sales", Name: "Sales", Default: true, Stages: []crm.Stage{
		{Key: "new", Name: "New"}, {Key: "won", Name: "Won", Semantic: crm.StageWon}, {Key: "lost", Name: "Lost", Semantic: crm.StageLost}}}}
}

// DefaultRouting sends every lead to one pool of every active manager, a
// returning customer's manager first, round-robin otherwise, and to the
// queue when nobody can take it; a lead not taken moves on twice.
func DefaultRouting() routing.Config {
	return routing.Config{
		Pools:   map[string]routing.Pool{"sales": {Strategy: routing.OwnerFirst, Then: routing.RoundRobin}},
		Default: routing.Target{Pool: "sales", Fallback: &routing.Target{Queue: true}},
		MaxHops: 2,
	}
}

// fromEnv reads NAME, or the file named by NAME_FILE.
func fromEnv(name string) (string, error) {
	if v := os.Getenv(name); v != "" {
		return v, nil
	}
	path := os.Getenv(name + "_FILE")
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Validate returns every problem in the configuration, each naming its key
// path ("forms.forms.contact.thank_you_url: ...").
// Deprecated names the settings an older file may still have that no
// longer do anything, and what does their job now; check-config and serve
// print them as warnings.
func (c *Config) Deprecated() []string {
	var out []string
	if c.Robokassa.PaymentObject != "" {
		out = append(out, "robokassa.payment_object is no longer used: each receipt line's payment_object is its product's type (commodity or service); remove the setting")
	}
	return out
}

func (c *Config) Validate() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.HTTP.Addr == "" {
		bad("http.addr", "is required")
	}
	if c.Console.SessionTTL < time.Minute {
		bad("console.session_ttl", "must be at least 1m")
	}
	if c.Console.LoginLinkTTL < time.Minute || c.Console.LoginLinkTTL > 24*time.Hour {
		bad("console.login_link_ttl", "must be between 1m and 24h")
	}
	if _, err := time.LoadLocation(c.Console.TimeZone); err != nil || c.Console.TimeZone == "" {
		bad("console.time_zone", "unknown time zone %q", c.Console.TimeZone)
	}
	if _, err := clientip.ParseNetworks(c.HTTP.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("http.trusted_proxies%w", err))
	}
	if _, err := clientip.ParseNetworks(c.Console.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("console.trusted_proxies%w", err))
	}
	if u := c.Console.PublicURL; u != "" {
		if pu, err := url.Parse(u); err != nil || pu.Scheme == "" || pu.Host == "" {
			bad("console.public_url", "must be an absolute URL like https://crm.example.ru, not %q", u)
		}
	}
	if c.Database.URL == "" {
		bad("database.url", "is required (or DATABASE_URL)")
	}
	if c.Database.MaxConns < 2 {
		bad("database.max_conns", "must be at least 2")
	}
	if c.Redis.URL == "" {
		bad("redis.url", "is required (or REDIS_URL)")
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.Log.Level)); err != nil {
		bad("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	if c.Log.Format != "json" && c.Log.Format != "text" {
		bad("log.format", "must be json or text, not %q", c.Log.Format)
	}
	if len(c.PhoneRegion) != 2 || strings.ToUpper(c.PhoneRegion) != c.PhoneRegion {
		bad("phone_region", "must be a two-letter country code like RU, not %q", c.PhoneRegion)
	}
	if c.FollowUp.MissedCallGrace < 0 {
		bad("followup.missed_call_grace", "must not be negative")
	}
	if c.FollowUp.SLA <= 0 {
		bad("followup.sla", "must be a positive duration like 5m")
	}
	if _, err := crm.ParseCadence(c.FollowUp.Cadence); err != nil {
		var e *crm.Error
		errors.As(err, &e)
		bad("followup.cadence"+e.Field, "%s", e.Message)
	}
	if c.FollowUp.DigestHour < 0 || c.FollowUp.DigestHour > 23 {
		bad("followup.digest_hour", "must be an hour, 0 to 23")
	}
	if c.Reports.WeeklyHour < 0 || c.Reports.WeeklyHour > 23 {
		bad("reports.weekly_hour", "must be an hour, 0 to 23")
	}
	if c.Reports.StuckDays < 1 {
		bad("reports.stuck_days", "must be at least 1")
	}
	errs = append(errs, c.Routing.Validate("routing")...)
	errs = append(errs, crm.ValidatePipelines("pipelines", c.Pipelines)...)
	errs = append(errs, crm.ValidateReasons("leads.junk_reasons", c.Leads.JunkReasons)...)
	errs = append(errs, c.Fields.Validate("fields")...)
	for _, name := range slices.Sorted(maps.Keys(c.Forms.Forms)) {
		for _, k := range slices.Sorted(maps.Keys(c.Forms.Forms[name].Fields.Custom)) {
			if _, ok := c.Fields.Def(crm.FieldsLead, k); !ok {
				bad(fmt.Sprintf("forms.forms.%s.fields.custom.%s", name, k), "is no lead field declared in fields.lead")
			}
		}
	}
	errs = append(errs, c.VATRates.Validate("vat_rates")...)
	errs = append(errs, c.Documents.Validate("documents")...)
	errs = append(errs, c.SMTP.Validate("smtp")...)
	if t := c.Webhooks.Timeout; t < time.Second || t > time.Minute {
		bad("webhooks.timeout", "must be between 1s and 1m, not %s", t)
	}
	if c.Webhooks.DisableAfter < time.Hour {
		bad("webhooks.disable_after", "must be at least 1h, not %s", c.Webhooks.DisableAfter)
	}
	errs = append(errs, crm.ValidateRules("automation", c.Automation, c.Pipelines)...)
	if c.Processor.Workers < 1 {
		bad("processor.workers", "must be at least 1")
	} else if need := int32(c.Processor.Workers) + 4; c.Database.MaxConns < need {
		// Each processor holds a connection for its batch and may ask for
		// another (routing's directory), and intake writes on two: a pool
		// that the processors fill stalls them until their batch times out.
		bad("database.max_conns", "must be at least processor.workers + 4 (%d), not %d", need, c.Database.MaxConns)
	}
	if c.Processor.MaxAttempts < 1 || c.Processor.MaxAttempts > 100 {
		bad("processor.max_attempts", "must be between 1 and 100")
	}
	if c.Processor.Batch < 1 || c.Processor.Batch > 500 {
		bad("processor.batch", "must be between 1 and 500")
	}
	if c.Processor.Poll <= 0 {
		bad("processor.poll", "must be a positive duration")
	}
	if c.Processor.Linger < 0 || c.Processor.Linger > time.Second {
		bad("processor.linger", "must be between 0 and 1s")
	}
	if c.Processor.BurstPause < 0 || c.Processor.BurstPause > time.Second {
		bad("processor.burst_pause", "must be between 0 and 1s")
	}
	errs = append(errs, crm.ValidateTokens("api.tokens", c.API.Tokens)...)
	for i := range c.Seed.Managers {
		if err := c.Seed.Managers[i].Validate(); err != nil {
			var e *crm.Error
			if errors.As(err, &e) {
				bad(fmt.Sprintf("seed.managers[%d].%s", i, e.Field), "%s", e.Message)
			}
		}
	}
	errs = append(errs, c.Forms.Validate("forms")...)
	errs = append(errs, c.Mail.Validate("mail")...)
	errs = append(errs, c.Robokassa.Validate("robokassa", c.Pipelines, c.VATRates)...)
	errs = append(errs, c.Registry.Validate("registry")...)
	if (c.Telegram.Company || c.Telegram.CompanyToken != "") && c.Telegram.Token == "" {
		bad("telegram.company_token", "needs telegram.token: managers answer clients through the managers' bot")
	}
	if ws := c.Telegram.WebhookSecret; ws != "" && (len(ws) < 16 || strings.Trim(ws, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "") {
		bad("telegram.webhook_secret", "must be 16 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
	}
	if _, ok := telegram.TextsFor(c.Telegram.Language); !ok {
		bad("telegram.language", "must be one of %s, not %q", strings.Join(telegram.Languages, ", "), c.Telegram.Language)
	}
	if e := c.Telegram.Endpoint; e != "" && strings.Count(e, "%s") != 2 {
		bad("telegram.endpoint", "needs two %%s (token, method), like https://api.telegram.org/bot%%s/%%s")
	}
	t := c.Telephony
	if g := t.Generic; g != nil && len(g.Secret) < 12 {
		bad("telephony.generic.secret", "must be at least 12 characters")
	}
	if z := t.Zadarma; z != nil {
		if z.Secret == "" {
			bad("telephony.zadarma.secret", "is required: it signs every notification")
		}
		if _, err := time.LoadLocation(z.TimeZone); z.TimeZone != "" && err != nil {
			bad("telephony.zadarma.time_zone", "unknown time zone %q", z.TimeZone)
		}
	}
	sources := t.AllowedSources()
	for _, name := range slices.Sorted(maps.Keys(sources)) {
		for i, src := range sources[name] {
			if _, err := telephony.ParseSources([]string{src}); err != nil {
				bad(fmt.Sprintf("telephony.%s.allowed_sources[%d]", name, i), "must be an address or a network like 185.45.152.0/24, not %q", src)
			}
		}
	}
	if z := t.Zadarma; z != nil && z.API != "" {
		if u, err := url.Parse(z.API); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("telephony.zadarma.api", "must be a URL like https://api.zadarma.com, not %q", z.API)
		}
	}
	if m := t.Mango; m != nil && (m.APIKey == "" || m.APISalt == "") {
		bad("telephony.mango", "api_key and api_salt are both required")
	}
	if tw := t.Twilio; tw != nil {
		if tw.AuthToken == "" {
			bad("telephony.twilio.auth_token", "is required: it signs every callback")
		}
		if u, err := url.Parse(t.PublicURL); err != nil || u.Scheme == "" || u.Host == "" {
			bad("telephony.public_url", "Twilio signs the URL it calls: give the public base URL, like https://crm.example.ru")
		}
	}
	if a := t.Asterisk; a != nil && (a.Addr == "" || a.Username == "") {
		bad("telephony.asterisk", "addr and username are required")
	}
	return errs
}

// TrustedProxies are http.trusted_proxies and console.trusted_proxies
// together (Validate has checked them).
func (c *Config) TrustedProxies() []netip.Prefix {
	p, _ := clientip.ParseNetworks(append(slices.Clone(c.HTTP.TrustedProxies), c.Console.TrustedProxies...))
	return p
}

// LogLevel is the configured level (info if unreadable).
func (c *Config) LogLevel() slog.Level {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.Log.Level))
	return lvl
}

// FieldSet is the custom fields in force, phone fields read in the
// configured region.
func (c *Config) FieldSet() crm.FieldSet {
	return crm.FieldSet{Decls: c.Fields, Phones: dedupe.Normalizer{Region: c.PhoneRegion}}
}

// Cadence is the parsed follow-up cadence (Validate has checked it).
func (c *Config) Cadence() crm.Cadence {
	cad, _ := crm.ParseCadence(c.FollowUp.Cadence)
	return cad
}

// ConsoleLocation is the company's time zone (console.time_zone), UTC
// when it cannot be loaded (Validate says so).
func (c *Config) ConsoleLocation() *time.Location {
	loc, err := time.LoadLocation(c.Console.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
