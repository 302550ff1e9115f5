package mail

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// dovecot is a throwaway Dovecot of one test: its own config, runtime,
// state and maildirs in a temporary directory, IMAP without TLS on a free
// port of 127.0.0.1, users in a passwd-file.
type dovecot struct {
	t    *testing.T
	bin  string
	dir  string
	port int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// startDovecot starts one for the test and stops it when the test ends.
// Without Dovecot installed (apt-get install dovecot-imapd) the test is
// skipped, unless CI is set: there it must run.
func startDovecot(t *testing.T) *dovecot {
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
	d := &dovecot{t: t, bin: bin, dir: dir, port: freePort(t)}
	d.writeConfig()
	d.start()
	t.Cleanup(d.stop)
	return d
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeConfig writes a complete configuration (none of /etc/dovecot is
// read). As root, Dovecot's own unprivileged users run the login and
// internal processes and own the mail (it refuses mail for UID 0); as
// anyone else, everything runs as that user.
func (d *dovecot) writeConfig() {
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

func (d *dovecot) path(name string) string { return filepath.Join(d.dir, name) }

// addUser adds a mailbox user; Dovecot re-reads the file when it changes.
func (d *dovecot) addUser(name, password string) {
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
func (d *dovecot) start() {
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
	for {
		if greets(d.addr()) {
			return
		}
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

func greets(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "* OK")
}

// stop kills Dovecot and everything it forked at once (kill -9 of its
// process group, as a crash or an OOM kill would), and waits until its
// port is free to start again. A clean SIGTERM is no kinder to the
// client: Dovecot then takes about ten seconds to drop IDLE connections.
func (d *dovecot) stop() {
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

func (d *dovecot) addr() string { return fmt.Sprintf("127.0.0.1:%d", d.port) }

func (d *dovecot) logs() string {
	a, _ := os.ReadFile(d.path("dovecot.log"))
	b, _ := os.ReadFile(d.path("stdout.log"))
	return string(a) + string(b)
}

// mailbox returns the declaration of a mailbox on this Dovecot.
func (d *dovecot) mailbox(name, user, password string) Mailbox {
	mb := Mailbox{Name: name, Host: "127.0.0.1", Port: d.port, TLS: TLSNone, Username: user, Password: password}
	mb.Defaults()
	return mb
}

// session logs in as a user, the way a mail program would.
func (d *dovecot) session(user, password string) *imapclient.Client {
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

// deliver puts a letter into a user's folder by IMAP APPEND, with flags
// (none: a new, unread letter).
func (d *dovecot) deliver(user, password, folder string, raw []byte, flags ...imap.Flag) {
	d.t.Helper()
	c := d.session(user, password)
	defer c.Close()
	cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: flags})
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
func (d *dovecot) folder(user, password, folder string) map[imap.UID][]imap.Flag {
	d.t.Helper()
	c := d.session(user, password)
	defer c.Close()
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Code == imap.ResponseCodeNonExistent {
			return nil
		}
		d.t.Fatalf("select %s: %v", folder, err)
	}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		// An empty folder has no "1:*".
		return map[imap.UID][]imap.Flag{}
	}
	out := map[imap.UID][]imap.Flag{}
	for _, m := range msgs {
		out[m.UID] = m.Flags
	}
	_ = c.Logout().Wait()
	return out
}
