package imports

import (
	"testing"

	"golang.org/x/text/encoding/charmap"
)

func TestSumsAreReadAsPeopleTypeThem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, amount, currency string }{
		{"1 250 000,50", "1250000.50", ""},
		{"1\u00a0250\u00a0000,50", "1250000.50", ""}, // Excel's non-breaking thousands separator
		{"1250000", "1250000", ""},
		{"1250000.5", "1250000.50", ""},
		{"1,250,000.50", "1250000.50", ""},
		{"1.250.000,50", "1250000.50", ""},
		{"1,500", "1500", ""},
		{"0,99", "0.99", ""},
		{"12 500,5 руб.", "12500.50", "RUB"},
		{"15 000 ₽", "15000", "RUB"},
		{"$2,000.00", "2000", "USD"},
		{"100.00", "100", ""},
		{"-300", "-300", ""},
		{"1.25E+06", "1250000", ""},
	} {
		amount, currency, err := parseAmount(tc.in)
		if err != nil || amount != tc.amount || currency != tc.currency {
			t.Errorf("%q: %q %q %v, want %q %q", tc.in, amount, currency, err, tc.amount, tc.currency)
		}
	}
	for _, bad := range []string{"abc", "1,2,3,4.5.6", "1,255.125", "12%", ""} {
		if a, _, err := parseAmount(bad); err == nil {
			t.Errorf("%q read as %q", bad, a)
		}
	}
}

func TestCurrenciesByCodeAndByName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"RUB": "RUB", "руб.": "RUB", "₽": "RUB", "usd": "USD", "Евро": "EUR", "тенге": "KZT"} {
		if got, err := parseCurrency(in); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	if got, err := parseCurrency("рубли РФ"); err == nil {
		t.Errorf("an unknown currency read as %q", got)
	}
}

func TestINNsAreCheckedAndGetTheirLeadingZeroBack(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"7707083893":     "7707083893",
		"7707 083 893":   "7707083893",
		"274062111":      "0274062111", // typed as a number in Excel
		"500312345614":   "500312345614",
		"27412345680":    "027412345680",
		"":               "",
		" 7707083893 \t": "7707083893",
	} {
		if got, err := parseINN(in); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"123", "77070838AB", "123456789", "77070838931"} {
		if got, err := parseINN(bad); err == nil {
			t.Errorf("%q read as %q", bad, got)
		}
	}
}

func TestHeadersAreGuessedInRussianAndEnglish(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind          Kind
		header, field string
	}{
		{Contacts, "ФИО", "name"},
		{Contacts, "Full name", "name"},
		{Contacts, " контакт ", "name"},
		{Contacts, "Фамилия", "last_name"},
		{Contacts, "Отчество", "middle_name"},
		{Contacts, "Тел.", "phone"},
		{Contacts, "Мобильный", "phone"},
		{Contacts, "Рабочий телефон", "phone"},
		{Contacts, "Phone", "phone"},
		{Contacts, "E-mail", "email"},
		{Contacts, "Эл. почта", "email"},
		{Contacts, "Организация", "company"},
		{Contacts, "ИНН организации", "inn"},
		{Contacts, "Должность", "position"},
		{Contacts, "Ответственный менеджер", "manager"},
		{Contacts, "Примечание", "comment"},
		{Contacts, "Сумма", ""},
		{Companies, "Наименование", "name"},
		{Companies, "Компания", "name"},
		{Companies, "КПП", "kpp"},
		{Companies, "ОГРН", "ogrn"},
		{Companies, "Юридический адрес", "address"},
		{Deals, "Название сделки", "title"},
		{Deals, "Сумма, руб.", "amount"},
		{Deals, "Бюджет", "amount"},
		{Deals, "Валюта", "currency"},
		{Deals, "Воронка", "pipeline"},
		{Deals, "Этап", "stage"},
		{Deals, "Контакт", "contact"},
		{Deals, "ФИО клиента", "contact"},
		{Deals, "Компания", "company"},
		{Deals, "Статус", ""},
	} {
		if got := guessField(tc.kind, tc.header); got != tc.field {
			t.Errorf("%s %q: %q, want %q", tc.kind, tc.header, got, tc.field)
		}
	}
}

func TestCSVEncodingAndSeparatorAreDetected(t *testing.T) {
	t.Parallel()
	cp1251, _ := charmap.Windows1251.NewEncoder().String("Имя;Телефон\r\nИван;89123456789\r\n")
	for _, tc := range []struct {
		name, in, encoding, sep, first string
	}{
		{"russian excel", cp1251, "windows-1251", ";", "Имя"},
		{"utf-8 with bom", "\ufeffName,Phone\nIvan,+79123456789\n", "utf-8", ",", "Name"},
		{"tabs", "Name\tPhone\nIvan\t+79123456789\n", "utf-8", "\t", "Name"},
		{"quoted separators", "\"Name;Surname\",Phone,Email\nIvan,1,2\n", "utf-8", ",", "Name;Surname"},
		{"excel's sep= line", "sep=,\r\nИмя;Фамилия,Телефон\r\nИван;Петров,1\r\n", "utf-8", ",", "Имя;Фамилия"},
		{"utf-16", "\xff\xfeN\x00a\x00m\x00e\x00\t\x00P\x00\n\x00x\x00\t\x00y\x00\n\x00", "utf-16", "\t", "Name"},
	} {
		tab, err := readCSV(tc.name, []byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if tab.Encoding != tc.encoding || tab.Separator != tc.sep || tab.Rows[0].Cells[0] != tc.first || len(tab.Rows) != 2 || tab.Rows[0].N != 1 {
			t.Errorf("%s: %s %q %q, %d rows", tc.name, tab.Encoding, tab.Separator, tab.Rows[0].Cells, len(tab.Rows))
		}
	}
}
