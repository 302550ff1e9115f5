package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/leadd/leadd/crm"
)

// The token and principal types live in crm, where the authorization rule
// lives; these names keep the handlers short.
type (
	Token     = crm.Token
	Principal = crm.Principal
)

const (
	RoleAdmin       = crm.RoleAdmin
	RoleSupervisor  = crm.RoleSupervisor
	RoleManager     = crm.RoleManager
	RoleIntegration = crm.RoleIntegration
)

// ValidateTokens returns the problems of the token list, each naming its key.
func ValidateTokens(prefix string, tokens []Token) []error { return crm.ValidateTokens(prefix, tokens) }

type principalKey struct{}

func principalOf(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}

// authenticator checks bearer tokens by their SHA-256, in constant time.
type authenticator struct {
	tokens []Token
	hashes [][32]byte
}

func newAuthenticator(tokens []Token) *authenticator {
	a := &authenticator{tokens: tokens}
	for _, t := range tokens {
		a.hashes = append(a.hashes, sha256.Sum256([]byte(t.Token)))
	}
	return a
}

func (a *authenticator) principal(r *http.Request) (Principal, error) {
	// The scheme is case-insensitive (RFC 9110 §11.1): "bearer" is Bearer.
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return Principal{}, crm.Errorf(crm.EUNAUTHORIZED, "send Authorization: Bearer <token>")
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	found := -1
	for i, want := range a.hashes {
		if subtle.ConstantTimeCompare(sum[:], want[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, crm.Errorf(crm.EUNAUTHORIZED, "unknown token")
	}
	t := a.tokens[found]
	return Principal{Name: t.Name, Role: t.Role, ManagerID: t.ManagerID}, nil
}
