package crm_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/leadd/leadd/crm"
)

// TestEveryActivityTextTheCoreWritesReadsInRussian reads the core's
// source for the subjects and outcomes it writes on activities — Go
// literals shaped like a subject ("Call back: new lead", a format of
// one), subjects and outcomes inside SQL, and closeLead's outcomes — and
// requires each to read in Russian, with no English left.
func TestEveryActivityTextTheCoreWritesReadsInRussian(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var (
		subjectLit = regexp.MustCompile(`^[A-Z][a-z]+( [A-Za-z0-9:(),%'.]+)+$`)
		sqlSubject = regexp.MustCompile(`(?:subject = |'call', |'email', )'([^']+)'`)
		sqlOutcome = regexp.MustCompile(`(?s)UPDATE activities SET [^;]*?outcome = '([^']+)'`)
		latin      = regexp.MustCompile(`[A-Za-z]`)
	)
	subjects, outcomes := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "errors_ru.go" || f == "activity_texts.go" {
			continue // the refusals' catalogue names fields; this one is the catalogue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "closeLead" && len(call.Args) == 5 {
					if b, ok := call.Args[4].(*ast.BasicLit); ok {
						s, _ := strconv.Unquote(b.Value)
						outcomes[s] = true
					}
				}
			}
			b, ok := n.(*ast.BasicLit)
			if !ok || b.Kind != token.STRING {
				return true
			}
			s, _ := strconv.Unquote(b.Value)
			if subjectLit.MatchString(s) {
				subjects[s] = true
			}
			for _, m := range sqlSubject.FindAllStringSubmatch(s, -1) {
				subjects[m[1]] = true
			}
			for _, m := range sqlOutcome.FindAllStringSubmatch(s, -1) {
				outcomes[m[1]] = true
			}
			return true
		})
	}
	for _, o := range []string{crm.OutcomeDone, crm.OutcomeNoAnswer, crm.OutcomeRescheduled} {
		outcomes[o] = true
	}
	if len(subjects) < 8 || len(outcomes) < 6 {
		t.Fatalf("found %d subjects and %d outcomes: the scan has lost them", len(subjects), len(outcomes))
	}
	for s := range subjects {
		example := s
		if n := strings.Count(s, "%"); n > 0 {
			example = fmt.Sprintf(s, []any{2, 5, 7}[:n]...)
		}
		if ru := crm.ActivitySubject(example, "ru"); latin.MatchString(ru) {
			t.Errorf("the subject %q reads %q in Russian", example, ru)
		}
		if en := crm.ActivitySubject(example, "en"); en != example {
			t.Errorf("the subject %q reads %q in English", example, en)
		}
	}
	for o := range outcomes {
		if strings.HasSuffix(o, ": ") { // a detail follows in SQL: a call's key
			o += "abc:123"
		}
		if ru := crm.ActivityOutcome(o, "ru"); latin.MatchString(ru) {
			t.Errorf("the outcome %q reads %q in Russian", o, ru)
		}
	}
}
