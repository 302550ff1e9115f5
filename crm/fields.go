package crm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadd/leadd/dedupe"
)

// Custom field types.
const (
	FieldString = "string" // one line
	FieldText   = "text"   // several lines
	FieldNumber = "number" // a decimal: "12.5"
	FieldMoney  = "money"  // roubles and kopecks: "1275833.33"
	FieldDate   = "date"   // "2026-12-06"
	FieldBool   = "bool"   // "true" or "false"
	FieldEnum   = "enum"   // one of its values' keys
	FieldPhone  = "phone"  // E.164 (with ";ext=N")
	FieldEmail  = "email"  // lower-cased
	FieldURL    = "url"    // http or https
)

// FieldTypes are the types a custom field may have.
var FieldTypes = []string{FieldString, FieldText, FieldNumber, FieldMoney, FieldDate, FieldBool, FieldEnum,
	FieldPhone, FieldEmail, FieldURL}

// Record kinds that carry custom fields.
const (
	FieldsLead    = "lead"
	FieldsDeal    = "deal"
	FieldsContact = "contact"
	FieldsCompany = "company"
)

// MaxStringField is the longest value of a string field (one line).
const MaxStringField = 500

// FieldDef declares one custom field of a kind of record.
type FieldDef struct {
	Key      string `json:"key" yaml:"key"`
	Label    string `json:"label" yaml:"label"`
	Type     string `json:"type" yaml:"type"`
	Required bool   `json:"required" yaml:"required"`
	// Values are an enum's choices: the key stored, the label shown.
	Values []Reason `json:"values,omitempty" yaml:"values"`
}

// FieldDecls are the custom fields declared per kind of record.
type FieldDecls struct {
	Lead    []FieldDef `json:"lead" yaml:"lead"`
	Deal    []FieldDef `json:"deal" yaml:"deal"`
	Contact []FieldDef `json:"contact" yaml:"contact"`
	Company []FieldDef `json:"company" yaml:"company"`
}

// Of returns the declarations of a kind (lead, deal, contact, company).
func (d *FieldDecls) Of(kind string) []FieldDef {
	if d == nil {
		return nil
	}
	switch kind {
	case FieldsLead:
		return d.Lead
	case FieldsDeal:
		return d.Deal
	case FieldsContact:
		return d.Contact
	case FieldsCompany:
		return d.Company
	}
	return nil
}

// Def finds a kind's field by key.
func (d *FieldDecls) Def(kind, key string) (FieldDef, bool) {
	for _, f := range d.Of(kind) {
		if f.Key == key {
			return f, true
		}
	}
	return FieldDef{}, false
}

// Validate returns the problems of the declarations, each naming its key
// (fields.deal[1].type), and fills empty labels with the key.
func (d *FieldDecls) Validate(prefix string) []error {
	var errs []error
	for _, kind := range []string{FieldsLead, FieldsDeal, FieldsContact, FieldsCompany} {
		defs := d.Of(kind)
		seen := map[string]bool{}
		for i := range defs {
			f := &defs[i]
			at := fmt.Sprintf("%s.%s[%d]", prefix, kind, i)
			bad := func(key, format string, args ...any) {
				errs = append(errs, fmt.Errorf("%s.%s: %s", at, key, fmt.Sprintf(format, args...)))
			}
			switch {
			case !keyRe.MatchString(f.Key) || len(f.Key) > 64:
				bad("key", "must be lower-case letters, digits and _ (at most 64), starting with a letter, not %q", f.Key)
			case seen[f.Key]:
				bad("key", "%q is declared twice", f.Key)
			}
			seen[f.Key] = true
			if f.Label == "" {
				f.Label = f.Key
			}
			if utf8.RuneCountInString(f.Label) > 200 || strings.ContainsAny(f.Label, "\r\n") {
				bad("label", "is one line of at most 200 characters")
			}
			if !slices.Contains(FieldTypes, f.Type) {
				bad("type", "must be one of %s, not %q", strings.Join(FieldTypes, ", "), f.Type)
			}
			switch {
			case f.Type == FieldEnum && len(f.Values) == 0:
				bad("values", "an enum needs its values")
			case f.Type != FieldEnum && len(f.Values) > 0:
				bad("values", "only an enum has values")
			}
			vseen := map[string]bool{}
			for j := range f.Values {
				v := &f.Values[j]
				if v.Key == "" || utf8.RuneCountInString(v.Key) > 100 || strings.ContainsAny(v.Key, "\r\n") {
					bad(fmt.Sprintf("values[%d].key", j), "must be one line of 1 to 100 characters")
				} else if vseen[strings.ToLower(v.Key)] {
					bad(fmt.Sprintf("values[%d].key", j), "%q is listed twice", v.Key)
				}
				vseen[strings.ToLower(v.Key)] = true
				if v.Label == "" {
					v.Label = v.Key
				}
			}
		}
	}
	return errs
}

// FieldSet is the declarations in force and how phone fields are read.
type FieldSet struct {
	Decls  FieldDecls
	Phones dedupe.Normalizer
}

// Fields is a record's custom fields: key → the value in its canonical
// text (see the Field* types). Read from JSON it takes strings, numbers
// and booleans (as their text); null is "" (a patch removes the field).
type Fields map[string]string

// MarshalJSON writes no fields as {}, never null.
func (f Fields) MarshalJSON() ([]byte, error) {
	if f == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(map[string]string(f))
}

// UnmarshalJSON reads an object of scalars.
func (f *Fields) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*f = nil
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Fields, len(raw))
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		switch {
		case bytes.Equal(v, []byte("null")):
			out[k] = ""
		case len(v) > 0 && v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			out[k] = s
		case bytes.Equal(v, []byte("true")), bytes.Equal(v, []byte("false")):
			out[k] = string(v)
		case len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')):
			var n json.Number
			if err := json.Unmarshal(v, &n); err != nil {
				return err
			}
			out[k] = n.String()
		default:
			return fmt.Errorf("fields.%s: must be a string, a number or a boolean", k)
		}
	}
	*f = out
	return nil
}

var (
	numberRe     = regexp.MustCompile(`^-?\d{1,18}(\.\d{1,6})?$`)
	fieldMoneyRe = regexp.MustCompile(`^-?\d{1,16}(\.\d{1,2})?$`)
	dotDateRe    = regexp.MustCompile(`^(\d{1,2})\.(\d{1,2})\.(\d{4})$`)
)

// decimalText tidies a number as people type it: spaces between the
// groups, a comma for the point, a currency sign after it.
func decimalText(s string, money bool) string {
	s = strings.TrimSpace(s)
	if money {
		for _, cur := range []string{"₽", "руб.", "руб", "р.", "RUB", "rub"} {
			s = strings.TrimSpace(strings.TrimSuffix(s, cur))
		}
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\u202f', '\'':
			return -1
		case ',':
			return '.'
		case '−':
			return '-'
		}
		return r
	}, s)
	return strings.TrimPrefix(s, "+")
}

// Normalize checks a value against the field's type and returns its
// canonical text. Errors: EINVALID naming fields.<key>.
func (fs *FieldSet) Normalize(d FieldDef, v string) (string, error) {
	field := "fields." + d.Key
	if err := CheckText(field, v, MaxFieldValue); err != nil {
		return "", err
	}
	v = strings.TrimSpace(v)
	switch d.Type {
	case FieldString:
		if strings.ContainsAny(v, "\r\n") {
			return "", Invalid(field, "is one line; use a text field for several")
		}
		if utf8.RuneCountInString(v) > MaxStringField {
			return "", Invalid(field, "is longer than %d characters", MaxStringField)
		}
		return v, nil
	case FieldText:
		return v, nil
	case FieldNumber:
		n := decimalText(v, false)
		if !numberRe.MatchString(n) {
			return "", Invalid(field, "must be a number like 12.5, not %q", v)
		}
		r, _ := new(big.Rat).SetString(n)
		return ratText(r), nil
	case FieldMoney:
		n := decimalText(v, true)
		if !fieldMoneyRe.MatchString(n) {
			return "", Invalid(field, "must be an amount like 1275833.33, not %q", v)
		}
		r, _ := new(big.Rat).SetString(n)
		return r.FloatString(2), nil
	case FieldDate:
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t.Format(time.DateOnly), nil
		}
		if m := dotDateRe.FindStringSubmatch(v); m != nil {
			if t, err := time.Parse("2.1.2006", m[1]+"."+m[2]+"."+m[3]); err == nil {
				return t.Format(time.DateOnly), nil
			}
		}
		return "", Invalid(field, "must be a date like 2026-12-06 or 06.12.2026, not %q", v)
	case FieldBool:
		switch strings.ToLower(v) {
		case "true", "1", "yes", "да", "y", "д", "on":
			return "true", nil
		case "false", "0", "no", "нет", "n", "н", "off":
			return "false", nil
		}
		return "", Invalid(field, "must be true or false (да or нет), not %q", v)
	case FieldEnum:
		for _, e := range d.Values {
			if strings.EqualFold(e.Key, v) || strings.EqualFold(e.Label, v) {
				return e.Key, nil
			}
		}
		return "", Invalid(field, "must be one of %s, not %q", strings.Join(reasonKeys(d.Values), ", "), v)
	case FieldPhone:
		p, ok := fs.Phones.Phone(v)
		if !ok {
			return "", Invalid(field, "%q is not a phone number", v)
		}
		return p, nil
	case FieldEmail:
		e, ok := dedupe.Email(v)
		if !ok {
			return "", Invalid(field, "%q is not an e-mail address", v)
		}
		return e, nil
	case FieldURL:
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(v) > MaxURL || strings.ContainsAny(v, " \r\n\t") {
			return "", Invalid(field, "must be an address like https://example.ru, not %q", v)
		}
		return v, nil
	}
	return "", Invalid(field, "has an unknown type %q", d.Type)
}

// ratText writes a number without trailing zeros: "12.5", "1000".
func ratText(r *big.Rat) string {
	s := r.FloatString(6)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// Apply merges the fields a write gives into a record's current ones and
// returns the record's fields as they will be: "" removes a field. With
// declarations for the kind, every key given must be declared (one the
// record already has may be removed), every value is checked against its
// type, and a required field must be there on create and cannot be
// removed later. Without declarations the fields are free text, as a
// form's are. Errors: EINVALID naming fields.<key>, ETOOLARGE.
func (fs *FieldSet) Apply(kind string, cur, in Fields, create bool) (Fields, error) {
	out := Fields{}
	for k, v := range cur {
		out[k] = v
	}
	defs := fs.Decls.Of(kind)
	for _, k := range keysOf(in) {
		v := in[k]
		field := "fields." + k
		if err := CheckText(field, k, MaxFieldKey); err != nil {
			return nil, err
		}
		if strings.TrimSpace(k) == "" {
			return nil, Invalid("fields", "a field needs a key")
		}
		d, declared := fs.Decls.Def(kind, k)
		switch {
		case strings.TrimSpace(v) == "":
			if declared && d.Required {
				return nil, Invalid(field, "%s is required", d.Label)
			}
			delete(out, k)
		case !declared && len(defs) > 0:
			return nil, Invalid(field, "no such field of a %s; the fields are %s", kind, strings.Join(defKeys(defs), ", "))
		case !declared:
			if err := CheckText(field, v, MaxFieldValue); err != nil {
				return nil, err
			}
			out[k] = v
		default:
			nv, err := fs.Normalize(d, v)
			if err != nil {
				return nil, err
			}
			out[k] = nv
		}
	}
	if len(out) > MaxFields {
		return nil, FieldErrorf(ETOOLARGE, "fields", "has %d fields; at most %d", len(out), MaxFields)
	}
	if create {
		for _, d := range defs {
			if d.Required && out[d.Key] == "" {
				return nil, Invalid("fields."+d.Key, "%s is required", d.Label)
			}
		}
	}
	return out, nil
}

// Missing names the required fields of a kind that fs lacks, as
// "fields.<key>" (nil when none).
func (fs *FieldSet) Missing(kind string, f Fields) []string {
	var out []string
	for _, d := range fs.Decls.Of(kind) {
		if d.Required && f[d.Key] == "" {
			out = append(out, "fields."+d.Key)
		}
	}
	return out
}

func defKeys(defs []FieldDef) []string {
	out := make([]string, len(defs))
	for i, d := range defs {
		out[i] = d.Key
	}
	return out
}

func keysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// SetFields makes fs the custom fields in force; safe while requests run
// (SIGHUP reloads it).
func (s *Store) SetFields(fs FieldSet) { s.fields.Store(&fs) }

// FieldSet returns the custom fields in force (none when never set).
func (s *Store) FieldSet() *FieldSet {
	if p := s.fields.Load(); p != nil {
		return p
	}
	return &FieldSet{}
}

// FieldDecls returns the custom fields declared per kind.
func (s *Store) FieldDecls() FieldDecls { return s.FieldSet().Decls }

// Display is a field's value as people read it (Russian): a date as
// 06.12.2026, money as «1 275 833,33 ₽», a number with its thousands
// grouped, a bool as Да/Нет, an enum by its label; the rest as stored.
func (d FieldDef) Display(v string) string {
	if v == "" {
		return ""
	}
	switch d.Type {
	case FieldDate:
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t.Format("02.01.2006")
		}
	case FieldMoney:
		if fieldMoneyRe.MatchString(v) {
			return GroupDecimal(v) + "\u00a0₽"
		}
	case FieldNumber:
		if numberRe.MatchString(v) {
			return GroupDecimal(v)
		}
	case FieldBool:
		switch v {
		case "true":
			return "Да"
		case "false":
			return "Нет"
		}
	case FieldEnum:
		for _, e := range d.Values {
			if e.Key == v {
				return e.Label
			}
		}
	case FieldPhone:
		return dedupe.Display(v)
	}
	return v
}

// GroupDecimal writes a decimal the Russian way: thousands parted by
// no-break spaces, a comma for the point ("1 275 833,33").
func GroupDecimal(v string) string {
	whole, frac, _ := strings.Cut(v, ".")
	neg := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteRune('\u00a0')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("," + frac)
	}
	return b.String()
}

// ShownField is a declared field with its value, as a card shows it.
type ShownField struct {
	FieldDef
	Value   string // canonical
	Display string // as people read it
	Free    bool   // not declared: a form's field kept as posted
}

// Shown lists a kind's declared fields with the record's values, in the
// declared order, and then the undeclared ones the record has (a form's
// free fields), labelled by their key.
func (fs *FieldSet) Shown(kind string, f Fields) []ShownField {
	var out []ShownField
	for _, d := range fs.Decls.Of(kind) {
		out = append(out, ShownField{FieldDef: d, Value: f[d.Key], Display: d.Display(f[d.Key])})
	}
	for _, k := range keysOf(f) {
		if _, ok := fs.Decls.Def(kind, k); !ok {
			out = append(out, ShownField{FieldDef: FieldDef{Key: k, Label: k, Type: FieldText}, Value: f[k], Display: f[k], Free: true})
		}
	}
	return out
}

// DisplayMap is a record's fields as people read them, by key.
func (fs *FieldSet) DisplayMap(kind string, f Fields) map[string]string {
	out := map[string]string{}
	for k, v := range f {
		if d, ok := fs.Decls.Def(kind, k); ok {
			out[k] = d.Display(v)
		} else {
			out[k] = v
		}
	}
	for _, d := range fs.Decls.Of(kind) {
		if _, ok := out[d.Key]; !ok {
			out[d.Key] = ""
		}
	}
	return out
}

// FieldCond is one custom-field condition of a list: field.<key>=value
// (equal, by the field's type: 06.12.2026 finds 2026-12-06, «Опт» finds
// its key; a text field: contains), field.<key>.from and .to (at least,
// at most: numbers, money and dates).
type FieldCond struct {
	Key   string
	Op    string // "=", ">=", "<="
	Value string
}

// FieldConds reads the field.* parameters of a list's query. Errors:
// EINVALID naming the parameter.
func FieldConds(q map[string][]string) ([]FieldCond, error) {
	var out []FieldCond
	for _, p := range keysOf(q) {
		rest, ok := strings.CutPrefix(p, "field.")
		if !ok {
			continue
		}
		c := FieldCond{Key: rest, Op: "="}
		if k, ok := strings.CutSuffix(rest, ".from"); ok {
			c.Key, c.Op = k, ">="
		} else if k, ok := strings.CutSuffix(rest, ".to"); ok {
			c.Key, c.Op = k, "<="
		}
		if c.Key == "" || len(c.Key) > MaxFieldKey {
			return nil, Invalid(p, "names no field")
		}
		vs := q[p]
		if len(vs) != 1 {
			return nil, Invalid(p, "give it once")
		}
		c.Value = vs[0]
		if err := CheckText(p, c.Value, MaxFieldValue); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) > 20 {
		return nil, FieldErrorf(ETOOLARGE, "field", "at most 20 field conditions")
	}
	return out, nil
}

// filter adds a list's custom-field conditions on the jsonb column col.
// Errors: EINVALID naming field.<key> (an undeclared field of a kind that
// declares some, a value its type refuses, a range on a type without one).
func (fs *FieldSet) filter(q *listQuery, kind, col string, conds []FieldCond) error {
	defs := fs.Decls.Of(kind)
	for _, c := range conds {
		param := "field." + c.Key
		if c.Op == ">=" {
			param += ".from"
		} else if c.Op == "<=" {
			param += ".to"
		}
		d, declared := fs.Decls.Def(kind, c.Key)
		if !declared {
			if len(defs) > 0 {
				return Invalid(param, "no such field of a %s; the fields are %s", kind, strings.Join(defKeys(defs), ", "))
			}
			// A kind without declarations keeps free fields (a form's):
			// they are matched as they are.
			if c.Op != "=" {
				return Invalid(param, "a range needs a declared number, money or date field")
			}
			q.add(col+" @> ?::jsonb", map[string]string{c.Key: c.Value})
			continue
		}
		v, err := fs.Normalize(d, c.Value)
		if err != nil {
			if e := AsError(err); e != nil {
				return e.At(param)
			}
			return err
		}
		switch {
		case c.Op == "=" && d.Type == FieldText:
			q.add(col+"->>'"+d.Key+"' ILIKE ?", "%"+escapeLike(v)+"%")
		case c.Op == "=":
			q.add(col+" @> ?::jsonb", map[string]string{d.Key: v})
		case d.Type == FieldNumber || d.Type == FieldMoney:
			// Keys are [a-z0-9_] (declarations are validated), safe in
			// the text; a value stored before the field was declared
			// that is no number is no match, not an error. (No "?" in
			// the pattern: listQuery takes every "?" for a parameter.)
			q.add(`CASE WHEN `+col+`->>'`+d.Key+`' ~ '^-{0,1}[0-9]+([.][0-9]+){0,1}$' THEN (`+col+`->>'`+d.Key+`')::numeric END `+c.Op+` ?::numeric`, v)
		case d.Type == FieldDate:
			q.add(`CASE WHEN `+col+`->>'`+d.Key+`' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN `+col+`->>'`+d.Key+`' END `+c.Op+` ?`, v)
		default:
			return Invalid(param, "%s is a %s field: only numbers, money and dates have ranges", d.Label, d.Type)
		}
	}
	return nil
}

// nonNilFields stores no fields as {} rather than null.
func nonNilFields(f Fields) Fields {
	if f == nil {
		return Fields{}
	}
	return f
}
