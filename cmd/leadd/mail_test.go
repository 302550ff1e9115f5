package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/ingest/mail"
)

// The whole daemon reading a real Dovecot: letters APPENDed over IMAP, as
// a mail server delivers them, are read by the daemon's mailbox client and
// land through the inbox and the processor; everything is checked through
// the API.

const (
	mailUser     = "sales"
	mailPassword = "s3cret"
)

// startMailApp starts a Dovecot with the sales user and the daemon reading
// that user's INBOX as the mailbox "sales".
func startMailApp(t *testing.T) (*testApp, *mailDovecot) {
	t.Helper()
	d := startMailDovecot(t)
	d.addUser(mailUser, mailPassword)
	ta := startApp(t, func(c *configs.Config) {
		c.Mail.Mailboxes = append(c.Mail.Mailboxes, mail.Mailbox{
			Name: "sales", Host: "127.0.0.1", Port: d.port, TLS: mail.TLSNone,
			Username: mailUser, Password: mailPassword,
		})
		// configs.Load filled the defaults before this mailbox was given;
		// Validate expects them.
		c.Mail.Defaults()
	})
	return ta, d
}

// readyMailboxes reads the mailboxes of /readyz.
func (ta *testApp) readyMailboxes() (int, []mail.Status) {
	ta.t.Helper()
	res := ta.do("GET", "/readyz", "", nil)
	var body struct {
		Mailboxes []mail.Status `json:"mailboxes"`
	}
	jsonInto(ta.t, res.Body, &body)
	return res.Status, body.Mailboxes
}

// waitMailboxConnected waits until /readyz shows the mailbox connected and
// read through.
func (ta *testApp) waitMailboxConnected(name string) mail.Status {
	ta.t.Helper()
	var st mail.Status
	waitFor(ta.t, "/readyz to show mailbox "+name+" connected", func() bool {
		status, boxes := ta.readyMailboxes()
		if status != 200 || len(boxes) != 1 {
			return false
		}
		st = boxes[0]
		return st.Mailbox == name && st.Connected && !st.LastSync.IsZero()
	})
	return st
}

func (ta *testApp) leadsByEmail(email string) []crm.Lead {
	ta.t.Helper()
	var list leadList
	if s := ta.api("GET", "/api/v1/leads?email="+url.QueryEscape(email), nil, &list); s != 200 {
		ta.t.Fatalf("list leads by email %s: %d", email, s)
	}
	return list.Items
}

// touchMail decodes the mail part of a touch's data.
func touchMail(t *testing.T, tc crm.Touch) map[string]any {
	t.Helper()
	var data struct {
		Mail map[string]any `json:"mail"`
	}
	if err := json.Unmarshal(tc.Data, &data); err != nil {
		t.Fatalf("touch %d data: %v: %s", tc.ID, err, tc.Data)
	}
	return data.Mail
}

const strangerLetter = "From: =?UTF-8?B?0J7Qu9GM0LPQsCDQmNCy0LDQvdC+0LLQsA==?= <olga@zavod.example.ru>\r\n" +
	"To: sales@example.com\r\n" +
	"Subject: =?UTF-8?B?0JfQsNC/0YDQvtGBINGG0LXQvdGLINC90LAg0YHRgtCw0L3QvtC6INCn0J/Qow==?=\r\n" +
	"Date: Mon, 20 Nov 2023 10:15:00 +0300\r\n" +
	"Message-ID: <first-7f3a@zavod.example.ru>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"Добрый день!\r\n" +
	"\r\n" +
	"Пришлите, пожалуйста, цену на станок ЧПУ с доставкой в Пермь.\r\n" +
	"Мой телефон: +7 912 555-01-02\r\n" +
	"\r\n" +
	"Ольга Иванова\r\n"

const replyLetter = "From: Olga <o.ivanova@gmail.example.com>\r\n" +
	"To: sales@example.com\r\n" +
	"Subject: =?UTF-8?B?UmU6INCX0LDQv9GA0L7RgSDRhtC10L3RiyDQvdCwINGB0YLQsNC90L7QuiDQp9Cf0KM=?=\r\n" +
	"Date: Mon, 20 Nov 2023 12:40:00 +0300\r\n" +
	"Message-ID: <reply-91c2@gmail.example.com>\r\n" +
	"In-Reply-To: <first-7f3a@zavod.example.ru>\r\n" +
	"References: <first-7f3a@zavod.example.ru>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"И ещё: нужен ли фундамент под станок?\r\n"

const autoReplyLetter = "From: =?UTF-8?B?0JDQu9C10LrRgdC10Lkg0JLQvtC70LrQvtCy?= <a.volkov@zavod.example.com>\r\n" +
	"To: sales@example.com\r\n" +
	"Subject: =?UTF-8?B?0JDQstGC0L7QvtGC0LLQtdGCOiDQsiDQvtGC0L/Rg9GB0LrQtQ==?=\r\n" +
	"Date: Mon, 20 Nov 2023 08:00:03 +0300\r\n" +
	"Message-ID: <autoreply-3f9a1c@zavod.example.com>\r\n" +
	"Auto-Submitted: auto-replied\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"Здравствуйте!\r\n" +
	"\r\n" +
	"Я в отпуске до 27 ноября, без доступа к почте.\r\n" +
	"По срочным вопросам: Пётр Сидоров, +7 495 765-43-21.\r\n"

func TestMailFromAStrangerBecomesALeadAndItsReplyJoinsIt(t *testing.T) {
	t.Parallel()
	ta, d := startMailApp(t)

	// (4) /readyz shows the mailbox, connected, and the daemon ready.
	st := ta.waitMailboxConnected("sales")
	if st.LastError != "" {
		t.Errorf("mailbox status %+v, want no error", st)
	}

	// (1) A letter in Russian from a stranger becomes an assigned lead
	// with a call due.
	before := time.Now()
	d.deliver(mailUser, mailPassword, "INBOX", []byte(strangerLetter))
	waitFor(t, "the letter to open a lead", func() bool {
		return len(ta.leadsByEmail("olga@zavod.example.ru")) > 0
	})
	ta.waitProcessed()
	leads := ta.leadsByEmail("olga@zavod.example.ru")
	if len(leads) != 1 {
		t.Fatalf("%d leads by the sender's address, want 1: %+v", len(leads), leads)
	}
	l := ta.lead(leads[0].ID)
	if l.Status != "new" || l.Channel != "mail" || l.Source != "sales" || l.Name != "Ольга Иванова" {
		t.Errorf("lead is %s/%s/%s named %q, want new/mail/sales named Ольга Иванова", l.Status, l.Channel, l.Source, l.Name)
	}
	if fmt.Sprint(l.Emails) != "[olga@zavod.example.ru]" || fmt.Sprint(l.Phones) != "[+79125550102]" {
		t.Errorf("emails %v, phones %v; want the sender's address and the phone in the letter", l.Emails, l.Phones)
	}
	if byPhone := ta.leadsByPhone("8 912 555 01 02"); len(byPhone) != 1 || byPhone[0].ID != l.ID {
		t.Errorf("leads by the letter's phone: %+v, want lead %d", byPhone, l.ID)
	}
	if len(l.Touches) != 1 {
		t.Fatalf("touches: %+v, want the letter", l.Touches)
	}
	tc := l.Touches[0]
	wantSubject := "Запрос цены на станок ЧПУ"
	if tc.Channel != "mail" || tc.Source != "sales" || !strings.HasPrefix(tc.Text, wantSubject+"\n\n") ||
		!strings.Contains(tc.Text, "цену на станок ЧПУ с доставкой в Пермь") {
		t.Errorf("touch %s/%s with text %q, want the subject, a blank line and the body", tc.Channel, tc.Source, tc.Text)
	}
	if !tc.At.Equal(time.Date(2023, 11, 20, 7, 15, 0, 0, time.UTC)) {
		t.Errorf("touch at %s, want the letter's date", tc.At)
	}
	if m := touchMail(t, tc); str(m["subject"]) != wantSubject || str(m["mailbox"]) != "sales" ||
		str(m["message_id"]) != "first-7f3a@zavod.example.ru" || !strings.Contains(str(m["from"]), "olga@zavod.example.ru") {
		t.Errorf("touch's mail data %v", m)
	}
	if l.ManagerID == nil || l.Assignment == nil || l.Assignment.ManagerID == nil || *l.Assignment.ManagerID != *l.ManagerID {
		t.Fatalf("not assigned: manager %v, assignment %+v", l.ManagerID, l.Assignment)
	}
	manager := *l.ManagerID
	if len(l.Activities) != 1 {
		t.Fatalf("activities %+v, want the call", l.Activities)
	}
	call := l.Activities[0]
	if call.Type != "call" || call.ManagerID != manager || call.DoneAt != nil || call.DueAt.Before(before) ||
		call.DueAt.After(time.Now().Add(24*time.Hour)) {
		t.Errorf("call %+v, want a planned call for manager %d, due within the SLA", call, manager)
	}

	// (2) A reply in the thread from another address joins the lead, and
	// its manager is asked to answer the letter.
	d.deliver(mailUser, mailPassword, "INBOX", []byte(replyLetter))
	waitFor(t, "the reply to land", func() bool {
		return ta.db.Count(t, `SELECT count(*) FROM touches WHERE message_id = 'reply-91c2@gmail.example.com'`) == 1
	})
	ta.waitProcessed()
	if n := ta.db.Count(t, `SELECT count(*) FROM leads`); n != 1 {
		t.Errorf("%d leads after the reply, want 1", n)
	}
	if other := ta.leadsByEmail("o.ivanova@gmail.example.com"); len(other) != 1 || other[0].ID != l.ID {
		t.Errorf("leads by the reply's address: %+v, want lead %d", other, l.ID)
	}
	l = ta.lead(l.ID)
	if len(l.Touches) != 2 {
		t.Fatalf("touches %+v, want the letter and the reply", l.Touches)
	}
	var reply *crm.Touch
	for i := range l.Touches {
		if str(touchMail(t, l.Touches[i])["message_id"]) == "reply-91c2@gmail.example.com" {
			reply = &l.Touches[i]
		}
	}
	if reply == nil || reply.Channel != "mail" || !strings.HasPrefix(reply.Text, "Re: "+wantSubject+"\n\n") ||
		!strings.Contains(reply.Text, "нужен ли фундамент") {
		t.Errorf("the reply's touch: %+v", reply)
	}
	if !slices.Contains(l.Emails, "o.ivanova@gmail.example.com") || !slices.Contains(l.Emails, "olga@zavod.example.ru") {
		t.Errorf("emails %v, want both addresses", l.Emails)
	}
	if l.ManagerID == nil || *l.ManagerID != manager || l.Status != "new" {
		t.Errorf("lead %s of manager %v after the reply, want still new with manager %d", l.Status, l.ManagerID, manager)
	}
	var answer []crm.Activity
	for _, a := range l.Activities {
		if a.Subject == "Answer the letter" {
			answer = append(answer, a)
		}
	}
	if len(answer) != 1 || answer[0].Type != "email" || answer[0].ManagerID != manager || answer[0].DoneAt != nil {
		t.Errorf("activities %+v, want one open email activity \"Answer the letter\" for manager %d", l.Activities, manager)
	}
	if len(l.Activities) != 2 {
		t.Errorf("activities %+v, want the call and the answer", l.Activities)
	}

	// Both letters are marked read once they are in.
	waitFor(t, "both letters flagged \\Seen", func() bool {
		flags := d.folder(mailUser, mailPassword, "INBOX")
		seen := 0
		for _, fl := range flags {
			if slices.Contains(fl, imap.FlagSeen) {
				seen++
			}
		}
		return len(flags) == 2 && seen == 2
	})
	if n := ta.db.Count(t, `SELECT count(*) FROM inbox WHERE source = 'mail:sales'`); n != 2 {
		t.Errorf("%d inbox events from the mailbox, want 2", n)
	}
}

func TestMailAutoReplyOpensNoLeadAndIsRecordedIgnored(t *testing.T) {
	t.Parallel()
	ta, d := startMailApp(t)
	ta.waitMailboxConnected("sales")

	d.deliver(mailUser, mailPassword, "INBOX", []byte(autoReplyLetter))
	waitFor(t, "the auto-reply to be recorded", func() bool {
		return ta.db.Count(t, `SELECT count(*) FROM touches WHERE message_id = 'autoreply-3f9a1c@zavod.example.com'`) == 1
	})
	ta.waitProcessed()

	if n := ta.db.Count(t, `SELECT count(*) FROM leads`); n != 0 {
		t.Errorf("%d leads after an auto-reply, want none", n)
	}
	if got := ta.leadsByEmail("a.volkov@zavod.example.com"); len(got) != 0 {
		t.Errorf("leads by the auto-reply's address: %+v", got)
	}
	if got := ta.leadsByPhone("+7 495 765-43-21"); len(got) != 0 {
		t.Errorf("leads by the phone in the auto-reply: %+v", got)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM activities`); n != 0 {
		t.Errorf("%d activities after an auto-reply, want none", n)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM touches WHERE kind = 'ignored' AND channel = 'mail' AND source = 'sales'
		AND lead_id IS NULL AND deal_id IS NULL AND data->>'ignored' ILIKE '%auto-replied%'
		AND data->'mail'->>'subject' = 'Автоответ: в отпуске'`); n != 1 {
		var kind, reason string
		_ = ta.db.Pool.QueryRow(t.Context(), `SELECT kind, coalesce(data->>'ignored', '') FROM touches`).Scan(&kind, &reason)
		t.Errorf("%d ignored touches of the auto-reply, want 1 (the touch: kind %q, ignored %q)", n, kind, reason)
	}
	waitFor(t, "the auto-reply flagged \\Seen", func() bool {
		for _, fl := range d.folder(mailUser, mailPassword, "INBOX") {
			return slices.Contains(fl, imap.FlagSeen)
		}
		return false
	})
	if _, boxes := ta.readyMailboxes(); len(boxes) != 1 || !boxes[0].Connected || boxes[0].LastError != "" {
		t.Errorf("/readyz mailboxes %+v, want sales connected without error", boxes)
	}
}

// A throwaway Dovecot, as in ingest/mail/dovecot_test.go (a test file of
// another package, so copied): its own config, runtime, state and
// maildirs in a temporary directory, IMAP without TLS on a free port of
// 127.0.0.1, users in a passwd-file.
type mailDovecot struct {
	t    *testing.T
	bin  string
	dir  string
	port int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// startMailDovecot starts one for the test and stops it when the test
// ends. Without Dovecot installed (apt-get install dovecot-imapd) the test
// is skipped, unless CI is set: there it must run.
func startMailDovecot(t *testing.T) *mailDovecot {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/dovecot"); serr == nil {
			bin, err = "/usr/sbin/dovecot", nil
		}
	}
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("dovecot is not installed (apt-get install dovecot-imapd); CI is not set, so skipping")
		}
		t.Fatal("dovecot is not installed (apt-get install dovecot-imapd) and CI is set")
	}
	// Not t.TempDir: Dovecot's unprivileged processes must be able to
	// walk to their sockets, and t.TempDir's parents are private.
	dir, err := os.MkdirTemp("", "leadd-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	d := &mailDovecot{t: t, bin: bin, dir: dir, port: port}
	d.writeConfig()
	d.start()
	t.Cleanup(d.stop)
	return d
}

// writeConfig writes a complete configuration (none of /etc/dovecot is
// read). As root, Dovecot's own unprivileged users run the login and
// internal processes and own the mail (it refuses mail for UID 0); as
// anyone else, everything runs as that user.
func (d *mailDovecot) writeConfig() {
	t := d.t
	internal, login := "", ""
	var uid, gid int
	if os.Geteuid() == 0 {
		internal, login = "dovecot", "dovenull"
		u, err := user.Lookup(internal)
		if err != nil {
			t.Fatalf("dovecot runs as root here and needs its user %q (made by the dovecot-core package): %v", internal, err)
		}
		if _, err := user.Lookup(login); err != nil {
			login = internal
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	} else {
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		internal, login = u.Username, u.Username
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	}
	group, err := user.LookupGroupId(strconv.Itoa(gid))
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"run", "state", "mail"} {
		if err := os.MkdirAll(filepath.Join(d.dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(d.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(d.dir, "mail"), uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.path("users"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`# A throwaway Dovecot for one test.
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = leadd-test-%[2]d
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
log_path = %[1]s/dovecot.log
default_internal_user = %[3]s
default_internal_group = %[4]s
default_login_user = %[5]s
first_valid_uid = %[6]d
first_valid_gid = %[7]d
mail_location = maildir:%[1]s/mail/%%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/users
}
userdb {
  driver = static
  args = uid=%[6]d gid=%[7]d home=%[1]s/mail/%%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]d
  }
  inet_listener imaps {
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
}
`, d.dir, d.port, internal, group.Name, login, uid, gid)
	if err := os.WriteFile(d.path("dovecot.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (d *mailDovecot) path(name string) string { return filepath.Join(d.dir, name) }

func (d *mailDovecot) addr() string { return fmt.Sprintf("127.0.0.1:%d", d.port) }

// addUser adds a mailbox user; Dovecot re-reads the file when it changes.
func (d *mailDovecot) addUser(name, password string) {
	f, err := os.OpenFile(d.path("users"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		d.t.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "%s:{PLAIN}%s\n", name, password); err != nil {
		d.t.Fatal(err)
	}
}

// start runs Dovecot in the foreground and waits until it greets.
func (d *mailDovecot) start() {
	t := d.t
	t.Helper()
	cmd := exec.Command(d.bin, "-F", "-c", d.path("dovecot.conf"))
	out, err := os.OpenFile(d.path("stdout.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group: what it forks goes when it is stopped.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("start dovecot: %v", err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		out.Close()
		close(done)
	}()
	d.mu.Lock()
	d.cmd, d.done = cmd, done
	d.mu.Unlock()
	deadline := time.Now().Add(15 * time.Second)
	for !d.greets() {
		select {
		case <-done:
			t.Fatalf("dovecot exited at start:\n%s", d.logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dovecot did not answer on %s:\n%s", d.addr(), d.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *mailDovecot) greets() bool {
	c, err := net.DialTimeout("tcp", d.addr(), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "* OK")
}

// stop kills Dovecot and everything it forked (its process group) and
// waits until its port is free.
func (d *mailDovecot) stop() {
	d.mu.Lock()
	cmd, done := d.cmd, d.done
	d.cmd = nil
	d.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", d.addr(), 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
	d.t.Errorf("dovecot still answers on %s after it was killed", d.addr())
}

func (d *mailDovecot) logs() string {
	a, _ := os.ReadFile(d.path("dovecot.log"))
	b, _ := os.ReadFile(d.path("stdout.log"))
	return string(a) + string(b)
}

// session logs in as a user, the way a mail program would.
func (d *mailDovecot) session(user, password string) *imapclient.Client {
	d.t.Helper()
	c, err := imapclient.DialInsecure(d.addr(), nil)
	if err != nil {
		d.t.Fatal(err)
	}
	if err := c.Login(user, password).Wait(); err != nil {
		c.Close()
		d.t.Fatalf("login as %s: %v", user, err)
	}
	return c
}

// deliver puts a new, unread letter into a user's folder by IMAP APPEND.
func (d *mailDovecot) deliver(user, password, folder string, raw []byte) {
	d.t.Helper()
	c := d.session(user, password)
	defer c.Close()
	cmd := c.Append(folder, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		d.t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		d.t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		d.t.Fatalf("append to %s/%s: %v", user, folder, err)
	}
	_ = c.Logout().Wait()
}

// folder returns the flags of every letter in a user's folder, by UID.
func (d *mailDovecot) folder(user, password, folder string) map[imap.UID][]imap.Flag {
	d.t.Helper()
	c := d.session(user, password)
	defer c.Close()
	data, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		d.t.Fatalf("select %s: %v", folder, err)
	}
	out := map[imap.UID][]imap.Flag{}
	if data.NumMessages == 0 {
		return out
	}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		d.t.Fatalf("fetch %s: %v", folder, err)
	}
	for _, m := range msgs {
		out[m.UID] = m.Flags
	}
	_ = c.Logout().Wait()
	return out
}
