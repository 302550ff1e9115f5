package crm

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// Money is exact: amounts are decimal strings in JSON and big.Rat in
// arithmetic, never floats.

var decimalRe = regexp.MustCompile(`^\d{1,15}(\.\d{1,3})?$`)

// parseDecimal reads a non-negative decimal string with at most scale
// fraction digits ("33.33", "0.5"). Errors: EINVALID naming field.
func parseDecimal(s, field string, scale int) (*big.Rat, error) {
	s = strings.TrimSpace(s)
	if !decimalRe.MatchString(s) || (strings.Contains(s, ".") && len(s)-strings.IndexByte(s, '.')-1 > scale) {
		return nil, Invalid(field, "must be a decimal string with at most %d decimals, like \"33.33\", not %q", scale, s)
	}
	r, _ := new(big.Rat).SetString(s)
	return r, nil
}

var hundred = big.NewRat(100, 1)

// roundKopecks rounds half away from zero to 0.01, as invoices do.
func roundKopecks(r *big.Rat) *big.Rat {
	x := new(big.Rat).Mul(r, hundred)
	num, den := new(big.Int).Set(x.Num()), x.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	// |m|*2 >= den: away from zero.
	if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return new(big.Rat).SetFrac(q, big.NewInt(100))
}

// formatKopecks writes an amount already rounded to kopecks: "99.99".
func formatKopecks(r *big.Rat) string {
	return roundKopecks(r).FloatString(2)
}

// LineMoney is one line's money: without VAT, the VAT, and with it.
type LineMoney struct {
	Net, VAT, Total *big.Rat
}

// lineMoney computes a line: quantity × price less the discount (percent),
// rounded to kopecks; VAT taken out of it (included) or added to it, by
// rate (nil: without VAT), rounded to kopecks — per line, as Russian
// invoices show it.
func lineMoney(qty, price, discount, rate *big.Rat, included bool) LineMoney {
	amount := new(big.Rat).Mul(qty, price)
	off := new(big.Rat).Sub(big.NewRat(1, 1), new(big.Rat).Quo(discount, hundred))
	amount = roundKopecks(amount.Mul(amount, off))
	if rate == nil || rate.Sign() == 0 {
		return LineMoney{Net: amount, VAT: new(big.Rat), Total: amount}
	}
	if included {
		vat := roundKopecks(new(big.Rat).Quo(new(big.Rat).Mul(amount, rate), new(big.Rat).Add(hundred, rate)))
		return LineMoney{Net: new(big.Rat).Sub(amount, vat), VAT: vat, Total: amount}
	}
	vat := roundKopecks(new(big.Rat).Quo(new(big.Rat).Mul(amount, rate), hundred))
	return LineMoney{Net: amount, VAT: vat, Total: new(big.Rat).Add(amount, vat)}
}

// VATRates maps a rate key ("vat20") to its percent ("20"); "" is without
// VAT. From the configuration.
type VATRates map[string]string

// DefaultVATRates are the Russian rates as of 2026 (Federal Law of
// 28.11.2025 No. 425-FZ): 22% general, 10%, 0% and without VAT; 20% stays
// for documents dated before 2026; 5% and 7% are the simplified system's.
var DefaultVATRates = VATRates{"vat22": "22", "vat20": "20", "vat10": "10", "vat7": "7", "vat5": "5", "vat0": "0", "none": ""}

// Percent is the rate of key as configured ("22"; "" without VAT) and
// whether the key is known.
func (v VATRates) Percent(key string) (string, bool) {
	p, ok := v[key]
	return p, ok
}

// Validate checks each rate; errors name the key under prefix.
func (v VATRates) Validate(prefix string) []error {
	var errs []error
	for k, r := range v {
		if !keyRe.MatchString(k) {
			errs = append(errs, fmt.Errorf("%s.%s: a rate key is lower-case letters, digits and _", prefix, k))
		}
		if r != "" {
			if _, err := parseDecimal(r, k, 2); err != nil {
				errs = append(errs, fmt.Errorf("%s.%s: a rate is a percent like \"20\" or \"\" for none, not %q", prefix, k, r))
			}
		}
	}
	return errs
}

// rate returns the percent of key (nil: without VAT). Errors: EINVALID.
func (v VATRates) rate(key, field string) (*big.Rat, error) {
	r, ok := v[key]
	if !ok {
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		return nil, Invalid(field, "unknown VAT rate %q; the configured ones are %v", key, keys)
	}
	if r == "" {
		return nil, nil
	}
	p, _ := new(big.Rat).SetString(r)
	return p, nil
}
