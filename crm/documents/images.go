package documents

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // seller images may be JPEG
	_ "image/png"
	"os"

	"github.com/go-pdf/fpdf"
)

// Seller images: the names templates draw with !image and !overlay.
const (
	ImageLogo      = "logo"
	ImageStamp     = "stamp"
	ImageSignature = "signature"
)

// images are the seller's image files by name, those that are given.
func (s Seller) images() map[string]string {
	m := map[string]string{}
	for name, path := range map[string]string{ImageLogo: s.Logo, ImageStamp: s.Stamp, ImageSignature: s.Signature} {
		if path != "" {
			m[name] = path
		}
	}
	return m
}

// pdfImage is an image file read for the PDF: its bytes and fpdf's type.
type pdfImage struct {
	data []byte
	typ  string // "PNG" or "JPG"
}

// readImage reads a PNG or JPEG file and checks that it decodes and that
// fpdf takes it (fpdf refuses, for one, interlaced PNGs).
func readImage(path string) (pdfImage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return pdfImage{}, err
	}
	_, format, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return pdfImage{}, fmt.Errorf("%s: not a PNG or JPEG image: %v", path, err)
	}
	img := pdfImage{data: b}
	switch format {
	case "png":
		img.typ = "PNG"
	case "jpeg":
		img.typ = "JPG"
	default:
		return pdfImage{}, fmt.Errorf("%s: a %s image; only PNG and JPEG are drawn", path, format)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.RegisterImageOptionsReader("check", fpdf.ImageOptions{ImageType: img.typ}, bytes.NewReader(b))
	if err := pdf.Error(); err != nil {
		return pdfImage{}, fmt.Errorf("%s: %v", path, err)
	}
	return img, nil
}

// readImages reads the seller's images for one document.
func readImages(s Seller) (map[string]pdfImage, error) {
	out := map[string]pdfImage{}
	for name, path := range s.images() {
		img, err := readImage(path)
		if err != nil {
			return nil, fmt.Errorf("seller %s: %w", name, err)
		}
		out[name] = img
	}
	return out, nil
}
