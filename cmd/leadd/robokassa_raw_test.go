package main

import (
	"fmt"
	"testing"

	"github.com/leadd/leadd/payments/robokassa"
)

// A signed notice whose other fields hold a NUL or bytes that are not
// UTF-8 (found by FuzzResult) is still taken: the raw notice kept with the
// payment is cleaned, not a 500 that Robokassa repeats forever while the
// payment is never recorded.
func TestARobokassaNoticeWithUnstorableFieldsIsTaken(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	shop := ta.shop(testShop)
	var d struct{ ID int64 }
	if s := ta.api("POST", "/api/v1/deals", map[string]any{"title": "Фреза", "pipeline": "sales", "stage": "invoice", "manager_id": 1}, &d); s != 201 {
		t.Fatalf("create a deal: %d", s)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", d.ID, "/lines"), map[string]any{"name": "Фреза", "quantity": "1", "price": "700.00", "vat": "vat22"}, nil); s != 201 {
		t.Fatalf("add a line: %d", s)
	}
	var link robokassa.LinkAnswer
	if s := ta.apiOn(shop, "POST", fmt.Sprint("/api/v1/deals/", d.ID, "/payment-link"), `{}`, &link); s != 201 {
		t.Fatalf("payment link: %d", s)
	}
	n := notice(link.Payment.Amount, link.InvID, testShop.Password2)
	n.Set("EMail", "buyer\x00@example.ru")
	n.Set("Comment\x00", "\xffоплата")
	status, body := send(t, "POST", shop.URL+"/hooks/payments/robokassa", n)
	if want := fmt.Sprint("OK", link.InvID); status != 200 || body != want {
		t.Fatalf("ResultURL answered %d %q, want 200 %q", status, body, want)
	}
	var email, comment string
	if err := ta.store.Pool().QueryRow(t.Context(), `SELECT raw->>'EMail', raw->>'Comment' FROM payments WHERE inv_id = $1 AND status = 'paid'`,
		link.InvID).Scan(&email, &comment); err != nil {
		t.Fatalf("the payment is not recorded paid with its notice: %v", err)
	}
	if email != "buyer@example.ru" || comment != "\ufffdоплата" {
		t.Errorf("the notice kept as EMail %q, Comment %q", email, comment)
	}
}
