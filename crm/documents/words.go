package documents

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/leadd/leadd/crm"
)

// ParseKopecks reads a non-negative decimal amount in rubles with at most
// two decimals ("1200", "1200.5", "1200.50") as whole kopecks (120050).
// Errors: EINVALID naming "amount" for anything else, including more than
// 15 integer digits, a comma or a sign.
func ParseKopecks(amount string) (int64, error) {
	s := strings.TrimSpace(amount)
	whole, frac, dot := strings.Cut(s, ".")
	if !allDigits(whole) || len(whole) > 15 || dot && (len(frac) < 1 || len(frac) > 2 || !allDigits(frac)) {
		return 0, crm.Invalid("amount", "must be a decimal string with at most 2 decimals, like \"1200.50\", not %q", amount)
	}
	frac += "00"[len(frac):]
	var k int64 // 17 digits at most: fits
	for _, c := range []byte(whole + frac) {
		k = k*10 + int64(c-'0')
	}
	return k, nil
}

var (
	unitsMasc = [...]string{"", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"}
	unitsFem  = [...]string{"", "одна", "две", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"}
	teens     = [...]string{"десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать",
		"пятнадцать", "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать"}
	tens = [...]string{"", "", "двадцать", "тридцать", "сорок", "пятьдесят",
		"шестьдесят", "семьдесят", "восемьдесят", "девяносто"}
	hundreds = [...]string{"", "сто", "двести", "триста", "четыреста", "пятьсот",
		"шестьсот", "семьсот", "восемьсот", "девятьсот"}
)

// scale is one power of a thousand: its gender and its three forms.
type scale struct {
	feminine       bool
	one, few, many string
}

// scales from the units up; rubles are the units.
var scales = [...]scale{
	{false, "рубль", "рубля", "рублей"},
	{true, "тысяча", "тысячи", "тысяч"},
	{false, "миллион", "миллиона", "миллионов"},
	{false, "миллиард", "миллиарда", "миллиардов"},
	{false, "триллион", "триллиона", "триллионов"},
}

// plural picks the form a number takes: 1, 21 рубль; 2–4, 22 рубля; 0,
// 5–20, 25 рублей.
func plural(n int64, one, few, many string) string {
	switch n10, n100 := n%10, n%100; {
	case n100 >= 11 && n100 <= 14:
		return many
	case n10 == 1:
		return one
	case n10 >= 2 && n10 <= 4:
		return few
	}
	return many
}

// triad writes 1..999 in words.
func triad(n int64, feminine bool) []string {
	var w []string
	if h := n / 100; h > 0 {
		w = append(w, hundreds[h])
	}
	switch t := n % 100; {
	case t >= 10 && t <= 19:
		w = append(w, teens[t-10])
	default:
		if tens[t/10] != "" {
			w = append(w, tens[t/10])
		}
		if u := t % 10; u > 0 {
			if feminine {
				w = append(w, unitsFem[u])
			} else {
				w = append(w, unitsMasc[u])
			}
		}
	}
	return w
}

// RublesInWords writes an amount as an invoice prints it: the rubles in
// words, the kopecks as two digits, each with its plural form and the
// first letter capitalised — "1200.50" is "Одна тысяча двести рублей 50
// копеек". It returns "" for an amount ParseKopecks refuses; check with it
// first.
func RublesInWords(amount string) string {
	k, err := ParseKopecks(amount)
	if err != nil {
		return ""
	}
	rubles, kop := k/100, k%100

	var words []string
	if rubles == 0 {
		words = append(words, "ноль", scales[0].many)
	}
	// Groups from the highest down; an empty group says nothing, except
	// that the rubles' own word always closes the integer part.
	var groups []int64
	for r := rubles; r > 0; r /= 1000 {
		groups = append(groups, r%1000)
	}
	for i := len(groups) - 1; i >= 0; i-- {
		g, sc := groups[i], scales[i]
		if g == 0 {
			if i == 0 {
				words = append(words, sc.many)
			}
			continue
		}
		words = append(words, triad(g, sc.feminine)...)
		words = append(words, plural(g, sc.one, sc.few, sc.many))
	}

	kopecks := string(rune('0'+kop/10)) + string(rune('0'+kop%10))
	words = append(words, kopecks, plural(kop, "копейка", "копейки", "копеек"))
	return capitalise(strings.Join(words, " "))
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
