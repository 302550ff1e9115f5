package documents

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/leadd/leadd/crm"
)

// sampleQR is an invoice from an organisation banking at Sberbank.
func sampleQR() QRPayment {
	return QRPayment{
		Name:        "ООО «Ромашка»",
		PersonalAcc: "40702810938000012345",
		BankName:    "ПАО Сбербанк",
		BIC:         sberBIK,
		CorrespAcc:  sberCorr,
		PayeeINN:    sberINN,
		KPP:         sberKPP,
		Sum:         "1200.50",
		Purpose:     "Оплата по счёту СЧ-2026-00042, без НДС",
	}
}

func TestPaymentQRIsTheGOSTPayload(t *testing.T) {
	if sampleQR().PersonalAcc != sberAccount {
		t.Fatalf("the sample account %s is not the one the independent key makes, %s", sampleQR().PersonalAcc, sberAccount)
	}
	entrepreneur := sampleQR()
	entrepreneur.Name = "ИП Иванов Иван Иванович"
	entrepreneur.PersonalAcc = sberAccountIE
	entrepreneur.PayeeINN = "500100732259"
	entrepreneur.KPP = ""
	entrepreneur.Sum = ""
	entrepreneur.Purpose = ""

	tests := []struct {
		name string
		p    QRPayment
		want string
	}{
		{"an organisation's invoice", sampleQR(),
			"ST00012|Name=ООО «Ромашка»|PersonalAcc=40702810938000012345|BankName=ПАО Сбербанк|BIC=044525225" +
				"|CorrespAcc=30101810400000000225|PayeeINN=7707083893|KPP=773601001|Sum=120050" +
				"|Purpose=Оплата по счёту СЧ-2026-00042, без НДС"},
		{"an entrepreneur, no KPP, the payer types the sum", entrepreneur,
			"ST00012|Name=ИП Иванов Иван Иванович|PersonalAcc=" + sberAccountIE + "|BankName=ПАО Сбербанк|BIC=044525225" +
				"|CorrespAcc=30101810400000000225|PayeeINN=500100732259"},
	}
	for _, tt := range tests {
		got, err := PaymentQR(tt.p)
		if err != nil || got != tt.want {
			t.Errorf("%s:\n got %q, %v\nwant %q", tt.name, got, err, tt.want)
		}
	}
}

func TestPaymentQRSumIsInKopecks(t *testing.T) {
	tests := []struct{ sum, want string }{
		{"1200.50", "|Sum=120050|"},
		{"1200.5", "|Sum=120050|"},
		{"1200", "|Sum=120000|"},
		{"0.01", "|Sum=1|"},
	}
	for _, tt := range tests {
		p := sampleQR()
		p.Sum = tt.sum
		got, err := PaymentQR(p)
		if err != nil || !strings.Contains(got, tt.want) {
			t.Errorf("Sum %q: %q, %v; want it to hold %q", tt.sum, got, err, tt.want)
		}
	}
}

// fieldsIn lists the fields a joined error names.
func fieldsIn(t *testing.T, err error) []string {
	t.Helper()
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("%v is not a joined error", err)
	}
	return fieldsAtFault(t, joined.Unwrap())
}

func TestPaymentQRRefusesWhatABankAppWouldMisread(t *testing.T) {
	with := func(change func(*QRPayment)) QRPayment { p := sampleQR(); change(&p); return p }
	tests := []struct {
		name   string
		p      QRPayment
		fields []string
	}{
		{"a separator in the name", with(func(p *QRPayment) { p.Name = "ООО «Ромашка» | филиал" }), []string{"name"}},
		{"a line break in the purpose", with(func(p *QRPayment) { p.Purpose = "Оплата\nпо счёту" }), []string{"purpose"}},
		{"no name", with(func(p *QRPayment) { p.Name = " " }), []string{"name"}},
		{"no bank name", with(func(p *QRPayment) { p.BankName = "" }), []string{"bank_name"}},
		{"a bank name over 45 characters", with(func(p *QRPayment) { p.BankName = strings.Repeat("Б", 46) }), []string{"bank_name"}},
		{"a name over 160 characters", with(func(p *QRPayment) { p.Name = strings.Repeat("Я", 161) }), []string{"name"}},
		{"a purpose over 210 characters", with(func(p *QRPayment) { p.Purpose = strings.Repeat("П", 211) }), []string{"purpose"}},
		{"a mistyped account", with(func(p *QRPayment) { p.PersonalAcc = "40702810938000012346" }), []string{"personal_acc"}},
		{"no account", with(func(p *QRPayment) { p.PersonalAcc = "" }), []string{"personal_acc"}},
		{"a mistyped correspondent account", with(func(p *QRPayment) { p.CorrespAcc = "30101810400000000226" }), []string{"corresp_acc"}},
		{"a BIK of 8 digits", with(func(p *QRPayment) { p.BIC = "04452522" }), []string{"bic"}},
		{"a mistyped INN", with(func(p *QRPayment) { p.PayeeINN = "7707083894" }), []string{"payee_inn"}},
		{"a KPP in Cyrillic", with(func(p *QRPayment) { p.KPP = "7736АБ001" }), []string{"kpp"}},
		{"a sum with a comma", with(func(p *QRPayment) { p.Sum = "1200,50" }), []string{"sum"}},
		{"a zero sum", with(func(p *QRPayment) { p.Sum = "0.00" }), []string{"sum"}},
		{"a sum in fractions of a kopeck", with(func(p *QRPayment) { p.Sum = "0.005" }), []string{"sum"}},
		{"all wrong at once", QRPayment{Sum: "x"}, []string{"name", "bank_name", "bic", "personal_acc", "corresp_acc", "sum"}},
	}
	for _, tt := range tests {
		got, err := PaymentQR(tt.p)
		if err == nil {
			t.Errorf("%s: accepted as %q", tt.name, got)
			continue
		}
		if got != "" {
			t.Errorf("%s: returned %q with the error", tt.name, got)
		}
		if fields := fieldsIn(t, err); !reflect.DeepEqual(fields, tt.fields) {
			t.Errorf("%s: fields at fault %v, want %v (%v)", tt.name, fields, tt.fields, err)
		}
		var e *crm.Error
		if !errors.As(err, &e) || crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("%s: %v is not coded invalid", tt.name, err)
		}
	}
}
