package dedupe

import (
	"math/rand/v2"
	"testing"
)

func TestCompanyKeyIgnoresLegalFormQuotesAndAlphabet(t *testing.T) {
	groups := [][]string{
		{`ООО "Ромашка"`, `Ромашка ООО`, `OOO Romashka`, `ПАО «Ромашка»`, `ооо  ромашка`, `"Romashka" LLC`,
			`Общество с ограниченной ответственностью «Ромашка»`, `АО „Ромашка“`},
		{`ООО «Химпром»`, `Khimprom LLC`, `Himprom`, `ЗАО Химпром`},
		{`АО «Щука»`, `Shchuka JSC`, `Schuka`},
		{`ООО «Юг-Сервис»`, `Yug Servis`, `Iug-Servis Ltd`},
		{`ИП Иванов Иван Иванович`, `Ivanov Ivan Ivanovich IP`, `Индивидуальный предприниматель Иванов Иван Иванович`},
		{`ООО «Станкоторг 2000»`, `Stankotorg 2000 LLC`},
	}
	seen := map[string]int{}
	for gi, g := range groups {
		want := CompanyKey(g[0])
		if want == "" {
			t.Fatalf("%q has an empty key", g[0])
		}
		for _, name := range g[1:] {
			if got := CompanyKey(name); got != want {
				t.Errorf("CompanyKey(%q) = %q, want %q (as %q)", name, got, want, g[0])
			}
		}
		if other, ok := seen[want]; ok {
			t.Errorf("groups %d and %d share the key %q", other, gi, want)
		}
		seen[want] = gi
	}
	for _, name := range []string{"ООО", `ООО ""`, "LLC", "  "} {
		if got := CompanyKey(name); got != "" {
			t.Errorf("CompanyKey(%q) = %q, want empty: only a legal form", name, got)
		}
	}
	if CompanyKey("Ромашка") == CompanyKey("Ромашки") {
		t.Error("different names must not share a key")
	}
}

func TestGeneratedNumbersPassAndMistypedOnesFail(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 2026))
	for i := range 200 {
		inn := GenerateINN(r, []int{10, 12}[i%2])
		if !ValidINN(inn) {
			t.Fatalf("generated INN %s is refused", inn)
		}
		if bad := Mistype(r, inn); ValidINN(bad) {
			t.Errorf("INN %s mistyped as %s passes", inn, bad)
		}
		ogrn := GenerateOGRN(r, []int{13, 15}[i%2])
		if !ValidOGRN(ogrn) {
			t.Fatalf("generated OGRN %s is refused", ogrn)
		}
		if bad := Mistype(r, ogrn); ValidOGRN(bad) {
			t.Errorf("OGRN %s with its control digit off passes as %s", ogrn, bad)
		}
	}
}
