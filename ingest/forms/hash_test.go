package forms

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// A post's hash is the one stored with its first delivery: a retry sent
// across an upgrade must still be recognised, so the bytes hashed never
// change. The expected sum is of "4:name21:Иван Петров5:phone17:8 (916)
// 123-45-67", the fields in key order.
func TestTheBodyHashStaysTheSameAcrossVersions(t *testing.T) {
	got := hex.EncodeToString(hashValues(map[string]string{"phone": "8 (916) 123-45-67", "name": "Иван Петров"}))
	sum := sha256.Sum256([]byte("4:name21:Иван Петров5:phone17:8 (916) 123-45-67"))
	if want := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("hash %s, want %s", got, want)
	}
}
