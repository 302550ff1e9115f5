package crm

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

const managerColumns = `id, name, role, time_zone, active, telegram_chat_id, created_at`

func scanManager(row pgx.Row) (Manager, error) {
	var m Manager
	err := row.Scan(&m.ID, &m.Name, &m.Role, &m.TimeZone, &m.Active, &m.TelegramChatID, &m.CreatedAt)
	return m, err
}

// Validate checks a manager before it is written; it returns EINVALID
// naming the field.
func (m *Manager) Validate() error {
	m.Name = strings.TrimSpace(m.Name)
	if m.Name == "" {
		return Invalid("name", "is required")
	}
	switch m.Role {
	case "":
		m.Role = RoleManager
	case RoleManager, RoleSupervisor, RoleAdmin:
	default:
		return Invalid("role", "must be manager, supervisor or admin, not %q", m.Role)
	}
	if m.TimeZone == "" {
		m.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(m.TimeZone); err != nil {
		return Invalid("time_zone", "unknown time zone %q", m.TimeZone)
	}
	return nil
}

// CreateManager validates and stores a manager. Errors: EINVALID, ECONFLICT
// (the Telegram chat is linked to someone else).
func (s *Store) CreateManager(ctx context.Context, m Manager) (Manager, error) {
	if err := m.Validate(); err != nil {
		return Manager{}, err
	}
	row := s.pool.QueryRow(ctx, `INSERT INTO managers (name, role, time_zone, active, telegram_chat_id)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+managerColumns,
		m.Name, m.Role, m.TimeZone, m.Active, m.TelegramChatID)
	out, err := scanManager(row)
	return out, translate(err, "manager")
}

// Managers lists every manager by id.
func (s *Store) Managers(ctx context.Context) ([]Manager, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+managerColumns+` FROM managers ORDER BY id`)
	if err != nil {
		return nil, translate(err, "managers")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Manager, error) { return scanManager(r) })
	return out, translate(err, "managers")
}

// Manager returns one manager. Errors: ENOTFOUND.
func (s *Store) Manager(ctx context.Context, id int64) (Manager, error) {
	m, err := scanManager(s.pool.QueryRow(ctx, `SELECT `+managerColumns+` FROM managers WHERE id = $1`, id))
	return m, translate(err, "manager")
}

// SeedManagers creates the given managers only when the database has none:
// a demo starts with someone to assign to, and after that the database is
// the truth. It returns how many it created.
func (s *Store) SeedManagers(ctx context.Context, seed []Manager) (int, error) {
	for i := range seed {
		if err := seed[i].Validate(); err != nil {
			return 0, err
		}
	}
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Two replicas starting together must not both seed.
		if _, err := tx.Exec(ctx, `LOCK TABLE managers IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var any bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM managers)`).Scan(&any); err != nil || any {
			return err
		}
		for _, m := range seed {
			if _, err := tx.Exec(ctx, `INSERT INTO managers (name, role, time_zone, active) VALUES ($1, $2, $3, true)`,
				m.Name, m.Role, m.TimeZone); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, translate(err, "seed managers")
}

// ActiveManagers returns the ids of managers who may be assigned leads, in
// id order (the order round-robin walks).
func (s *Store) ActiveManagers(ctx context.Context) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM managers WHERE active AND role <> 'admin' ORDER BY id`)
	if err != nil {
		return nil, translate(err, "managers")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, translate(err, "managers")
}
