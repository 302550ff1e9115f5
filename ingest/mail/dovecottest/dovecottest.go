// Package dovecottest starts a real, throwaway Dovecot for tests: its own
// config, runtime, state and maildirs in a temporary directory, IMAP
// without TLS on a free port of 127.0.0.1, users in a passwd-file. None of
// /etc/dovecot is read.
//
// Without Dovecot installed (apt-get install dovecot-imapd) a test that
// starts one is skipped when the environment variable CI is empty, and
// fails when CI is set: there it must run.
//
// The package does not import ingest/mail, so that package's own tests can
// use it; they turn a Server into a mail.Mailbox themselves from Host and
// Port.
package dovecottest

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

// host is the address every Server listens on.
const host = "127.0.0.1"

// Server is one test's Dovecot.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	port int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts a Dovecot for the test and stops it when the test ends.
// Without Dovecot installed the test is skipped, unless CI is set: there it
// fails.
func Start(t testing.TB) *Server {
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
	s := &Server{t: t, bin: bin, dir: dir, port: freePort(t)}
	s.writeConfig()
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeConfig writes a complete configuration. As root, Dovecot's own
// unprivileged users run the login and internal processes and own the
// mail (it refuses mail for UID 0); as anyone else, everything runs as
// that user.
func (s *Server) writeConfig() {
	t := s.t
	t.Helper()
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
		if err := os.MkdirAll(filepath.Join(s.dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(s.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(s.dir, "mail"), uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.path("users"), nil, 0o644); err != nil {
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
`, s.dir, s.port, internal, group.Name, login, uid, gid)
	if err := os.WriteFile(s.path("dovecot.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (s *Server) path(name string) string { return filepath.Join(s.dir, name) }

// Host is the address the server listens on, for a mailbox's
// configuration.
func (s *Server) Host() string { return host }

// Port is the server's IMAP port (without TLS).
func (s *Server) Port() int { return s.port }

// Addr is host:port of the server's IMAP.
func (s *Server) Addr() string { return net.JoinHostPort(host, strconv.Itoa(s.port)) }

// AddUser adds a mailbox user; Dovecot re-reads the file when it changes.
func (s *Server) AddUser(name, password string) {
	s.t.Helper()
	f, err := os.OpenFile(s.path("users"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "%s:{PLAIN}%s\n", name, password); err != nil {
		s.t.Fatal(err)
	}
}

// Start runs Dovecot in the foreground and waits until it greets. The
// package's Start calls it; call it again after Stop to bring the same
// server, with its users and mail, back on the same port.
func (s *Server) Start() {
	t := s.t
	t.Helper()
	cmd := exec.Command(s.bin, "-F", "-c", s.path("dovecot.conf"))
	out, err := os.OpenFile(s.path("stdout.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
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
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	deadline := time.Now().Add(15 * time.Second)
	for !greets(s.Addr()) {
		select {
		case <-done:
			t.Fatalf("dovecot exited at start:\n%s", s.Logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dovecot did not answer on %s:\n%s", s.Addr(), s.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// greets tells whether an IMAP server answers on addr with its greeting.
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

// Stop kills Dovecot and everything it forked at once (kill -9 of its
// process group, as a crash or an OOM kill would), and waits until its
// port is free to start again. A clean SIGTERM is no kinder to a client:
// Dovecot then takes about ten seconds to drop IDLE connections. Stopping
// a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.Addr(), 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Errorf("dovecot still answers on %s after it was killed", s.Addr())
}

// Logs is what Dovecot has logged and printed so far.
func (s *Server) Logs() string {
	a, _ := os.ReadFile(s.path("dovecot.log"))
	b, _ := os.ReadFile(s.path("stdout.log"))
	return string(a) + string(b)
}

// Session logs in as a user, the way a mail program would. The caller
// closes it.
func (s *Server) Session(user, password string) *imapclient.Client {
	s.t.Helper()
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := c.Login(user, password).Wait(); err != nil {
		c.Close()
		s.t.Fatalf("login as %s: %v", user, err)
	}
	return c
}

// Deliver puts a letter into a user's folder by IMAP APPEND, with flags
// (none: a new, unread letter), as a mail server delivers it.
func (s *Server) Deliver(user, password, folder string, raw []byte, flags ...imap.Flag) {
	s.t.Helper()
	s.DeliverAt(user, password, folder, raw, time.Time{}, flags...)
}

// DeliverAt is Deliver of a letter that reached the mailbox at at (its
// INTERNALDATE; zero: now).
func (s *Server) DeliverAt(user, password, folder string, raw []byte, at time.Time, flags ...imap.Flag) {
	s.t.Helper()
	c := s.Session(user, password)
	defer c.Close()
	cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: flags, Time: at})
	if _, err := cmd.Write(raw); err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		s.t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		s.t.Fatalf("append to %s/%s: %v", user, folder, err)
	}
	_ = c.Logout().Wait()
}

// Folder returns the flags of every letter in a user's folder, by UID:
// empty for an empty folder, nil for a folder that does not exist.
func (s *Server) Folder(user, password, folder string) map[imap.UID][]imap.Flag {
	s.t.Helper()
	c := s.Session(user, password)
	defer c.Close()
	data, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Code == imap.ResponseCodeNonExistent {
			return nil
		}
		s.t.Fatalf("select %s: %v", folder, err)
	}
	out := map[imap.UID][]imap.Flag{}
	if data.NumMessages == 0 { // an empty folder has no "1:*"
		return out
	}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		s.t.Fatalf("fetch %s: %v", folder, err)
	}
	for _, m := range msgs {
		out[m.UID] = m.Flags
	}
	_ = c.Logout().Wait()
	return out
}
