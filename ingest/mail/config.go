package mail

import (
	"fmt"
	"os"
	"strings"
	"time"
	"unicode"
)

// Config is the mail section of the configuration: the mailboxes Leadd
// reads, each on its own connection.
type Config struct {
	Mailboxes []Mailbox `yaml:"mailboxes"`
	// InternalDomains are the company's own mail domains ("example.ru",
	// subdomains included). A letter from them, from a manager's own
	// address or from the mailbox itself is the company writing: it opens
	// no lead. A client's letter forwarded from them lands as the
	// client's touch.
	InternalDomains []string `yaml:"internal_domains"`
}

// Mailbox declares one IMAP mailbox whose letters are inbound touches.
type Mailbox struct {
	// Name is the mailbox's name in sources ("mail:<name>"), logs and
	// metrics.
	Name string `yaml:"name"`
	Host string `yaml:"host"`
	// Port defaults to 993 with tls, 143 with starttls or none.
	Port int `yaml:"port"`
	// TLS is tls (implicit, the default), starttls or none (only for a
	// server on the same host or a private network).
	TLS      string `yaml:"tls"`
	Username string `yaml:"username"`
	// The password is given in exactly one way: in the file (password),
	// in an environment variable (password_env) or in a file of its own
	// (password_file, re-read at every connection so it may be rotated).
	Password     string `yaml:"password"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
	// Folder is read for new letters (INBOX).
	Folder string `yaml:"folder"`
	// OnProcessed is what happens to a letter once it is in the inbox:
	// seen (flag it \Seen, the default) or move (to MoveTo, created when
	// missing).
	OnProcessed string `yaml:"on_processed"`
	MoveTo      string `yaml:"move_to"`
	// FormNotifications: this mailbox receives a website builder's form
	// notifications. A letter from FormSenders (or, when none are listed,
	// from any no-reply address) is read as a form: the person is taken
	// from its labelled lines ("Имя: …", "Телефон: …") and its Reply-To.
	FormNotifications bool `yaml:"form_notifications"`
	// FormSenders are addresses ("no-reply@tilda.ws") or domains
	// ("@tilda.ws") that send form notifications.
	FormSenders []string `yaml:"form_senders"`
	// Fields overrides the labels of a form notification's lines.
	Fields Labels `yaml:"fields"`
	// MaxAttachment is the largest attachment whose content is kept, in
	// bytes (1 MiB; -1 keeps none); a larger one is recorded by name, type
	// and size only: a cut file is of no use. One letter keeps at most
	// 16 MiB of content in all.
	MaxAttachment int64 `yaml:"max_attachment"`
	// Poll is how often the folder is checked on a server without IDLE
	// (30s). With IDLE new letters arrive within seconds.
	Poll time.Duration `yaml:"poll"`
	// InternalDomains is mail.internal_domains, given to every mailbox.
	InternalDomains []string `yaml:"-"`
}

// Labels are the labels (matched case-insensitively, without a trailing
// colon) of the lines of a form notification that carry the person.
type Labels struct {
	Name  []string `yaml:"name"`
	Phone []string `yaml:"phone"`
	Email []string `yaml:"email"`
}

// TLS modes.
const (
	TLSImplicit = "tls"
	TLSStart    = "starttls"
	TLSNone     = "none"
)

// What happens to a processed letter.
const (
	ProcessedSeen = "seen"
	ProcessedMove = "move"
)

// defaultLabels cover English and Russian form builders (Tilda, Wix,
// WordPress Contact Form 7, Bitrix site forms).
var defaultLabels = Labels{
	Name:  []string{"name", "имя", "фио", "your name", "ваше имя", "контактное лицо", "full name"},
	Phone: []string{"phone", "телефон", "tel", "тел", "тел.", "phone number", "номер телефона", "ваш телефон", "mobile", "мобильный"},
	Email: []string{"e-mail", "email", "почта", "эл. почта", "электронная почта", "ваш e-mail", "ваш email", "e-mail address"},
}

// Defaults fills what the configuration leaves out.
func (c *Config) Defaults() {
	for i, d := range c.InternalDomains {
		c.InternalDomains[i] = normDomain(d)
	}
	for i := range c.Mailboxes {
		c.Mailboxes[i].Defaults()
		c.Mailboxes[i].InternalDomains = c.InternalDomains
	}
}

// normDomain is a domain as compared: lower-case, without a leading @ or
// a trailing dot.
func normDomain(d string) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d)), "@"), ".")
}

// validDomain reports whether d (normalized) reads as a mail domain:
// labels of letters, digits and hyphens, at least two of them.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(d) > 253 || len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	return true
}

// Defaults fills what the mailbox's declaration leaves out.
func (m *Mailbox) Defaults() {
	if m.TLS == "" {
		m.TLS = TLSImplicit
	}
	if m.Port == 0 {
		m.Port = 143
		if m.TLS == TLSImplicit {
			m.Port = 993
		}
	}
	if m.Folder == "" {
		m.Folder = "INBOX"
	}
	if m.OnProcessed == "" {
		m.OnProcessed = ProcessedSeen
	}
	if m.MaxAttachment == 0 {
		m.MaxAttachment = 1 << 20
	}
	if m.Poll == 0 {
		m.Poll = 30 * time.Second
	}
	m.Fields.Name = orDefault(m.Fields.Name, defaultLabels.Name)
	m.Fields.Phone = orDefault(m.Fields.Phone, defaultLabels.Phone)
	m.Fields.Email = orDefault(m.Fields.Email, defaultLabels.Email)
}

func orDefault(have, def []string) []string {
	if len(have) == 0 {
		return def
	}
	return have
}

// Validate returns every problem of the section, each naming its key under
// prefix ("mail.mailboxes[1].host: is required").
func (c *Config) Validate(prefix string) []error {
	var errs []error
	for i, d := range c.InternalDomains {
		if !validDomain(normDomain(d)) {
			errs = append(errs, fmt.Errorf("%s.internal_domains[%d]: must be a mail domain like example.ru, not %q", prefix, i, d))
		}
	}
	seen := map[string]int{}
	for i := range c.Mailboxes {
		key := fmt.Sprintf("%s.mailboxes[%d]", prefix, i)
		errs = append(errs, c.Mailboxes[i].Validate(key)...)
		if name := c.Mailboxes[i].Name; name != "" {
			if j, dup := seen[name]; dup {
				errs = append(errs, fmt.Errorf("%s.name: %q is already the name of mailboxes[%d]", key, name, j))
			}
			seen[name] = i
		}
	}
	return errs
}

// Validate returns every problem of one mailbox, each naming its key under
// prefix ("mail.mailboxes[1]"). Call Defaults first.
func (m *Mailbox) Validate(prefix string) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	switch {
	case m.Name == "":
		bad("name", "is required")
	case strings.ContainsAny(m.Name, " /:\t\r\n"):
		bad("name", "must be a plain word like sales, not %q", m.Name)
	}
	if m.Host == "" {
		bad("host", "is required")
	}
	if m.Port < 1 || m.Port > 65535 {
		bad("port", "must be 1-65535, not %d", m.Port)
	}
	if m.TLS != TLSImplicit && m.TLS != TLSStart && m.TLS != TLSNone {
		bad("tls", "must be tls, starttls or none, not %q", m.TLS)
	}
	if m.Username == "" {
		bad("username", "is required")
	}
	given := 0
	for _, s := range []string{m.Password, m.PasswordEnv, m.PasswordFile} {
		if s != "" {
			given++
		}
	}
	switch {
	case given == 0:
		bad("password", "is required (or password_env, or password_file)")
	case given > 1:
		bad("password", "give one of password, password_env and password_file")
	case m.PasswordEnv != "" && os.Getenv(m.PasswordEnv) == "":
		bad("password_env", "the environment variable %s is empty", m.PasswordEnv)
	case m.PasswordFile != "":
		if _, err := os.ReadFile(m.PasswordFile); err != nil {
			bad("password_file", "cannot read it: %v", err)
		}
	}
	if m.Folder == "" {
		bad("folder", "is required")
	}
	switch m.OnProcessed {
	case ProcessedSeen:
		if m.MoveTo != "" {
			bad("move_to", "is only used with on_processed: move")
		}
	case ProcessedMove:
		if m.MoveTo == "" {
			bad("move_to", "is required with on_processed: move")
		} else if strings.EqualFold(m.MoveTo, m.Folder) {
			bad("move_to", "must differ from folder %q", m.Folder)
		}
	default:
		bad("on_processed", "must be seen or move, not %q", m.OnProcessed)
	}
	for i, s := range m.FormSenders {
		if !strings.Contains(s, "@") || strings.ContainsAny(s, " <>") {
			bad(fmt.Sprintf("form_senders[%d]", i), "must be an address (no-reply@tilda.ws) or a domain (@tilda.ws), not %q", s)
		}
	}
	if len(m.FormSenders) > 0 && !m.FormNotifications {
		bad("form_senders", "is only used with form_notifications: true")
	}
	if m.MaxAttachment < -1 {
		bad("max_attachment", "must be a size in bytes, or -1 to keep no content, not %d", m.MaxAttachment)
	}
	if m.Poll < time.Second {
		bad("poll", "must be at least 1s, not %s", m.Poll)
	}
	return errs
}

// secret reads the password where the declaration says it is.
func (m *Mailbox) secret() (string, error) {
	switch {
	case m.PasswordEnv != "":
		if v := os.Getenv(m.PasswordEnv); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("password: the environment variable %s is empty", m.PasswordEnv)
	case m.PasswordFile != "":
		b, err := os.ReadFile(m.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("password_file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return m.Password, nil
}

func (m *Mailbox) addr() string {
	return fmt.Sprintf("%s:%d", m.Host, m.Port)
}
