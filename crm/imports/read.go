package imports

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/leadd/leadd/crm"
)

// Table is a spreadsheet as read, before any column means anything: its
// non-empty rows, numbered as the spreadsheet program numbers them.
type Table struct {
	Format    string `json:"format"`              // csv, xlsx
	Sheet     string `json:"sheet,omitempty"`     // xlsx: the first sheet, the one read
	Encoding  string `json:"encoding,omitempty"`  // csv: utf-8, windows-1251, utf-16
	Separator string `json:"separator,omitempty"` // csv: ";", "," or "\t"
	Rows      []Row  `json:"-"`
}

// Row is one row of a table.
type Row struct {
	N     int // 1 for the first row; for CSV the line the record starts on
	Cells []string
}

// xlsxUnzipLimit bounds what a workbook may unpack to: a few megabytes of
// zip must not become gigabytes of XML.
const xlsxUnzipLimit = 512 << 20

// Read reads a CSV or XLSX file; which one is told by its first bytes, not
// its name, which only names it in errors. A CSV may be UTF-8 (with or
// without a BOM), UTF-16 with a BOM or, failing both, Windows-1251, as
// Russian Excel saves it; its separator is ";", "," or a tab, whichever the
// first line has most of. A workbook is read from its first sheet. Errors:
// EUNSUPPORTED (an old .xls), EMALFORMED (not readable as either).
func Read(name string, r io.Reader) (*Table, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return readXLSX(name, b)
	case bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return nil, crm.Errorf(crm.EUNSUPPORTED, "%s is an old Excel 97-2003 workbook: save it as .xlsx or .csv", name)
	}
	return readCSV(name, b)
}

func readXLSX(name string, b []byte) (*Table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: xlsxUnzipLimit})
	if err != nil {
		return nil, crm.Errorf(crm.EMALFORMED, "%s is not a readable .xlsx workbook: %v", name, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, crm.Errorf(crm.EMALFORMED, "%s has no sheets", name)
	}
	t := &Table{Format: "xlsx", Sheet: sheets[0]}
	rows, err := f.Rows(t.Sheet)
	if err != nil {
		return nil, crm.Errorf(crm.EMALFORMED, "%s: sheet %q: %v", name, t.Sheet, err)
	}
	defer rows.Close()
	for n := 1; rows.Next(); n++ {
		cells, err := rows.Columns()
		if err != nil {
			return nil, crm.Errorf(crm.EMALFORMED, "%s: row %d: %v", name, n, err)
		}
		t.add(n, cells)
	}
	if err := rows.Error(); err != nil {
		return nil, crm.Errorf(crm.EMALFORMED, "%s: %v", name, err)
	}
	return t, nil
}

func readCSV(name string, b []byte) (*Table, error) {
	t := &Table{Format: "csv"}
	text, enc, err := decodeText(b)
	if err != nil {
		return nil, crm.Errorf(crm.EMALFORMED, "%s: %v", name, err)
	}
	t.Encoding = enc
	sep := separator(text)
	// Excel's own hint, "sep=;" on the first line, which it does not show.
	if first, rest, ok := strings.Cut(text, "\n"); ok && len(strings.TrimSpace(first)) == 5 && strings.HasPrefix(first, "sep=") {
		sep, text = rune(first[4]), rest // rows are numbered as Excel shows them, without it
	}
	t.Separator = string(sep)
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma, cr.FieldsPerRecord, cr.LazyQuotes, cr.ReuseRecord = sep, -1, true, true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, crm.Errorf(crm.EMALFORMED, "%s is not a readable CSV: %v", name, err)
		}
		line, _ := cr.FieldPos(0)
		t.add(line, rec)
	}
	return t, nil
}

// decodeText returns the file as UTF-8 and the encoding it was in.
func decodeText(b []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) && utf8.Valid(b[3:]):
		return string(b[3:]), "utf-8", nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		// Excel's "Unicode text".
		out, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(b)
		return string(out), "utf-16", err
	case utf8.Valid(b):
		return string(b), "utf-8", nil
	}
	// A UTF-8 mark over bytes that are not UTF-8 (a file re-saved by
	// something that kept the mark): the bytes decide, the mark goes.
	b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
	out, err := charmap.Windows1251.NewDecoder().Bytes(b)
	return string(out), "windows-1251", err
}

// separator is the one of ";", "," and tab the first line has most of
// outside quotes; ";" wins a tie, as Russian Excel writes it.
func separator(text string) rune {
	counts := map[rune]int{}
	quoted := false
	for _, r := range text {
		if r == '"' {
			quoted = !quoted
		}
		if !quoted && (r == '\n' || r == '\r') {
			if counts[';']+counts[',']+counts['\t'] > 0 {
				break
			}
			continue // blank lines before the header
		}
		if !quoted {
			counts[r]++
		}
	}
	best := ';'
	for _, r := range []rune{'\t', ','} {
		if counts[r] > counts[best] {
			best = r
		}
	}
	return best
}

// add keeps a row unless every cell of it is blank.
func (t *Table) add(n int, cells []string) {
	out := make([]string, len(cells))
	blank := true
	for i, c := range cells {
		out[i] = cleanCell(c)
		if out[i] != "" {
			blank = false
		}
	}
	if !blank {
		t.Rows = append(t.Rows, Row{N: n, Cells: out})
	}
}

// cleanCell trims the cell, non-breaking spaces included, and drops the
// apostrophe Export puts before what a spreadsheet would take for a formula.
func cleanCell(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == '\u00a0' || r == '\ufeff'
	})
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@", rune(s[1])) {
		s = s[1:]
	}
	return s
}
