package crm

import "fmt"

// RoleIntegration is a token's role for hooks and the read-only API; the
// other roles (admin, supervisor, manager) are the managers' own.
const RoleIntegration = "integration"

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

// Principal is who a request acts as: the token's name and role, the
// manager it acts for, and the token's id in the database (0 for a
// principal made in code).
type Principal struct {
	Name      string
	Role      string
	ManagerID *int64
	TokenID   int64
}

// Actor is who the principal's changes are recorded as: their manager when
// the token names one, else the token by name.
func (p Principal) Actor() Actor {
	if p.ManagerID != nil {
		return Actor{Kind: ActorManager, ManagerID: p.ManagerID, Name: p.Name}
	}
	return Actor{Kind: ActorToken, Name: p.Name}
}

// SeesAll reports whether the principal may read every manager's work.
func (p Principal) SeesAll() bool { return p.Role != RoleManager }
