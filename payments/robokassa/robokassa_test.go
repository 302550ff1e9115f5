package robokassa

import (
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
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
