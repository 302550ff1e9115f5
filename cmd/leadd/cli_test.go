package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckConfigPrintsEveryProblemWithItsKey(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run([]string{"check-config", "--config", "../../configs/leadd.yaml"}, nil, &out, &out); err != nil {
		t.Fatalf("the demo config: %v\n%s", err, out.String())
	}
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	os.WriteFile(broken, []byte(`
followup: {sla: -1m}
processor: {workers: 0}
api: {tokens: [{name: x, token: short, role: root}]}
forms: {forms: {contact: {thank_you_url: "ftp://x"}}}
`), 0o600)
	out.Reset()
	if err := run([]string{"check-config", "--config", broken}, nil, &out, &out); err == nil {
		t.Fatal("a broken config passed")
	}
	for _, key := range []string{"followup.sla:", "processor.workers:", "api.tokens[0].token:", "api.tokens[0].role:", "forms.forms.contact.thank_you_url:"} {
		if !strings.Contains(out.String(), key) {
			t.Errorf("no %s in:\n%s", key, out.String())
		}
	}
	// A pool the processors alone could fill stalls them: refused.
	os.WriteFile(broken, []byte("database: {max_conns: 8}\nprocessor: {workers: 6}\n"), 0o600)
	out.Reset()
	if err := run([]string{"check-config", "--config", broken}, nil, &out, &out); err == nil || !strings.Contains(out.String(), "database.max_conns:") {
		t.Errorf("8 connections for 6 processors: %v %s", err, out.String())
	}
	os.WriteFile(broken, []byte("folowup: {sla: 5m}\n"), 0o600)
	out.Reset()
	if err := run([]string{"check-config", "--config", broken}, nil, &out, &out); err == nil || !strings.Contains(out.String(), "folowup") {
		t.Errorf("a misspelt key: %v %s", err, out.String())
	}
}

func TestEnvironmentOverridesTheFile(t *testing.T) {
	t.Setenv("LEADD_HTTP_ADDR", "127.0.0.1:9999")
	t.Setenv("DATABASE_URL", "") // make exports one; the file must be read when it is empty
	secret := filepath.Join(t.TempDir(), "db")
	os.WriteFile(secret, []byte("postgres://u:p@db/leadd\n"), 0o600)
	t.Setenv("DATABASE_URL_FILE", secret)
	cfg, err := loadConfig("../../configs/leadd.yaml", &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Addr != "127.0.0.1:9999" || cfg.Database.URL != "postgres://u:p@db/leadd" {
		t.Errorf("addr %q, database %q", cfg.HTTP.Addr, cfg.Database.URL)
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run([]string{"version"}, nil, &out, &out); err != nil || !strings.HasPrefix(out.String(), "leadd ") {
		t.Errorf("version: %v %q", err, out.String())
	}
	if err := run([]string{"frobnicate"}, nil, &out, &out); err == nil {
		t.Error("an unknown command succeeded")
	}
}

// An older file with a setting that is gone still loads; check-config
// says what replaced it.
func TestCheckConfigWarnsOfARetiredSetting(t *testing.T) {
	src, err := os.ReadFile("../../configs/leadd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(string(src), "robokassa:\n", "robokassa:\n  payment_object: service\n", 1)
	if old == string(src) {
		t.Fatal("the demo config has no robokassa section to put the old setting in")
	}
	abs, _ := filepath.Abs("../../configs/templates")
	old = strings.Replace(old, "templates: templates", "templates: "+abs, 1)
	name := filepath.Join(t.TempDir(), "old.yaml")
	if err := os.WriteFile(name, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run([]string{"check-config", "--config", name}, nil, &out, &out); err != nil {
		t.Fatalf("an older file is refused: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "warning: robokassa.payment_object") {
		t.Errorf("check-config does not warn of the retired setting:\n%s", out.String())
	}
}
