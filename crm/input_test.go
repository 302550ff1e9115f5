package crm

import (
	"reflect"
	"strings"
	"testing"
)

// fillStrings sets every string reachable in v (fields, list items, map
// values) to s, creating what is nil, and returns how many it set.
func fillStrings(v reflect.Value, s string) int {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
		return 1
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return fillStrings(v.Elem(), s)
	case reflect.Struct:
		n := 0
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				n += fillStrings(v.Field(i), s)
			}
		}
		return n
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return 0
		}
		if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		return fillStrings(v.Index(0), s)
	case reflect.Map:
		if v.Type().Elem().Kind() == reflect.String {
			v.Set(reflect.MakeMap(v.Type()))
			v.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf(s))
			return 1
		}
	}
	return 0
}

// Every text an Inbound carries is checked and cleaned: a NUL byte put in
// any one string field (found by reflection, so a field added tomorrow is
// covered) is refused by Check naming that field, and Clean removes it.
func TestEveryTextOfATouchIsCheckedAndCleaned(t *testing.T) {
	var all Inbound
	n := fillStrings(reflect.ValueOf(&all), "x")
	if n < 20 {
		t.Fatalf("found only %d string fields", n)
	}
	for i := range n {
		var in Inbound
		count := 0
		var walk func(v reflect.Value)
		hit := ""
		walk = func(v reflect.Value) {
			switch v.Kind() {
			case reflect.String:
				if count == i {
					v.SetString("a\x00b")
				} else {
					v.SetString("ok")
				}
				count++
			case reflect.Pointer:
				if v.IsNil() {
					v.Set(reflect.New(v.Type().Elem()))
				}
				walk(v.Elem())
			case reflect.Struct:
				for j := range v.NumField() {
					if v.Type().Field(j).IsExported() {
						if count == i {
							hit = v.Type().Field(j).Name
						}
						walk(v.Field(j))
					}
				}
			case reflect.Slice:
				if v.Type().Elem().Kind() == reflect.Uint8 {
					return
				}
				v.Set(reflect.MakeSlice(v.Type(), 1, 1))
				walk(v.Index(0))
			case reflect.Map:
				if v.Type().Elem().Kind() == reflect.String {
					v.Set(reflect.MakeMap(v.Type()))
					val := "ok"
					if count == i {
						val = "a\x00b"
					}
					v.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf(val))
					count++
				}
			}
		}
		walk(reflect.ValueOf(&in))
		err := in.Check()
		if ErrorCode(err) != EINVALID || err.(*Error).Field == "" {
			t.Errorf("a NUL byte in string #%d (near %s): Check = %v, want invalid naming the field", i, hit, err)
			continue
		}
		if changed := in.Clean(); len(changed) != 1 {
			t.Errorf("string #%d (near %s): Clean changed %v, want the one field", i, hit, changed)
		}
		if err := in.Check(); err != nil {
			t.Errorf("string #%d (near %s): after Clean, Check = %v", i, hit, err)
		}
	}
}

func TestCheckTextAndCleanText(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		code string
	}{
		{"Иван", 4, ""}, {"Иванов", 4, ETOOLARGE}, {"a\x00", 10, EINVALID}, {"a\xff", 10, EINVALID}, {"", 0, ""},
		{strings.Repeat("я", 254), 254, ""}, {strings.Repeat("я", 255), 254, ETOOLARGE},
	} {
		err := CheckText("f", c.in, c.max)
		if got := ErrorCode(err); (err == nil) != (c.code == "") || (err != nil && got != c.code) {
			t.Errorf("CheckText(%q, %d) = %v, want %q", c.in, c.max, err, c.code)
		}
		cleaned, _ := CleanText(c.in, c.max)
		if err := CheckText("f", cleaned, c.max); err != nil {
			t.Errorf("CleanText(%q, %d) = %q, still refused: %v", c.in, c.max, cleaned, err)
		}
	}
}

func TestCheckBodyNamesTheField(t *testing.T) {
	type line struct {
		Name string `json:"name"`
	}
	body := struct {
		Email  *string           `json:"email"`
		Lines  []line            `json:"lines"`
		Fields map[string]string `json:"fields"`
	}{Lines: []line{{"ok"}, {"a\x00"}}}
	if err := CheckBody(&body); ErrorCode(err) != EINVALID || err.(*Error).Field != "lines[1].name" {
		t.Errorf("CheckBody = %v, want invalid lines[1].name", err)
	}
	body.Lines = nil
	long := strings.Repeat("a", 300) + "@example.ru"
	body.Email = &long
	if err := CheckBody(&body); ErrorCode(err) != ETOOLARGE || err.(*Error).Field != "email" {
		t.Errorf("CheckBody = %v, want too_large email", err)
	}
	body.Email = nil
	body.Fields = map[string]string{}
	for i := range MaxFields + 1 {
		body.Fields[strings.Repeat("k", i+1)] = "v"
	}
	if err := CheckBody(&body); ErrorCode(err) != ETOOLARGE || err.(*Error).Field != "fields" {
		t.Errorf("CheckBody = %v, want too_large fields", err)
	}
	if d := JSONDepth([]byte(`{"a":[{"b":"[[[["}]}`)); d != 3 {
		t.Errorf("JSONDepth = %d, want 3", d)
	}
}
