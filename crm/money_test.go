package crm

import (
	"math/big"
	"testing"
)

func rat(s string) *big.Rat {
	r, _ := new(big.Rat).SetString(s)
	return r
}

func TestLineMoneyRoundsPerLineToKopecks(t *testing.T) {
	tests := []struct {
		name                      string
		qty, price, discount, vat string // vat "" = without
		included                  bool
		net, vatAmount, total     string
	}{
		{"33.33 with 20% VAT included", "1", "33.33", "0", "20", true, "27.77", "5.56", "33.33"},
		{"33.33 with 20% VAT on top", "1", "33.33", "0", "20", false, "33.33", "6.67", "40.00"},
		{"half a metre of cable", "0.5", "199.99", "0", "20", true, "83.33", "16.67", "100.00"},
		{"three units, 10% off", "3", "1000.00", "10", "20", true, "2250.00", "450.00", "2700.00"},
		{"10% VAT", "2", "55.55", "0", "10", true, "101.00", "10.10", "111.10"},
		{"0% VAT", "1", "100.00", "0", "0", true, "100.00", "0.00", "100.00"},
		{"without VAT", "7", "0.01", "0", "", false, "0.07", "0.00", "0.07"},
		{"half a kopeck rounds up", "1", "0.05", "10", "", false, "0.05", "0.00", "0.05"},
		{"a machine tool", "1", "1250000.50", "0", "20", true, "1041667.08", "208333.42", "1250000.50"},
		{"1.5 kg at 33.33, 5% off", "1.5", "33.33", "5", "20", false, "47.50", "9.50", "57.00"},
	}
	for _, tt := range tests {
		var rate *big.Rat
		if tt.vat != "" {
			rate = rat(tt.vat)
		}
		m := lineMoney(rat(tt.qty), rat(tt.price), rat(tt.discount), rate, tt.included)
		if got := [3]string{formatKopecks(m.Net), formatKopecks(m.VAT), formatKopecks(m.Total)}; got != [3]string{tt.net, tt.vatAmount, tt.total} {
			t.Errorf("%s: net/VAT/total %v, want %s/%s/%s", tt.name, got, tt.net, tt.vatAmount, tt.total)
		}
	}
}

func TestThreeLinesOf3333AddUpToTheirRoundedSums(t *testing.T) {
	total, vat := new(big.Rat), new(big.Rat)
	for range 3 {
		m := lineMoney(rat("1"), rat("33.33"), rat("0"), rat("20"), true)
		total.Add(total, m.Total)
		vat.Add(vat, m.VAT)
	}
	if formatKopecks(total) != "99.99" || formatKopecks(vat) != "16.68" {
		t.Errorf("total %s, VAT %s; want 99.99 and 16.68 (5.56 a line, not 16.67 of the sum)", formatKopecks(total), formatKopecks(vat))
	}
}

func TestRoundKopecksIsHalfAwayFromZero(t *testing.T) {
	for in, want := range map[string]string{"0.005": "0.01", "0.0049": "0.00", "2.675": "2.68", "-0.005": "-0.01", "1.115": "1.12", "10": "10.00"} {
		if got := formatKopecks(rat(in)); got != want {
			t.Errorf("round(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestDecimalsAreReadStrictly(t *testing.T) {
	for _, bad := range []string{"1,5", "1e3", "-1", "0.1234", "", "abc", "1.", ".5"} {
		if _, err := parseDecimal(bad, "quantity", 3); ErrorCode(err) != EINVALID {
			t.Errorf("%q accepted", bad)
		}
	}
	if r, err := parseDecimal("0.5", "quantity", 3); err != nil || r.FloatString(1) != "0.5" {
		t.Errorf("0.5: %v %v", r, err)
	}
	if _, err := parseDecimal("0.505", "price", 2); ErrorCode(err) != EINVALID {
		t.Errorf("a price with three decimals accepted")
	}
}
