package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/web/api"
)

// Another manager's company is theirs however its name is spelled: with
// the legal form before or after, in full, in any quotes or case, in
// Latin letters — the spellings conversion and creation already take for
// one company. A manager creating one of them is told whose it is, and
// nothing is created; a name only the legal form is matches nothing.
func TestAnotherManagersCompanyIsTheirsInEverySpelling(t *testing.T) {
	t.Parallel()
	victim, attacker := victimID, attackerID
	ta := startApp(t, func(c *configs.Config) {
		c.API.Tokens = append(c.API.Tokens,
			api.Token{Name: "victim", Token: victimToken, Role: api.RoleManager, ManagerID: &victim},
			api.Token{Name: "attacker", Token: attackerToken, Role: api.RoleManager, ManagerID: &attacker})
	})
	if res := ta.as(victimToken, "POST", "/api/v1/companies", map[string]any{"name": `ООО «Ромашка-Сервис»`}); res.Status != 201 {
		t.Fatalf("the victim's company: %d %s", res.Status, excerpt(res.Body))
	}
	var victimName string
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT name FROM managers WHERE id = $1`, victimID).Scan(&victimName); err != nil {
		t.Fatal(err)
	}
	spellings := []string{}
	for _, form := range []string{"ООО", "ооо", "Общество с ограниченной ответственностью", "OOO", "LLC"} {
		for _, quoted := range []string{"Ромашка-Сервис", `"Ромашка-Сервис"`, "«Ромашка Сервис»", "РОМАШКА-СЕРВИС", "Romashka-Servis", "  ромашка   сервис "} {
			spellings = append(spellings, form+" "+quoted, quoted+" "+form, quoted+", "+form)
		}
	}
	for _, name := range spellings {
		res := ta.as(attackerToken, "POST", "/api/v1/companies", map[string]any{"name": name})
		var e struct {
			Error struct{ Code, Message, Field string }
		}
		if res.Status == 409 {
			jsonInto(t, res.Body, &e)
		}
		if res.Status != 409 || e.Error.Code != crm.EOWNEDELSEWHERE || !strings.Contains(e.Error.Message, victimName) {
			t.Errorf("creating %q answered %d %s, want 409 owned_elsewhere naming %s", name, res.Status, excerpt(res.Body), victimName)
		}
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM companies`); n != 1 {
		t.Errorf("%d companies after the refusals, want the victim's one", n)
	}
	// The control: other names, and a legal form alone, are the attacker's to create.
	for i, name := range []string{"ООО «Ромашка-Минус»", "ИП Ромашкин", "Ромашка Сервис Плюс"} {
		if res := ta.as(attackerToken, "POST", "/api/v1/companies", map[string]any{"name": name, "inn": fmt.Sprint(validINN(int64(100 + i)))}); res.Status != 201 {
			t.Errorf("creating %q answered %d %s, want 201", name, res.Status, excerpt(res.Body))
		}
	}
}
