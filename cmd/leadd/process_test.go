package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/leadd/leadd/crm/crmtest"
)

// daemon is the real leadd binary, run as a process.
type daemon struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs strings.Builder
	base string
}

func buildLeadd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "leadd")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startDaemon(t *testing.T, bin, config string, db *crmtest.DB, rds *crmtest.Redis) *daemon {
	t.Helper()
	addr := freeAddr(t)
	d := &daemon{base: "http://" + addr}
	d.cmd = exec.Command(bin, "serve", "--config", config)
	d.cmd.Env = append(os.Environ(), "DATABASE_URL="+db.URL, "LEADD_HTTP_ADDR="+addr,
		"REDIS_URL=redis://"+rds.Client.Options().Addr+"/0")
	// A writer, not a pipe: Wait returns only after every line is copied.
	d.cmd.Stderr = d
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.cmd.Process.Kill(); _ = d.cmd.Wait() })
	waitFor(t, "the daemon to answer /healthz", func() bool {
		res, err := http.Get(d.base + "/healthz")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		return err == nil && res.StatusCode == 200
	})
	return d
}

func (d *daemon) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.logs.Write(p)
}

func (d *daemon) logged(s string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Contains(d.logs.String(), s)
}

func TestTheDaemonReloadsRulesOnSIGHUPAndStopsCleanlyOnSIGTERM(t *testing.T) {
	t.Parallel()
	bin := buildLeadd(t)
	db, rds := crmtest.MustOpenDB(t), crmtest.MustRedis(t)
	demo, _ := os.ReadFile("../../configs/leadd.yaml")
	config := filepath.Join(t.TempDir(), "leadd.yaml")
	write := func(rules string) {
		s := strings.Replace(string(demo), "  rules: []\n", rules, 1)
		s = demoTemplatesHere(s)
		s = strings.Replace(s, "prefix: \"leadd:\"", fmt.Sprintf("prefix: %q", rds.Prefix), 1)
		if err := os.WriteFile(config, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// A broken rules file is refused at start, the key named.
	write("  rules:\n    - {name: parts, pool: parts}\n")
	out, err := exec.Command(bin, "serve", "--config", config).CombinedOutput()
	if err == nil || !strings.Contains(string(out), `routing.rules[0].pool: unknown pool "parts"`) {
		t.Fatalf("serve with a broken file: %v\n%s", err, out)
	}

	write("  rules: []\n")
	d := startDaemon(t, bin, config, db, rds)
	write("  rules:\n    - {name: parts, pool: parts}\n")
	d.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the broken reload to be refused", func() bool { return d.logged("reload refused") })
	write("  rules:\n    - {name: parts, when: {words: [запчасти]}, queue: true}\n")
	d.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the good reload", func() bool { return d.logged("routing rules reloaded") })

	res, err := http.Post(d.base+"/hooks/forms/contact", "application/x-www-form-urlencoded",
		strings.NewReader("phone=%2B79169040001&comment=запчасти"))
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("post: %v %v", err, res)
	}
	waitFor(t, "the lead to be queued by the reloaded rule", func() bool {
		return db.Count(t, `SELECT count(*) FROM assignments WHERE rule = 'parts' AND strategy = 'queue'`) == 1
	})

	d.cmd.Process.Signal(syscall.SIGTERM)
	if err := d.cmd.Wait(); err != nil {
		t.Errorf("SIGTERM: the daemon exited with %v", err)
	}
	if !d.logged(`"msg":"stopped"`) {
		t.Errorf("no clean stop in the logs:\n%s", d.logs.String())
	}
}
