package imports

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/leadd/leadd/dedupe"
)

// parseEmails splits a cell that may hold several addresses; the pieces
// that are not addresses come back as typed.
func parseEmails(raw string) (valid, invalid []string) {
	for _, part := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		part = strings.TrimSpace(part)
		if e, ok := dedupe.Email(part); ok {
			valid = appendNew(valid, e)
			continue
		}
		// "a@b.ru c@d.ru": addresses separated by spaces only.
		found := false
		for _, w := range strings.Fields(part) {
			if e, ok := dedupe.Email(w); ok {
				valid, found = appendNew(valid, e), true
			}
		}
		if !found && part != "" {
			invalid = append(invalid, part)
		}
	}
	return valid, invalid
}

func appendNew(list []string, s string) []string {
	for _, have := range list {
		if have == s {
			return list
		}
	}
	return append(list, s)
}

var digitsRe = regexp.MustCompile(`^\d+$`)

// parseINN reads an INN: 10 digits for an organisation, 12 for an
// entrepreneur. Excel keeps an INN typed as a number without its leading
// zero (regions 01–09), so 9 or 11 digits get it back when the check
// digits then agree.
func parseINN(raw string) (string, error) {
	s := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, raw)
	if s == "" {
		return "", nil
	}
	if !digitsRe.MatchString(s) {
		return "", fmt.Errorf("bad INN %q: an INN is 10 digits (organisation) or 12 (entrepreneur)", raw)
	}
	if (len(s) == 9 || len(s) == 11) && innChecks("0"+s) {
		s = "0" + s
	}
	if len(s) != 10 && len(s) != 12 {
		return "", fmt.Errorf("bad INN %q: an INN is 10 digits (organisation) or 12 (entrepreneur), not %d", raw, len(s))
	}
	if !innChecks(s) {
		return "", fmt.Errorf("bad INN %q: control digits do not match, it is mistyped", raw)
	}
	return s, nil
}

// innChecks reports whether an INN's check digits agree with the rest.
func innChecks(s string) bool { return dedupe.ValidINN(s) }

// digitsOnly reads a registration number (KPP, OGRN) of one of the given
// lengths; ok is false for anything else.
func digitsOnly(raw string, lengths ...int) (string, bool) {
	s := strings.Join(strings.Fields(raw), "")
	if !digitsRe.MatchString(s) {
		return "", false
	}
	for _, n := range lengths {
		if len(s) == n {
			return s, true
		}
	}
	return "", false
}

var (
	moneyRe      = regexp.MustCompile(`^-?\d{1,16}(\.\d{1,2})?$`)
	scientificRe = regexp.MustCompile(`^-?\d+(\.\d+)?[eE][+-]?\d+$`)
)

// parseAmount reads a sum as people type it — "1 250 000,50",
// "1,250,000.50", "1250000.5 ₽" — into the decimal the store takes
// ("1250000.50"), and the currency the text names, if any. A comma is a
// decimal comma, as in Russian, unless three digits follow it ("1,500") or
// there are several: then commas separate thousands.
func parseAmount(raw string) (amount, currency string, err error) {
	currency = currencyIn(raw)
	var b strings.Builder
	prev := ' '
	for _, r := range raw {
		switch {
		case r == '.' && unicode.IsLetter(prev): // "руб."
		case unicode.IsDigit(r) || r == ',' || r == '.' || r == '-' || r == '+':
			b.WriteRune(r)
		case r == 'e' || r == 'E':
			b.WriteRune(r) // 1.25E+06, as a spreadsheet may show a big number
		case unicode.IsSpace(r) || r == '\'' || r == '’' || unicode.IsLetter(r) || unicode.Is(unicode.Sc, r):
			// thousands separators, "руб.", "₽"
		default:
			return "", "", fmt.Errorf("bad amount %q", raw)
		}
		prev = r
	}
	s := b.String()
	if scientificRe.MatchString(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return "", "", fmt.Errorf("bad amount %q", raw)
		}
		s = strconv.FormatFloat(f, 'f', 2, 64)
	}
	s = strings.Trim(strings.TrimPrefix(s, "+"), "eE")
	lastComma, lastDot := strings.LastIndexByte(s, ','), strings.LastIndexByte(s, '.')
	switch {
	case lastComma >= 0 && lastDot >= 0: // the last one is the decimal point
		if lastComma > lastDot {
			s = strings.ReplaceAll(s, ".", "")
			s = strings.Replace(s, ",", ".", 1)
		} else {
			s = strings.ReplaceAll(s, ",", "")
		}
	case strings.Count(s, ",") == 1 && len(s)-lastComma-1 != 3:
		s = strings.Replace(s, ",", ".", 1)
	case lastComma >= 0:
		s = strings.ReplaceAll(s, ",", "")
	case strings.Count(s, ".") > 1:
		s = strings.ReplaceAll(s, ".", "")
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
		if frac := len(s) - i - 1; frac == 1 {
			s += "0"
		}
	}
	if !moneyRe.MatchString(s) {
		return "", "", fmt.Errorf("bad amount %q: a sum like 1 250 000,50 with at most two decimals", raw)
	}
	return s, currency, nil
}

// currencyIn is the currency a sum's text names: "₽", "руб.", "$", "€".
func currencyIn(raw string) string {
	s := strings.ToLower(raw)
	for _, c := range []struct{ code, words string }{
		{"RUB", "₽ руб rub р."},
		{"USD", "$ usd долл"},
		{"EUR", "€ eur евро"},
	} {
		for _, w := range strings.Fields(c.words) {
			if strings.Contains(s, w) {
				return c.code
			}
		}
	}
	return ""
}

var (
	isoRe      = regexp.MustCompile(`^[A-Za-z]{3}$`)
	currencies = map[string]string{
		"₽": "RUB", "р": "RUB", "руб": "RUB", "рубль": "RUB", "рубли": "RUB", "рублей": "RUB", "rur": "RUB",
		"$": "USD", "долл": "USD", "доллар": "USD", "доллары": "USD", "долларов": "USD", "доллсша": "USD",
		"€": "EUR", "евро": "EUR",
		"¥": "CNY", "юань": "CNY", "юани": "CNY", "юаней": "CNY",
		"₸": "KZT", "тенге": "KZT",
	}
)

// parseCurrency reads a currency column: an ISO 4217 code or how Russian
// spreadsheets name one ("руб.", "₽", "евро").
func parseCurrency(raw string) (string, error) {
	s := strings.ToLower(strings.Join(strings.FieldsFunc(raw, func(r rune) bool { return r == '.' || unicode.IsSpace(r) }), ""))
	if c, ok := currencies[s]; ok {
		return c, nil
	}
	if isoRe.MatchString(s) {
		return strings.ToUpper(s), nil
	}
	return "", fmt.Errorf("bad currency %q: an ISO code like RUB, USD, EUR", raw)
}
