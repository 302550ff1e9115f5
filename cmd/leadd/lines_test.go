package main

import (
	"fmt"
	"testing"

	"github.com/leadd/leadd/crm"
)

func TestDealLinesKeepExactMoneyAndTheDealSumsThem(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	c := ta.convert(ta.newLead("+7 918 300 00 01").ID, map[string]any{"pipeline": "sales"})
	path := fmt.Sprint("/api/v1/deals/", c.DealID, "/lines")
	var line crm.Line
	for range 3 {
		if s := ta.api("POST", path, map[string]any{"name": "Фреза концевая", "quantity": "1", "price": "33.33", "vat": "vat20", "vat_included": true}, &line); s != 201 {
			t.Fatalf("add a line: %d", s)
		}
	}
	if line.Total != "33.33" || line.VATAmount != "5.56" || line.Net != "27.77" {
		t.Errorf("a line of 33.33 with 20%% VAT included: %+v", line)
	}
	d := ta.deal(c.DealID)
	if d.Amount != "99.99" || d.VATAmount != "16.68" {
		t.Fatalf("deal %s with VAT %s; want 99.99 and 16.68 (VAT rounded per line)", d.Amount, d.VATAmount)
	}

	var cable crm.Product
	if s := ta.api("POST", "/api/v1/products", map[string]any{"name": "Кабель ВВГ 3×2,5", "sku": "VVG-3-25", "unit": "м",
		"price": "199.99", "vat": "vat20"}, &cable); s != 201 {
		t.Fatalf("product: %d", s)
	}
	var half crm.Line
	if s := ta.api("POST", path, map[string]any{"product_id": cable.ID, "quantity": "0.5"}, &half); s != 201 {
		t.Fatalf("a product line: %d", s)
	}
	if half.Name != "Кабель ВВГ 3×2,5" || half.Unit != "м" || half.Quantity != "0.5" || half.Total != "100.00" || half.VATAmount != "16.67" {
		t.Errorf("half a metre: %+v", half)
	}
	var patched crm.Line
	if s := ta.api("PATCH", fmt.Sprint(path, "/", half.ID), map[string]any{"quantity": "2", "discount": "10", "vat_included": false}, &patched); s != 200 {
		t.Fatalf("patch: %d", s)
	}
	// 2 × 199.99 = 399.98, less 10% = 359.982 → 359.98, VAT on top 72.00.
	if patched.Net != "359.98" || patched.VATAmount != "72.00" || patched.Total != "431.98" {
		t.Errorf("patched: %+v", patched)
	}
	if d := ta.deal(c.DealID); d.Amount != "531.97" || d.VATAmount != "88.68" {
		t.Errorf("deal after the patch: %s / %s, want 531.97 / 88.68", d.Amount, d.VATAmount)
	}
	if s := ta.api("DELETE", fmt.Sprint(path, "/", patched.ID), nil, nil); s != 200 {
		t.Errorf("delete: %d", s)
	}
	if d := ta.deal(c.DealID); d.Amount != "99.99" {
		t.Errorf("after deleting the line: %s", d.Amount)
	}
	var list struct{ Items []crm.Line }
	ta.api("GET", path, nil, &list)
	if len(list.Items) != 3 {
		t.Errorf("%d lines", len(list.Items))
	}

	var e struct{ Error struct{ Code, Field string } }
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "x", "quantity": "1", "price": "1.00", "vat": "vat18"}, "vat"},
		{map[string]any{"name": "x", "quantity": "0", "price": "1.00", "vat": "vat20"}, "quantity"},
		{map[string]any{"name": "x", "quantity": "1", "price": "1.005", "vat": "vat20"}, "price"},
		{map[string]any{"name": "x", "quantity": "1", "price": "1.00", "vat": "vat20", "discount": "101"}, "discount"},
		{map[string]any{"quantity": "1", "price": "1.00", "vat": "vat20"}, "name"},
		{map[string]any{"product_id": 999, "quantity": "1"}, "product_id"},
	} {
		if s := ta.api("POST", path, tc.body, &e); s != 422 || e.Error.Field != tc.field {
			t.Errorf("%v: %d %+v, want 422 naming %s", tc.body, s, e, tc.field)
		}
	}
	if s := ta.api("POST", path, map[string]any{"name": "x", "quantity": 1, "price": 1.5, "vat": "vat20"}, nil); s != 400 {
		t.Errorf("money as JSON numbers: %d, want 400 (decimal strings only)", s)
	}
	if s := ta.api("PATCH", fmt.Sprint("/api/v1/deals/", c.DealID), map[string]any{"amount": "1.00"}, &e); s != 422 || e.Error.Field != "amount" {
		t.Errorf("setting the amount of a deal with lines: %d", s)
	}
	if d := ta.deal(c.DealID); d.Amount != "99.99" {
		t.Errorf("refused requests changed the deal: %s", d.Amount)
	}
}
