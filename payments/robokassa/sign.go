package robokassa

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"sort"
	"strings"
)

// hashes are the algorithms a shop may choose in its technical settings.
var hashes = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha256": sha256.New, "sha384": sha512.New384, "sha512": sha512.New,
}

// digest is the lower-case hex hash of s; an unknown algorithm (Validate
// refuses it) falls back to MD5, Robokassa's default.
func digest(alg, s string) string {
	newHash, ok := hashes[alg]
	if !ok {
		newHash = md5.New
	}
	h := newHash()
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}

// PaymentBase is the string a payment link's SignatureValue hashes:
// MerchantLogin:OutSum:InvId[:Receipt]:Password1[:Shp_name=value...].
// An InvId of 0 is left empty (MerchantLogin:OutSum::Password1, per
// script-parameters); the Receipt, when sent, comes after InvId already
// URL-encoded (fiscalization page); the Shp_ pairs come last, sorted.
func PaymentBase(login, outSum, invID, receipt, password1 string, shp map[string]string) string {
	parts := []string{login, outSum, invID}
	if receipt != "" {
		parts = append(parts, receipt)
	}
	parts = append(parts, password1)
	return strings.Join(append(parts, shpPairs(shp)...), ":")
}

// ResultBase is the string a ResultURL notice's SignatureValue hashes:
// OutSum:InvId:Password2[:Shp_name=value...].
func ResultBase(outSum, invID, password2 string, shp map[string]string) string {
	return strings.Join(append([]string{outSum, invID, password2}, shpPairs(shp)...), ":")
}

// Sign hashes a base with the shop's algorithm.
func Sign(alg, base string) string { return digest(alg, base) }

// Verify reports whether got is the signature of base; Robokassa writes
// hex in either case.
func Verify(alg, base, got string) bool {
	want := digest(alg, base)
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(strings.TrimSpace(got)))) == 1
}

// isShp reports whether a parameter is a shop's own (Shp_, SHP_, shp_).
func isShp(name string) bool { return len(name) > 4 && strings.EqualFold(name[:4], "shp_") }

// shpName gives a parameter the Shp_ prefix unless it has one.
func shpName(name string) string {
	if isShp(name) {
		return name
	}
	return "Shp_" + name
}

// shpPairs are the shop's parameters as name=value, sorted as strings the
// way Robokassa's SDK sorts them (sort() over the pairs, not the names).
func shpPairs(shp map[string]string) []string {
	pairs := make([]string, 0, len(shp))
	for k, v := range shp {
		pairs = append(pairs, shpName(k)+"="+v)
	}
	sort.Strings(pairs)
	return pairs
}
