package crm

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// modulePath is this module's import path: packages under it are read.
const modulePath = "github.com/leadd/leadd"

// constructors are crm's error constructors and the index of their format.
var constructors = map[string]int{"Errorf": 1, "Invalid": 1, "FieldErrorf": 2}

// shownToPeople are the folders whose refusals a person may read: the
// core, the console, the managers' bot, and what the console reaches
// through an interface rather than an import (payment links, call
// recordings). A folder ending in "/." is that package alone, not the
// folders below it (telephony's adapters answer providers, not people).
var shownToPeople = []string{"crm", "web/console", "notify/telegram", "payments", "telephony/."}

// refusal is one format string passed to a constructor, where it is.
type refusal struct {
	format string
	pos    string
}

// TestEveryRefusalHasRussian reads the Go source of crm (and of every
// package of this module the console and the managers' bot are built
// from) and fails for a refusal whose format has no Russian entry, or
// whose entry takes other verbs than the English: a message added
// tomorrow is caught the day it is added.
func TestEveryRefusalHasRussian(t *testing.T) {
	found, problems := collectRefusals(t, "..", shownToPeople)
	for _, p := range problems {
		t.Error(p)
	}
	if len(found) < 200 {
		t.Fatalf("found %d refusals; the walk over the source lost its way", len(found))
	}
	var missing []string
	for _, r := range found {
		ru, ok := russian[r.format]
		if !ok {
			missing = append(missing, strconv.Quote(r.format)+": \"\", // "+r.pos)
			continue
		}
		if en, rv := verbs(r.format), verbs(ru); !slices.Equal(en, rv) {
			t.Errorf("%s: %q takes %v, its Russian %q takes %v", r.pos, r.format, en, ru, rv)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		missing = slices.Compact(missing)
		t.Errorf("%d refusals have no Russian in crm/errors_ru.go:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// TestRussianCatalogueHasNoStaleEntries keeps the catalogue to what the
// code says: an entry whose English no constructor uses any more is a
// message changed without its translation.
func TestRussianCatalogueHasNoStaleEntries(t *testing.T) {
	found, _ := collectRefusals(t, "..", shownToPeople)
	used := map[string]bool{}
	for _, r := range found {
		used[r.format] = true
	}
	for en := range russian {
		if !used[en] {
			t.Errorf("crm/errors_ru.go translates %q, which no refusal says any more", en)
		}
	}
}

// TestVerbs checks the verb reader the catalogue test relies on.
func TestVerbs(t *testing.T) {
	for f, want := range map[string][]string{
		"plain":                 nil,
		"100%% sure":            nil,
		"%s is %d, not %q":      {"s", "d", "q"},
		"%-5.2f and %+v %#x %v": {"f", "v", "x", "v"},
		"%.0s%[2]d":             {"s", "d"},
	} {
		if got := verbs(f); !slices.Equal(got, want) {
			t.Errorf("verbs(%q) = %v, want %v", f, got, want)
		}
	}
}

// collectRefusals parses the packages under roots (each folder, below
// root) and the packages of this module they import, and returns every
// format passed to a constructor of crm or to a wrapper that forwards
// its format to one. A format that is not a string literal, and an Error
// built as a literal with a Message, are problems: no test could hold
// them to the catalogue.
func collectRefusals(t *testing.T, root string, roots []string) ([]refusal, []string) {
	t.Helper()
	var found []refusal
	var problems []string
	seen := map[string]bool{}
	var queue []string
	for _, r := range roots {
		if dir, ok := strings.CutSuffix(r, "/."); ok {
			queue = append(queue, filepath.Join(root, dir))
			continue
		}
		err := filepath.WalkDir(filepath.Join(root, r), func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasSuffix(d.Name(), "test")) {
				return filepath.SkipDir
			}
			if d.IsDir() {
				queue = append(queue, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	fset := token.NewFileSet()
	for len(queue) > 0 {
		dir := filepath.Clean(queue[0])
		queue = queue[1:]
		if seen[dir] {
			continue
		}
		seen[dir] = true
		files, imports := parseDir(t, fset, dir)
		for _, imp := range imports {
			if rel, ok := strings.CutPrefix(imp, modulePath+"/"); ok {
				queue = append(queue, filepath.Join(root, rel))
			}
		}
		f, p := refusalsIn(fset, dir, files, filepath.Base(dir) == "crm" && filepath.Dir(dir) == filepath.Clean(root))
		found, problems = append(found, f...), append(problems, p...)
	}
	return found, problems
}

// parseDir parses a folder's non-test Go files and lists their imports.
func parseDir(t *testing.T, fset *token.FileSet, dir string) ([]*ast.File, []string) {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	var imports []string
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			imports = append(imports, p)
		}
	}
	return files, imports
}

// callee names a call's function: "Invalid" inside crm, "crm.Invalid"
// (by the name crm is imported as) elsewhere, a plain name for a local
// function or closure.
func callee(call *ast.CallExpr, crmName string) (name string, ofCRM bool) {
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		return fn.Name, crmName == ""
	case *ast.SelectorExpr:
		if x, ok := fn.X.(*ast.Ident); ok && crmName != "" && x.Name == crmName {
			return fn.Sel.Name, true
		}
	}
	return "", false
}

// formatParam is the index of a parameter named format in a function
// type that ends with a variadic: a candidate wrapper of a constructor.
func formatParam(ft *ast.FuncType) (string, int) {
	if ft.Params == nil || len(ft.Params.List) == 0 {
		return "", -1
	}
	if _, ok := ft.Params.List[len(ft.Params.List)-1].Type.(*ast.Ellipsis); !ok {
		return "", -1
	}
	i := 0
	for _, f := range ft.Params.List {
		for _, n := range f.Names {
			if n.Name == "format" {
				return n.Name, i
			}
			i++
		}
	}
	return "", -1
}

// refusalsIn finds the refusals of one package; inCRM says the package
// is crm itself, where the constructors are called by their bare names.
func refusalsIn(fset *token.FileSet, dir string, files []*ast.File, inCRM bool) ([]refusal, []string) {
	var found []refusal
	var problems []string
	crmNameOf := func(f *ast.File) (string, bool) {
		if inCRM {
			return "", true
		}
		for _, im := range f.Imports {
			if p, _ := strconv.Unquote(im.Path.Value); p == modulePath+"/crm" {
				if im.Name != nil {
					return im.Name.Name, true
				}
				return "crm", true
			}
		}
		return "", false
	}
	// wrappers: package functions and a file's closures that pass their
	// own format on to a constructor (or to another wrapper).
	pkgWrappers := map[string]int{}
	fileWrappers := map[*ast.File]map[string]int{}
	isWrapper := func(body *ast.BlockStmt, format string, crmName string, known map[string]int) bool {
		forwards := false
		ast.Inspect(body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			name, ofCRM := callee(call, crmName)
			idx, ok := constructors[name]
			if !ok || !ofCRM {
				idx, ok = known[name]
			}
			if ok && idx < len(call.Args) {
				if id, isID := call.Args[idx].(*ast.Ident); isID && id.Name == format {
					forwards = true
				}
			}
			return true
		})
		return forwards
	}
	for changed := true; changed; {
		changed = false
		for _, f := range files {
			crmName, ok := crmNameOf(f)
			if !ok {
				continue
			}
			if fileWrappers[f] == nil {
				fileWrappers[f] = map[string]int{}
			}
			known := func() map[string]int {
				m := map[string]int{}
				for k, v := range pkgWrappers {
					m[k] = v
				}
				for k, v := range fileWrappers[f] {
					m[k] = v
				}
				return m
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.FuncDecl:
					if name, i := formatParam(n.Type); i >= 0 && n.Body != nil && n.Recv == nil {
						if _, done := pkgWrappers[n.Name.Name]; !done && (!inCRM || constructors[n.Name.Name] == 0) && isWrapper(n.Body, name, crmName, known()) {
							pkgWrappers[n.Name.Name], changed = i, true
						}
					}
				case *ast.AssignStmt:
					if len(n.Lhs) == 1 && len(n.Rhs) == 1 {
						id, okID := n.Lhs[0].(*ast.Ident)
						lit, okLit := n.Rhs[0].(*ast.FuncLit)
						if okID && okLit {
							if name, i := formatParam(lit.Type); i >= 0 {
								if _, done := fileWrappers[f][id.Name]; !done && isWrapper(lit.Body, name, crmName, known()) {
									fileWrappers[f][id.Name], changed = i, true
								}
							}
						}
					}
				}
				return true
			})
		}
	}
	for _, f := range files {
		crmName, ok := crmNameOf(f)
		if !ok {
			continue
		}
		file := fset.File(f.Pos()).Name()
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if isErrorType(n.Type, crmName) && !(inCRM && filepath.Base(file) == "errors.go") {
					for _, el := range n.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Message" {
								problems = append(problems, fset.Position(n.Pos()).String()+": an Error built with a Message: use Errorf, Invalid or FieldErrorf, whose format has a Russian entry")
							}
						}
					}
				}
			case *ast.CallExpr:
				name, ofCRM := callee(n, crmName)
				idx, isCons := constructors[name]
				if !isCons || !ofCRM {
					if i, ok := fileWrappers[f][name]; ok {
						idx, isCons = i, true
					} else if i, ok := pkgWrappers[name]; ok {
						idx, isCons = i, true
					} else {
						return true
					}
				}
				if idx >= len(n.Args) {
					return true
				}
				pos := fset.Position(n.Pos())
				where := filepath.ToSlash(filepath.Join(filepath.Base(dir), filepath.Base(pos.Filename))) + ":" + strconv.Itoa(pos.Line)
				switch a := n.Args[idx].(type) {
				case *ast.BasicLit:
					if a.Kind == token.STRING {
						s, err := strconv.Unquote(a.Value)
						if err == nil {
							found = append(found, refusal{format: s, pos: where})
							return true
						}
					}
				case *ast.Ident:
					if a.Name == "format" {
						return true // a wrapper passing its own format on
					}
				}
				problems = append(problems, where+": the format of "+name+" is not a string literal, so no test can hold it to the Russian catalogue")
			}
			return true
		})
	}
	return found, problems
}

// isErrorType says an expression names crm's Error type.
func isErrorType(e ast.Expr, crmName string) bool {
	switch t := e.(type) {
	case *ast.Ident:
		return crmName == "" && t.Name == "Error"
	case *ast.SelectorExpr:
		x, ok := t.X.(*ast.Ident)
		return ok && crmName != "" && x.Name == crmName && t.Sel.Name == "Error"
	}
	return false
}

// TestLocalized: a refusal in Russian takes the same args as the
// English; the core's words among them are put in Russian, what was
// typed stays as typed, and English stays the English the API returns.
func TestLocalized(t *testing.T) {
	for _, tc := range []struct {
		err    error
		ru, en string
	}{
		{Invalid("discount", "a discount is a percent from 0 to 100"),
			"скидка — процент от 0 до 100", "a discount is a percent from 0 to 100"},
		{Invalid("vat", "unknown VAT rate %q; the configured ones are %v", "vat99", []string{"vat22", "none"}),
			`ставки НДС "vat99" нет в настройках: выберите ставку из списка`,
			`unknown VAT rate "vat99"; the configured ones are [vat22 none]`},
		{Errorf(ECONFLICT, "lead %d is %s and cannot be converted", 7, StatusJunk),
			"заявка №7 уже закрыта (брак): её нельзя перевести в сделку", "lead 7 is junk and cannot be converted"},
		{Invalid("type", "must be one of %v, not %q", DocumentTypes, "bill"),
			`тип документа — КП, счёт, договор, акт, а не "bill"`, `must be one of [quote invoice contract act], not "bill"`},
		{Errorf(ENOTFOUND, "%s %d not found", KindDeal, 12),
			"не найдено: сделка №12 — возможно, запись удалили или объединили", "deal 12 not found"},
		// A refusal passed on as an arg is put in Russian in turn.
		{Errorf(EINVALID, "outbox %s: %v", "lead.assigned", Invalid("text", "a note needs text")),
			"событие lead.assigned: напишите текст заметки", "outbox lead.assigned: invalid: text: a note needs text"},
		// Passed on to another field, it keeps its words.
		{Invalid("price", "must be more than 0").At("fields.sum"), "должно быть больше нуля", "must be more than 0"},
		// A detail only the machine could use is left out.
		{AsError(fmt.Errorf("save: %w", &pgconn.PgError{Code: "22P02", Message: "invalid input syntax"})),
			"значение не подходит по формату", "a value cannot be stored: invalid input syntax"},
	} {
		if got := Localize(tc.err, "ru"); got != tc.ru {
			t.Errorf("%v in Russian:\n got %q\nwant %q", tc.err, got, tc.ru)
		}
		if got := Localize(tc.err, "en"); got != tc.en {
			t.Errorf("%v in English: %q, want %q", tc.err, got, tc.en)
		}
		if got := AsError(tc.err).Message; got != tc.en {
			t.Errorf("the API's message changed: %q, want %q", got, tc.en)
		}
	}
	if got := Localize(fmt.Errorf("boom"), "ru"); got != "" {
		t.Errorf("an internal error is localized as %q, want nothing shown", got)
	}
	if got := FieldName("discount", "ru") + "/" + FieldName("discount", "en") + "/" + FieldName("Бюджет", "ru"); got != "Скидка/Discount/Бюджет" {
		t.Errorf("field names: %q", got)
	}
}

// TestCoreWordsHaveRussian: the core's words a refusal passes as an arg
// (kinds of record, lead statuses, document types, outcomes, report
// periods, field types a range refuses) each have their Russian, so a
// status added tomorrow does not show in English inside a Russian text.
func TestCoreWordsHaveRussian(t *testing.T) {
	var all []string
	for _, k := range []Kind{KindLead, KindDeal, KindContact, KindCompany, KindActivity, KindDocument, KindManager, KindMerge} {
		all = append(all, string(k))
	}
	all = append(all, StatusNew, StatusInProgress, StatusConverted, StatusJunk, StageWon, StageLost, "open")
	all = append(all, DocumentTypes...)
	all = append(all, OutcomeDone, OutcomeNoAnswer, OutcomeRescheduled)
	all = append(all, PeriodPresets...)
	for _, ft := range FieldTypes {
		if ft != FieldNumber && ft != FieldMoney && ft != FieldDate { // these have ranges: never refused so
			all = append(all, ft)
		}
	}
	for _, w := range all {
		ru, ok := words[w]
		if !ok || ru == "" {
			t.Errorf("the core's word %q has no Russian in crm/errors_ru.go", w)
		}
	}
}

// TestRussianIsRussian: a Russian entry has no English word but names
// and keys a person types or reads as they are (file formats, Telegram,
// the SLA, configuration keys): an English text pasted as its own
// "translation" fails here.
func TestRussianIsRussian(t *testing.T) {
	keys := map[string]bool{}
	for _, k := range strings.Fields(`CSV csv JSON json xlsx Excel UTF RUB SLA Telegram UIDVALIDITY http https example login
		mon tue wed thu fri sat sun next day seq type year in out
		ringing answered ended recording answer busy cancelled failed voicemail`) {
		keys[k] = true
	}
	latin := regexp.MustCompile(`[A-Za-z]{3,}`)
	verb := regexp.MustCompile(`%[-+# 0-9.*\[\]]*[a-zA-Z]`)
	for en, ru := range russian {
		for _, w := range latin.FindAllString(verb.ReplaceAllString(ru, ""), -1) {
			if !keys[w] {
				t.Errorf("the Russian of %q has the English word %q: %q", en, w, ru)
			}
		}
	}
}
