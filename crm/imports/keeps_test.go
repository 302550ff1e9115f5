package imports_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/imports"
)

// TestAnImportKeepsWhatTheFileSays: a comment column is a note on the
// contact (once, however often the file is imported), an owner the file
// gives that is not the contact's is a conflict, a phone's extension is
// kept, and words in the phone column are reported and kept in the note.
func TestAnImportKeepsWhatTheFileSays(t *testing.T) {
	t.Parallel()
	b := newBase(t)
	ctx := context.Background()
	boris, err := b.db.Store.CreateManager(ctx, crm.Manager{Name: "Борис Котов", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	// Пётр is Анна's client.
	if _, err := b.db.Store.UpdateContact(ctx, b.petr.ID, crm.ContactInput{ManagerID: &b.anna}); err != nil {
		t.Fatal(err)
	}
	file := "ФИО;Телефон;Ответственный;Комментарий\n" +
		"Пётр Сидоров;+7 916 123-45-67;Борис Котов;Хочет скидку\n" + // Анна's client: the file's owner is a conflict
		"Ирина Лосева;8 (495) 777-66-55 доб. 205;Анна Смирнова;Звонить после обеда\n" +
		"Олег Гусев;+7 903 222-33-44 (после 18), секретарь;;\n" +
		"Пётр Сидоров;+7 916 123-45-67;Анна Смирнова;Давний клиент\n"
	tab := read(t, "clients.csv", []byte(file))
	o := imports.Options{Kind: imports.Contacts}
	want := []string{
		"2 conflicting: the file gives contact " + itoa(b.petr.ID) + " to Борис Котов, but contact " + itoa(b.petr.ID) +
			" is Анна Смирнова's; change the owner in the CRM (or the file) and import again",
		"3 new",
		"4 new",
		"5 matched by phone +79161234567",
	}
	plan := b.plan(tab, o)
	sameLines(t, "the dry run", lines(plan, nil), want)
	if got := notes(plan, 4); !strings.Contains(got, `"секретарь" is not a phone number, not saved as one`) ||
		!strings.Contains(got, "a note") {
		t.Errorf("row 4: %q", got)
	}
	for range 2 { // importing again adds nothing
		applied := b.apply(tab, o)
		sameLines(t, "the import", lines(applied, nil), want)
		want[1], want[2] = "3 matched by phone +74957776655", "4 matched by phone +79032223344"
	}
	irina, _, err := b.db.Store.Contacts(ctx, crm.ContactFilter{Query: "Ирина"})
	if err != nil || len(irina) != 1 {
		t.Fatalf("Ирина: %v %v", irina, err)
	}
	if got := strings.Join(irina[0].Phones, " "); got != "+74957776655;ext=205" {
		t.Errorf("Ирина's phone %q, want the extension kept", got)
	}
	if irina[0].ManagerID == nil || *irina[0].ManagerID != b.anna {
		t.Errorf("Ирина's owner %v", irina[0].ManagerID)
	}
	for _, tc := range []struct {
		id   int64
		want []string
	}{
		{irina[0].ID, []string{"Звонить после обеда"}},
		{b.petr.ID, []string{"Давний клиент"}},
	} {
		var got []string
		rows, _ := b.db.Store.Pool().Query(ctx, `SELECT text FROM notes WHERE contact_id = $1 ORDER BY id`, tc.id)
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			got = append(got, s)
		}
		rows.Close()
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("contact %d notes %q, want %q", tc.id, got, tc.want)
		}
	}
	oleg, _, _ := b.db.Store.Contacts(ctx, crm.ContactFilter{Query: "Олег"})
	if len(oleg) != 1 || strings.Join(oleg[0].Phones, " ") != "+79032223344" {
		t.Fatalf("Олег: %+v", oleg)
	}
	if n := b.db.Count(t, `SELECT count(*) FROM notes WHERE contact_id = $1 AND text LIKE '%секретарь%'`, oleg[0].ID); n != 1 {
		t.Errorf("the words in Олег's phone column are in %d notes, want 1", n)
	}
	if c, _ := b.db.Store.Contact(ctx, b.petr.ID); c.ManagerID == nil || *c.ManagerID != b.anna {
		t.Errorf("Пётр's owner changed: %v", c.ManagerID)
	}
	_ = boris
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
