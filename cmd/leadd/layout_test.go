package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The adapters that take outside input import no surface: a form or PBX
// handler must not pull in the REST API, nor through it the PDF, QR and
// spreadsheet libraries (DESIGN.md, "Layout").
func TestAdaptersImportNoSurface(t *testing.T) {
	adapters := []string{
		"./ingest", "./ingest/forms", "./ingest/mail",
		"./telephony", "./telephony/generic", "./telephony/zadarma", "./telephony/mango",
		"./telephony/twilio", "./telephony/asterisk",
		"./payments/robokassa", "./notify/telegram",
		"./dedupe", "./routing", "./crm",
	}
	forbidden := []string{
		"github.com/leadd/leadd/web/api", "github.com/leadd/leadd/web/console",
		"github.com/go-pdf/fpdf", "github.com/xuri/excelize", "github.com/skip2/go-qrcode",
	}
	for _, pkg := range adapters {
		out, err := exec.Command("go", "list", "-deps", "../../"+strings.TrimPrefix(pkg, "./")).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, f+"/") {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}
