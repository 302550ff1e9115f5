package robokassa

import (
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/leadd/leadd/crm"
)

type example struct {
	Name, Source, Kind                   string
	Login, OutSum, InvID, Password, Base string
	Shp                                  map[string]string
	MD5, SHA256, SHA512                  string
	JSON, Encoded                        string
}

func (e *example) UnmarshalJSON(b []byte) error {
	var raw struct {
		Name     string            `json:"name"`
		Source   string            `json:"source"`
		Kind     string            `json:"kind"`
		Login    string            `json:"login"`
		OutSum   string            `json:"out_sum"`
		InvID    string            `json:"inv_id"`
		Password string            `json:"password"`
		Base     string            `json:"base"`
		Shp      map[string]string `json:"shp"`
		MD5      string            `json:"md5"`
		SHA256   string            `json:"sha256"`
		SHA512   string            `json:"sha512"`
		JSON     string            `json:"json"`
		Encoded  string            `json:"encoded"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*e = example(raw)
	return nil
}

func examples(t *testing.T) (cases []example, receipt example) {
	t.Helper()
	b, err := os.ReadFile("testdata/signatures.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases   []example `json:"cases"`
		Receipt example   `json:"receipt"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Cases, f.Receipt
}

func TestSignaturesOfTheDocumentedExamples(t *testing.T) {
	cases, _ := examples(t)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			var base string
			if c.Kind == "payment" {
				base = PaymentBase(c.Login, c.OutSum, c.InvID, "", c.Password, c.Shp)
			} else {
				base = ResultBase(c.OutSum, c.InvID, c.Password, c.Shp)
			}
			if base != c.Base {
				t.Fatalf("base %q, want %q (%s)", base, c.Base, c.Source)
			}
			for alg, want := range map[string]string{"md5": c.MD5, "sha256": c.SHA256, "sha512": c.SHA512} {
				if want == "" {
					continue
				}
				if got := Sign(alg, base); got != want {
					t.Errorf("%s: %s, want %s", alg, got, want)
				}
				if !Verify(alg, base, strings.ToUpper(want)) {
					t.Errorf("%s: the upper-case signature is refused; Robokassa writes hex in any case", alg)
				}
			}
		})
	}
}

func TestReceiptIsURLEncodedAndSignedAfterInvId(t *testing.T) {
	_, rc := examples(t)
	r := &Receipt{SNO: "osn", Items: []ReceiptItem{{Name: "Название товара 1", Quantity: "1", Sum: "100", Tax: "vat20",
		PaymentMethod: "full_prepayment", PaymentObject: "commodity"}}}
	if got := r.Encode(); got != rc.Encoded {
		t.Fatalf("encoded receipt\n%s\nwant\n%s", got, rc.Encoded)
	}
	if dec, _ := url.QueryUnescape(rc.Encoded); dec != rc.JSON {
		t.Fatalf("testdata: the encoded receipt is not the JSON")
	}
	base := PaymentBase(rc.Login, rc.OutSum, rc.InvID, r.Encode(), rc.Password, nil)
	if want := rc.Login + ":" + rc.OutSum + ":" + rc.InvID + ":" + rc.Encoded + ":" + rc.Password; base != want {
		t.Fatalf("base %q", base)
	}
	if got := Sign("md5", base); got != rc.MD5 {
		t.Errorf("md5 %s, want %s", got, rc.MD5)
	}
	if got := Sign("sha256", base); got != rc.SHA256 {
		t.Errorf("sha256 %s, want %s", got, rc.SHA256)
	}

	cfg := Config{MerchantLogin: rc.Login, Password1: rc.Password, Password2: "other", Hash: "sha256", Test: true}
	link, err := url.Parse(Link(cfg, 5, rc.OutSum, "Оплата по сделке 5", r, nil))
	if err != nil {
		t.Fatal(err)
	}
	q := link.Query()
	if q.Get("Receipt") != rc.Encoded || q.Get("SignatureValue") != rc.SHA256 || q.Get("IsTest") != "1" ||
		q.Get("InvId") != "5" || q.Get("OutSum") != rc.OutSum || q.Get("MerchantLogin") != rc.Login {
		t.Errorf("link %s", link)
	}
	if link.Scheme+"://"+link.Host+link.Path != DefaultURL {
		t.Errorf("link goes to %s", link.Host+link.Path)
	}
}

func TestLinkSignsItsShpParameters(t *testing.T) {
	cfg := Config{MerchantLogin: "test", Password1: "securepass1", Hash: "md5"}
	link, _ := url.Parse(Link(cfg, 5, "5.12", "desc", nil, map[string]string{"login": "Vasya", "Shp_item": "1"}))
	q := link.Query()
	if q.Get("Shp_login") != "Vasya" || q.Get("Shp_item") != "1" {
		t.Fatalf("shp parameters: %v", q)
	}
	if q.Get("SignatureValue") != "0545d0cfed3d589787c9df0aa16e32fe" || q.Has("IsTest") || q.Has("Receipt") {
		t.Errorf("link %s", link)
	}
}

// TestReceiptMapsEveryRateAndTypeAsRobokassaDocumentsThem: each line's
// VAT rate becomes its tax code and its type its payment_object, in the
// JSON of docs.robokassa.ru/ru/fiscalization (items: name, quantity, sum,
// tax, payment_method, payment_object).
func TestReceiptMapsEveryRateAndTypeAsRobokassaDocumentsThem(t *testing.T) {
	rates := crm.DefaultVATRates
	lines := []crm.Line{
		{Name: "Станок", Quantity: "1", Total: "122000.00", VAT: "vat22", Type: crm.TypeCommodity},
		{Name: "Пусконаладка", Quantity: "1", Total: "12000.00", VAT: "vat20", Type: crm.TypeService},
		{Name: "Книга", Quantity: "2", Total: "220.00", VAT: "vat10", Type: crm.TypeCommodity},
		{Name: "Обед", Quantity: "1", Total: "107.00", VAT: "vat7", Type: crm.TypeService},
		{Name: "Хлеб", Quantity: "0.5", Total: "52.50", VAT: "vat5", Type: crm.TypeCommodity},
		{Name: "Экспорт", Quantity: "1", Total: "5000.00", VAT: "vat0", Type: crm.TypeCommodity},
		{Name: "Обучение", Quantity: "1", Total: "3000.00", VAT: "none", Type: crm.TypeService},
	}
	cfg := Config{SNO: "osn", PaymentMethod: "full_prepayment"}
	r, err := ReceiptFor(cfg, rates, lines)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	want := `{"sno":"osn","items":[` +
		`{"name":"Станок","quantity":1,"sum":122000.00,"tax":"vat22","payment_method":"full_prepayment","payment_object":"commodity"},` +
		`{"name":"Пусконаладка","quantity":1,"sum":12000.00,"tax":"vat20","payment_method":"full_prepayment","payment_object":"service"},` +
		`{"name":"Книга","quantity":2,"sum":220.00,"tax":"vat10","payment_method":"full_prepayment","payment_object":"commodity"},` +
		`{"name":"Обед","quantity":1,"sum":107.00,"tax":"vat7","payment_method":"full_prepayment","payment_object":"service"},` +
		`{"name":"Хлеб","quantity":0.5,"sum":52.50,"tax":"vat5","payment_method":"full_prepayment","payment_object":"commodity"},` +
		`{"name":"Экспорт","quantity":1,"sum":5000.00,"tax":"vat0","payment_method":"full_prepayment","payment_object":"commodity"},` +
		`{"name":"Обучение","quantity":1,"sum":3000.00,"tax":"none","payment_method":"full_prepayment","payment_object":"service"}]}`
	if string(b) != want {
		t.Errorf("receipt\n got %s\nwant %s", b, want)
	}
	cfg.CalculatedVAT = true
	r, _ = ReceiptFor(cfg, rates, lines)
	var got []string
	for _, it := range r.Items {
		got = append(got, it.Tax)
	}
	if strings.Join(got, ",") != "vat122,vat120,vat110,vat107,vat105,vat0,none" {
		t.Errorf("calculated rates: %v", got)
	}
	// A rate Robokassa has no code for is refused by the line, and by the
	// configuration before the first link.
	odd := crm.VATRates{"vat18": "18", "none": ""}
	if _, err := ReceiptFor(Config{}, odd, []crm.Line{{Name: "Старый товар", VAT: "vat18", Total: "1.00", Quantity: "1"}}); crm.ErrorCode(err) != crm.EINVALID {
		t.Errorf("an 18%% line: %v", err)
	}
	shop := Config{MerchantLogin: "shop", Password1: "p1", Password2: "p2", Receipt: true}
	shop.Defaults()
	if errs := shop.Validate("robokassa", nil, odd); len(errs) != 1 || !strings.Contains(errs[0].Error(), "vat_rates.vat18") {
		t.Errorf("the configuration with an 18%% rate: %v", errs)
	}
}
