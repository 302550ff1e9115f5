package chart

import (
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestNumbersAreWrittenAsRussiansReadThem(t *testing.T) {
	t.Parallel()
	nb := "\u00a0"
	for _, c := range []struct{ got, want string }{
		{Number(0), "0"},
		{Number(999), "999"},
		{Number(1000), "1" + nb + "000"},
		{Number(1275833), "1" + nb + "275" + nb + "833"},
		{Number(-12345), "−12" + nb + "345"},
		{Decimal(1275833.333, 2), "1" + nb + "275" + nb + "833,33"},
		{Decimal(0.05, 1), "0,1"},
		{Decimal(-0.04, 1), "0,0"},
		{Decimal(math.NaN(), 1), "—"},
		{Money("1275833.33"), "1" + nb + "275" + nb + "833,33" + nb + "₽"},
		{Money("90000"), "90" + nb + "000,00" + nb + "₽"},
		{Money("-5.5"), "−5,50" + nb + "₽"},
		{Money("n/a"), "n/a"},
		{Percent(66.666), "66,7" + nb + "%"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// svgDoc parses a chart as XML and returns its elements by name, failing
// on markup a browser would not read as SVG.
func svgDoc(t *testing.T, svg string) map[string][]xml.StartElement {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	els := map[string][]xml.StartElement{}
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			depth++
			els[x.Name.Local] = append(els[x.Name.Local], x)
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 {
		t.Fatalf("unbalanced SVG")
	}
	if len(els["svg"]) != 1 {
		t.Fatalf("%d svg roots", len(els["svg"]))
	}
	return els
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func TestBarsAreProportionalLabelledLinkedAndAccessible(t *testing.T) {
	t.Parallel()
	c := Bars{Title: "Лиды по источникам", Desc: "Сколько лидов пришло из каждого источника",
		Bars: []Bar{{Label: "yandex", Value: 40, Link: "/api/v1/leads?drill=leads&source=yandex"},
			{Label: "google", Value: 10}, {Label: `<script>alert(1)</script>`, Value: 20, Display: "20 шт"}}}
	svg := string(c.SVG())
	els := svgDoc(t, svg)
	root := els["svg"][0]
	if attr(root, "role") != "img" || attr(root, "aria-labelledby") == "" || !strings.Contains(svg, "<title id=") ||
		!strings.Contains(svg, "Лиды по источникам") || !strings.Contains(svg, "<desc") {
		t.Errorf("no accessible title and description:\n%s", svg)
	}
	if !strings.HasPrefix(attr(root, "viewBox"), "0 0 ") || attr(root, "width") != "100%" {
		t.Errorf("the chart does not scale: %v", root.Attr)
	}
	rects := els["rect"]
	if len(rects) != 3 {
		t.Fatalf("%d bars, want 3", len(rects))
	}
	w := func(i int) float64 { v, _ := strconv.ParseFloat(attr(rects[i], "width"), 64); return v }
	if w(0) <= 0 || math.Abs(w(0)/w(1)-4) > 0.01 || math.Abs(w(0)/w(2)-2) > 0.01 {
		t.Errorf("bar widths %v %v %v are not 40:10:20", w(0), w(1), w(2))
	}
	if len(els["a"]) != 1 || attr(els["a"][0], "href") != "/api/v1/leads?drill=leads&source=yandex" {
		t.Errorf("links: %v", els["a"])
	}
	if strings.Contains(svg, "<script") {
		t.Error("a label got in as markup")
	}
	if !strings.Contains(svg, "20 шт") {
		t.Error("the display text is not used")
	}
}

func TestEmptyAndZeroChartsDrawWithoutNaN(t *testing.T) {
	t.Parallel()
	for _, svg := range []string{
		string(Bars{Title: "Пусто"}.SVG()),
		string(Bars{Title: "Нули", Bars: []Bar{{Label: "a"}, {Label: "b", Value: math.NaN()}}}.SVG()),
		string(Funnel{Title: "Пусто"}.SVG()),
		string(Funnel{Title: "Нули", Stages: []Bar{{Label: "a"}, {Label: "b"}}}.SVG()),
		string(Lines{Title: "Пусто"}.SVG()),
		string(Lines{Title: "Одна точка", Labels: []string{"1"}, Series: []Series{{Name: "x", Values: []float64{0}}}}.SVG()),
	} {
		svgDoc(t, svg)
		if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
			t.Errorf("NaN in\n%s", svg)
		}
	}
}

func TestFunnelNarrowsWithItsStagesAndShowsTheShareOfTheStageBefore(t *testing.T) {
	t.Parallel()
	svg := string(Funnel{Title: "Воронка", Stages: []Bar{{Label: "Новая", Value: 100}, {Label: "КП", Value: 40}, {Label: "Успех", Value: 10}}}.SVG())
	els := svgDoc(t, svg)
	var last float64 = math.Inf(1)
	for _, r := range els["rect"] {
		w, _ := strconv.ParseFloat(attr(r, "width"), 64)
		x, _ := strconv.ParseFloat(attr(r, "x"), 64)
		if w >= last {
			t.Errorf("the funnel widens: %v after %v", w, last)
		}
		if math.Abs(x+w/2-width/2) > 0.2 {
			t.Errorf("a stage is not centred: x %v width %v", x, w)
		}
		last = w
	}
	if !strings.Contains(svg, "40 · 40,0\u00a0%") || !strings.Contains(svg, "10 · 25,0\u00a0%") {
		t.Errorf("shares of the stage before are missing:\n%s", svg)
	}
}

func TestLinesPlotEveryPointWithinThePlot(t *testing.T) {
	t.Parallel()
	c := Lines{Title: "Конверсия по скорости ответа", Unit: "%", Labels: []string{"<5 мин", "5–30", "30–60", "1–24 ч", ">24 ч"},
		Series: []Series{{Name: "Дозвонились", Values: []float64{90, 60, 40, math.NaN(), 10}}, {Name: "Сделки", Values: []float64{30, 20, 10, 5, 1}}}}
	els := svgDoc(t, string(c.SVG()))
	if n := len(els["circle"]); n != 9 {
		t.Errorf("%d points, want 9 (a NaN is a gap)", n)
	}
	for _, p := range els["circle"] {
		y, _ := strconv.ParseFloat(attr(p, "cy"), 64)
		if y < 16 || y > 220 {
			t.Errorf("a point outside the plot: %v", y)
		}
	}
	if len(els["polyline"]) != 2 {
		t.Errorf("%d lines, want 2", len(els["polyline"]))
	}
}
