package documents

import (
	"bytes"
	_ "embed" // the documents' font
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"
)

// A template writes lines of a small layout language; drawPDF lays them
// out on A4:
//
//	# text                   a title, bold and large
//	## text                  a bold line
//	> text                   a bold line flush right (totals)
//	---                      a rule across the page
//	!table 10C 85L 25R       a table of columns (width in mm, align L, C or R);
//	| a | b | c |            its rows, the first one bold (the header, drawn
//	!end                     again atop each page the table continues on)
//	!grid 30L 60L            a table whose rows are all plain
//	!columns 90L 90R         rows without borders (a place and a date)
//	!bank                    the bank block of a payment invoice as the
//	                         standard form draws it, from documents.seller
//	!qr                      the payment QR code (a current invoice's)
//	!image logo 40L          a seller image 40 mm wide, left (L, C or R),
//	                         the text going on below it
//	!overlay stamp 40 60 -8  a seller image 40 mm wide, its left edge 60 mm
//	                         right of the margin, its top 8 mm above the
//	                         current line, over the text, which stays put
//	!space 5                 5 mm of space
//	!keep 40                 a new page unless 40 mm are left on this one
//	(empty line)             a little space
//	anything else            a paragraph, wrapped
//
// The images are logo, stamp and signature; one the seller has not given
// draws nothing. The page is 180 mm wide between the margins. A word is
// never broken: a table cell whose longest word does not fit is set in a
// smaller size. A document of more than one page numbers its pages
// («Страница 1 из 2»).

const (
	margin  = 15.0
	lineH   = 4.6
	bodyPt  = 9.0
	minPt   = 5.5
	font    = "dejavu"
	qrSize  = 40.0
	padding = 1.0
	footerH = 8.0
)

// DejaVu Sans Condensed (Bitstream Vera licence, fonts/LICENSE): full
// Cyrillic, a hyphen that is a hyphen, narrow enough for the tables.
var (
	//go:embed fonts/DejaVuSansCondensed.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSansCondensed-Bold.ttf
	fontBold []byte
)

// page is what a document's pages carry besides the template's text.
type page struct {
	title     string
	qr        string // the payment QR payload; "" draws none
	images    map[string]pdfImage
	bank      Seller // for !bank
	watermark string // across every page: ЧЕРНОВИК, ЗАМЕНЁН
	banner    string // atop every page, in red
}

type column struct {
	w     float64
	align string
}

// table is the table being drawn: its columns and its header row.
type table struct {
	cols     []column
	header   []string // nil: a grid, or the header is still to come
	grid     bool
	noBorder bool
}

// drawPDF lays out the text of an executed template; a document of more
// than one page is laid out again with its pages numbered.
func drawPDF(text string, p page) ([]byte, error) {
	out, pages, err := layout(text, p, 0)
	if err != nil || pages < 2 {
		return out, err
	}
	out, _, err = layout(text, p, pages)
	return out, err
}

func layout(text string, p page, numbered int) ([]byte, int, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin+footerH/2)
	pdf.AddUTF8FontFromBytes(font, "", fontRegular)
	pdf.AddUTF8FontFromBytes(font, "B", fontBold)
	pdf.SetTitle(p.title, true)
	pdf.SetCreator("Leadd", true)
	pdf.SetHeaderFunc(func() { drawMarks(pdf, p) })
	if numbered > 1 {
		pdf.SetFooterFunc(func() {
			pdf.SetY(-margin + 2)
			pdf.SetFont(font, "", 7.5)
			pdf.SetTextColor(90, 90, 90)
			pdf.CellFormat(90, 4, p.title, "", 0, "L", false, 0, "")
			pdf.CellFormat(0, 4, fmt.Sprintf("Страница %d из %d", pdf.PageNo(), numbered), "", 0, "R", false, 0, "")
			pdf.SetTextColor(0, 0, 0)
		})
	}
	pdf.AddPage()
	pdf.SetFont(font, "", bodyPt)
	width, _ := pdf.GetPageSize()
	width -= 2 * margin

	var t *table
	for n, raw := range strings.Split(text, "\n") {
		line := strings.TrimRight(raw, " \t\r")
		trimmed := strings.TrimSpace(line)
		where := func(format string, args ...any) error {
			return fmt.Errorf("template line %d: %s", n+1, fmt.Sprintf(format, args...))
		}
		switch {
		case t != nil && trimmed == "!end":
			t = nil
		case t != nil && strings.HasPrefix(trimmed, "|"):
			cells := splitRow(trimmed)
			if len(cells) != len(t.cols) {
				return nil, 0, where("a row of %d cells in a table of %d columns: %q", len(cells), len(t.cols), trimmed)
			}
			if !t.grid && t.header == nil {
				t.header = cells
				drawRow(pdf, t, cells, true)
			} else {
				drawRow(pdf, t, cells, false)
			}
		case t != nil && trimmed == "":
		case t != nil:
			return nil, 0, where("inside a table only rows \"| … |\" and !end: %q", trimmed)
		case strings.HasPrefix(trimmed, "!table ") || strings.HasPrefix(trimmed, "!grid ") || strings.HasPrefix(trimmed, "!columns "):
			cols, err := parseColumns(strings.Fields(trimmed)[1:])
			if err != nil {
				return nil, 0, where("%v", err)
			}
			t = &table{cols: cols, grid: !strings.HasPrefix(trimmed, "!table"), noBorder: strings.HasPrefix(trimmed, "!columns")}
		case trimmed == "!bank":
			drawBank(pdf, p.bank)
		case trimmed == "!qr":
			if p.qr == "" {
				continue // a draft or a superseded invoice: nothing to pay by
			}
			if err := drawQR(pdf, p.qr); err != nil {
				return nil, 0, err
			}
		case strings.HasPrefix(trimmed, "!image ") || strings.HasPrefix(trimmed, "!overlay "):
			if err := drawImage(pdf, strings.Fields(trimmed), p.images, width); err != nil {
				return nil, 0, where("%v", err)
			}
		case strings.HasPrefix(trimmed, "!space") || strings.HasPrefix(trimmed, "!keep"):
			arg := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(trimmed, "!space"), "!keep"))
			mm, err := strconv.ParseFloat(arg, 64)
			if err != nil || mm < 0 {
				return nil, 0, where("%s takes millimetres: %q", strings.Fields(trimmed)[0], trimmed)
			}
			if strings.HasPrefix(trimmed, "!keep") {
				keep(pdf, mm)
			} else {
				pdf.Ln(mm)
			}
		case strings.HasPrefix(trimmed, "!"):
			return nil, 0, where("unknown directive %q", trimmed)
		case trimmed == "":
			pdf.Ln(lineH / 2)
		case trimmed == "---":
			y := pdf.GetY() + 1
			pdf.SetLineWidth(0.6)
			pdf.Line(margin, y, margin+width, y)
			pdf.SetLineWidth(0.2)
			pdf.Ln(3)
		case strings.HasPrefix(trimmed, "## "):
			paragraph(pdf, strings.TrimPrefix(trimmed, "## "), "B", bodyPt+1, "L")
		case strings.HasPrefix(trimmed, "# "):
			paragraph(pdf, strings.TrimPrefix(trimmed, "# "), "B", 14, "L")
		case strings.HasPrefix(trimmed, "> "):
			paragraph(pdf, strings.TrimPrefix(trimmed, "> "), "B", bodyPt, "R")
		default:
			paragraph(pdf, trimmed, "", bodyPt, "J")
		}
		if err := pdf.Error(); err != nil {
			return nil, 0, where("%v", err)
		}
	}
	if t != nil {
		return nil, 0, fmt.Errorf("template: a table without its !end")
	}
	pages := pdf.PageCount()
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, 0, fmt.Errorf("pdf: %w", err)
	}
	return out.Bytes(), pages, nil
}

// lineHeight is the height of a line of text of size pt.
func lineHeight(pt float64) float64 { return pt * lineH / bodyPt }

// paragraph writes text wrapped at spaces, never inside a word.
func paragraph(pdf *fpdf.Fpdf, text, style string, pt float64, align string) {
	pdf.SetFont(font, style, pt)
	w, _ := pdf.GetPageSize()
	w -= 2 * margin
	lines := wrap(pdf, text, w)
	h := lineHeight(pt)
	if pt > bodyPt+1 {
		h = pt * 0.5
	}
	for i, l := range lines {
		a := align
		if a == "J" {
			a = "L"
			if i < len(lines)-1 {
				justify(pdf, l, w, h)
				continue
			}
		}
		pdf.CellFormat(w, h, l, "", 1, a, false, 0, "")
	}
	pdf.SetFont(font, "", bodyPt)
}

// justify writes one line stretched to w by widening its spaces.
func justify(pdf *fpdf.Fpdf, line string, w, h float64) {
	words := strings.Split(line, " ")
	if len(words) < 2 {
		pdf.CellFormat(w, h, line, "", 1, "L", false, 0, "")
		return
	}
	total := 0.0
	for _, word := range words {
		total += pdf.GetStringWidth(word)
	}
	gap := (w - total) / float64(len(words)-1)
	if gap > 3*pdf.GetStringWidth(" ") { // a short line: no rivers
		pdf.CellFormat(w, h, line, "", 1, "L", false, 0, "")
		return
	}
	x, y := pdf.GetX(), pdf.GetY()
	if y+h > pageBottom(pdf) {
		pdf.AddPage()
		x, y = pdf.GetX(), pdf.GetY()
	}
	for _, word := range words {
		pdf.SetXY(x, y)
		ww := pdf.GetStringWidth(word)
		pdf.CellFormat(ww, h, word, "", 0, "L", false, 0, "")
		x += ww + gap
	}
	pdf.SetXY(margin, y+h)
}

func pageBottom(pdf *fpdf.Fpdf) float64 {
	_, h := pdf.GetPageSize()
	return h - margin - footerH/2
}

// keep starts a new page unless mm are left on this one.
func keep(pdf *fpdf.Fpdf, mm float64) {
	if pdf.GetY()+mm > pageBottom(pdf) {
		pdf.AddPage()
	}
}

// wrap breaks text into lines no wider than w at plain spaces (a no-break
// space holds a number together); a word wider than w alone is broken
// between letters, the last resort.
func wrap(pdf *fpdf.Fpdf, text string, w float64) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Split(text, " ") {
		if word == "" {
			continue
		}
		try := word
		if cur != "" {
			try = cur + " " + word
		}
		if pdf.GetStringWidth(try) <= w {
			cur = try
			continue
		}
		if cur != "" {
			lines = append(lines, cur)
		}
		for pdf.GetStringWidth(word) > w && utf8.RuneCountInString(word) > 1 {
			cut := len(word)
			for cut > 0 && pdf.GetStringWidth(word[:cut]) > w {
				_, size := utf8.DecodeLastRuneInString(word[:cut])
				cut -= size
			}
			if cut == 0 {
				_, cut = utf8.DecodeRuneInString(word)
			}
			lines = append(lines, word[:cut])
			word = word[cut:]
		}
		cur = word
	}
	if cur != "" || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}

// fit is the largest size from bodyPt down at which no word of text is
// wider than w, and the text wrapped at it.
func fit(pdf *fpdf.Fpdf, text, style string, w float64) (float64, []string) {
	pt := bodyPt
	for ; pt > minPt; pt -= 0.5 {
		pdf.SetFont(font, style, pt)
		ok := true
		for _, word := range strings.Split(text, " ") {
			if pdf.GetStringWidth(word) > w {
				ok = false
				break
			}
		}
		if ok {
			break
		}
	}
	pdf.SetFont(font, style, pt)
	return pt, wrap(pdf, text, w)
}

func parseColumns(specs []string) ([]column, error) {
	var cols []column
	for _, s := range specs {
		align := strings.ToUpper(s[len(s)-1:])
		w, err := strconv.ParseFloat(s[:len(s)-1], 64)
		if err != nil || w <= 0 || !strings.Contains("LCR", align) {
			return nil, fmt.Errorf("a column is a width in mm and L, C or R, like 25R, not %q", s)
		}
		cols = append(cols, column{w, align})
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("a table needs columns, like !table 10C 100L 30R")
	}
	return cols, nil
}

// splitRow reads "| a | b |" as its cells.
func splitRow(row string) []string {
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	cells := strings.Split(row, "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	return cells
}

// drawRow draws one row of bordered cells as tall as its tallest wrapped
// cell, on a new page when it would not fit — under the table's header
// drawn again.
func drawRow(pdf *fpdf.Fpdf, t *table, cells []string, bold bool) {
	style := ""
	if bold {
		style = "B"
	}
	type set struct {
		pt    float64
		lines []string
	}
	sets := make([]set, len(cells))
	h := 0.0
	for i, c := range cells {
		pt, lines := fit(pdf, c, style, t.cols[i].w-2*padding)
		sets[i] = set{pt, lines}
		if ch := float64(len(lines))*lineHeight(pt) + padding; ch > h {
			h = ch
		}
	}
	if pdf.GetY()+h > pageBottom(pdf) {
		pdf.AddPage()
		if !bold && t.header != nil {
			drawRow(pdf, t, t.header, true)
		}
	}
	x, y := margin, pdf.GetY()
	for i := range cells {
		if !t.noBorder {
			pdf.Rect(x, y, t.cols[i].w, h, "D")
		}
		pdf.SetFont(font, style, sets[i].pt)
		lh := lineHeight(sets[i].pt)
		for j, l := range sets[i].lines {
			pdf.SetXY(x+padding, y+padding/2+float64(j)*lh)
			pdf.CellFormat(t.cols[i].w-2*padding, lh, l, "", 0, t.cols[i].align, false, 0, "")
		}
		x += t.cols[i].w
	}
	pdf.SetXY(margin, y+h)
	pdf.SetFont(font, "", bodyPt)
}

// drawBank draws the bank block of a payment invoice as the standard form
// does: the bank's name with «Банк получателя» under it, БИК and the
// correspondent account (Сч. №) on its right; ИНН | КПП, and the payee's
// name with «Получатель» under it, the settlement account (Сч. №) on
// their right.
func drawBank(pdf *fpdf.Fpdf, s Seller) {
	const (
		wL   = 105.0 // the bank, ИНН | КПП, the payee
		wLab = 17.0  // БИК, Сч. №
		wV   = 58.0  // the numbers
		row  = 5.0
	)
	small := func() { pdf.SetFont(font, "", 7) }
	keep(pdf, 4*row+12)
	x, y := margin, pdf.GetY()
	pdf.SetFont(font, "", bodyPt)
	bankLines := wrap(pdf, s.Bank, wL-2*padding)
	hBank := float64(len(bankLines))*lineH + 5
	if hBank < 2*row+2 {
		hBank = 2*row + 2
	}
	// The bank and its numbers.
	pdf.Rect(x, y, wL, hBank, "D")
	for i, l := range bankLines {
		pdf.SetXY(x+padding, y+0.5+float64(i)*lineH)
		pdf.CellFormat(wL-2*padding, lineH, l, "", 0, "L", false, 0, "")
	}
	small()
	pdf.SetXY(x+padding, y+hBank-4)
	pdf.CellFormat(wL-2*padding, 3.5, "Банк получателя", "", 0, "L", false, 0, "")
	pdf.SetFont(font, "", bodyPt)
	half := row + 0.5
	pdf.Rect(x+wL, y, wLab, half, "D")
	pdf.Rect(x+wL+wLab, y, wV, half, "D")
	pdf.Rect(x+wL, y+half, wLab, hBank-half, "D")
	pdf.Rect(x+wL+wLab, y+half, wV, hBank-half, "D")
	cell := func(cx, cy, w float64, text string) {
		pdf.SetXY(cx+padding, cy+0.5)
		pdf.CellFormat(w-2*padding, lineH, text, "", 0, "L", false, 0, "")
	}
	cell(x+wL, y, wLab, "БИК")
	cell(x+wL+wLab, y, wV, s.BIK)
	cell(x+wL, y+half, wLab, "Сч. №")
	cell(x+wL+wLab, y+half, wV, s.CorrAccount)
	// ИНН | КПП, the payee and the settlement account.
	y += hBank
	nameLines := wrap(pdf, s.Name, wL-2*padding)
	hName := float64(len(nameLines))*lineH + 5
	if hName < 2*row+2 {
		hName = 2*row + 2
	}
	pdf.Rect(x, y, wL/2, row+0.5, "D")
	pdf.Rect(x+wL/2, y, wL/2, row+0.5, "D")
	cell(x, y, wL/2, "ИНН "+s.INN)
	if s.KPP != "" {
		cell(x+wL/2, y, wL/2, "КПП "+s.KPP)
	} else {
		cell(x+wL/2, y, wL/2, "КПП")
	}
	pdf.Rect(x+wL, y, wLab, row+0.5+hName, "D")
	pdf.Rect(x+wL+wLab, y, wV, row+0.5+hName, "D")
	cell(x+wL, y, wLab, "Сч. №")
	cell(x+wL+wLab, y, wV, s.Account)
	y += row + 0.5
	pdf.Rect(x, y, wL, hName, "D")
	for i, l := range nameLines {
		pdf.SetXY(x+padding, y+0.5+float64(i)*lineH)
		pdf.CellFormat(wL-2*padding, lineH, l, "", 0, "L", false, 0, "")
	}
	small()
	pdf.SetXY(x+padding, y+hName-4)
	pdf.CellFormat(wL-2*padding, 3.5, "Получатель", "", 0, "L", false, 0, "")
	pdf.SetFont(font, "", bodyPt)
	pdf.SetXY(margin, y+hName+1)
}

// drawMarks draws a page's watermark and banner (a draft, a superseded
// version) before its text, which goes over them.
func drawMarks(pdf *fpdf.Fpdf, p page) {
	if p.watermark != "" {
		w, h := pdf.GetPageSize()
		pdf.SetFont(font, "B", 72)
		pdf.SetTextColor(225, 225, 225)
		pdf.TransformBegin()
		pdf.TransformRotate(50, w/2, h/2)
		tw := pdf.GetStringWidth(p.watermark)
		pdf.Text(w/2-tw/2, h/2+10, p.watermark)
		pdf.TransformEnd()
		pdf.SetTextColor(0, 0, 0)
	}
	if p.banner != "" {
		pdf.SetFont(font, "B", 9)
		pdf.SetTextColor(200, 0, 0)
		pdf.SetXY(margin, 6)
		pdf.CellFormat(0, 5, p.banner, "", 0, "L", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	}
	pdf.SetXY(margin, margin)
	pdf.SetFont(font, "", bodyPt)
}

// drawQR draws the payment QR code at the left margin.
func drawQR(pdf *fpdf.Fpdf, payload string) error {
	code, err := qrcode.New(payload, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("payment QR: %w", err)
	}
	png, err := code.PNG(512)
	if err != nil {
		return fmt.Errorf("payment QR: %w", err)
	}
	keep(pdf, qrSize)
	opts := fpdf.ImageOptions{ImageType: "PNG"}
	pdf.RegisterImageOptionsReader("payment-qr", opts, bytes.NewReader(png))
	y := pdf.GetY()
	pdf.ImageOptions("payment-qr", margin, y, qrSize, qrSize, false, opts, 0, "")
	pdf.SetXY(margin+qrSize+3, y+qrSize/2-lineH)
	pdf.MultiCell(80, lineH, "Отсканируйте в приложении банка, чтобы оплатить", "", "L", false)
	pdf.SetXY(margin, y+qrSize+2)
	return nil
}

// drawImage draws "!image NAME 40L" or "!overlay NAME 40 X DY".
func drawImage(pdf *fpdf.Fpdf, f []string, images map[string]pdfImage, width float64) error {
	overlay := f[0] == "!overlay"
	usage := "!image takes a name and a width in mm with L, C or R: !image logo 40L"
	if overlay {
		usage = "!overlay takes a name, a width, x from the margin and y from the line in mm: !overlay stamp 40 60 -8"
	}
	if (!overlay && len(f) != 3) || (overlay && len(f) != 5) {
		return fmt.Errorf("%s", usage)
	}
	name := f[1]
	if name != ImageLogo && name != ImageStamp && name != ImageSignature {
		return fmt.Errorf("unknown image %q: the images are logo, stamp and signature", name)
	}
	var w, x, dy float64
	var err error
	align := "L"
	if overlay {
		var e1, e2 error
		w, err = strconv.ParseFloat(f[2], 64)
		x, e1 = strconv.ParseFloat(f[3], 64)
		dy, e2 = strconv.ParseFloat(f[4], 64)
		if err == nil {
			err = e1
		}
		if err == nil {
			err = e2
		}
	} else {
		align = strings.ToUpper(f[2][len(f[2])-1:])
		w, err = strconv.ParseFloat(f[2][:len(f[2])-1], 64)
		if err == nil && !strings.Contains("LCR", align) {
			err = fmt.Errorf("bad alignment")
		}
	}
	if err != nil || w <= 0 || w > width {
		return fmt.Errorf("%s", usage)
	}
	img, ok := images[name]
	if !ok {
		return nil
	}
	opts := fpdf.ImageOptions{ImageType: img.typ}
	info := pdf.RegisterImageOptionsReader("seller-"+name, opts, bytes.NewReader(img.data))
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("seller %s: %v", name, err)
	}
	h := w * info.Height() / info.Width()
	y := pdf.GetY()
	if overlay {
		pdf.ImageOptions("seller-"+name, margin+x, y+dy, w, h, false, opts, 0, "")
		pdf.SetY(y)
		return nil
	}
	_, pageH := pdf.GetPageSize()
	if y+h > pageH-margin {
		pdf.AddPage()
		y = pdf.GetY()
	}
	switch align {
	case "L":
		x = margin
	case "C":
		x = margin + (width-w)/2
	case "R":
		x = margin + width - w
	}
	pdf.ImageOptions("seller-"+name, x, y, w, h, false, opts, 0, "")
	pdf.SetXY(margin, y+h+1)
	return nil
}
