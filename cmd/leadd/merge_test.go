package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
)

func TestTwoContactsMergeAndTheMergeCanBeUndone(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	olga := ta.newLead("+7 918 000 00 01")
	kept := ta.convert(olga.ID, map[string]any{})
	dup := ta.newLead("+7 918 000 00 02")
	merged := ta.convert(dup.ID, map[string]any{"company": map[string]any{"name": "ООО Ромашка"}})
	ta.api("PATCH", fmt.Sprint("/api/v1/contacts/", merged.ContactID), map[string]any{"emails": []string{"olga@example.ru"}}, nil)

	var m crm.Merge
	if s := ta.api("POST", fmt.Sprint("/api/v1/contacts/", kept.ContactID, "/merge"), map[string]any{"other_id": merged.ContactID}, &m); s != 200 {
		t.Fatalf("merge: %d", s)
	}
	var c crm.Contact
	ta.api("GET", fmt.Sprint("/api/v1/contacts/", kept.ContactID), nil, &c)
	if fmt.Sprint(c.Phones) != "[+79180000001 +79180000002]" || fmt.Sprint(c.Emails) != "[olga@example.ru]" || c.CompanyID == nil {
		t.Errorf("after the merge: %+v", c)
	}
	if s := ta.api("GET", fmt.Sprint("/api/v1/contacts/", merged.ContactID), nil, nil); s != 404 {
		t.Errorf("the merged contact still shows: %d", s)
	}
	var deals struct{ Items []crm.Deal }
	ta.api("GET", fmt.Sprint("/api/v1/deals?contact_id=", kept.ContactID), nil, &deals)
	if len(deals.Items) != 2 {
		t.Errorf("%d deals on the kept contact, want both", len(deals.Items))
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM touches WHERE contact_id = $1`, kept.ContactID); n != 2 {
		t.Errorf("%d touches moved", n)
	}
	// A letter to the merged contact's phone now finds the kept one.
	var list struct{ Items []crm.Contact }
	ta.api("GET", "/api/v1/contacts?phone=%2B79180000002", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != kept.ContactID {
		t.Errorf("find by the merged phone: %+v", list.Items)
	}

	var undone crm.Merge
	if s := ta.api("POST", fmt.Sprint("/api/v1/merges/", m.ID, "/undo"), nil, &undone); s != 200 || undone.UndoneAt == nil {
		t.Fatalf("undo: %d %+v", s, undone)
	}
	ta.api("GET", fmt.Sprint("/api/v1/contacts/", kept.ContactID), nil, &c)
	if fmt.Sprint(c.Phones) != "[+79180000001]" || len(c.Emails) != 0 || c.CompanyID != nil {
		t.Errorf("the kept contact after the undo: %+v", c)
	}
	var back crm.Contact
	if s := ta.api("GET", fmt.Sprint("/api/v1/contacts/", merged.ContactID), nil, &back); s != 200 || fmt.Sprint(back.Emails) != "[olga@example.ru]" {
		t.Errorf("the merged contact is back: %d %+v", s, back)
	}
	ta.api("GET", fmt.Sprint("/api/v1/deals?contact_id=", merged.ContactID), nil, &deals)
	if len(deals.Items) != 1 || deals.Items[0].ID != merged.DealID {
		t.Errorf("its deal came back: %+v", deals.Items)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/merges/", m.ID, "/undo"), nil, nil); s != 409 {
		t.Errorf("undoing twice: %d", s)
	}

	// Thirty days on, a merge stays.
	ta.api("POST", fmt.Sprint("/api/v1/contacts/", kept.ContactID, "/merge"), map[string]any{"other_id": merged.ContactID}, &m)
	ta.db.Exec(t, `UPDATE merges SET at = $2 WHERE id = $1`, m.ID, time.Now().Add(-31*24*time.Hour))
	if s := ta.api("POST", fmt.Sprint("/api/v1/merges/", m.ID, "/undo"), nil, nil); s != 409 {
		t.Errorf("undoing a 31-day-old merge: %d", s)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/contacts/", kept.ContactID, "/merge"), map[string]any{"other_id": kept.ContactID}, nil); s != 422 {
		t.Errorf("merging with itself: %d", s)
	}
}

func TestTwoCompaniesMergeKeepingTheINN(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	var a, b crm.Company
	ta.api("POST", "/api/v1/companies", map[string]any{"name": "Ромашка"}, &a)
	ta.api("POST", "/api/v1/companies", map[string]any{"name": "ООО «Ромашка-Трейд»", "inn": "7707083893"}, &b)
	var m crm.Merge
	if s := ta.api("POST", fmt.Sprint("/api/v1/companies/", a.ID, "/merge"), map[string]any{"other_id": b.ID}, &m); s != 200 {
		t.Fatalf("merge: %d", s)
	}
	ta.api("GET", fmt.Sprint("/api/v1/companies/", a.ID), nil, &a)
	if a.INN == nil || *a.INN != "7707083893" {
		t.Errorf("the INN did not move: %+v", a)
	}
	ta.api("POST", fmt.Sprint("/api/v1/merges/", m.ID, "/undo"), nil, nil)
	ta.api("GET", fmt.Sprint("/api/v1/companies/", b.ID), nil, &b)
	ta.api("GET", fmt.Sprint("/api/v1/companies/", a.ID), nil, &a)
	if a.INN != nil || b.INN == nil || *b.INN != "7707083893" {
		t.Errorf("after the undo: %+v / %+v", a, b)
	}
}
