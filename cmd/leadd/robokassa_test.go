package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/payments/robokassa"
	"github.com/leadd/leadd/web/api"
)

// testShop is a Robokassa shop with receipts, moving paid deals to the
// sales pipeline's "payment" stage.
var testShop = robokassa.Config{MerchantLogin: "leadd-demo", Password1: "password-one-test", Password2: "password-two-test",
	Hash: "sha256", Test: true, Receipt: true, SNO: "osn", PaidStage: "payment"}

// shop serves the Robokassa handler on the app's store: the payment-link
// API (as the admin; the daemon mounts it behind the bearer check) and
// the ResultURL hook.
func (ta *testApp) shop(cfg robokassa.Config) *httptest.Server {
	h := robokassa.New(cfg, ta.cfg.VATRates, ta.store, testLogger(ta.t))
	mux := http.NewServeMux()
	h.Register(mux)
	mux.HandleFunc("POST /api/v1/deals/{id}/payment-link", func(w http.ResponseWriter, r *http.Request) {
		status, body, err := h.CreateLink(r, api.Principal{Name: "admin", Role: api.RoleAdmin})
		if err != nil {
			api.WriteError(w, r, testLogger(ta.t), err)
			return
		}
		api.WriteJSON(w, status, body)
	})
	srv := httptest.NewServer(mux)
	ta.t.Cleanup(srv.Close)
	return srv
}

func send(t *testing.T, method, u string, form url.Values) (int, string) {
	t.Helper()
	var res *http.Response
	var err error
	if method == "GET" {
		res, err = http.Get(u + "?" + form.Encode())
	} else {
		res, err = http.PostForm(u, form)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// notice is a ResultURL notice signed with password2.
func notice(outSum string, invID int64, password2 string) url.Values {
	inv := strconv.FormatInt(invID, 10)
	sig := robokassa.Sign(testShop.Hash, robokassa.ResultBase(outSum, inv, password2, map[string]string{"Shp_src": "leadd"}))
	return url.Values{"OutSum": {outSum}, "InvId": {inv}, "Fee": {"87.50"}, "EMail": {"buyer@example.ru"},
		"PaymentMethod": {"BankCard"}, "IncCurrLabel": {"BankCardPSR"}, "Shp_src": {"leadd"}, "SignatureValue": {strings.ToUpper(sig)}}
}

type paymentState struct {
	Status, Stage                 string
	Paid, History, Notices, Moves int
}

func (ta *testApp) paymentState(dealID, invID int64) paymentState {
	var s paymentState
	if err := ta.store.Pool().QueryRow(ta.t.Context(), `SELECT p.status, s.key FROM payments p JOIN deals d ON d.id = p.deal_id
		JOIN stages s ON s.id = d.stage_id WHERE p.inv_id = $1`, invID).Scan(&s.Status, &s.Stage); err != nil {
		ta.t.Fatal(err)
	}
	s.Paid = ta.db.Count(ta.t, `SELECT count(*) FROM payments WHERE deal_id = $1 AND status = 'paid'`, dealID)
	s.History = ta.db.Count(ta.t, `SELECT count(*) FROM deal_stage_history WHERE deal_id = $1`, dealID)
	s.Notices = ta.db.Count(ta.t, `SELECT count(*) FROM outbox WHERE kind = 'payment.received' AND (payload->>'deal_id')::bigint = $1`, dealID)
	s.Moves = ta.db.Count(ta.t, `SELECT count(*) FROM outbox WHERE kind = 'deal.stage_changed' AND (payload->>'deal_id')::bigint = $1`, dealID)
	return s
}

func TestARobokassaPaymentMovesTheDealOnce(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	shop := ta.shop(testShop)

	var d crm.Deal
	if s := ta.api("POST", "/api/v1/deals", map[string]any{"title": "Станок ЧПУ", "pipeline": "sales", "stage": "invoice", "manager_id": 1}, &d); s != 201 {
		t.Fatalf("create a deal: %d", s)
	}
	for _, l := range []map[string]any{
		{"name": "Фреза концевая", "quantity": "2", "price": "1000.00", "vat": "vat20", "vat_included": true},
		{"name": "Пусконаладка", "quantity": "1", "price": "500.00", "vat": "vat20", "vat_included": true},
	} {
		if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", d.ID, "/lines"), l, nil); s != 201 {
			t.Fatalf("add a line: %d", s)
		}
	}

	var link robokassa.LinkAnswer
	res := ta.apiOn(shop, "POST", fmt.Sprint("/api/v1/deals/", d.ID, "/payment-link"), `{}`, &link)
	if res != 201 || link.InvID == 0 || link.Payment.Amount != "2500.00" || link.Payment.Status != crm.PaymentPending {
		t.Fatalf("payment link: %d %+v", res, link)
	}
	u, _ := url.Parse(link.URL)
	q := u.Query()
	base := robokassa.PaymentBase(testShop.MerchantLogin, q.Get("OutSum"), q.Get("InvId"), q.Get("Receipt"), testShop.Password1, nil)
	if !robokassa.Verify(testShop.Hash, base, q.Get("SignatureValue")) || q.Get("OutSum") != "2500.00" || q.Get("IsTest") != "1" ||
		!strings.Contains(q.Get("Receipt"), "vat20") || q.Get("InvId") != strconv.FormatInt(link.InvID, 10) {
		t.Fatalf("the link is not signed with password1 over its receipt: %s", link.URL)
	}
	before := ta.paymentState(d.ID, link.InvID)

	hook := shop.URL + "/hooks/payments/robokassa"
	status, body := send(t, "POST", hook, notice("2500.000000", link.InvID, testShop.Password2))
	if want := fmt.Sprint("OK", link.InvID); status != 200 || body != want {
		t.Fatalf("ResultURL answered %d %q, want 200 %q", status, body, want)
	}
	after := ta.paymentState(d.ID, link.InvID)
	if want := (paymentState{Status: "paid", Stage: "payment", Paid: 1, History: before.History + 1, Notices: 1, Moves: before.Moves + 1}); after != want {
		t.Fatalf("after the notice: %+v, want %+v", after, want)
	}
	var manager float64
	var amount string
	if err := ta.store.Pool().QueryRow(t.Context(), `SELECT (payload->>'manager_id')::float8, payload->>'amount' FROM outbox
		WHERE kind = 'payment.received'`).Scan(&manager, &amount); err != nil || manager != 1 || amount != "2500.00" {
		t.Errorf("the manager's notice: manager %v amount %q (%v)", manager, amount, err)
	}

	t.Run("the same notice again answers the same and changes nothing", func(t *testing.T) {
		status, body := send(t, "POST", hook, notice("2500.000000", link.InvID, testShop.Password2))
		if status != 200 || body != fmt.Sprint("OK", link.InvID) {
			t.Fatalf("repeat answered %d %q", status, body)
		}
		if again := ta.paymentState(d.ID, link.InvID); again != after {
			t.Fatalf("the repeat changed %+v into %+v", after, again)
		}
	})

	var second robokassa.LinkAnswer
	if s := ta.apiOn(shop, "POST", fmt.Sprint("/api/v1/deals/", d.ID, "/payment-link"), `{"amount": "2500.00"}`, &second); s != 201 {
		t.Fatalf("a second link: %d", s)
	}
	pending := ta.paymentState(d.ID, second.InvID)

	t.Run("a forged notice is refused and changes nothing", func(t *testing.T) {
		for _, forged := range []url.Values{
			notice("2500.00", second.InvID, testShop.Password1), // signed with the wrong password
			notice("2500.00", second.InvID, "guess"),
		} {
			for _, method := range []string{"POST", "GET"} {
				status, body := send(t, method, hook, forged)
				if status != 400 || strings.HasPrefix(body, "OK") {
					t.Errorf("%s forged notice answered %d %q", method, status, body)
				}
			}
		}
		tampered := notice("2500.00", second.InvID, testShop.Password2)
		tampered.Set("OutSum", "25.00")
		if status, _ := send(t, "POST", hook, tampered); status != 400 {
			t.Errorf("a notice with its sum changed answered %d", status)
		}
		if now := ta.paymentState(d.ID, second.InvID); now != pending {
			t.Fatalf("a forged notice changed %+v into %+v", pending, now)
		}
	})

	t.Run("a signed notice for another sum is refused and changes nothing", func(t *testing.T) {
		status, body := send(t, "GET", hook, notice("2400.00", second.InvID, testShop.Password2))
		if status != 422 || strings.HasPrefix(body, "OK") || !strings.Contains(body, "2500.00") {
			t.Errorf("wrong sum answered %d %q", status, body)
		}
		if status, _ := send(t, "POST", hook, notice("2500.00", 999999, testShop.Password2)); status != 404 {
			t.Errorf("an unknown InvId answered %d", status)
		}
		if now := ta.paymentState(d.ID, second.InvID); now != pending {
			t.Fatalf("the refused notice changed %+v into %+v", pending, now)
		}
	})

	t.Run("with receipts, a link asks the lines' total", func(t *testing.T) {
		n := ta.db.Count(t, `SELECT count(*) FROM payments`)
		var e struct {
			Error struct{ Code, Field string }
		}
		if s := ta.apiOn(shop, "POST", fmt.Sprint("/api/v1/deals/", d.ID, "/payment-link"), `{"amount": "100.00"}`, &e); s != 422 || e.Error.Field != "amount" {
			t.Errorf("a partial link with a receipt: %d %+v", s, e)
		}
		if ta.db.Count(t, `SELECT count(*) FROM payments`) != n {
			t.Errorf("a refused link left a payment")
		}
	})
}

// apiOn posts JSON to another server as the admin and decodes the answer.
func (ta *testApp) apiOn(srv *httptest.Server, method, path, body string, out any) int {
	ta.t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ta.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil {
		jsonInto(ta.t, b, out)
	}
	return res.StatusCode
}
