package imports

import (
	"slices"
	"strings"
	"unicode"

	"github.com/leadd/leadd/crm"
)

// Kind is what the rows of a table are.
type Kind string

// The kinds a table may hold; Leads is for export only.
const (
	Contacts  Kind = "contacts"
	Companies Kind = "companies"
	Deals     Kind = "deals"
	Leads     Kind = "leads"
)

// Fields a column may map to, per kind. Several columns may map to one
// field: phones and e-mails are joined, other fields take the first
// non-empty cell.
var Fields = map[Kind][]string{
	Contacts:  {"name", "last_name", "middle_name", "phone", "email", "position", "company", "inn", "manager", "comment"},
	Companies: {"name", "inn", "kpp", "ogrn", "address", "phone", "email", "manager", "comment"},
	Deals:     {"title", "amount", "currency", "pipeline", "stage", "contact", "phone", "email", "company", "inn", "manager", "comment"},
}

// Mapping says which field a column holds: {"Тел. моб": "phone"}. A
// column mapped to "" or "-" is ignored. It overrides the guess.
type Mapping map[string]string

// Column is one column of the table and the field it was taken as; an
// ignored column has no field.
type Column struct {
	Header string `json:"header"`
	Field  string `json:"field,omitempty"`
	Guess  bool   `json:"guessed,omitempty"` // from the header, not the caller's mapping
}

// Headers are compared by their letters and digits only, lower-cased, ё as
// е: "Эл. почта" is "элпочта", "E-mail" is "email".
func headerKey(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == 'ё':
			b.WriteRune('е')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

var (
	nameWords    = []string{"фио", "имя", "name", "fullname", "firstname", "контакт", "контактноелицо", "клиент", "фамилияимяотчество", "имяклиента", "contact", "contactname", "person"}
	phoneWords   = []string{"телефон", "телефоны", "тел", "моб", "мобильный", "мобтел", "сотовый", "номертелефона", "phone", "phones", "mobile", "tel", "telephone", "phonenumber"}
	emailWords   = []string{"email", "emails", "еmail", "почта", "элпочта", "электроннаяпочта", "емейл", "емэйл", "мейл", "mail"}
	companyWords = []string{"компания", "организация", "company", "companyname", "организацияклиента", "фирма", "юрлицо", "контрагент", "organization", "organisation", "клиентюрлицо"}
	managerWords = []string{"ответственный", "ответственныйменеджер", "менеджер", "manager", "owner", "responsible", "assignedto"}
	innWords     = []string{"инн", "inn", "иннкомпании", "иннорганизации", "taxid"}
	commentWords = []string{"комментарий", "комментарии", "коммент", "примечание", "примечания", "заметка", "заметки", "описание",
		"comment", "comments", "note", "notes", "remark", "remarks"}
	synonymsByKey = map[Kind]map[string]string{
		Contacts: synonyms(map[string][]string{
			"name":        nameWords,
			"last_name":   {"фамилия", "lastname", "surname", "familyname"},
			"middle_name": {"отчество", "middlename", "patronymic"},
			"phone":       phoneWords,
			"email":       emailWords,
			"position":    {"должность", "position", "jobtitle"},
			"company":     companyWords,
			"inn":         innWords,
			"manager":     managerWords,
			"comment":     commentWords,
		}),
		Companies: synonyms(map[string][]string{
			"name":    append([]string{"название", "наименование", "name", "названиекомпании", "наименованиеорганизации", "полноенаименование", "краткоенаименование"}, companyWords...),
			"inn":     innWords,
			"kpp":     {"кпп", "kpp"},
			"ogrn":    {"огрн", "огрнип", "ogrn", "ogrnip"},
			"address": {"адрес", "юридическийадрес", "юрадрес", "фактическийадрес", "почтовыйадрес", "address", "legaladdress"},
			"phone":   phoneWords,
			"email":   emailWords,
			"manager": managerWords,
			"comment": commentWords,
		}),
		Deals: synonyms(map[string][]string{
			"title":    {"названиесделки", "сделка", "название", "наименование", "наименованиесделки", "предмет", "title", "deal", "dealname", "dealtitle"},
			"amount":   {"сумма", "суммасделки", "бюджет", "стоимость", "amount", "sum", "value", "dealamount", "budget"},
			"currency": {"валюта", "currency"},
			"pipeline": {"воронка", "воронкапродаж", "pipeline", "funnel"},
			"stage":    {"стадия", "этап", "стадиясделки", "этапсделки", "stage", "dealstage"},
			"contact":  nameWords,
			"phone":    phoneWords,
			"email":    emailWords,
			"company":  companyWords,
			"inn":      innWords,
			"manager":  managerWords,
			"comment":  commentWords,
		}),
	}
	// Headers no synonym names exactly are guessed by what they contain
	// ("Рабочий телефон") or start with ("ИНН клиента"), in this order.
	containsWords = [][2]string{{"телефон", "phone"}, {"phone", "phone"}, {"мобильн", "phone"}, {"email", "email"}, {"почт", "email"}}
	prefixWords   = [][2]string{{"коммент", "comment"}, {"примечан", "comment"}, {"инн", "inn"}, {"фио", "name"}, {"ответствен", "manager"}, {"менеджер", "manager"}, {"должност", "position"}, {"компани", "company"}, {"организац", "company"}, {"сумма", "amount"}}
)

func synonyms(m map[string][]string) map[string]string {
	out := map[string]string{}
	for field, words := range m {
		for _, w := range words {
			out[w] = field
		}
	}
	return out
}

// fieldsPrefix names a custom field among a column's fields:
// "fields.budget".
const fieldsPrefix = "fields."

// mapper maps headers to fields for a kind and its custom fields.
type mapper struct {
	kind Kind
	defs []crm.FieldDef
}

// guessField is the field a header names for kind, or "".
func guessField(kind Kind, header string) string { return mapper{kind: kind}.guess(header) }

// custom is the custom field a header or a mapping names by its key or
// label ("fields.budget"), or "".
func (m mapper) custom(header string) string {
	k := headerKey(header)
	if k == "" {
		return ""
	}
	for _, d := range m.defs {
		if k == headerKey(d.Label) || k == headerKey(d.Key) || strings.TrimSpace(header) == fieldsPrefix+d.Key {
			return fieldsPrefix + d.Key
		}
	}
	return ""
}

// guess is the field a header names: a custom field's label or key
// first, then a field's own name, then what the header contains or
// starts with.
func (m mapper) guess(header string) string {
	kind := m.kind
	k := headerKey(header)
	if k == "" {
		return ""
	}
	// A custom field's own label wins: a company that declares «Бюджет»
	// means its own field, not the deal's amount.
	if f := m.custom(header); f != "" {
		return f
	}
	if f, ok := synonymsByKey[kind][k]; ok {
		return f
	}
	for _, w := range containsWords {
		if strings.Contains(k, w[0]) && slices.Contains(Fields[kind], w[1]) {
			return w[1]
		}
	}
	for _, w := range prefixWords {
		field := w[1]
		if kind == Companies && field == "company" {
			field = "name"
		}
		if kind == Deals && field == "name" {
			field = "contact"
		}
		if strings.HasPrefix(k, w[0]) && slices.Contains(Fields[kind], field) {
			return field
		}
	}
	return ""
}

// fieldOf resolves a caller's mapping value: a field name, a custom
// field's key, label or "fields.<key>", a header the guess knows
// ("Телефон"), or "" and "-" to ignore the column.
func (m mapper) fieldOf(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" || v == "-" {
		return "", true
	}
	if slices.Contains(Fields[m.kind], v) {
		return v, true
	}
	if f := m.custom(v); f != "" {
		return f, true
	}
	if f := m.guess(v); f != "" {
		return f, true
	}
	return "", false
}

// columns maps a header row; every key of mp must name a column of it.
// Errors: EINVALID naming the mapping entry at fault, or when no column
// says who a row is.
func (m mapper) columns(header []string, mp Mapping) ([]Column, error) {
	kind := m.kind
	cols := make([]Column, len(header))
	used := map[string]bool{}
	for i, h := range header {
		cols[i] = Column{Header: h}
		if f, ok := m.override(h, mp); ok {
			cols[i].Field = f
			continue
		}
		cols[i].Field, cols[i].Guess = m.guess(h), true
		if cols[i].Field == "" {
			cols[i].Guess = false
		}
	}
	for k, v := range mp {
		if _, ok := m.fieldOf(v); !ok {
			names := slices.Clone(Fields[kind])
			for _, d := range m.defs {
				names = append(names, fieldsPrefix+d.Key)
			}
			return nil, crm.Invalid("mapping", "%q: %q is not a field of %s; the fields are %s", k, v, kind, strings.Join(names, ", "))
		}
		found := false
		for _, h := range header {
			found = found || matchesHeader(k, h)
		}
		if !found {
			return nil, crm.Invalid("mapping", "the file has no column %q; its columns are %q", k, header)
		}
	}
	for _, c := range cols {
		used[c.Field] = true
	}
	need := map[Kind][]string{
		Contacts:  {"name", "last_name", "phone", "email"},
		Companies: {"name", "inn"},
		Deals:     {"title", "contact", "phone", "email", "company", "inn"},
	}[kind]
	if !slices.ContainsFunc(need, func(f string) bool { return used[f] }) {
		return nil, crm.Invalid("mapping", "no column of the file is taken as any of %s; name them in the mapping", strings.Join(need, ", "))
	}
	return cols, nil
}

func (m mapper) override(header string, mp Mapping) (string, bool) {
	for k, v := range mp {
		if matchesHeader(k, header) {
			f, ok := m.fieldOf(v)
			return f, ok
		}
	}
	return "", false
}

func matchesHeader(key, header string) bool {
	key = strings.TrimSpace(key)
	return key == strings.TrimSpace(header) || (headerKey(key) != "" && headerKey(key) == headerKey(header))
}

// headerRow picks the header among the first rows: the one most of whose
// cells name a field (a title line above the table is skipped), the first
// row when none does.
func (m mapper) headerRow(rows []Row, mp Mapping) int {
	best, bestScore := 0, 0
	for i := 0; i < len(rows) && i < 10; i++ {
		score := 0
		for _, c := range rows[i].Cells {
			if f, ok := m.override(c, mp); (ok && f != "") || m.guess(c) != "" {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}

// values is one row's cells by field.
type values map[string]string

// rowValues gathers a row's cells by the fields of their columns.
func rowValues(cols []Column, cells []string) values {
	v := values{}
	for i, c := range cols {
		if c.Field == "" || i >= len(cells) || cells[i] == "" {
			continue
		}
		switch have := v[c.Field]; {
		case have == "":
			v[c.Field] = cells[i]
		case c.Field == "phone" || c.Field == "email":
			v[c.Field] = have + ", " + cells[i]
		case c.Field == "comment":
			v[c.Field] = have + "\n" + cells[i]
		}
	}
	return v
}
