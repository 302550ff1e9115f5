package dedupe

import (
	"strings"
	"unicode"
)

// legalForms are the words of Russian and foreign legal forms, as they
// read after transliteration: «ООО», «ПАО», "LLC" and the spelled-out
// «общество с ограниченной ответственностью» all say what kind of company
// it is, not which one.
var legalForms = map[string]bool{
	"ooo": true, "oao": true, "zao": true, "pao": true, "ao": true, "ip": true, "nko": true, "ano": true,
	"gup": true, "mup": true, "fgup": true, "fgbu": true, "gbu": true, "mbu": true, "too": true, "tov": true,
	"npo": true, "nao": true, "odo": true, "chup": true, "kfh": true, "pk": true, "tsj": true, "snt": true,
	"llc": true, "ltd": true, "jsc": true, "pjsc": true, "ojsc": true, "cjsc": true, "inc": true, "corp": true,
	"gmbh": true, "ag": true, "co": true, "plc": true, "limited": true, "company": true, "sa": true, "bv": true,
}

// legalPhrases are legal forms spelled out, transliterated, longest first.
var legalPhrases = []string{
	"obschestvo s ogranichennoi otvetstvennostiu",
	"publichnoe aktsionernoe obschestvo",
	"nepublichnoe aktsionernoe obschestvo",
	"zakritoe aktsionernoe obschestvo",
	"otkritoe aktsionernoe obschestvo",
	"aktsionernoe obschestvo",
	"individualnii predprinimatel",
	"limited liability company",
	"joint stock company",
}

var translit = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z", 'и': "i",
	'й': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t",
	'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "sch", 'ъ': "", 'ы': "i", 'ь': "",
	'э': "e", 'ю': "iu", 'я': "ia",
}

// latinVariants are the ways one Russian sound is spelled in Latin
// letters, reduced to the one transliteration above gives.
// A Replacer tries its pairs in order at each position, so a digraph is
// read before its letters.
var latinVariants = strings.NewReplacer(
	"shch", "sch", "sch", "sch", "sh", "sh", "ch", "ch", "zh", "zh", "kh", "kh", "ts", "ts", "tz", "ts",
	"yu", "iu", "ya", "ia", "yo", "e", "ye", "e", "ck", "k",
	"h", "kh", "c", "k", "y", "i", "j", "i", "w", "v", "x", "ks", "q", "k",
)

// canon is one word's canonical spelling.
func canon(w string) string { return squeeze(latinVariants.Replace(w)) }

var canonForms = func() map[string]bool {
	m := map[string]bool{}
	for f := range legalForms {
		m[canon(f)] = true
	}
	return m
}()

// CompanyKey is the name a company is matched by: its legal form, quotes
// and punctuation gone, Cyrillic and Latin spellings reduced to one
// («ООО "Ромашка"», «Ромашка ООО» and "OOO Romashka" are one key). It is
// "" when nothing is left but the legal form.
func CompanyKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case translit[r] != "" || r == 'ъ' || r == 'ь':
			b.WriteString(translit[r])
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		case r == '&' || r == '+':
			b.WriteString(" and ")
		default:
			b.WriteByte(' ')
		}
	}
	words := strings.Fields(b.String())
	for i, w := range words {
		// Latin spellings ("Romashka", "Khimprom", "Yug") read as the
		// transliteration writes them.
		words[i] = canon(w)
	}
	s := " " + strings.Join(words, " ") + " "
	for _, p := range legalPhrases {
		s = strings.ReplaceAll(s, " "+squeezePhrase(p)+" ", " ")
	}
	out := words[:0]
	for _, w := range strings.Fields(s) {
		if !canonForms[w] {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// squeeze collapses doubled letters: "Ассоль" and "Asol" are one spelling.
func squeeze(w string) string {
	var b strings.Builder
	var prev rune
	for _, r := range w {
		if r != prev || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

func squeezePhrase(p string) string {
	ws := strings.Fields(p)
	for i, w := range ws {
		ws[i] = canon(w)
	}
	return strings.Join(ws, " ")
}
