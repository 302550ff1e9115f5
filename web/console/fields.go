package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
)

// customFields is a card's custom fields: each declared one with the
// record's value (a lead's free form fields after them), and where the
// form that changes them posts.
type customFields struct {
	Kind   string
	Action string
	Fields []crm.ShownField
}

// fieldsView is customFields with its viewer, for the "fields-box"
// partial.
type fieldsView struct {
	V *viewer
	customFields
}

// Declared reports whether the card has declared fields to edit.
func (f fieldsView) Declared() bool {
	for _, x := range f.Fields {
		if !x.Free {
			return true
		}
	}
	return false
}

// Input is the value an edit form shows for a field: a date as the date
// input takes it, an enum or a bool by its key, the rest as people read
// it (the form reads it back the same way).
func (f fieldsView) Input(x crm.ShownField) string {
	switch x.Type {
	case crm.FieldDate, crm.FieldEnum, crm.FieldBool:
		return x.Value
	}
	return x.Display
}

// PhoneText is a phone field as the console writes phones, with its
// extension: +7 495 123-45-67 доб. 205.
func (f fieldsView) PhoneText(p string) string {
	n, ext := dedupe.SplitExt(p)
	if ext == "" {
		return f.V.Phone(n)
	}
	return f.V.Phone(n) + " доб. " + ext
}

// cardFields lists a record's custom fields for its card.
func (s *Server) cardFields(kind, action string, f crm.Fields) customFields {
	return customFields{Kind: kind, Action: action, Fields: s.store.FieldSet().Shown(kind, f)}
}

// saveFields changes a card's custom fields from its form (f.<key> for
// each declared field the form carries; empty removes one), checked as
// the API checks them.
func (s *Server) saveFields(kind string) actionFunc {
	return func(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return "", err
		}
		ctx := r.Context()
		back := "/" + kind + "s/" + strconv.FormatInt(id, 10)
		if kind == crm.FieldsCompany {
			back = "/companies/" + strconv.FormatInt(id, 10)
		}
		kinds := map[string]crm.Kind{crm.FieldsLead: crm.KindLead, crm.FieldsDeal: crm.KindDeal,
			crm.FieldsContact: crm.KindContact, crm.FieldsCompany: crm.KindCompany}
		if err := s.store.Authorize(ctx, v.P, crm.Write, crm.Path(kinds[kind], id)); err != nil {
			return "", err
		}
		fs := s.store.FieldSet()
		patch := crm.Fields{}
		for _, d := range fs.Decls.Of(kind) {
			if vs, ok := r.PostForm["f."+d.Key]; ok && len(vs) > 0 {
				patch[d.Key] = vs[0]
			}
		}
		switch kind {
		case crm.FieldsLead:
			_, err = s.store.UpdateLead(ctx, id, crm.LeadPatch{Fields: patch})
		case crm.FieldsDeal:
			_, err = s.store.UpdateDeal(ctx, id, crm.DealInput{Fields: patch})
		case crm.FieldsContact:
			_, err = s.store.UpdateContact(ctx, id, crm.ContactInput{Fields: patch})
		case crm.FieldsCompany:
			_, err = s.store.UpdateCompany(ctx, id, crm.CompanyInput{Fields: patch})
		}
		if err != nil {
			return back, fieldError(v, fs, kind, patch, err)
		}
		s.flash(w, r, v.T("fields.saved"), false)
		return back, nil
	}
}

// fieldError says which field is wrong by its label, and what it must be
// in the viewer's language.
func fieldError(v *viewer, fs *crm.FieldSet, kind string, patch crm.Fields, err error) error {
	var e *crm.Error
	if !errors.As(err, &e) || !strings.HasPrefix(e.Field, "fields.") {
		return err
	}
	key := strings.TrimPrefix(e.Field, "fields.")
	d, ok := fs.Decls.Def(kind, key)
	if !ok {
		return err
	}
	msg := e.Message
	if v.Lang != "en" {
		if strings.TrimSpace(patch[key]) == "" && d.Required {
			msg = "обязательное поле, заполните его"
		} else {
			msg = "«" + patch[key] + "» — " + fieldTypeRu[d.Type]
		}
	}
	return crm.FieldErrorf(e.Code, d.Label, "%s", msg)
}

// fieldTypeRu says what a value of a type must be.
var fieldTypeRu = map[string]string{
	crm.FieldString: "одна строка до 500 символов",
	crm.FieldText:   "слишком длинный текст",
	crm.FieldNumber: "нужно число, например 12,5",
	crm.FieldMoney:  "нужна сумма, например 1 275 833,33",
	crm.FieldDate:   "нужна дата, например 06.12.2026",
	crm.FieldBool:   "нужно «да» или «нет»",
	crm.FieldEnum:   "выберите одно из значений списка",
	crm.FieldPhone:  "нужен номер телефона, например +7 912 345-67-89",
	crm.FieldEmail:  "нужен адрес электронной почты",
	crm.FieldURL:    "нужен адрес сайта, например https://example.ru",
}

func init() {
	for k, v := range map[string][2]string{
		"fields.title":  {"Дополнительные поля", "Custom fields"},
		"fields.edit":   {"Изменить поля", "Edit fields"},
		"fields.save":   {"Сохранить", "Save"},
		"fields.saved":  {"Поля сохранены.", "Fields saved."},
		"fields.yes":    {"Да", "Yes"},
		"fields.no":     {"Нет", "No"},
		"fields.empty":  {"не заполнено", "not set"},
		"fields.choose": {"— не выбрано —", "— none —"},
	} {
		catalogue[k] = v
	}
	funcs["fields"] = func(v view, c customFields) fieldsView { return fieldsView{V: v.viewer, customFields: c} }
}
