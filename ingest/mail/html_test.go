package mail

import "testing"

func TestHTMLBecomesReadableText(t *testing.T) {
	for _, tc := range []struct{ name, html, want string }{
		{"line breaks", "Имя: Иван<br>Телефон: 8 912<br/>Город: Тверь", "Имя: Иван\nТелефон: 8 912\nГород: Тверь"},
		{"paragraphs and divs", "<p>Раз</p><p>Два</p><div>Три</div><div>Четыре</div>", "Раз\n\nДва\n\nТри\nЧетыре"},
		{"lists", "<ul><li>один</li><li>два</li></ul>после", "- один\n- два\n\nпосле"},
		{"entities", "&laquo;Станок&raquo;&nbsp;&mdash; 5&nbsp;000&#8381; &amp; &lt;НДС&gt; &#x41;", "«Станок» — 5 000₽ & <НДС> A"},
		{"white space collapses", "  много\n\n   пробелов\tи\r\nстрок  ", "много пробелов и строк"},
		{"no more than one blank line", "a<br><br><br><br>b", "a\n\nb"},
		{"script, style, head, comments", "<head><title>T</title><style>p{}</style></head><script>var a = '<b>';</script><!-- x --><p>текст</p>", "текст"},
		{"a > inside an attribute", `<a href="x" title="a > b">ссылка</a> дальше`, "ссылка дальше"},
		{"a < in text", "если a < b, то", "если a < b, то"},
		{"table cells", "<table><tr><td>Телефон:</td><td>+7 903</td></tr><tr><td>Имя:</td><td>Анна</td></tr></table>", "Телефон: +7 903\nИмя: Анна"},
		{"pre keeps its lines", "<pre>a  b\n  c</pre>d", "a  b\n  c\nd"},
		{"upper-case tags", "<P>Раз<BR>Два</P>", "Раз\nДва"},
		{"unclosed comment", "текст<!-- обрыв", "текст"},
		{"Outlook's o:p", "<p class=MsoNormal>Добрый день<o:p></o:p></p>", "Добрый день"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := htmlText(tc.html); got != tc.want {
				t.Errorf("htmlText(%q) =\n%q\nwant\n%q", tc.html, got, tc.want)
			}
		})
	}
}
