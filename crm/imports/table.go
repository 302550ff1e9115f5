package imports

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/leadd/leadd/crm"
)

// WriteTables writes report tables as CSV — UTF-8 with a BOM and ";",
// decimals with a comma, as Russian Excel opens it; each table under its
// title, a blank line between — or as an XLSX workbook with a sheet per
// table. Errors: EINVALID (the format).
func WriteTables(w io.Writer, format string, tables []crm.Table) error {
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
		for i, t := range tables {
			if i > 0 {
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
		return writeXLSXTables(w, tables)
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
		case nil:
			out[i] = ""
		default:
			out[i] = v
		}
	}
	return out
}

func writeXLSXTables(w io.Writer, tables []crm.Table) error {
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
	used := map[string]bool{}
	for i, t := range tables {
		name := sheetName(t.Title, i, used)
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return fmt.Errorf("xlsx: %w", err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
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

// sheetName makes a title a valid, unique sheet name (31 characters, no
// []:*?/\).
func sheetName(title string, i int, used map[string]bool) string {
	r := strings.NewReplacer("[", "(", "]", ")", ":", " ", "*", " ", "?", " ", "/", " ", "\\", " ", "«", "", "»", "")
	name := strings.TrimSpace(r.Replace(title))
	if rs := []rune(name); len(rs) > 28 {
		name = string(rs[:28])
	}
	if name == "" || used[name] {
		name = fmt.Sprintf("%s %d", name, i+1)
	}
	used[name] = true
	return name
}
