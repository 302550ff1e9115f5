package api

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

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

// TokenStore finds who a token acts as by the SHA-256 of its secret.
type TokenStore interface {
	PrincipalByToken(ctx context.Context, sum []byte) (crm.Principal, error)
}

// tokenTTL is how long a token found in the database is taken on trust
// before it is looked up again: a token revoked on another replica stops
// working within it; on this one, at once.
const tokenTTL = time.Second

// authenticator checks bearer tokens against the database: only a token's
// SHA-256 is stored and looked up, so the secret is never compared or
// kept. Positive answers are remembered for at most tokenTTL; an unknown
// token is asked about every time.
type authenticator struct {
	store TokenStore
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]cachedPrincipal
}

type cachedPrincipal struct {
	p     Principal
	until time.Time
}

func newAuthenticator(store TokenStore) *authenticator {
	return &authenticator{store: store, now: time.Now, cache: map[string]cachedPrincipal{}}
}

func (a *authenticator) principal(r *http.Request) (Principal, error) {
	// The scheme is case-insensitive (RFC 9110 §11.1): "bearer" is Bearer.
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return Principal{}, crm.Errorf(crm.EUNAUTHORIZED, "send Authorization: Bearer <token>")
	}
	tok = strings.TrimSpace(tok)
	sum := crm.TokenSum(tok)
	key := string(sum)
	now := a.now()
	a.mu.Lock()
	c, hit := a.cache[key]
	a.mu.Unlock()
	if hit && now.Before(c.until) {
		return c.p, nil
	}
	p, err := a.store.PrincipalByToken(r.Context(), sum)
	if err != nil {
		return Principal{}, err
	}
	a.mu.Lock()
	if len(a.cache) > 10000 { // many distinct live tokens: start over rather than grow
		clear(a.cache)
	}
	a.cache[key] = cachedPrincipal{p: p, until: now.Add(tokenTTL)}
	a.mu.Unlock()
	return p, nil
}

// forget drops a revoked token from the cache at once.
func (a *authenticator) forget(tokenID int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, c := range a.cache {
		if c.p.TokenID == tokenID {
			delete(a.cache, k)
		}
	}
}
