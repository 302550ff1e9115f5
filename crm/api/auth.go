package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/leadd/leadd/crm"
)

// Token roles.
const (
	RoleAdmin       = "admin"
	RoleSupervisor  = "supervisor"
	RoleManager     = "manager"
	RoleIntegration = "integration" // hooks and the read-only API
)

// Token is one API bearer token from the configuration.
type Token struct {
	Name      string `yaml:"name"`
	Token     string `yaml:"token"`
	Role      string `yaml:"role"`
	ManagerID *int64 `yaml:"manager_id"` // for role manager: whose leads
}

// Validate returns the problems of the token list, each naming its key.
func ValidateTokens(prefix string, tokens []Token) []error {
	var errs []error
	seen := map[string]bool{}
	for i, t := range tokens {
		key := fmt.Sprintf("%s[%d]", prefix, i)
		if len(t.Token) < 12 {
			errs = append(errs, fmt.Errorf("%s.token: must be at least 12 characters", key))
		}
		if seen[t.Token] {
			errs = append(errs, fmt.Errorf("%s.token: the same token is listed twice", key))
		}
		seen[t.Token] = true
		switch t.Role {
		case RoleAdmin, RoleSupervisor, RoleIntegration:
		case RoleManager:
			if t.ManagerID == nil {
				errs = append(errs, fmt.Errorf("%s.manager_id: a manager token names its manager", key))
			}
		default:
			errs = append(errs, fmt.Errorf("%s.role: must be admin, supervisor, manager or integration, not %q", key, t.Role))
		}
	}
	return errs
}

// Principal is who a request acts as.
type Principal struct {
	Name      string
	Role      string
	ManagerID *int64
}

// SeesAll reports whether the principal may read every manager's work.
func (p Principal) SeesAll() bool { return p.Role != RoleManager }

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
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
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
