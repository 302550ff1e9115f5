package imports

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
)

// A spreadsheet is whatever a user uploads. Read, it never panics and is
// refused with a typed error (malformed, unsupported) or gives rows of
// valid UTF-8, none blank, that written back as CSV read the same; its
// rows, parsed for each kind by the columns guessed from its header, never
// panic.
func FuzzRead(f *testing.F) {
	if b, err := os.ReadFile("testdata/contacts-1251.csv"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("ФИО;Телефон;E-mail;Компания;ИНН;Менеджер\nИван Петров;8 912 345-67-89;ivan@example.ru;ООО Ромашка;7707083893;Анна Смирнова\n"))
	f.Add([]byte("\xef\xbb\xbfsep=,\nName,Phone,Email\n\"Doe, John\",\"+7 912 345 67 89, доб. 12\",j@x.ru\n"))
	f.Add([]byte("Название\tИНН\tКПП\tОГРН\tАдрес\n'=ООО «Станок»\t500100732259\t\t1027700132195\t\"Москва,\nул. Ленина\"\n"))
	f.Add([]byte("Сделка;Сумма;Валюта;Воронка;Этап;Контакт\nСтанок;1 200 000,50 ₽;RUB;Продажи;Счёт;a\x00b\n"))
	f.Add([]byte{0xFF, 0xFE, 'N', 0, 'a', 0, 'm', 0, 'e', 0, '\n', 0, 'x', 0})
	f.Add([]byte("PK\x03\x04garbage"))
	f.Fuzz(func(t *testing.T, file []byte) {
		tb, err := Read("fuzz.csv", bytes.NewReader(file))
		if err != nil {
			if c := crm.ErrorCode(err); c != crm.EMALFORMED && c != crm.EUNSUPPORTED {
				t.Fatalf("refused with %q: %v", c, err)
			}
			return
		}
		for _, r := range tb.Rows {
			blank := true
			for _, c := range r.Cells {
				if !utf8.ValidString(c) {
					t.Fatalf("row %d: a cell that is not UTF-8: %q", r.N, c)
				}
				blank = blank && c == ""
			}
			if blank {
				t.Fatalf("row %d is blank and was kept", r.N)
			}
		}
		if tb.Format == "csv" {
			again, err := Read("again.csv", strings.NewReader(quotedCSV(tb.Rows)))
			if err != nil {
				t.Fatalf("the rows written back do not read: %v", err)
			}
			if len(again.Rows) != len(tb.Rows) {
				t.Fatalf("%d rows written back read as %d", len(tb.Rows), len(again.Rows))
			}
			// CSV keeps a line break inside a cell but not which one: a CR
			// before LF is lost on every reading (encoding/csv), so cells
			// are compared without CRs.
			noCR := func(cells []string) string { return strings.ReplaceAll(strings.Join(cells, "\x1f"), "\r", "") }
			for i := range tb.Rows {
				if noCR(again.Rows[i].Cells) != noCR(tb.Rows[i].Cells) {
					t.Fatalf("row %d: %q written back reads %q", tb.Rows[i].N, tb.Rows[i].Cells, again.Rows[i].Cells)
				}
			}
		}
		if len(tb.Rows) == 0 {
			return
		}
		for _, kind := range []Kind{Contacts, Companies, Deals} {
			m := mapper{kind: kind}
			h := m.headerRow(tb.Rows, nil)
			cols, err := m.columns(tb.Rows[h].Cells, nil)
			if err != nil {
				continue
			}
			r := &run{im: &Importer{Phones: dedupe.Normalizer{Region: "RU"}}, o: Options{Kind: kind},
				managers: map[string][]int64{"анна смирнова": {1}}, pipelines: fuzzPipelines,
				created: map[string]int{}, first: map[string]int{}, cache: newCache()}
			for _, row := range tb.Rows[h+1:] {
				r.parse(row.N, rowValues(cols, row.Cells))
			}
		}
	})
}

// quotedCSV writes rows as CSV with ";" and every cell quoted, so that no
// cell is taken for Excel's "sep=" hint or splits on a separator.
func quotedCSV(rows []Row) string {
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r.Cells {
			if i > 0 {
				b.WriteByte(';')
			}
			b.WriteString(`"` + strings.ReplaceAll(c, `"`, `""`) + `"`)
		}
		b.WriteString("\r\n")
	}
	return b.String()
}

var fuzzPipelines = []crm.Pipeline{{ID: 1, Key: "sales", Name: "Продажи", Default: true, Stages: []crm.Stage{
	{ID: 1, Key: "new", Name: "Новая"}, {ID: 2, Key: "invoice", Name: "Счёт"},
	{ID: 3, Key: "won", Name: "Успешно", Semantic: crm.StageWon}, {ID: 4, Key: "lost", Name: "Провал", Semantic: crm.StageLost}}}}
