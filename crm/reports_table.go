package crm

// Table is a report as rows, for CSV, XLSX and the console: a title, the
// column headers, and cells that are strings, Labels, ints, Decimals or
// nil. The words are Russian (the files are); Head and Heads carry the
// keys the console translates them by, and Links the list behind each
// figure.
type Table struct {
	Title   string
	Columns []string
	Rows    [][]any
	Head    Label
	Heads   []Label
	// Links has a row for each of Rows and a cell for each of its cells:
	// the API path of the leads or deals behind the figure (see Drill),
	// "" for a word or a derived figure (a percent, a median, a target).
	// The list's length — or, for a sum, its sum — is the figure.
	Links [][]string
}

// Label is a word of a report a person reads: its Russian text, and the
// catalogue key (with an argument for a %s in it) that the console shows
// it in the viewer's language by. Arg is itself a catalogue key when the
// catalogue has it (a junk reason, a channel), else shown as it is (a
// pipeline's name).
type Label struct {
	Key  string
	Arg  string
	Text string
}

// String is the Russian text.
func (l Label) String() string { return l.Text }

func lbl(key, text string) Label { return Label{Key: key, Text: text} }

// linked is a figure with the list behind it, as a table is built.
type linked struct {
	v    any
	link string
}

func link(v any, url string) linked { return linked{v, url} }

func newTable(title Label, cols ...Label) Table {
	t := Table{Title: title.Text, Head: title, Heads: cols}
	for _, c := range cols {
		t.Columns = append(t.Columns, c.Text)
	}
	return t
}

// row adds a row; a cell made by link carries its list.
func (t *Table) row(cells ...any) {
	row, links := make([]any, len(cells)), make([]string, len(cells))
	for i, c := range cells {
		if l, ok := c.(linked); ok {
			row[i], links[i] = l.v, l.link
			continue
		}
		row[i] = c
	}
	t.Rows = append(t.Rows, row)
	t.Links = append(t.Links, links)
}

// moneyHead is a money column's heading in a currency: "Сумма, ₽".
func moneyHead(key, text, currency string) Label {
	return Label{Key: key, Arg: CurrencySign(currency), Text: text + ", " + CurrencySign(currency)}
}

var totalLabel = lbl("rep.total", "Итого")

// otherCurrenciesTable lists the deals a report counted in other
// currencies than its sums, with their own sums; nil when there are none.
func otherCurrenciesTable(o []OtherCurrency) []Table {
	if len(o) == 0 {
		return nil
	}
	t := newTable(lbl("rep.t.other_currencies", "Сделки в других валютах (не сложены с суммами выше)"),
		lbl("rep.c.currency", "Валюта"), lbl("rep.c.deals", "Сделки"), lbl("rep.c.sum", "Сумма"))
	for _, x := range o {
		t.row(x.Currency, link(x.Deals, x.Links["deals"]), link(Decimal(x.Sum), x.Links["sum"]))
	}
	return []Table{t}
}

// managerCell is a manager's name in a table; nobody's records are
// labelled so in the viewer's language.
func managerCell(m ManagerRef) any {
	if m.ID == 0 {
		return lbl("rep.unassigned", m.Name)
	}
	return m.Name
}
