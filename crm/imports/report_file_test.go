package imports_test

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/imports"
)

// A report's file says what it is — the report, the period, the filters —
// above its tables in CSV and on a sheet of its own in XLSX, whose table
// sheets stay header-and-rows; sheet names are cut at a word with «…»
// and unique; a moment is a date cell.
func TestReportFileSaysWhatItIs(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.FixedZone("MSK", 3*3600))
	tables := []crm.Table{
		{Title: "Воронка «Продажи станков» сейчас", Columns: []string{"Стадия", "Открыто"}, Rows: [][]any{{"Новая", 3}}},
		{Title: "Воронка «Продажи станков» сейчас — другие", Columns: []string{"Стадия", "Открыто"}, Rows: [][]any{{"Счёт", 1}}},
		{Title: "Загрузка", Columns: []string{"Менеджер", "Самое старое просроченное"}, Rows: [][]any{{"Анна", at}}},
	}
	about := [][2]string{{"Отчёт", "Сделки сейчас"}, {"Период", "6 декабря 2026 г."}, {"utm_source", "yandex"}}

	var c bytes.Buffer
	if err := imports.WriteReport(&c, "csv", about, tables); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimPrefix(c.String(), "\ufeff"), "\n")
	if !strings.HasPrefix(lines[0], "Отчёт;Сделки сейчас") || !strings.HasPrefix(lines[2], "utm_source;yandex") || strings.Trim(lines[3], "; \r") != "" {
		t.Errorf("the CSV does not open with what it is:\n%s", c.String())
	}
	if !strings.Contains(c.String(), "Анна;20.11.2026 09:30") {
		t.Errorf("the moment in CSV:\n%s", c.String())
	}

	var x bytes.Buffer
	if err := imports.WriteReport(&x, "xlsx", about, tables); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 4 || sheets[0] != "Об отчёте" {
		t.Fatalf("sheets %q", sheets)
	}
	if v, _ := f.GetCellValue(sheets[0], "B3"); v != "yandex" {
		t.Errorf("the about sheet's utm_source is %q", v)
	}
	// «Воронка Продажи станков сейчас» fits; the longer title is cut after
	// a whole word.
	if sheets[1] != "Воронка Продажи станков сейчас" || sheets[2] != "Воронка Продажи станков сейчас…" {
		t.Errorf("sheets %q and %q", sheets[1], sheets[2])
	}
	// The moment is a date: a number with a date format, not text.
	raw, _ := f.GetCellValue("Загрузка", "B3", excelize.Options{RawCellValue: true})
	shown, _ := f.GetCellValue("Загрузка", "B3")
	if raw == shown || !strings.Contains(shown, "20.11.2026") {
		t.Errorf("the oldest overdue is %q (raw %q), want a date cell", shown, raw)
	}
}

// Whatever the titles, sheet names are valid, at most 31 characters and
// unique, and a cut one ends with «…» after whole words.
func TestSheetNamesAreShortUniqueAndCutAtWords(t *testing.T) {
	words := []string{"Воронка", "«Продажи", "станков»", "сейчас", "[тест]", "a/b", "Очень-очень-длинное-слово-без-пробелов-совсем", "2026"}
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 200; round++ {
		var tables []crm.Table
		for i := 0; i < 1+rng.Intn(6); i++ {
			var title []string
			for j := 0; j < 1+rng.Intn(8); j++ {
				title = append(title, words[rng.Intn(len(words))])
			}
			tables = append(tables, crm.Table{Title: strings.Join(title, " "), Columns: []string{"a"}})
		}
		var x bytes.Buffer
		if err := imports.WriteTables(&x, "xlsx", tables); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		f, err := excelize.OpenReader(&x)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, s := range f.GetSheetList() {
			if utf8.RuneCountInString(s) > 31 || strings.ContainsAny(s, "[]:*?/\\") || seen[s] {
				t.Errorf("round %d: sheet %q", round, s)
			}
			seen[s] = true
		}
		if len(seen) != len(tables) {
			t.Errorf("round %d: %d sheets for %d tables", round, len(seen), len(tables))
		}
		f.Close()
	}
}
