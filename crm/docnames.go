package crm

import (
	"fmt"
	"strings"
	"unicode"
)

// Documents go out as files a person would save: named in Russian, with
// an ASCII fallback for the clients that read only filename=.

// Titles name documents in full, as a letter lists them.
var Titles = map[string]string{
	DocQuote:    "Коммерческое предложение",
	DocInvoice:  "Счёт на оплату",
	DocContract: "Договор поставки",
	DocAct:      "Акт",
}

// FileTitles are the short names files take: «Счёт СЧ-2026-00001.pdf».
var FileTitles = map[string]string{
	DocQuote:    "Коммерческое предложение",
	DocInvoice:  "Счёт",
	DocContract: "Договор",
	DocAct:      "Акт",
}

// FileName is a document's PDF's name as a person would save it:
// «Счёт СЧ-2026-00001.pdf», «Счёт СЧ-2026-00001 (версия 2).pdf»,
// «Счёт (черновик 12).pdf»; characters file systems refuse become «_».
func FileName(doc Document) string {
	name := FileTitles[doc.Type]
	switch {
	case doc.Number == "":
		name += fmt.Sprintf(" (черновик %d)", doc.ID)
	case doc.Version > 1:
		name += " " + doc.Number + fmt.Sprintf(" (версия %d)", doc.Version)
	default:
		name += " " + doc.Number
	}
	return safeName(name) + ".pdf"
}

// ASCIIFileName is FileName transliterated, for the clients that read only
// filename=: «Schet SCh-2026-00001.pdf».
func ASCIIFileName(doc Document) string {
	return Translit(FileName(doc))
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < ' ' {
			return '_'
		}
		return r
	}, s)
}

var translit = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z", 'и': "i", 'й': "i",
	'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f",
	'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "iu", 'я': "ia",
	'№': "N", '«': "", '»': "", '—': "-", '–': "-",
}

// Translit writes Russian in Latin letters (the passport rules) and drops
// what is not ASCII: «Счёт СЧ-2026-00001» → «Schet SCh-2026-00001».
func Translit(s string) string {
	var b strings.Builder
	for _, r := range s {
		lower := unicode.ToLower(r)
		t, ok := translit[lower]
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case ok && lower != r && t != "":
			b.WriteString(strings.ToUpper(t[:1]) + t[1:])
		case ok:
			b.WriteString(t)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// ContentDisposition is an attachment's header with both names: the
// ASCII fallback as filename= and the real name as filename*=
// (RFC 6266, RFC 5987): attachment; filename="Schet SCh-2026-00001.pdf";
// filename*=UTF-8”%D0%A1%D1%87%D1%91%D1%82%20%D0%A1%D0%A7-2026-00001.pdf.
// An empty fallback is the name transliterated.
func ContentDisposition(name, ascii string) string {
	if ascii == "" {
		ascii = Translit(name)
	}
	ascii = strings.NewReplacer(`"`, "_", `\`, "_", "\r", "", "\n", "").Replace(ascii)
	var enc strings.Builder
	for _, b := range []byte(name) {
		if b < 0x80 && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0) {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + enc.String()
}

// LinesSubject is what lines sell in a few words, for a letter or a
// greeting: «Фреза концевая», «Фреза концевая и Сверло», «Фреза концевая
// и ещё 2 позиции».
func LinesSubject(lines []Line) string {
	switch len(lines) {
	case 0:
		return ""
	case 1:
		return lines[0].Name
	case 2:
		return lines[0].Name + " и " + lines[1].Name
	}
	n := len(lines) - 1
	word := "позиций"
	switch {
	case n%10 == 1 && n%100 != 11:
		word = "позиция"
	case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
		word = "позиции"
	}
	return fmt.Sprintf("%s и ещё %d %s", lines[0].Name, n, word)
}
