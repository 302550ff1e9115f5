package imports

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/leadd/leadd/crm"
)

// Lister is what an export reads of the store, page by page.
type Lister interface {
	Leads(ctx context.Context, f crm.LeadFilter) ([]crm.Lead, string, error)
	Contacts(ctx context.Context, f crm.ContactFilter) ([]crm.Contact, string, error)
	Companies(ctx context.Context, f crm.CompanyFilter) ([]crm.Company, string, error)
	Deals(ctx context.Context, f crm.DealFilter) ([]crm.Deal, string, error)
	Contact(ctx context.Context, id int64) (crm.Contact, error)
	Company(ctx context.Context, id int64) (crm.Company, error)
	Managers(ctx context.Context) ([]crm.Manager, error)
	Pipelines(ctx context.Context) ([]crm.Pipeline, error)
	FieldSet() *crm.FieldSet
}

var _ Lister = (*crm.Store)(nil)

// Filter selects what an export takes; the field of its kind is used, its
// Limit and Cursor are not.
type Filter struct {
	Leads     crm.LeadFilter
	Contacts  crm.ContactFilter
	Companies crm.CompanyFilter
	Deals     crm.DealFilter
}

// Headers are the columns of each kind's export, named so that an import
// of the file takes them back; the kind's custom fields follow, by label.
var Headers = map[Kind][]string{
	Leads:     {"ID", "Статус", "Канал", "Источник", "Имя", "Телефон", "E-mail", "Комментарий", "Ответственный", "Создан (UTC)"},
	Contacts:  {"ID", "ФИО", "Телефон", "E-mail", "Должность", "Компания", "ИНН", "Ответственный", "Создан (UTC)"},
	Companies: {"ID", "Название", "ИНН", "КПП", "ОГРН", "Адрес", "Телефон", "E-mail", "Ответственный", "Создана (UTC)"},
	Deals:     {"ID", "Название сделки", "Сумма", "Валюта", "Воронка", "Стадия", "Статус", "Контакт", "Телефон", "E-mail", "Компания", "ИНН", "Ответственный", "Создана (UTC)"},
}

// ContentType is the media type of an export format.
func ContentType(format string) string {
	if format == "xlsx" {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// Export writes the list of a kind as CSV — UTF-8 with a BOM and ";", as
// Russian Excel opens it — or as an XLSX workbook, newest first. Errors:
// EINVALID (the format, the kind, a filter), and the store's.
func Export(ctx context.Context, w io.Writer, format string, kind Kind, l Lister, f Filter) error {
	header, ok := Headers[kind]
	if !ok {
		return crm.Invalid("kind", "must be leads, contacts, companies or deals, not %q", kind)
	}
	fs := l.FieldSet()
	defs := fs.Decls.Of(fieldKind[kind])
	header = slices.Clone(header)
	for _, d := range defs {
		header = append(header, d.Label)
	}
	var s sheet
	switch format {
	case "csv":
		s = newCSVSheet(w)
	case "xlsx":
		x, err := newXLSXSheet(w, kind)
		if err != nil {
			return err
		}
		s = x
	default:
		return crm.Invalid("format", "must be csv or xlsx, not %q", format)
	}
	e := &exporter{l: l, defs: defs, companies: map[int64]*crm.Company{}, contacts: map[int64]*crm.Contact{}}
	first := true
	err := e.each(ctx, kind, f, func(cells []any) error {
		if first {
			first = false
			if err := s.row(toAny(header)); err != nil {
				return err
			}
		}
		return s.row(cells)
	})
	if err != nil {
		return err
	}
	if first { // an empty list is still a table
		if err := s.row(toAny(header)); err != nil {
			return err
		}
	}
	return s.close()
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// sheet is where rows go.
type sheet interface {
	row(cells []any) error
	close() error
}

type csvSheet struct {
	w   *csv.Writer
	bom bool
	out io.Writer
}

func newCSVSheet(w io.Writer) *csvSheet {
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = ';', true
	return &csvSheet{w: cw, out: w}
}

func (s *csvSheet) row(cells []any) error {
	if !s.bom {
		s.bom = true
		if _, err := io.WriteString(s.out, "\ufeff"); err != nil {
			return err
		}
	}
	rec := make([]string, len(cells))
	for i, c := range cells {
		switch v := c.(type) {
		case amount:
			rec[i] = strings.Replace(string(v), ".", ",", 1) // as Russian Excel reads a number
		default:
			rec[i] = defuse(fmt.Sprint(v))
		}
	}
	return s.w.Write(rec)
}

func (s *csvSheet) close() error {
	s.w.Flush()
	return s.w.Error()
}

// defuse keeps a spreadsheet from taking a cell for a formula (OWASP's
// CSV injection): a cell starting with =, +, -, @, a tab or a CR gets a
// leading apostrophe, so a name typed into a web form as "=HYPERLINK(…)"
// or "-1+1" stays text. Phones ("+79161234567", several joined by ", ")
// and plain negative numbers keep their sign: a spreadsheet reads no
// formula in them.
func defuse(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '@', '\t', '\r', '\n':
		return "'" + s
	case '+', '-':
		if !inert.MatchString(s) {
			return "'" + s
		}
	}
	return s
}

// inert are the values starting with a sign that are no formula: phones
// and lists of them, and negative numbers.
var inert = regexp.MustCompile(`^(\+\d{5,15}(, \+\d{5,15})*|-\d+([.,]\d+)?)$`)

type xlsxSheet struct {
	f   *excelize.File
	sw  *excelize.StreamWriter
	n   int
	out io.Writer
	num int // the style of sums
}

var sheetNames = map[Kind]string{Leads: "Лиды", Contacts: "Контакты", Companies: "Компании", Deals: "Сделки"}

func newXLSXSheet(w io.Writer, kind Kind) (*xlsxSheet, error) {
	f := excelize.NewFile()
	name := sheetNames[kind]
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	num, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	if err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	return &xlsxSheet{f: f, sw: sw, out: w, num: num}, nil
}

func (s *xlsxSheet) row(cells []any) error {
	s.n++
	out := make([]any, len(cells))
	for i, c := range cells {
		out[i] = c
		if v, ok := c.(string); ok {
			out[i] = defuse(v) // a string cell is no formula, but a copy pasted elsewhere may be
		}
		if a, ok := c.(amount); ok {
			out[i] = string(a)
			// A float keeps 15 digits: bigger sums stay text, exact.
			if v, err := strconv.ParseFloat(string(a), 64); err == nil && len(strings.Trim(string(a), "-.")) <= 16 {
				out[i] = excelize.Cell{Value: v, StyleID: s.num}
			}
		}
	}
	cell, _ := excelize.CoordinatesToCellName(1, s.n)
	return s.sw.SetRow(cell, out)
}

func (s *xlsxSheet) close() error {
	defer s.f.Close()
	if err := s.sw.Flush(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return s.f.Write(s.out)
}

// amount is a sum, written as a number.
type amount string

// exporter turns records into rows, looking up the names they refer to
// once each.
type exporter struct {
	l         Lister
	defs      []crm.FieldDef // the kind's custom fields, the last columns
	managers  map[int64]string
	pipelines map[string]string
	companies map[int64]*crm.Company
	contacts  map[int64]*crm.Contact
}

func (e *exporter) each(ctx context.Context, kind Kind, f Filter, row func([]any) error) error {
	ms, err := e.l.Managers(ctx)
	if err != nil {
		return err
	}
	e.managers = map[int64]string{}
	for _, m := range ms {
		e.managers[m.ID] = m.Name
	}
	switch kind {
	case Leads:
		q := f.Leads
		return pages(ctx, &q.Cursor, &q.Limit, func() ([]crm.Lead, string, error) { return e.l.Leads(ctx, q) }, func(l crm.Lead) error {
			return row(e.custom([]any{l.ID, l.Status, l.Channel, l.Source, l.Name, strings.Join(l.Phones, ", "), strings.Join(l.Emails, ", "),
				l.Comment, e.manager(l.ManagerID), stamp(l.CreatedAt)}, l.Fields))
		})
	case Contacts:
		q := f.Contacts
		return pages(ctx, &q.Cursor, &q.Limit, func() ([]crm.Contact, string, error) { return e.l.Contacts(ctx, q) }, func(c crm.Contact) error {
			co, err := e.company(ctx, c.CompanyID)
			if err != nil {
				return err
			}
			return row(e.custom([]any{c.ID, c.Name, strings.Join(c.Phones, ", "), strings.Join(c.Emails, ", "), c.Position,
				co.Name, deref(co.INN), e.manager(c.ManagerID), stamp(c.CreatedAt)}, c.Fields))
		})
	case Companies:
		q := f.Companies
		return pages(ctx, &q.Cursor, &q.Limit, func() ([]crm.Company, string, error) { return e.l.Companies(ctx, q) }, func(c crm.Company) error {
			return row(e.custom([]any{c.ID, c.Name, deref(c.INN), deref(c.KPP), deref(c.OGRN), c.Address, strings.Join(c.Phones, ", "),
				strings.Join(c.Emails, ", "), e.manager(c.ManagerID), stamp(c.CreatedAt)}, c.Fields))
		})
	case Deals:
		ps, err := e.l.Pipelines(ctx)
		if err != nil {
			return err
		}
		e.pipelines = map[string]string{}
		for _, p := range ps {
			e.pipelines[p.Key] = p.Name
		}
		q := f.Deals
		return pages(ctx, &q.Cursor, &q.Limit, func() ([]crm.Deal, string, error) { return e.l.Deals(ctx, q) }, func(d crm.Deal) error {
			co, err := e.company(ctx, d.CompanyID)
			if err != nil {
				return err
			}
			c, err := e.contact(ctx, d.ContactID)
			if err != nil {
				return err
			}
			return row(e.custom([]any{d.ID, d.Title, amount(d.Amount), d.Currency, e.pipelines[d.Pipeline], d.StageName, statusNames[d.Status],
				c.Name, strings.Join(c.Phones, ", "), strings.Join(c.Emails, ", "), co.Name, deref(co.INN), e.manager(d.ManagerID), stamp(d.CreatedAt)}, d.Fields))
		})
	}
	return nil
}

// fieldKind is the custom fields' kind of an export's.
var fieldKind = map[Kind]string{Leads: crm.FieldsLead, Contacts: crm.FieldsContact, Companies: crm.FieldsCompany, Deals: crm.FieldsDeal}

// custom appends a record's custom fields, as people read them (a date
// 06.12.2026, Да/Нет, an enum's label) and as the import takes them back;
// money and numbers are numbers.
func (e *exporter) custom(cells []any, f crm.Fields) []any {
	for _, d := range e.defs {
		v := f[d.Key]
		switch {
		case v != "" && (d.Type == crm.FieldMoney || d.Type == crm.FieldNumber):
			cells = append(cells, amount(v))
		default:
			cells = append(cells, d.Display(v))
		}
	}
	return cells
}

var statusNames = map[string]string{crm.DealOpen: "в работе", crm.DealWon: "успешно", crm.DealLost: "проиграна"}

// pages calls each for every item of every page.
func pages[T any](ctx context.Context, cursor *string, limit *int, list func() ([]T, string, error), each func(T) error) error {
	*limit = crm.MaxPage
	for {
		items, next, err := list()
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := each(it); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		*cursor = next
	}
}

func (e *exporter) manager(id *int64) string {
	if id == nil {
		return ""
	}
	return e.managers[*id]
}

// company is the company a record names; a gone one (merged) is blank.
func (e *exporter) company(ctx context.Context, id *int64) (*crm.Company, error) {
	if id == nil {
		return &crm.Company{}, nil
	}
	if c, ok := e.companies[*id]; ok {
		return c, nil
	}
	c, err := e.l.Company(ctx, *id)
	if err != nil && crm.ErrorCode(err) != crm.ENOTFOUND {
		return nil, err
	}
	e.companies[*id] = &c
	return &c, nil
}

func (e *exporter) contact(ctx context.Context, id *int64) (*crm.Contact, error) {
	if id == nil {
		return &crm.Contact{}, nil
	}
	if c, ok := e.contacts[*id]; ok {
		return c, nil
	}
	c, err := e.l.Contact(ctx, *id)
	if err != nil && crm.ErrorCode(err) != crm.ENOTFOUND {
		return nil, err
	}
	e.contacts[*id] = &c
	return &c, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }
