package main

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"testing"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
)

func TestATokenMadeByTheAPIWorksAtOnceAndStopsWhenRevoked(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	var tok crm.APIToken
	if s := ta.api("POST", "/api/v1/tokens", map[string]any{"name": "Анна's phone", "role": "manager", "manager_id": 1}, &tok); s != 201 || tok.Secret == "" {
		t.Fatalf("make: %d %+v", s, tok)
	}
	as := func(secret, method, path string) int {
		return ta.do(method, path, "application/json", nil, "Authorization: Bearer "+secret).Status
	}
	if s := as(tok.Secret, "GET", "/api/v1/leads"); s != 200 {
		t.Errorf("the new token answered %d", s)
	}
	if s := as(tok.Secret, "GET", "/api/v1/tokens"); s != 403 {
		t.Errorf("a manager listing tokens: %d, want 403", s)
	}
	var list struct{ Items []crm.APIToken }
	if s := ta.api("GET", "/api/v1/tokens", nil, &list); s != 200 || len(list.Items) != 2 {
		t.Fatalf("list: %d %+v", s, list)
	}
	for _, x := range list.Items {
		if x.Secret != "" {
			t.Errorf("the list shows a secret: %+v", x)
		}
	}
	if s := ta.api("DELETE", fmt.Sprint("/api/v1/tokens/", tok.ID), nil, nil); s != 200 {
		t.Fatalf("revoke: %d", s)
	}
	if s := as(tok.Secret, "GET", "/api/v1/leads"); s != 401 {
		t.Errorf("the revoked token answered %d, want 401", s)
	}
	for _, bad := range []map[string]any{{"name": "x", "role": "manager"}, {"name": "", "role": "admin"}, {"name": "x", "role": "boss"}} {
		if s := ta.api("POST", "/api/v1/tokens", bad, nil); s != 422 {
			t.Errorf("%v: %d, want 422", bad, s)
		}
	}
}

func TestNotesOnEveryRecordAndTimelinesNewestFirst(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	var l crm.Lead
	if s := ta.api("POST", "/api/v1/leads", map[string]any{"name": "Пётр", "phone": "+7 917 300-00-09"}, &l); s != 201 {
		t.Fatalf("lead: %d", s)
	}
	var n crm.Note
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", l.ID, "/notes"), map[string]string{"text": "с выставки"}, &n); s != 201 || n.By == nil {
		t.Fatalf("lead note: %d %+v", s, n)
	}
	var conv crm.Converted
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", l.ID, "/convert"), map[string]any{"company": map[string]any{"name": "ООО «Ромашка»", "inn": "7707083893"}}, &conv); s != 200 {
		t.Fatalf("convert: %d", s)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", conv.DealID, "/stage"), map[string]any{"stage": "needs"}, nil); s != 200 {
		t.Fatalf("move: %d", s)
	}
	for path, text := range map[string]string{
		fmt.Sprint("/api/v1/deals/", conv.DealID, "/notes"):         "КП до пятницы",
		fmt.Sprint("/api/v1/contacts/", conv.ContactID, "/notes"):   "Звонить после обеда",
		fmt.Sprint("/api/v1/companies/", *conv.CompanyID, "/notes"): "Бухгалтерия на втором этаже",
	} {
		if s := ta.api("POST", path, map[string]string{"text": text}, &n); s != 201 || n.Text != text {
			t.Errorf("%s: %d %+v", path, s, n)
		}
		if s := ta.api("POST", path, map[string]string{"text": "  "}, nil); s != 422 {
			t.Errorf("%s: an empty note answered %d", path, s)
		}
	}
	// The deal's timeline, two at a time: newest first, every item once.
	var all []crm.TimelineItem
	cursor := ""
	for page := 0; page < 20; page++ {
		var p struct {
			Items      []crm.TimelineItem
			NextCursor *string `json:"next_cursor"`
		}
		if s := ta.api("GET", fmt.Sprint("/api/v1/deals/", conv.DealID, "/timeline?limit=2&cursor=", url.QueryEscape(cursor)), nil, &p); s != 200 {
			t.Fatalf("timeline: %d", s)
		}
		all = append(all, p.Items...)
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	kinds := map[string]int{}
	for i, it := range all {
		kinds[it.Type]++
		if i > 0 && it.At.After(all[i-1].At) {
			t.Errorf("item %d (%s at %s) is newer than the one before", i, it.Type, it.At)
		}
		if it.Type == crm.ItemStage && it.Stage.To == "needs" && (it.Stage.By == nil || it.Stage.By.Kind != crm.ActorToken) {
			t.Errorf("the move does not say who made it: %+v", it.Stage)
		}
	}
	// touch, two notes (the lead's followed it), the closed call, two stage
	// moves, the assignment.
	if kinds[crm.ItemNote] != 2 || kinds[crm.ItemStage] != 2 || kinds[crm.ItemTouch] != 1 || kinds[crm.ItemAssignment] != 1 || kinds[crm.ItemActivity] != 1 {
		t.Errorf("deal timeline kinds %v", kinds)
	}
	var act crm.Activity
	for _, it := range all {
		if it.Type == crm.ItemActivity {
			act = *it.Activity
		}
	}
	if act.DoneAt == nil || act.DealID == nil || act.ContactID == nil || act.LeadID == nil {
		t.Errorf("the lead's call-back after conversion: %+v, want done and about the deal", act)
	}
	var ct struct{ Items []crm.TimelineItem }
	if s := ta.api("GET", fmt.Sprint("/api/v1/contacts/", conv.ContactID, "/timeline"), nil, &ct); s != 200 || len(ct.Items) < 5 {
		t.Errorf("contact timeline: %d, %d items", s, len(ct.Items))
	}
	if s := ta.api("GET", fmt.Sprint("/api/v1/deals/", conv.DealID, "/timeline?cursor=garbage"), nil, nil); s != 422 {
		t.Errorf("a bad cursor answered %d", s)
	}
}

// Every write path refuses a mistyped INN or OGRN with a 422 naming the
// field, and takes a valid one: create, patch, conversion.
func TestRequisitesAreCheckedOnEveryWrite(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	r := rand.New(rand.NewPCG(16, 16))
	var co crm.Company
	if s := ta.api("POST", "/api/v1/companies", map[string]any{"name": "Патчи"}, &co); s != 201 {
		t.Fatal(s)
	}
	var e struct {
		Error struct{ Field string }
	}
	for i := range 200 {
		digits := []int{10, 12}[i%2]
		inn := dedupe.GenerateINN(r, digits)
		ogrn := dedupe.GenerateOGRN(r, map[int]int{10: 13, 12: 15}[digits])
		badINN, badOGRN := dedupe.Mistype(r, inn), dedupe.Mistype(r, ogrn)
		name := fmt.Sprint("Компания ", i)
		if s := ta.api("POST", "/api/v1/companies", map[string]any{"name": name, "inn": inn, "ogrn": ogrn}, nil); s != 201 {
			t.Fatalf("create with INN %s OGRN %s: %d", inn, ogrn, s)
		}
		if s := ta.api("POST", "/api/v1/companies", map[string]any{"name": name, "inn": badINN}, &e); s != 422 || e.Error.Field != "inn" {
			t.Fatalf("create with INN %s: %d %q", badINN, s, e.Error.Field)
		}
		if s := ta.api("POST", "/api/v1/companies", map[string]any{"name": name, "ogrn": badOGRN}, &e); s != 422 || e.Error.Field != "ogrn" {
			t.Fatalf("create with OGRN %s: %d %q", badOGRN, s, e.Error.Field)
		}
		if s := ta.api("PATCH", fmt.Sprint("/api/v1/companies/", co.ID), map[string]any{"inn": badINN}, &e); s != 422 || e.Error.Field != "inn" {
			t.Fatalf("patch with INN %s: %d %q", badINN, s, e.Error.Field)
		}
		if s := ta.api("PATCH", fmt.Sprint("/api/v1/companies/", co.ID), map[string]any{"ogrn": badOGRN, "inn": ""}, &e); s != 422 || e.Error.Field != "ogrn" {
			t.Fatalf("patch with OGRN %s: %d %q", badOGRN, s, e.Error.Field)
		}
		if i%20 == 0 {
			var l crm.Lead
			if s := ta.api("POST", "/api/v1/leads", map[string]any{"phone": fmt.Sprintf("+7917400%04d", i)}, &l); s != 201 {
				t.Fatal(s)
			}
			path := fmt.Sprint("/api/v1/leads/", l.ID, "/convert")
			if s := ta.api("POST", path, map[string]any{"company": map[string]any{"name": name + "-к", "inn": badINN}}, &e); s != 422 || e.Error.Field != "company.inn" {
				t.Fatalf("convert with INN %s: %d %q", badINN, s, e.Error.Field)
			}
			if s := ta.api("POST", path, map[string]any{"company": map[string]any{"name": name + "-к", "inn": dedupe.GenerateINN(r, 10)}}, nil); s != 200 {
				t.Fatalf("convert with a valid INN: %d", s)
			}
		}
	}
	bik, account := "044525225", "40702810938000012345"
	if s := ta.api("PATCH", fmt.Sprint("/api/v1/companies/", co.ID), map[string]any{"bik": bik, "account": account}, &co); s != 200 || co.Account == nil {
		t.Errorf("a valid account: %d %+v", s, co)
	}
	if s := ta.api("PATCH", fmt.Sprint("/api/v1/companies/", co.ID), map[string]any{"account": "40702810038000012345"}, &e); s != 422 || e.Error.Field != "account" {
		t.Errorf("a mistyped account: %d %q", s, e.Error.Field)
	}
}

func TestConversionFindsACompanyByNameWhateverItsLegalFormAndAlphabet(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	ids := map[int64]bool{}
	for i, name := range []string{`ООО "Ромашка"`, `Ромашка ПАО`, `OOO Romashka`} {
		var l crm.Lead
		if s := ta.api("POST", "/api/v1/leads", map[string]any{"phone": fmt.Sprintf("+7917500%04d", i)}, &l); s != 201 {
			t.Fatal(s)
		}
		var conv crm.Converted
		if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", l.ID, "/convert"), map[string]any{"company": map[string]any{"name": name}}, &conv); s != 200 {
			t.Fatalf("convert for %s: %d", name, s)
		}
		ids[*conv.CompanyID] = true
	}
	if len(ids) != 1 {
		t.Errorf("three spellings of one company made %d companies", len(ids))
	}
}

func TestTwoLeadsOfOnePersonAreMergedAndTheMergeUndone(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	var a, b crm.Lead
	ta.api("POST", "/api/v1/leads", map[string]any{"name": "Иван", "email": "ivan@zavod.example"}, &a)
	ta.api("POST", "/api/v1/leads", map[string]any{"name": "Иван", "phone": "+7 917 800-00-01"}, &b)
	if a.ID == 0 || b.ID == 0 || a.ID == b.ID {
		t.Fatalf("two leads: %d %d", a.ID, b.ID)
	}
	ta.api("POST", fmt.Sprint("/api/v1/leads/", b.ID, "/notes"), map[string]string{"text": "звонил с мобильного"}, nil)
	var m crm.Merge
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", a.ID, "/merge"), map[string]any{"other_id": b.ID}, &m); s != 200 || m.Kind != "lead" {
		t.Fatalf("merge: %d %+v", s, m)
	}
	var kept, gone crm.Lead
	ta.api("GET", fmt.Sprint("/api/v1/leads/", a.ID), nil, &kept)
	ta.api("GET", fmt.Sprint("/api/v1/leads/", b.ID), nil, &gone)
	if len(kept.Phones) != 1 || len(kept.Touches) != 2 || gone.Status != crm.StatusJunk || *gone.JunkReason != "duplicate" {
		t.Errorf("after the merge: kept %+v, other %s", kept, gone.Status)
	}
	// The person's next call lands on the kept lead.
	var again crm.Lead
	if s := ta.api("POST", "/api/v1/leads", map[string]any{"phone": "8 917 800 00 01"}, &again); s != 200 || again.ID != a.ID {
		t.Errorf("the phone after the merge landed on %d (%d), want %d", again.ID, s, a.ID)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/merges/", m.ID, "/undo"), nil, nil); s != 200 {
		t.Fatalf("undo: %d", s)
	}
	ta.api("GET", fmt.Sprint("/api/v1/leads/", b.ID), nil, &gone)
	ta.api("GET", fmt.Sprint("/api/v1/leads/", a.ID), nil, &kept)
	if !gone.Open() || gone.JunkReason != nil || len(kept.Phones) != 0 || len(gone.Touches) != 1 {
		t.Errorf("after the undo: other %+v, kept phones %v", gone, kept.Phones)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", a.ID, "/merge"), map[string]any{"other_id": a.ID}, nil); s != 422 {
		t.Errorf("a lead with itself: %d", s)
	}
}

func TestAManagersHoursMergePerDayAndTimeOffIsAddedAndRemovedByID(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	var m crm.Manager
	if s := ta.api("POST", "/api/v1/managers", map[string]any{"name": "Вера", "time_zone": "Europe/Moscow", "away": true, "weight": 3,
		"capacity": 5, "hours": map[string]string{"mon": "09:00-18:00", "tue": "09:00-18:00"},
		"time_off": []map[string]string{{"from": "2027-01-01", "to": "2027-01-08"}}}, &m); s != 201 || !m.Away || m.Weight != 3 || len(m.TimeOff) != 1 {
		t.Fatalf("create: %d %+v", s, m)
	}
	path := fmt.Sprint("/api/v1/managers/", m.ID)
	m = crm.Manager{} // decoding into a map adds to it
	if s := ta.api("PATCH", path, map[string]any{"hours": map[string]string{"wed": "10:00-19:00", "tue": ""}}, &m); s != 200 {
		t.Fatal(s)
	}
	if m.Hours["mon"] != "09:00-18:00" || m.Hours["wed"] != "10:00-19:00" || m.Hours["tue"] != "" {
		t.Errorf("hours after a one-day patch: %v", m.Hours)
	}
	ta.api("PATCH", path, map[string]any{"time_off": []map[string]string{{"from": "2027-05-01", "to": "2027-05-03"}}}, &m)
	if len(m.TimeOff) != 2 || m.TimeOff[0].ID == m.TimeOff[1].ID {
		t.Fatalf("time off after adding: %+v", m.TimeOff)
	}
	first := m.TimeOff[0].ID
	ta.api("PATCH", path, map[string]any{"time_off_remove": []int64{first}}, &m)
	if len(m.TimeOff) != 1 || m.TimeOff[0].From != "2027-05-01" {
		t.Errorf("time off after removing %d: %+v", first, m.TimeOff)
	}
	if s := ta.api("PATCH", path, map[string]any{"time_off_remove": []int64{first}}, nil); s != 422 {
		t.Errorf("removing a gone entry: %d", s)
	}
}
