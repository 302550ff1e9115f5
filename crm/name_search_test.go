package crm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

// The clients search finds a name by any part of it, Cyrillic in any
// case, through the trigram indexes (150_name_search.sql).
func TestNameSearchFindsAnyPartInAnyCase(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	ctx := context.Background()
	s := db.Store
	m, err := s.CreateManager(ctx, crm.Manager{Name: "Анна", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	str := func(v string) *string { return &v }
	co, err := s.CreateCompany(ctx, crm.CompanyInput{Name: str("ООО «Ромашка»")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCompany(ctx, crm.CompanyInput{Name: str("АО Василёк")}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Ромашкина Ольга", "Пётр РОМАШОВ", "Иван Иванов", "Ольга 100% Ромашка_"} {
		if _, err := s.CreateContact(ctx, crm.ContactInput{Name: str(name), ManagerID: &m.ID, CompanyID: &co.ID}); err != nil {
			t.Fatal(err)
		}
	}
	contacts := func(q string) string {
		t.Helper()
		cs, _, err := s.Contacts(ctx, crm.ContactFilter{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range cs {
			names = append(names, c.Name)
		}
		return strings.Join(names, ", ")
	}
	companies := func(q string) string {
		t.Helper()
		cs, _, err := s.Companies(ctx, crm.CompanyFilter{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range cs {
			names = append(names, c.Name)
		}
		return strings.Join(names, ", ")
	}
	for _, tc := range []struct{ q, contacts, companies string }{
		{"ромаш", "Ольга 100% Ромашка_, Пётр РОМАШОВ, Ромашкина Ольга", "ООО «Ромашка»"}, // the start, any case
		{"МАШК", "Ольга 100% Ромашка_, Ромашкина Ольга", "ООО «Ромашка»"},                // the middle
		{"ольга", "Ольга 100% Ромашка_, Ромашкина Ольга", ""},                            // the end
		{"василек", "", ""},                 // ё is not е: as typed
		{"Василёк", "", "АО Василёк"},       // as written
		{"100%", "Ольга 100% Ромашка_", ""}, // % is a character, not a wildcard
		{"а_", "Ольга 100% Ромашка_", ""},   // so is _
		{"ро", "Ольга 100% Ромашка_, Пётр РОМАШОВ, Ромашкина Ольга", "ООО «Ромашка»"}, // shorter than a trigram
	} {
		if got := contacts(tc.q); got != tc.contacts {
			t.Errorf("contacts %q: [%s], want [%s]", tc.q, got, tc.contacts)
		}
		if got := companies(tc.q); got != tc.companies {
			t.Errorf("companies %q: [%s], want [%s]", tc.q, got, tc.companies)
		}
	}
	// At a size where reading every row costs, the planner answers the
	// search from the trigram index.
	db.Exec(t, `INSERT INTO companies (name) SELECT 'ООО Компания ' || i FROM generate_series(1, 20000) i`)
	db.Exec(t, `INSERT INTO contacts (name) SELECT 'Клиент ' || i FROM generate_series(1, 20000) i`)
	db.Exec(t, `VACUUM ANALYZE companies, contacts`) // as autovacuum would: GIN's pending list merged
	for _, tc := range []struct{ table, index string }{{"contacts", "contacts_name_trgm"}, {"companies", "companies_name_trgm"}} {
		rows, err := db.Pool.Query(ctx, `EXPLAIN SELECT id FROM `+tc.table+` WHERE merged_into IS NULL AND name ILIKE $1`, "%ромаш%")
		if err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		for rows.Next() {
			var line string
			_ = rows.Scan(&line)
			plan.WriteString(line + "\n")
		}
		rows.Close()
		if !strings.Contains(plan.String(), tc.index) {
			t.Errorf("%s by name does not use %s:\n%s", tc.table, tc.index, plan.String())
		}
	}
}
