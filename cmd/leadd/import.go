package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/imports"
	"github.com/leadd/leadd/dedupe"
)

const importUsage = `usage: leadd import --kind contacts|companies|deals [--dry-run] [--mapping '{"Тел":"phone"}'] [--json] [--config file] file.xlsx|file.csv`

// maxProblems is how many rows with problems the summary lists.
const maxProblems = 50

// runImport is `leadd import`. It reads its own flags, --config among
// them, as they may come before or after the file.
func runImport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, importUsage); fs.PrintDefaults() }
	path := fs.String("config", "configs/leadd.yaml", "configuration file")
	kind := fs.String("kind", "", "what the rows are: contacts, companies or deals")
	dryRun := fs.Bool("dry-run", false, "report what the import would do, writing nothing")
	mapping := fs.String("mapping", "", `columns the headers do not name, as JSON: {"column header": "field"}; "" ignores a column`)
	asJSON := fs.Bool("json", false, "print the whole report as JSON")
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return errReported
		}
		if fs.NArg() == 0 {
			break
		}
		files, args = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	if len(files) != 1 || *kind == "" {
		fmt.Fprintln(stderr, importUsage)
		return errReported
	}
	o := imports.Options{Kind: imports.Kind(*kind)}
	if *mapping != "" {
		if err := json.Unmarshal([]byte(*mapping), &o.Mapping); err != nil {
			fmt.Fprintf(stderr, "--mapping: not a JSON object of column headers to fields: %v\n", err)
			return errReported
		}
	}
	cfg, err := loadConfig(*path, stderr)
	if err != nil {
		return err
	}
	f, err := os.Open(files[0])
	if err != nil {
		return err
	}
	defer f.Close()
	t, err := imports.Read(files[0], f)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, err := crm.Open(ctx, cfg.Database.URL, 4)
	if err != nil {
		return err
	}
	defer store.Close()
	im := &imports.Importer{Store: store, Phones: dedupe.Normalizer{Region: cfg.PhoneRegion}}
	run := im.Apply
	if *dryRun {
		run = im.Plan
	}
	rep, err := run(ctx, t, o)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(stdout, files[0], rep)
	return nil
}

// printReport prints what a person checks before and after an import:
// how the columns were taken, the counts, and the rows with problems.
func printReport(w io.Writer, name string, rep imports.Report) {
	file := rep.File.Format
	if rep.File.Sheet != "" {
		file += fmt.Sprintf(", sheet %q", rep.File.Sheet)
	}
	if rep.File.Encoding != "" {
		file += fmt.Sprintf(", %s, separator %q", rep.File.Encoding, rep.File.Separator)
	}
	fmt.Fprintf(w, "%s (%s), header on row %d\n", name, file, rep.HeaderRow)
	var cols []string
	for _, c := range rep.Columns {
		field := c.Field
		if field == "" {
			field = "ignored"
		}
		cols = append(cols, c.Header+" → "+field)
	}
	fmt.Fprintf(w, "columns: %s\n", strings.Join(cols, ", "))
	verb := "imported"
	if rep.DryRun {
		verb = "dry run"
	}
	fmt.Fprintf(w, "%s %s: %d rows: %d new, %d matched, %d conflicting, %d rejected\n",
		verb, rep.Kind, rep.Rows, rep.New, rep.Matched, rep.Conflicting, rep.Rejected)
	shown, problems := 0, 0
	for _, r := range rep.Results {
		var lines []string
		if r.Reason != "" {
			lines = append(lines, fmt.Sprintf("row %d: %s: %s", r.Row, r.Status, r.Reason))
		}
		for _, warn := range r.Warnings {
			lines = append(lines, fmt.Sprintf("row %d: %s", r.Row, warn))
		}
		if len(lines) == 0 {
			continue
		}
		problems++
		if shown < maxProblems {
			shown++
			fmt.Fprintln(w, strings.Join(lines, "\n"))
		}
	}
	if problems > shown {
		fmt.Fprintf(w, "… and %d more rows with problems (--json lists every row)\n", problems-shown)
	}
	if rep.DryRun {
		fmt.Fprintln(w, "nothing written; run without --dry-run to import")
	}
}
