package imports_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/crm/imports"
	"github.com/leadd/leadd/dedupe"
)

// clientBase is a CSV of n contact rows as a company keeps them: one row
// in five repeats an earlier person with the phone written another way,
// half have an e-mail, a third a company with its INN.
func clientBase(n int) []byte {
	var b bytes.Buffer
	b.WriteString("\ufeffФИО;Телефон;E-mail;Компания;ИНН;Должность;Ответственный\r\n")
	formats := []func(int) string{
		func(p int) string { return fmt.Sprintf("+7 912 %03d-%02d-%02d", p/10000, p/100%100, p%100) },
		func(p int) string { return fmt.Sprintf("8 (912) %03d-%02d-%02d", p/10000, p/100%100, p%100) },
		func(p int) string { return fmt.Sprintf("8912%07d", p) },
		func(p int) string { return fmt.Sprintf("7-912-%03d-%04d", p/10000, p%10000) },
	}
	people := 0
	for i := 0; i < n; i++ {
		p := people
		if i%5 == 4 {
			p = (i * 7919) % people // someone already listed
		} else {
			people++
		}
		email, company, inn := "", "", ""
		if p%2 == 0 {
			email = fmt.Sprintf("client%d@example.ru", p)
		}
		if p%3 == 0 {
			company, inn = fmt.Sprintf("ООО Клиент %d", p%2000), validINN(770000000+p%2000)
		}
		fmt.Fprintf(&b, "Клиент %d;%s;%s;%s;%s;закупщик;Анна Смирнова\r\n", p, formats[i%len(formats)](p), email, company, inn)
	}
	return b.Bytes()
}

// validINN makes an organisation's INN from its first nine digits and
// the check digit they give.
func validINN(first9 int) string {
	s := fmt.Sprintf("%09d", first9)
	sum := 0
	for i, w := range []int{2, 4, 10, 3, 5, 9, 4, 6, 8} {
		sum += w * int(s[i]-'0')
	}
	return s + fmt.Sprint(sum%11%10)
}

// BenchmarkImport100kContacts reads and imports a base of 100,000 rows into
// an empty CRM, deduplicating as intake does. Wanted: at most 60 s.
func BenchmarkImport100kContacts(b *testing.B) {
	const rows = 100_000
	file := clientBase(rows)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := crmtest.MustOpenDB(b)
		if _, err := db.Store.CreateManager(ctx, crm.Manager{Name: "Анна Смирнова", Active: true}); err != nil {
			b.Fatal(err)
		}
		im := &imports.Importer{Store: db.Store, Phones: dedupe.Normalizer{Region: "RU"}}
		b.StartTimer()
		start := time.Now()
		tab, err := imports.Read("base.csv", bytes.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		rep, err := im.Apply(ctx, tab, imports.Options{Kind: imports.Contacts})
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		b.StopTimer()
		if rep.New != rows*4/5 || rep.Matched != rows/5 || rep.Rejected+rep.Conflicting != 0 {
			b.Fatalf("%d new, %d matched, %d conflicting, %d rejected", rep.New, rep.Matched, rep.Conflicting, rep.Rejected)
		}
		if n := db.Count(b, `SELECT count(*) FROM contacts`); n != rows*4/5 {
			b.Fatalf("%d contacts", n)
		}
		b.ReportMetric(float64(rows)/took.Seconds(), "rows/s")
		again := time.Now()
		if rep, err = im.Apply(ctx, tab, imports.Options{Kind: imports.Contacts}); err != nil || rep.New != 0 {
			b.Fatalf("again: %d new, %v", rep.New, err)
		}
		b.ReportMetric(time.Since(again).Seconds(), "s-again")
		b.StartTimer()
	}
}
