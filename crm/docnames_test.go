package crm

import "testing"

func TestFileNamesAreRussianWithAnASCIIFallback(t *testing.T) {
	for _, c := range []struct {
		doc         Document
		name, ascii string
	}{
		{Document{Type: DocInvoice, Number: "СЧ-2026-00001", Version: 1}, "Счёт СЧ-2026-00001.pdf", "Schet SCh-2026-00001.pdf"},
		{Document{Type: DocInvoice, Number: "СЧ-2026-00001", Version: 2}, "Счёт СЧ-2026-00001 (версия 2).pdf", "Schet SCh-2026-00001 (versiia 2).pdf"},
		{Document{Type: DocContract, Number: "ДГ/2026/7", Version: 1}, "Договор ДГ_2026_7.pdf", "Dogovor DG_2026_7.pdf"},
		{Document{Type: DocQuote, Number: "КП-2026-00003", Version: 1}, "Коммерческое предложение КП-2026-00003.pdf", "Kommercheskoe predlozhenie KP-2026-00003.pdf"},
		{Document{ID: 12, Type: DocAct, Version: 1}, "Акт (черновик 12).pdf", "Akt (chernovik 12).pdf"},
	} {
		if got := FileName(c.doc); got != c.name {
			t.Errorf("FileName = %q, want %q", got, c.name)
		}
		if got := ASCIIFileName(c.doc); got != c.ascii {
			t.Errorf("ASCIIFileName = %q, want %q", got, c.ascii)
		}
	}
	cd := ContentDisposition("Счёт СЧ-2026-00001.pdf", "")
	want := `attachment; filename="Schet SCh-2026-00001.pdf"; filename*=UTF-8''%D0%A1%D1%87%D1%91%D1%82%20%D0%A1%D0%A7-2026-00001.pdf`
	if cd != want {
		t.Errorf("Content-Disposition\n got %s\nwant %s", cd, want)
	}
}

func TestLinesSubjectSaysWhatIsSold(t *testing.T) {
	for n, want := range map[int]string{1: "A", 2: "A и B", 3: "A и ещё 2 позиции", 6: "A и ещё 5 позиций", 22: "A и ещё 21 позиция", 12: "A и ещё 11 позиций"} {
		lines := []Line{{Name: "A"}, {Name: "B"}}
		for len(lines) < n {
			lines = append(lines, Line{Name: "x"})
		}
		if got := LinesSubject(lines[:n]); got != want {
			t.Errorf("%d lines: %q, want %q", n, got, want)
		}
	}
}
