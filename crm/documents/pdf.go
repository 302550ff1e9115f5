package documents

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// A template writes lines of a small layout language; drawPDF lays them
// out on A4:
//
//	# text                   a title, bold and large
//	## text                  a bold line
//	> text                   a bold line flush right (totals)
//	---                      a rule across the page
//	!table 10C 85L 25R       a table of columns (width in mm, align L, C or R);
//	| a | b | c |            its rows, the first one bold (the header),
//	!end                     until !end
//	!grid 30L 60L            a table whose rows are all plain (the bank block)
//	!qr                      the payment QR code (an invoice's)
//	!image logo 40L          a seller image 40 mm wide, left (L, C or R),
//	                         the text going on below it
//	!overlay stamp 40 60 -8  a seller image 40 mm wide, its left edge 60 mm
//	                         right of the margin, its top 8 mm above the
//	                         current line, over the text, which stays put
//
// The images are logo, stamp and signature; one the seller has not given
// draws nothing.
//	!space 5                 5 mm of space
//	(empty line)             a little space
//	anything else            a paragraph, wrapped
//
// The page is 180 mm wide between the margins.

const (
	margin  = 15.0
	lineH   = 4.6
	bodyPt  = 9.0
	font    = "go"
	qrSize  = 40.0
	padding = 1.0
)

type column struct {
	w     float64
	align string
}

// drawPDF lays out the text of an executed template.
func drawPDF(text, title, qr string, images map[string]pdfImage) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin)
	pdf.AddUTF8FontFromBytes(font, "", goregular.TTF)
	pdf.AddUTF8FontFromBytes(font, "B", gobold.TTF)
	pdf.SetTitle(title, true)
	pdf.SetCreator("Leadd", true)
	pdf.AddPage()
	pdf.SetFont(font, "", bodyPt)
	width, _ := pdf.GetPageSize()
	width -= 2 * margin

	var cols []column
	header := false
	for n, raw := range strings.Split(text, "\n") {
		line := strings.TrimRight(raw, " \t\r")
		trimmed := strings.TrimSpace(line)
		where := func(format string, args ...any) error {
			return fmt.Errorf("template line %d: %s", n+1, fmt.Sprintf(format, args...))
		}
		switch {
		case cols != nil && trimmed == "!end":
			cols = nil
		case cols != nil && strings.HasPrefix(trimmed, "|"):
			cells := splitRow(trimmed)
			if len(cells) != len(cols) {
				return nil, where("a row of %d cells in a table of %d columns: %q", len(cells), len(cols), trimmed)
			}
			drawRow(pdf, cols, cells, header)
			header = false
		case cols != nil && trimmed == "":
		case cols != nil:
			return nil, where("inside a table only rows \"| … |\" and !end: %q", trimmed)
		case strings.HasPrefix(trimmed, "!table ") || strings.HasPrefix(trimmed, "!grid "):
			var err error
			if cols, err = parseColumns(strings.Fields(trimmed)[1:]); err != nil {
				return nil, where("%v", err)
			}
			header = strings.HasPrefix(trimmed, "!table")
		case trimmed == "!qr":
			if qr == "" {
				return nil, where("!qr in a document without a payment QR")
			}
			if err := drawQR(pdf, qr); err != nil {
				return nil, err
			}
		case strings.HasPrefix(trimmed, "!image ") || strings.HasPrefix(trimmed, "!overlay "):
			if err := drawImage(pdf, strings.Fields(trimmed), images, width); err != nil {
				return nil, where("%v", err)
			}
		case strings.HasPrefix(trimmed, "!space"):
			mm, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(trimmed, "!space")), 64)
			if err != nil {
				return nil, where("!space takes millimetres: %q", trimmed)
			}
			pdf.Ln(mm)
		case strings.HasPrefix(trimmed, "!"):
			return nil, where("unknown directive %q", trimmed)
		case trimmed == "":
			pdf.Ln(lineH / 2)
		case trimmed == "---":
			y := pdf.GetY() + 1
			pdf.SetLineWidth(0.6)
			pdf.Line(margin, y, margin+width, y)
			pdf.SetLineWidth(0.2)
			pdf.Ln(3)
		case strings.HasPrefix(trimmed, "## "):
			pdf.SetFont(font, "B", bodyPt+1)
			pdf.MultiCell(0, lineH+0.4, strings.TrimPrefix(trimmed, "## "), "", "L", false)
			pdf.SetFont(font, "", bodyPt)
		case strings.HasPrefix(trimmed, "# "):
			pdf.SetFont(font, "B", 14)
			pdf.MultiCell(0, 7, strings.TrimPrefix(trimmed, "# "), "", "L", false)
			pdf.SetFont(font, "", bodyPt)
		case strings.HasPrefix(trimmed, "> "):
			pdf.SetFont(font, "B", bodyPt)
			pdf.MultiCell(0, lineH, strings.TrimPrefix(trimmed, "> "), "", "R", false)
			pdf.SetFont(font, "", bodyPt)
		default:
			pdf.MultiCell(0, lineH, trimmed, "", "L", false)
		}
		if err := pdf.Error(); err != nil {
			return nil, where("%v", err)
		}
	}
	if cols != nil {
		return nil, fmt.Errorf("template: a table without its !end")
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("pdf: %w", err)
	}
	return out.Bytes(), nil
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
// cell, on a new page when it would not fit.
func drawRow(pdf *fpdf.Fpdf, cols []column, cells []string, bold bool) {
	style := ""
	if bold {
		style = "B"
	}
	pdf.SetFont(font, style, bodyPt)
	lines := 1
	for i, c := range cells {
		if n := len(pdf.SplitText(c, cols[i].w-2*padding)); n > lines {
			lines = n
		}
	}
	h := float64(lines)*lineH + padding
	_, pageH := pdf.GetPageSize()
	if pdf.GetY()+h > pageH-margin {
		pdf.AddPage()
	}
	x, y := pdf.GetX(), pdf.GetY()
	for i, c := range cells {
		pdf.Rect(x, y, cols[i].w, h, "D")
		pdf.SetXY(x+padding, y+padding/2)
		pdf.MultiCell(cols[i].w-2*padding, lineH, c, "", cols[i].align, false)
		x += cols[i].w
	}
	pdf.SetXY(margin, y+h)
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
	_, pageH := pdf.GetPageSize()
	if pdf.GetY()+qrSize > pageH-margin {
		pdf.AddPage()
	}
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
