package imports

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/leadd/leadd/crm"
)

// WriteTables writes report tables as WriteReport does, with nothing said
// about them.
func WriteTables(w io.Writer, format string, tables []crm.Table) error {
	return WriteReport(w, format, nil, tables)
}

// WriteReport writes report tables as CSV — UTF-8 with a BOM and ";",
// decimals with a comma, as Russian Excel opens it; each table under its
// title, a blank line between — or as an XLSX workbook with a sheet per
// table. about (the report, its period, its filters: a label and a value
// each) goes first: in CSV as rows above the tables, the same shape as a
// table's title row; in XLSX as a sheet of its own, so every table's
// sheet stays a plain header-and-rows table to re-import. Errors:
// EINVALID (the format).
func WriteReport(w io.Writer, format string, about [][2]string, tables []crm.Table) error {
	switch format {
	case "csv":
		// Every row as wide as the widest table: one rectangle, which
		// every CSV reader takes.
		width := 1
		for _, t := range tables {
			width = max(width, len(t.Columns))
		}
		pad := func(cells []any) []any {
			for len(cells) < width {
				cells = append(cells, "")
			}
			return cells
		}
		s := newCSVSheet(w)
		for _, a := range about {
			if err := s.row(pad([]any{a[0], a[1]})); err != nil {
				return err
			}
		}
		for i, t := range tables {
			if i > 0 || len(about) > 0 {
				if err := s.row(pad(nil)); err != nil {
					return err
				}
			}
			if err := s.row(pad([]any{t.Title})); err != nil {
				return err
			}
			if err := s.row(pad(toAny(t.Columns))); err != nil {
				return err
			}
			for _, r := range t.Rows {
				if err := s.row(pad(cells(r))); err != nil {
					return err
				}
			}
		}
		return s.close()
	case "xlsx":
		return writeXLSXTables(w, about, tables)
	}
	return crm.Invalid("format", "must be json, csv or xlsx, not %q", format)
}

// cells turns report cells into export cells: decimals become amounts,
// nothing becomes an empty cell.
func cells(r []any) []any {
	out := make([]any, len(r))
	for i, c := range r {
		switch v := c.(type) {
		case crm.Decimal:
			out[i] = amount(v)
		case crm.Label:
			out[i] = v.Text
		case time.Time:
			out[i] = v.Format("02.01.2006 15:04")
		case nil:
			out[i] = ""
		default:
			out[i] = v
		}
	}
	return out
}

func writeXLSXTables(w io.Writer, about [][2]string, tables []crm.Table) error {
	f := excelize.NewFile()
	defer f.Close()
	num, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("dd.mm.yyyy hh:mm")})
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	used := map[string]bool{}
	first := true
	sheet := func(title string, i int) (string, error) {
		name := sheetName(title, i, used)
		if first {
			first = false
			return name, f.SetSheetName("Sheet1", name)
		}
		_, err := f.NewSheet(name)
		return name, err
	}
	if len(about) > 0 {
		name, err := sheet(aboutSheet, -1)
		if err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		for j, a := range about {
			cell, _ := excelize.CoordinatesToCellName(1, j+1)
			if err := f.SetSheetRow(name, cell, &[]any{a[0], a[1]}); err != nil {
				return fmt.Errorf("xlsx: %w", err)
			}
		}
		_ = f.SetColWidth(name, "A", "A", 24)
		_ = f.SetColWidth(name, "B", "B", 60)
		_ = f.SetCellStyle(name, "A1", fmt.Sprintf("A%d", len(about)), bold)
	}
	for i, t := range tables {
		name, err := sheet(t.Title, i)
		if err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		if err := f.SetSheetRow(name, "A1", &[]any{t.Title}); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		head := toAny(t.Columns)
		if err := f.SetSheetRow(name, "A2", &head); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		last, _ := excelize.CoordinatesToCellName(max(1, len(t.Columns)), 2)
		_ = f.SetCellStyle(name, "A1", last, bold)
		for j, r := range t.Rows {
			row := make([]any, len(r))
			for k, c := range r {
				row[k] = c
				switch v := c.(type) {
				case crm.Decimal:
					row[k] = string(v)
					if x, err := strconv.ParseFloat(string(v), 64); err == nil && len(strings.Trim(string(v), "-.")) <= 16 {
						row[k] = x
						cell, _ := excelize.CoordinatesToCellName(k+1, j+3)
						_ = f.SetCellStyle(name, cell, cell, num)
					}
				case time.Time:
					// A date cell, as the report's reader saw the moment.
					row[k] = time.Date(v.Year(), v.Month(), v.Day(), v.Hour(), v.Minute(), v.Second(), 0, time.UTC)
					cell, _ := excelize.CoordinatesToCellName(k+1, j+3)
					_ = f.SetCellStyle(name, cell, cell, date)
				case crm.Label:
					row[k] = v.Text
				case nil:
					row[k] = ""
				}
			}
			cell, _ := excelize.CoordinatesToCellName(1, j+3)
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				return fmt.Errorf("xlsx: %w", err)
			}
		}
		_ = f.SetColWidth(name, "A", "A", 32)
	}
	return f.Write(w)
}

// aboutSheet is the XLSX sheet saying what the report is.
const aboutSheet = "Об отчёте"

// sheetMax is the longest sheet name Excel takes.
const sheetMax = 31

// sheetName makes a title a valid, unique sheet name: at most 31
// characters, none of []:*?/\, cut at a word with «…», a number added
// when two titles cut the same.
func sheetName(title string, i int, used map[string]bool) string {
	r := strings.NewReplacer("[", "(", "]", ")", ":", " ", "*", " ", "?", " ", "/", " ", "\\", " ", "«", "", "»", "", "'", "")
	name := strings.Join(strings.Fields(r.Replace(title)), " ")
	if name == "" {
		name = "Лист"
	}
	base := name
	for n := 1; ; n++ {
		suffix := ""
		if n > 1 {
			suffix = " " + strconv.Itoa(n)
		}
		name = cutWords(base, sheetMax-len([]rune(suffix))) + suffix
		if !used[name] {
			used[name] = true
			return name
		}
	}
}

// cutWords shortens s to at most n characters at a word boundary, with
// «…» in place of what is cut; a single word longer than n is cut inside.
func cutWords(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	cut := string(rs[:n-1])
	if rs[n-1] != ' ' { // the cut is inside a word: drop its start
		if i := strings.LastIndex(cut, " "); i > 0 {
			cut = cut[:i]
		}
	}
	return strings.TrimRight(cut, " ,.;-—") + "…"
}

func ptr[T any](v T) *T { return &v }
