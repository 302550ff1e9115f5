package mail

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestDefaultsAreWhatAUserExpects(t *testing.T) {
	c := Config{Mailboxes: []Mailbox{{Name: "sales", Host: "imap.example.com", Username: "sales@example.com", Password: "x"}}}
	c.Defaults()
	mb := c.Mailboxes[0]
	if mb.TLS != TLSImplicit || mb.Port != 993 || mb.Folder != "INBOX" || mb.OnProcessed != ProcessedSeen ||
		mb.MaxAttachment != 1<<20 || mb.Poll != 30*time.Second || len(mb.Fields.Phone) == 0 {
		t.Errorf("defaults: %+v", mb)
	}
	if errs := c.Validate("mail"); len(errs) != 0 {
		t.Errorf("valid configuration refused: %v", errs)
	}
	starttls := Mailbox{TLS: TLSStart}
	starttls.Defaults()
	if starttls.Port != 143 {
		t.Errorf("starttls port %d, want 143", starttls.Port)
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	t.Setenv("LEADD_TEST_EMPTY", "")
	good := func() Mailbox {
		return Mailbox{Name: "sales", Host: "imap.example.com", Username: "sales", Password: "x"}
	}
	for _, tc := range []struct {
		name   string
		change func(*Mailbox)
		want   string
	}{
		{"no host", func(m *Mailbox) { m.Host = "" }, "mail.mailboxes[1].host: is required"},
		{"no name", func(m *Mailbox) { m.Name = "" }, "mail.mailboxes[1].name: is required"},
		{"a name with a space", func(m *Mailbox) { m.Name = "sales dept" }, "mail.mailboxes[1].name: must be a plain word"},
		{"bad port", func(m *Mailbox) { m.Port = 70000 }, "mail.mailboxes[1].port: must be 1-65535"},
		{"bad tls", func(m *Mailbox) { m.TLS = "ssl" }, `mail.mailboxes[1].tls: must be tls, starttls or none, not "ssl"`},
		{"no username", func(m *Mailbox) { m.Username = "" }, "mail.mailboxes[1].username: is required"},
		{"no password", func(m *Mailbox) { m.Password = "" }, "mail.mailboxes[1].password: is required (or password_env, or password_file)"},
		{"two passwords", func(m *Mailbox) { m.PasswordEnv = "X" }, "mail.mailboxes[1].password: give one of"},
		{"an empty env var", func(m *Mailbox) { m.Password, m.PasswordEnv = "", "LEADD_TEST_EMPTY" }, "mail.mailboxes[1].password_env: the environment variable LEADD_TEST_EMPTY is empty"},
		{"a missing file", func(m *Mailbox) { m.Password, m.PasswordFile = "", "/nonexistent/secret" }, "mail.mailboxes[1].password_file: cannot read it"},
		{"bad on_processed", func(m *Mailbox) { m.OnProcessed = "delete" }, `mail.mailboxes[1].on_processed: must be seen or move, not "delete"`},
		{"move without move_to", func(m *Mailbox) { m.OnProcessed = ProcessedMove }, "mail.mailboxes[1].move_to: is required with on_processed: move"},
		{"move to the folder itself", func(m *Mailbox) { m.OnProcessed, m.MoveTo = ProcessedMove, "inbox" }, "mail.mailboxes[1].move_to: must differ"},
		{"move_to without move", func(m *Mailbox) { m.MoveTo = "Done" }, "mail.mailboxes[1].move_to: is only used with on_processed: move"},
		{"a bad form sender", func(m *Mailbox) { m.FormNotifications, m.FormSenders = true, []string{"tilda"} }, "mail.mailboxes[1].form_senders[0]: must be an address"},
		{"form senders without forms", func(m *Mailbox) { m.FormSenders = []string{"@tilda.ws"} }, "mail.mailboxes[1].form_senders: is only used with form_notifications: true"},
		{"a short poll", func(m *Mailbox) { m.Poll = time.Millisecond }, "mail.mailboxes[1].poll: must be at least 1s"},
		{"a bad attachment limit", func(m *Mailbox) { m.MaxAttachment = -5 }, "mail.mailboxes[1].max_attachment: must be a size in bytes, or -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := good()
			tc.change(&bad)
			c := Config{Mailboxes: []Mailbox{good(), bad}}
			c.Mailboxes[0].Name = "first"
			c.Defaults()
			errs := c.Validate("mail")
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want) {
				t.Errorf("errors %v, want one starting %q", errs, tc.want)
			}
		})
	}
}

func TestTwoMailboxesMayNotShareAName(t *testing.T) {
	c := Config{Mailboxes: []Mailbox{
		{Name: "sales", Host: "a", Username: "u", Password: "p"},
		{Name: "sales", Host: "b", Username: "u", Password: "p"},
	}}
	c.Defaults()
	errs := c.Validate("mail")
	if len(errs) != 1 || errs[0].Error() != `mail.mailboxes[1].name: "sales" is already the name of mailboxes[0]` {
		t.Errorf("errors %v", errs)
	}
}

func TestThePasswordComesFromWhereItIsDeclared(t *testing.T) {
	t.Setenv("LEADD_TEST_MAIL_PASSWORD", "from-env")
	file := t.TempDir() + "/secret"
	if err := writeFile(file, "from-file\n"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mb   Mailbox
		want string
	}{
		{Mailbox{Password: "inline"}, "inline"},
		{Mailbox{PasswordEnv: "LEADD_TEST_MAIL_PASSWORD"}, "from-env"},
		{Mailbox{PasswordFile: file}, "from-file"},
	} {
		if got, err := tc.mb.secret(); err != nil || got != tc.want {
			t.Errorf("secret() = %q, %v; want %q", got, err, tc.want)
		}
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }
