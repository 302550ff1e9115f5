package imports

import (
	"bytes"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// A file that says UTF-8 with its mark but holds Windows-1251 bytes (found
// by FuzzRead: its broken bytes reached Postgres) is read by its bytes.
func TestAUTF8MarkOverWindows1251IsReadByTheBytes(t *testing.T) {
	body, _ := charmap.Windows1251.NewEncoder().Bytes([]byte("Имя;Телефон\nИван;89161234567\n"))
	tb, err := Read("clients.csv", bytes.NewReader(append([]byte{0xEF, 0xBB, 0xBF}, body...)))
	if err != nil {
		t.Fatal(err)
	}
	if tb.Encoding != "windows-1251" || len(tb.Rows) != 2 || tb.Rows[0].Cells[0] != "Имя" || tb.Rows[1].Cells[0] != "Иван" {
		t.Errorf("read as %s: %+v", tb.Encoding, tb.Rows)
	}
}
