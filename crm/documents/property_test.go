package documents

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/leadd/leadd/crm"
)

// TestEveryLineAddsUpAndTheRatesAddUpToTheVAT: for random lines of every
// rate, with and without discounts, VAT included or on top, each printed
// line satisfies quantity × price − discount = sum, and the VAT of the
// rates is the VAT of the document.
func TestEveryLineAddsUpAndTheRatesAddUpToTheVAT(t *testing.T) {
	r := accountingRenderer(t, nil)
	keys := []string{"vat22", "vat20", "vat10", "vat7", "vat5", "vat0", "none"}
	rnd := rand.New(rand.NewPCG(18, 2026))
	for i := 0; i < 300; i++ {
		var lines []crm.Line
		for j := 0; j < 1+rnd.IntN(6); j++ {
			qty := big.NewRat(int64(1+rnd.IntN(5000)), int64([]int{1, 2, 4, 10, 1000}[rnd.IntN(5)]))
			price := big.NewRat(int64(rnd.IntN(100000000)), 100)
			disc := []string{"0", "5", "10", "12.5", "33.33", "100"}[rnd.IntN(6)]
			lines = append(lines, line("x", trimZeros(qty.FloatString(3)), price.FloatString(2), disc, keys[rnd.IntN(len(keys))], rnd.IntN(2) == 0))
		}
		tot, out, err := r.totals(lines)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range out {
			if got := new(big.Rat).Sub(roundKopecks(mul(l.Quantity, l.Price)), rat(l.Discount)); got.Cmp(rat(l.Sum)) != 0 {
				t.Fatalf("%s × %s − %s = %s, printed %s (discount %s%%)", l.Quantity, l.Price, l.Discount, got.FloatString(2), l.Sum, l.Line.Discount)
			}
		}
		vat := new(big.Rat)
		for _, rt := range tot.Rates {
			if rt.Amount != "" {
				vat.Add(vat, rat(rt.Amount))
			}
		}
		if vat.FloatString(2) != tot.VAT {
			t.Fatalf("the rates come to %s, the VAT is %s: %+v", vat.FloatString(2), tot.VAT, tot.Rates)
		}
	}
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
