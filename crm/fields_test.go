package crm

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/leadd/leadd/dedupe"
)

// testFields declares one field of every type on deals.
func testFields() *FieldSet {
	return &FieldSet{Phones: dedupe.Normalizer{Region: "RU"}, Decls: FieldDecls{Deal: []FieldDef{
		{Key: "s", Label: "Строка", Type: FieldString},
		{Key: "t", Label: "Текст", Type: FieldText},
		{Key: "n", Label: "Число", Type: FieldNumber},
		{Key: "m", Label: "Сумма", Type: FieldMoney, Required: true},
		{Key: "d", Label: "Дата", Type: FieldDate},
		{Key: "b", Label: "Флаг", Type: FieldBool},
		{Key: "e", Label: "Выбор", Type: FieldEnum, Values: []Reason{{"retail", "Розница"}, {"wholesale", "Опт"}}},
		{Key: "p", Label: "Телефон", Type: FieldPhone},
		{Key: "em", Label: "Почта", Type: FieldEmail},
		{Key: "u", Label: "Сайт", Type: FieldURL},
	}}}
}

func TestFieldValuesAreReadAsPeopleTypeThemAndStoredCanonical(t *testing.T) {
	fs := testFields()
	for _, tc := range []struct{ key, in, want string }{
		{"s", "  Москва ", "Москва"},
		{"t", "две\nстроки", "две\nстроки"},
		{"n", "1 000,50", "1000.5"},
		{"n", "-3", "-3"},
		{"n", "0012", "12"},
		{"m", "1 275 833,33 ₽", "1275833.33"},
		{"m", "1\u00a0275\u00a0833,3", "1275833.30"},
		{"m", "500 руб.", "500.00"},
		{"d", "06.12.2026", "2026-12-06"},
		{"d", "6.1.2026", "2026-01-06"},
		{"d", "2026-12-06", "2026-12-06"},
		{"b", "Да", "true"},
		{"b", "нет", "false"},
		{"b", "1", "true"},
		{"e", "Опт", "wholesale"},
		{"e", "RETAIL", "retail"},
		{"p", "8 (916) 123-45-67 доб. 205", "+79161234567;ext=205"},
		{"em", " Oleg@Zavod.Example ", "oleg@zavod.example"},
		{"u", "https://zavod.example/x?y=1", "https://zavod.example/x?y=1"},
	} {
		d, _ := fs.Decls.Def(FieldsDeal, tc.key)
		got, err := fs.Normalize(d, tc.in)
		if err != nil || got != tc.want {
			t.Errorf("%s %q: got %q, %v; want %q", d.Type, tc.in, got, err, tc.want)
		}
	}
}

// invalidValues generates values each type must refuse: the class, not
// a few examples.
func invalidValues(r *rand.Rand, typ string) []string {
	word := func() string {
		const letters = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяxyzq"
		rs := []rune(letters)
		var b strings.Builder
		for range 1 + r.IntN(8) {
			b.WriteRune(rs[r.IntN(len(rs))])
		}
		return b.String()
	}
	switch typ {
	case FieldString:
		return []string{strings.Repeat("я", MaxStringField+1+r.IntN(100)), word() + "\n" + word(), "a\x00b"}
	case FieldText:
		return []string{strings.Repeat("я", MaxFieldValue+1+r.IntN(100)), "a\x00b", string([]byte{0xff, 0xfe})}
	case FieldNumber:
		return []string{word(), fmt.Sprintf("%d.%d.%d", r.IntN(99), r.IntN(99), r.IntN(99)), strings.Repeat("9", 19+r.IntN(5)),
			fmt.Sprintf("1.%07d", 1+r.IntN(999999)), "1e" + fmt.Sprint(r.IntN(30))}
	case FieldMoney:
		return []string{word(), fmt.Sprintf("%d.%03d", r.IntN(1000), 1+r.IntN(998)), strings.Repeat("9", 17+r.IntN(5)), "$" + fmt.Sprint(r.IntN(1000))}
	case FieldDate:
		return []string{word(), fmt.Sprintf("%02d.%02d.2026", 32+r.IntN(60), 1+r.IntN(12)), fmt.Sprintf("2026-%02d-01", 13+r.IntN(80)),
			fmt.Sprintf("30.02.%d", 2000+r.IntN(100)), fmt.Sprint(r.IntN(100000))}
	case FieldBool:
		return []string{word() + "!", fmt.Sprint(2 + r.IntN(100)), "может быть"}
	case FieldEnum:
		return []string{word() + "_" + word(), "Оптом", "retail2"}
	case FieldPhone:
		return []string{word(), fmt.Sprint(r.IntN(10000)), "+" + strings.Repeat("1", 20+r.IntN(5))}
	case FieldEmail:
		return []string{word(), word() + "@", "@" + word() + ".ru", word() + " " + word() + "@x.ru"}
	case FieldURL:
		return []string{word(), "ftp://" + word() + ".ru", "javascript:alert(" + fmt.Sprint(r.IntN(9)) + ")", "https://", "http://a b.ru"}
	}
	return nil
}

func TestEveryFieldTypeRefusesItsInvalidValuesNamingTheField(t *testing.T) {
	fs := testFields()
	r := rand.New(rand.NewPCG(16, 2026))
	cases := 0
	for _, d := range fs.Decls.Deal {
		for range 20 {
			for _, bad := range invalidValues(r, d.Type) {
				cases++
				_, err := fs.Apply(FieldsDeal, Fields{"m": "1"}, Fields{d.Key: bad}, false)
				e := AsError(err)
				if e == nil || (e.Code != EINVALID && e.Code != ETOOLARGE) || e.Field != "fields."+d.Key {
					t.Fatalf("%s field took %q (err %v)", d.Type, bad, err)
				}
			}
		}
	}
	if cases < 500 {
		t.Fatalf("only %d generated cases", cases)
	}
}

func TestApplyMergesRefusesUnknownKeysAndKeepsRequiredFields(t *testing.T) {
	fs := testFields()
	if _, err := fs.Apply(FieldsDeal, nil, Fields{"n": "5"}, true); AsError(err) == nil || AsError(err).Field != "fields.m" {
		t.Fatalf("a deal without its required field was taken: %v", err)
	}
	got, err := fs.Apply(FieldsDeal, nil, Fields{"m": "10", "d": "06.12.2026"}, true)
	if err != nil || got["m"] != "10.00" || got["d"] != "2026-12-06" {
		t.Fatalf("create: %v %v", got, err)
	}
	got, err = fs.Apply(FieldsDeal, got, Fields{"d": "", "b": "да"}, false)
	if err != nil || got["d"] != "" || got["b"] != "true" || got["m"] != "10.00" {
		t.Fatalf("patch: %v %v", got, err)
	}
	if _, ok := got["d"]; ok {
		t.Fatalf("an emptied field stays: %v", got)
	}
	if _, err := fs.Apply(FieldsDeal, got, Fields{"m": ""}, false); AsError(err) == nil || AsError(err).Field != "fields.m" {
		t.Fatalf("a required field was emptied: %v", err)
	}
	if _, err := fs.Apply(FieldsDeal, got, Fields{"colour": "red"}, false); AsError(err) == nil || AsError(err).Field != "fields.colour" {
		t.Fatalf("an undeclared key was taken: %v", err)
	}
	// A kind without declarations keeps free fields, as forms post them.
	free, err := fs.Apply(FieldsLead, Fields{"city": "Тула"}, Fields{"colour": "red"}, false)
	if err != nil || free["colour"] != "red" || free["city"] != "Тула" {
		t.Fatalf("free fields: %v %v", free, err)
	}
}

func TestFieldsJSONTakesNumbersBooleansAndNull(t *testing.T) {
	var f Fields
	if err := json.Unmarshal([]byte(`{"n": 12.50, "b": true, "s": "x", "gone": null}`), &f); err != nil {
		t.Fatal(err)
	}
	if f["n"] != "12.50" || f["b"] != "true" || f["s"] != "x" || f["gone"] != "" {
		t.Fatalf("%v", f)
	}
	if err := json.Unmarshal([]byte(`{"o": {"x": 1}}`), &f); err == nil {
		t.Fatal("an object value was taken")
	}
}

func TestFieldsAreShownAsRussianPeopleReadThem(t *testing.T) {
	fs := testFields()
	got := fs.DisplayMap(FieldsDeal, Fields{"m": "1275833.33", "d": "2026-12-06", "b": "false", "e": "wholesale", "n": "12345.5",
		"p": "+79161234567;ext=205"})
	want := map[string]string{"m": "1\u00a0275\u00a0833,33\u00a0₽", "d": "06.12.2026", "b": "Нет", "e": "Опт", "n": "12\u00a0345,5",
		"p": "+79161234567 доб. 205", "s": ""}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}

func TestFieldDeclarationsAreValidatedNamingTheKey(t *testing.T) {
	d := FieldDecls{Company: []FieldDef{{Key: "ok", Type: FieldString}, {Key: "Bad Key", Type: FieldString}, {Key: "ok", Type: "colour"},
		{Key: "e", Type: FieldEnum}}}
	errs := d.Validate("fields")
	text := fmt.Sprint(errs)
	for _, want := range []string{"fields.company[1].key", "fields.company[2].key", "fields.company[2].type", "fields.company[3].values"} {
		if !strings.Contains(text, want) {
			t.Errorf("no error for %s in %s", want, text)
		}
	}
	if d.Company[0].Label != "ok" {
		t.Errorf("an empty label is not the key: %q", d.Company[0].Label)
	}
}
