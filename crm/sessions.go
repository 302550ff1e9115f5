package crm

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// LoginLinkTTL is how long a console login link may be used.
const LoginLinkTTL = 15 * time.Minute

// Session is a person signed in to the console.
type Session struct {
	ID        int64
	ManagerID *int64 // nil: an admin or supervisor signed in by API token
	Name      string
	Role      string
	CSRF      string // the per-session token every state-changing form carries
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Principal is who the session acts as.
func (s Session) Principal() Principal {
	return Principal{Name: s.Name, Role: s.Role, ManagerID: s.ManagerID}
}

// secret returns a fresh random token and its SHA-256.
func secret() (string, []byte, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("random: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(tok))
	return tok, sum[:], nil
}

func hashOf(tok string) []byte {
	sum := sha256.Sum256([]byte(tok))
	return sum[:]
}

// CreateLoginCode makes a one-time code that signs an active manager in to
// the console (GET /login/<code>) within ttl (LoginLinkTTL when zero); only
// its hash is kept. Errors: ENOTFOUND, ECONFLICT for an inactive manager.
func (s *Store) CreateLoginCode(ctx context.Context, managerID int64, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		ttl = LoginLinkTTL
	}
	m, err := s.Manager(ctx, managerID)
	if err != nil {
		return "", err
	}
	if !m.Active {
		return "", Errorf(ECONFLICT, "manager %d is not active", managerID)
	}
	code, hash, err := secret()
	if err != nil {
		return "", err
	}
	now := s.now()
	_, err = s.pool.Exec(ctx, `INSERT INTO console_login_codes (code_hash, manager_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		hash, managerID, now, now.Add(ttl))
	return code, translate(err, "login code")
}

// UseLoginCode spends a login code and returns its manager. Errors:
// ENOTFOUND for an unknown, used or expired code, or an inactive manager
// (one answer for all, so a guess learns nothing).
func (s *Store) UseLoginCode(ctx context.Context, code string) (Manager, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `UPDATE console_login_codes c SET used_at = $2
		FROM managers m WHERE c.code_hash = $1 AND c.used_at IS NULL AND c.expires_at > $2
			AND m.id = c.manager_id AND m.active
		RETURNING c.manager_id`, hashOf(code), s.now()).Scan(&id)
	if err == pgx.ErrNoRows {
		return Manager{}, Errorf(ENOTFOUND, "the login link is unknown, used or expired")
	}
	if err != nil {
		return Manager{}, translate(err, "login code")
	}
	return s.Manager(ctx, id)
}

// CreateSession signs a principal in for ttl and returns the cookie's
// token (only its hash is kept) and the session. Errors: EINVALID for an
// integration principal.
func (s *Store) CreateSession(ctx context.Context, p Principal, ttl time.Duration) (string, Session, error) {
	if p.Role == RoleIntegration {
		return "", Session{}, Errorf(EFORBIDDEN, "an integration token cannot sign in")
	}
	tok, hash, err := secret()
	if err != nil {
		return "", Session{}, err
	}
	csrf, _, err := secret()
	if err != nil {
		return "", Session{}, err
	}
	now := s.now()
	ses := Session{ManagerID: p.ManagerID, Name: p.Name, Role: p.Role, CSRF: csrf, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err = s.pool.QueryRow(ctx, `INSERT INTO console_sessions (token_hash, manager_id, name, role, csrf, created_at, seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id`,
		hash, p.ManagerID, p.Name, p.Role, csrf, now, ses.ExpiresAt).Scan(&ses.ID)
	if err != nil {
		return "", Session{}, translate(err, "session")
	}
	return tok, ses, nil
}

// SessionByToken returns the live session of a cookie's token; a manager's
// session takes the manager's current name and role, and ends with their
// deactivation. A session used in the second half of its life is extended
// by ttl (sliding expiry). Errors: EUNAUTHORIZED for an unknown, ended or
// expired session.
func (s *Store) SessionByToken(ctx context.Context, tok string, ttl time.Duration) (Session, error) {
	now := s.now()
	var ses Session
	var active *bool
	var mname, mrole *string
	err := s.pool.QueryRow(ctx, `SELECT s.id, s.manager_id, s.name, s.role, s.csrf, s.created_at, s.expires_at, m.active, m.name, m.role
		FROM console_sessions s LEFT JOIN managers m ON m.id = s.manager_id
		WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2`, hashOf(tok), now).
		Scan(&ses.ID, &ses.ManagerID, &ses.Name, &ses.Role, &ses.CSRF, &ses.CreatedAt, &ses.ExpiresAt, &active, &mname, &mrole)
	if err == pgx.ErrNoRows {
		return Session{}, Errorf(EUNAUTHORIZED, "the session is unknown, ended or expired")
	}
	if err != nil {
		return Session{}, translate(err, "session")
	}
	if ses.ManagerID != nil {
		if active == nil || !*active {
			return Session{}, Errorf(EUNAUTHORIZED, "the manager is not active")
		}
		ses.Name, ses.Role = *mname, *mrole
	}
	if ttl > 0 && ses.ExpiresAt.Sub(now) < ttl/2 {
		ses.ExpiresAt = now.Add(ttl)
		if _, err := s.pool.Exec(ctx, `UPDATE console_sessions SET seen_at = $2, expires_at = $3 WHERE id = $1`, ses.ID, now, ses.ExpiresAt); err != nil {
			return Session{}, translate(err, "session")
		}
	}
	return ses, nil
}

// EndSession signs a cookie's session out; an unknown one is no error.
func (s *Store) EndSession(ctx context.Context, tok string) error {
	_, err := s.pool.Exec(ctx, `UPDATE console_sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL`, hashOf(tok), s.now())
	return translate(err, "session")
}

// EndManagerSessions signs a manager out everywhere and returns how many
// sessions ended. Errors: ENOTFOUND.
func (s *Store) EndManagerSessions(ctx context.Context, managerID int64) (int, error) {
	if _, err := s.Manager(ctx, managerID); err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE console_sessions SET ended_at = $2 WHERE manager_id = $1 AND ended_at IS NULL`, managerID, s.now())
	if err != nil {
		return 0, translate(err, "sessions")
	}
	return int(tag.RowsAffected()), nil
}

// ManagerSessions counts each manager's live sessions.
func (s *Store) ManagerSessions(ctx context.Context) (map[int64]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT manager_id, count(*) FROM console_sessions
		WHERE manager_id IS NOT NULL AND ended_at IS NULL AND expires_at > $1 GROUP BY manager_id`, s.now())
	if err != nil {
		return nil, translate(err, "sessions")
	}
	out := map[int64]int{}
	var id int64
	var n int
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[id] = n; return nil })
	return out, translate(err, "sessions")
}
