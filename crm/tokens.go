package crm

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// APIToken is a token as the database keeps it: never the secret itself,
// only its SHA-256. Secret is set once, in the answer that made it.
type APIToken struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	ManagerID *int64     `json:"manager_id"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by"`
	RevokedAt *time.Time `json:"revoked_at"`
	Secret    string     `json:"token,omitempty"`
}

// TokenInput makes a token.
type TokenInput struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	ManagerID *int64 `json:"manager_id"`
}

// TokenSum is how a token is looked up: the SHA-256 of its secret.
func TokenSum(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

func (in *TokenInput) validate() error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return Invalid("name", "is required: it is shown in histories as who did what")
	}
	if len(in.Name) > 100 {
		return Invalid("name", "at most 100 characters")
	}
	switch in.Role {
	case RoleAdmin, RoleSupervisor, RoleIntegration:
		if in.ManagerID != nil && in.Role == RoleIntegration {
			return Invalid("manager_id", "an integration token acts for no manager")
		}
	case RoleManager:
		if in.ManagerID == nil {
			return Invalid("manager_id", "a manager token names its manager")
		}
	default:
		return Invalid("role", "must be admin, supervisor, manager or integration, not %q", in.Role)
	}
	return nil
}

const tokenColumns = `id, name, role, manager_id, created_at, created_by, revoked_at`

func scanToken(row pgx.Row) (APIToken, error) {
	var t APIToken
	err := row.Scan(&t.ID, &t.Name, &t.Role, &t.ManagerID, &t.CreatedAt, &t.CreatedBy, &t.RevokedAt)
	return t, err
}

// CreateToken makes a token with a new random secret, stores its hash and
// returns it with the secret — the only time the secret is shown. Errors:
// EINVALID (naming the field; a manager_id that names no manager).
func (s *Store) CreateToken(ctx context.Context, in TokenInput, by string) (APIToken, error) {
	if err := in.validate(); err != nil {
		return APIToken{}, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return APIToken{}, err
	}
	secret := "ld_" + base64.RawURLEncoding.EncodeToString(raw)
	if in.ManagerID != nil {
		var ok bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM managers WHERE id = $1)`, *in.ManagerID).Scan(&ok); err != nil {
			return APIToken{}, translate(err, "manager")
		}
		if !ok {
			return APIToken{}, Invalid("manager_id", "no manager %d", *in.ManagerID)
		}
	}
	t, err := scanToken(s.pool.QueryRow(ctx, `INSERT INTO api_tokens (name, role, manager_id, hash, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+tokenColumns, in.Name, in.Role, in.ManagerID, TokenSum(secret), s.now(), by))
	if err != nil {
		return APIToken{}, translate(err, "token")
	}
	t.Secret = secret
	return t, nil
}

// Tokens lists every token, revoked ones too, newest first; no secrets.
func (s *Store) Tokens(ctx context.Context) ([]APIToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY id DESC`)
	if err != nil {
		return nil, translate(err, "tokens")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIToken, error) { return scanToken(r) })
	return out, translate(err, "tokens")
}

// RevokeToken stops a token at once; revoking it again changes nothing.
// Errors: ENOTFOUND.
func (s *Store) RevokeToken(ctx context.Context, id int64) (APIToken, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1
		RETURNING `+tokenColumns, id, s.now()))
	return t, translate(err, "token")
}

// PrincipalByToken returns who a live token acts as, by the SHA-256 of its
// secret. A manager token of a deactivated manager no longer works.
// Errors: EUNAUTHORIZED for an unknown or revoked token.
func (s *Store) PrincipalByToken(ctx context.Context, sum []byte) (Principal, error) {
	var p Principal
	err := s.pool.QueryRow(ctx, `SELECT t.id, t.name, t.role, t.manager_id FROM api_tokens t
		LEFT JOIN managers m ON m.id = t.manager_id
		WHERE t.hash = $1 AND t.revoked_at IS NULL AND m.active IS NOT FALSE`, sum).
		Scan(&p.TokenID, &p.Name, &p.Role, &p.ManagerID)
	if err == pgx.ErrNoRows {
		return Principal{}, Errorf(EUNAUTHORIZED, "unknown or revoked token")
	}
	return p, translate(err, "token")
}

// SeedTokens stores the configuration's tokens only when the database has
// never had one: a fresh install starts with them, and after that the
// database is the truth (POST /api/v1/tokens). It returns how many it
// stored.
func (s *Store) SeedTokens(ctx context.Context, seed []Token) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Two replicas starting together must not both seed.
		if _, err := tx.Exec(ctx, `LOCK TABLE api_tokens IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var any bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM api_tokens)`).Scan(&any); err != nil || any {
			return err
		}
		for i, t := range seed {
			if t.Name == "" {
				t.Name = fmt.Sprintf("api.tokens[%d]", i)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (name, role, manager_id, hash, created_by)
				VALUES ($1, $2, $3, $4, 'config')`, t.Name, t.Role, t.ManagerID, TokenSum(t.Token)); err != nil {
				return translate(err, "token "+t.Name)
			}
			n++
		}
		return nil
	})
	return n, err
}
