package crm

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of what Leadd stores. Every adapter and every API body is held to
// them at the door, so that what is accepted can also be processed: a
// text past a column's or an index's limit, a NUL byte Postgres refuses,
// or a thousand custom fields would otherwise fail later, in the
// processor, after the caller was told "accepted". README lists them.
const (
	MaxEmail       = 254   // characters of an e-mail address (RFC 5321)
	MaxName        = 300   // a person's name, a position
	MaxCompanyName = 500   // a company's name or address
	MaxPhoneText   = 64    // a phone number as typed
	MaxKey         = 255   // Idempotency-Key, call ids, Message-IDs, sources
	MaxURL         = 2048  // page addresses, referrers, recording links
	MaxFieldKey    = 100   // a custom field's or UTM tag's name
	MaxFieldValue  = 4000  // a custom field's value
	MaxFields      = 100   // custom fields (and UTM tags) of one touch
	MaxText        = 65536 // a comment, a message, a letter's text, a note
	MaxListItems   = 100   // phones, e-mails, references of one record
	MaxJSONDepth   = 32    // nesting of a JSON body
)

// CheckText refuses a text Leadd cannot store as given: broken UTF-8 or a
// NUL byte (EINVALID), or more than max characters (ETOOLARGE), naming
// field.
func CheckText(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return Invalid(field, "is not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return Invalid(field, "contains a NUL byte")
	}
	if len(s) > max && utf8.RuneCountInString(s) > max {
		return FieldErrorf(ETOOLARGE, field, "is longer than %d characters", max)
	}
	return nil
}

// CleanText makes s storable: broken UTF-8 becomes U+FFFD, NUL bytes go,
// and the text is cut to max characters. It reports whether it changed s.
func CleanText(s string, max int) (string, bool) {
	out := s
	if !utf8.ValidString(out) {
		out = strings.ToValidUTF8(out, "\uFFFD")
	}
	if strings.IndexByte(out, 0) >= 0 {
		out = strings.ReplaceAll(out, "\x00", "")
	}
	if len(out) > max && utf8.RuneCountInString(out) > max {
		n := 0
		for i := range out {
			if n == max {
				out = out[:i]
				break
			}
			n++
		}
	}
	return out, out != s
}

// textField is one stored text of a touch, with its limit. A list item
// keeps its list's name and its index (at, -1 for none): the name with
// the index is made only when an error or Cleaned says it, not for every
// item of every event accepted.
type textField struct {
	list string
	at   int
	s    *string
	max  int
}

func field(name string, s *string, max int) textField {
	return textField{list: name, at: -1, s: s, max: max}
}

// name is the field as errors and Cleaned name it: "phones[0]".
func (t textField) name() string {
	if t.at < 0 {
		return t.list
	}
	return t.list + "[" + strconv.Itoa(t.at) + "]"
}

// texts lists every text of the touch with its limit; Check and Clean
// both walk it, so a field added here is checked and cleaned alike.
// A test fails when a string field of Inbound is missing from it.
func (in *Inbound) texts() []textField {
	f := make([]textField, 0, 8+len(in.Phones)+len(in.RawPhones)+len(in.Emails)+2)
	f = append(f, field("channel", &in.Channel, 32), field("source", &in.Source, MaxKey), field("name", &in.Name, MaxName),
		field("text", &in.Text, MaxText), field("page_url", &in.PageURL, MaxURL), field("referrer", &in.Referrer, MaxURL),
		field("junk_reason", &in.JunkReason, 64), field("ignore", &in.Ignore, 500))
	list := func(name string, l []string, max int) {
		for i := range l {
			f = append(f, textField{list: name, at: i, s: &l[i], max: max})
		}
	}
	list("phones", in.Phones, 32)
	list("raw_phones", in.RawPhones, MaxPhoneText)
	list("emails", in.Emails, MaxEmail)
	if c := in.Consent; c != nil {
		f = append(f, field("consent.field", &c.Field, MaxFieldKey), field("consent.value", &c.Value, MaxFieldValue))
	}
	if c := in.Call; c != nil {
		f = append(f, field("call.provider", &c.Provider, 32), field("call.id", &c.ID, MaxKey),
			field("call.state", &c.State, 32), field("call.direction", &c.Direction, 8),
			field("call.line", &c.Line, MaxPhoneText), field("call.extension", &c.Extension, MaxPhoneText),
			field("call.disposition", &c.Disposition, 32), field("call.recording_url", &c.RecordingURL, MaxURL))
	}
	if m := in.Mail; m != nil {
		f = append(f, field("mail.mailbox", &m.Mailbox, MaxKey), field("mail.message_id", &m.MessageID, MaxKey),
			field("mail.subject", &m.Subject, 1000), field("mail.from", &m.From, 1000), field("mail.forwarded_by", &m.ForwardedBy, 1000))
		list("mail.in_reply_to", m.InReplyTo, MaxKey)
		list("mail.references", m.References, MaxKey)
		for i := range m.Attachments {
			a := &m.Attachments[i]
			f = append(f, field(fmt.Sprintf("mail.attachments[%d].name", i), &a.Name, MaxKey),
				field(fmt.Sprintf("mail.attachments[%d].type", i), &a.Type, MaxKey))
		}
	}
	if m := in.Media; m != nil {
		f = append(f, field("media.kind", &m.Kind, 16), field("media.file_id", &m.FileID, 500),
			field("media.file_name", &m.FileName, MaxKey))
	}
	return f
}

// Check refuses a touch Leadd could not store as it is: a text that is
// not UTF-8 or holds a NUL byte (EINVALID), a text past its limit or too
// many fields or list items (ETOOLARGE). The error names the field.
func (in *Inbound) Check() error {
	for _, t := range in.texts() {
		if CheckText("", *t.s, t.max) != nil {
			return CheckText(t.name(), *t.s, t.max)
		}
	}
	lists := []struct {
		name string
		n    int
	}{{"phones", len(in.Phones)}, {"raw_phones", len(in.RawPhones)}, {"emails", len(in.Emails)}, {"fields", len(in.Fields)}, {"utm", len(in.UTM)}}
	if in.Mail != nil {
		lists = append(lists, struct {
			name string
			n    int
		}{"mail.references", len(in.Mail.References)}, struct {
			name string
			n    int
		}{"mail.in_reply_to", len(in.Mail.InReplyTo)})
	}
	for _, l := range lists {
		max := MaxListItems
		if l.name == "fields" || l.name == "utm" {
			max = MaxFields
		}
		if l.n > max {
			return FieldErrorf(ETOOLARGE, l.name, "has %d items; at most %d are kept", l.n, max)
		}
	}
	for _, m := range []struct {
		name string
		m    map[string]string
	}{{"fields", in.Fields}, {"utm", in.UTM}} {
		for _, k := range sortedKeys(m.m) {
			if err := CheckText(m.name, k, MaxFieldKey); err != nil {
				return err
			}
			if err := CheckText(m.name+"."+k, m.m[k], MaxFieldValue); err != nil {
				return err
			}
		}
	}
	if in.Call != nil && (in.Call.Duration < 0 || in.Call.Duration > 1<<31-1) {
		return Invalid("call.duration", "must be between 0 and %d seconds", 1<<31-1)
	}
	return nil
}

// Clean makes the touch storable where its sender cannot send it again
// otherwise (a letter, a PBX, a messenger): broken UTF-8 is replaced, NUL
// bytes dropped, long texts cut, extra fields and list items dropped. It
// returns what it changed, one line per field, for the event to say so.
func (in *Inbound) Clean() []string {
	var changed []string
	for _, t := range in.texts() {
		if s, ok := CleanText(*t.s, t.max); ok {
			*t.s = s
			changed = append(changed, t.name())
		}
	}
	cut := func(name string, l []string) []string {
		if len(l) > MaxListItems {
			changed = append(changed, name)
			return l[:MaxListItems]
		}
		return l
	}
	in.Phones, in.RawPhones, in.Emails = cut("phones", in.Phones), cut("raw_phones", in.RawPhones), cut("emails", in.Emails)
	if in.Mail != nil {
		in.Mail.References, in.Mail.InReplyTo = cut("mail.references", in.Mail.References), cut("mail.in_reply_to", in.Mail.InReplyTo)
	}
	cleanMap := func(name string, m map[string]string) map[string]string {
		if m == nil {
			return nil
		}
		out := make(map[string]string, min(len(m), MaxFields))
		dirty := false
		for _, k := range sortedKeys(m) {
			if len(out) == MaxFields {
				dirty = true
				break
			}
			ck, kc := CleanText(k, MaxFieldKey)
			cv, vc := CleanText(m[k], MaxFieldValue)
			dirty = dirty || kc || vc
			out[ck] = cv
		}
		if dirty {
			changed = append(changed, name)
		}
		return out
	}
	in.Fields, in.UTM = cleanMap("fields", in.Fields), cleanMap("utm", in.UTM)
	if in.Call != nil && (in.Call.Duration < 0 || in.Call.Duration > 1<<31-1) {
		in.Call.Duration = 0
		changed = append(changed, "call.duration")
	}
	return changed
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fieldLimits are the limits of API body fields by their JSON name; a
// string field not named here may hold MaxText characters.
var fieldLimits = map[string]int{
	"email": MaxEmail, "emails": MaxEmail, "name": MaxName, "position": MaxName, "first_name": MaxName,
	"last_name": MaxName, "company": MaxCompanyName, "company_name": MaxCompanyName, "address": MaxCompanyName,
	"legal_name": MaxCompanyName, "phone": MaxPhoneText, "phones": MaxPhoneText, "inn": 32, "kpp": 32, "ogrn": 32,
	"bik": 32, "sku": MaxKey, "unit": 64, "currency": 8, "time_zone": 64, "role": 32, "status": 32, "stage": MaxKey,
	"type": 64, "subject": 1000, "junk_reason": 64, "loss_reason": 1000, "source": MaxKey, "page_url": MaxURL, "referrer": MaxURL,
}

// CheckBody refuses a decoded request body holding what Leadd cannot store:
// a string with a NUL byte or broken UTF-8 (EINVALID), a string past its
// field's limit, a map with more than MaxFields entries or a list with
// more than MaxListItems*10 (ETOOLARGE). Fields are named by their JSON
// path ("fields.colour", "lines[2].name").
func CheckBody(v any) error {
	return checkValue(reflect.ValueOf(v), "", MaxText)
}

func checkValue(v reflect.Value, path string, max int) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return checkValue(v.Elem(), path, max)
	case reflect.String:
		return CheckText(orBody(path), v.String(), max)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			p := path
			if sf.Anonymous && name == "" {
				// embedded: its fields are the outer object's
			} else {
				if name == "" {
					name = sf.Name
				}
				p = join(path, name)
			}
			limit := MaxText
			if l, ok := fieldLimits[name]; ok {
				limit = l
			}
			if err := checkValue(v.Field(i), p, limit); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // bytes: base64 in JSON, not text
		}
		if v.Len() > MaxListItems*10 {
			return FieldErrorf(ETOOLARGE, orBody(path), "has %d items; at most %d", v.Len(), MaxListItems*10)
		}
		for i := range v.Len() {
			if err := checkValue(v.Index(i), path+"["+strconv.Itoa(i)+"]", max); err != nil {
				return err
			}
		}
	case reflect.Map:
		if v.Len() > MaxFields {
			return FieldErrorf(ETOOLARGE, orBody(path), "has %d entries; at most %d", v.Len(), MaxFields)
		}
		iter := v.MapRange()
		for iter.Next() {
			k := iter.Key()
			if k.Kind() == reflect.String {
				if err := CheckText(orBody(path), k.String(), MaxFieldKey); err != nil {
					return err
				}
			}
			fmax := max
			if fmax == MaxText && k.Kind() == reflect.String {
				fmax = MaxFieldValue
			}
			if err := checkValue(iter.Value(), join(path, fmt.Sprint(k.Interface())), fmax); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func orBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// JSONDepth returns how deeply the JSON text b nests objects and arrays
// (0 for a scalar); it does not validate b.
func JSONDepth(b []byte) int {
	depth, most, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			most = max(most, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return most
}
