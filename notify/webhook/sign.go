package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Sign returns the Standard Webhooks signature of a message: "v1," and the
// base64 HMAC-SHA256, keyed by the secret's bytes (whsec_ + base64), of
// "id.timestamp.body". Errors: a secret that is not whsec_ + base64.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Signatures is the webhook-signature header: the signature by each
// secret given (the current one, and a rotated-out one still valid),
// separated by spaces.
func Signatures(msgID string, ts time.Time, body []byte, secrets ...string) (string, error) {
	var out []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		sig, err := Sign(s, msgID, ts, body)
		if err != nil {
			return "", err
		}
		out = append(out, sig)
	}
	return strings.Join(out, " "), nil
}
