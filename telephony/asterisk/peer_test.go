package asterisk

import (
	"bufio"
	"bytes"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// amiPeer stands in for Asterisk's manager port on 127.0.0.1: it greets,
// checks the Login action and then does what the test's script says
// with the n-th connection (n from 1). It parses what the client sends
// with net/textproto, not with the package's own reader.
type amiPeer struct {
	t      *testing.T
	ln     net.Listener
	user   string
	secret string
	logins chan bool // one per Login action: whether it was accepted
	script func(n int, s *amiSession)

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func startPeer(t *testing.T, user, secret string, script func(n int, s *amiSession)) *amiPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &amiPeer{t: t, ln: ln, user: user, secret: secret, logins: make(chan bool, 100), script: script}
	p.wg.Go(p.serve)
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *amiPeer) addr() string { return p.ln.Addr().String() }

func (p *amiPeer) serve() {
	for n := 1; ; n++ {
		conn, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, conn)
		p.mu.Unlock()
		p.wg.Go(func() {
			defer conn.Close()
			s := &amiSession{peer: p, conn: conn, r: textproto.NewReader(bufio.NewReader(conn))}
			if s.write("Asterisk Call Manager/5.0.3\r\n") {
				p.script(n, s)
			}
		})
	}
}

// amiSession is one connection to the peer.
type amiSession struct {
	peer *amiPeer
	conn net.Conn
	r    *textproto.Reader
}

func (s *amiSession) write(text string) bool {
	_, err := s.conn.Write([]byte(text))
	return err == nil
}

// login reads the Login action and answers it as Asterisk does: Success
// and FullyBooted, or Error and a closed socket.
func (s *amiSession) login() bool {
	h, err := s.r.ReadMIMEHeader()
	if err != nil {
		return false
	}
	if h.Get("Action") != "Login" || h.Get("Events") != "on" {
		s.peer.t.Errorf("the first action is %q with Events %q, want Login with Events on", h.Get("Action"), h.Get("Events"))
	}
	ok := h.Get("Username") == s.peer.user && h.Get("Secret") == s.peer.secret
	s.peer.logins <- ok
	id := h.Get("ActionID")
	if !ok {
		s.write("Response: Error\r\nActionID: " + id + "\r\nMessage: Authentication failed\r\n\r\n")
		return false
	}
	return s.write("Response: Success\r\nActionID: " + id + "\r\nMessage: Authentication accepted\r\n\r\n" +
		"Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 2143\r\nLastReload: 2143\r\nStatus: Fully Booted\r\n\r\n")
}

// replay sends testdata files as they are, with AMI's CRLF line ends.
func (s *amiSession) replay(names ...string) bool {
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			s.peer.t.Error(err)
			return false
		}
		b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		if !s.write(string(b)) {
			return false
		}
	}
	return true
}

// hold keeps the connection open until the client closes it, answering
// Ping actions when pong is set (a silent peer otherwise).
func (s *amiSession) hold(pong bool) {
	for {
		h, err := s.r.ReadMIMEHeader()
		if err != nil {
			return
		}
		if pong && h.Get("Action") == "Ping" {
			if !s.write("Response: Success\r\nActionID: " + h.Get("ActionID") + "\r\nPing: Pong\r\nTimestamp: 1714560000.000000\r\n\r\n") {
				return
			}
		}
	}
}
