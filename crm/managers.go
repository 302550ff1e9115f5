package crm

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/dedupe"
)

// MaxCapacity is the largest cap on a manager's open new leads.
const MaxCapacity = 100000

const managerColumns = `m.id, m.name, m.role, m.time_zone, m.email, m.active, m.telegram_chat_id, m.away, m.weight, m.capacity,
	m.hours, m.time_off, coalesce(l.open, 0), coalesce(l.open_new, 0), m.created_at, m.unreachable_at IS NULL`

// managerFrom joins each manager's load: open leads and open new leads,
// summed from lead_counts (152_counters.sql), not counted lead by lead.
const managerFrom = ` FROM managers m LEFT JOIN LATERAL (
	SELECT sum(n)::bigint AS open, (sum(n) FILTER (WHERE status = 'new'))::bigint AS open_new
	FROM lead_counts WHERE manager_id = m.id) l ON true`

func scanManager(row pgx.Row) (Manager, error) {
	var m Manager
	err := row.Scan(&m.ID, &m.Name, &m.Role, &m.TimeZone, &m.Email, &m.Active, &m.TelegramChatID, &m.Away, &m.Weight, &m.Capacity,
		&m.Hours, &m.TimeOff, &m.OpenLeads, &m.OpenNewLeads, &m.CreatedAt, &m.TelegramReachable)
	m.TimeOff = numberTimeOff(m.TimeOff)
	if err == nil {
		m.schedule, _ = ParseSchedule(m.TimeZone, m.Hours, m.TimeOff)
	}
	return m, err
}

// Validate checks a manager before it is written and fills defaults; it
// returns EINVALID naming the field.
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
	if e := strings.TrimSpace(m.Email); e != "" {
		norm, ok := dedupe.Email(e)
		if !ok {
			return Invalid("email", "must be an e-mail address, not %q", e)
		}
		m.Email = norm
	} else {
		m.Email = ""
	}
	if m.Weight < 0 || m.Weight > 1000 {
		return Invalid("weight", "must be between 0 and 1000")
	}
	if m.Capacity != nil && (*m.Capacity < 1 || *m.Capacity > MaxCapacity) {
		return Invalid("capacity", "must be between 1 and %d, or null for no cap", MaxCapacity)
	}
	if m.TimeOff == nil {
		m.TimeOff = []TimeOff{}
	}
	_, err := ParseSchedule(m.TimeZone, m.Hours, m.TimeOff)
	return err
}

// Schedule is the manager's working time (around the clock in UTC for a
// manager that would not pass Validate; the store holds none).
func (m *Manager) Schedule() *Schedule {
	if m.schedule != nil {
		return m.schedule
	}
	s, err := ParseSchedule(m.TimeZone, m.Hours, m.TimeOff)
	if err != nil {
		s, _ = ParseSchedule("UTC", nil, nil)
	}
	return s
}

// CreateManager validates and stores a manager. A weight of 0 becomes 1.
// Errors: EINVALID, ECONFLICT (the Telegram chat is linked to someone else).
func (s *Store) CreateManager(ctx context.Context, m Manager) (Manager, error) {
	if m.Weight == 0 {
		m.Weight = 1
	}
	if err := m.Validate(); err != nil {
		return Manager{}, err
	}
	m.TimeOff = numberTimeOff(m.TimeOff)
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO managers (name, role, time_zone, active, telegram_chat_id, away, weight, capacity, hours, time_off, email)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		m.Name, m.Role, m.TimeZone, m.Active, m.TelegramChatID, m.Away, m.Weight, m.Capacity, m.Hours, m.TimeOff, m.Email).Scan(&id)
	if err != nil {
		return Manager{}, translate(err, "manager")
	}
	return s.Manager(ctx, id)
}

// ManagerPatch changes some of a manager's fields; nil fields stay.
type ManagerPatch struct {
	Name           *string `json:"name"`
	Role           *string `json:"role"`
	TimeZone       *string `json:"time_zone"`
	Email          *string `json:"email"` // "" removes it
	Active         *bool   `json:"active"`
	TelegramChatID *int64  `json:"telegram_chat_id"`
	Away           *bool   `json:"away"`
	Weight         *int    `json:"weight"`
	Capacity       *int    `json:"capacity"` // 0 removes the cap
	// Hours are merged per day: a day given is set, a day given as ""
	// becomes a day off, the days not given stay. See ClearHours.
	Hours      *Hours `json:"hours"`
	ClearHours bool   `json:"-"` // around the clock again ("hours": null in JSON)
	// TimeOff entries are added (one with the dates of an existing entry
	// is that entry); TimeOffRemove removes entries by id.
	TimeOff       *[]TimeOff `json:"time_off"`
	TimeOffRemove *[]int64   `json:"time_off_remove"`
}

// mergeHours sets the days given, "" making a day off.
func mergeHours(cur, patch Hours) Hours {
	out := Hours{}
	for d, v := range cur {
		out[d] = v
	}
	for d, v := range patch {
		if strings.TrimSpace(v) == "" {
			delete(out, d)
		} else {
			out[d] = v
		}
	}
	return out
}

// mergeTimeOff adds entries (numbering new ones after the highest id) and
// removes the ones named; an id that names none is an error.
func mergeTimeOff(cur []TimeOff, add []TimeOff, remove []int64) ([]TimeOff, error) {
	out := []TimeOff{}
	next := int64(0)
	for _, o := range cur {
		next = max(next, o.ID)
	}
	for i, id := range remove {
		if !slices.ContainsFunc(cur, func(o TimeOff) bool { return o.ID == id }) {
			return nil, Invalid(fmt.Sprintf("time_off_remove[%d]", i), "no time off %d", id)
		}
	}
	for _, o := range cur {
		if !slices.Contains(remove, o.ID) {
			out = append(out, o)
		}
	}
	for _, o := range add {
		if slices.ContainsFunc(out, func(x TimeOff) bool { return x.From == o.From && x.To == o.To }) {
			continue
		}
		next++
		o.ID = next
		out = append(out, o)
	}
	return out, nil
}

// numberTimeOff gives entries without an id one, after the highest.
func numberTimeOff(list []TimeOff) []TimeOff {
	out := slices.Clone(list)
	next := int64(0)
	for _, o := range out {
		next = max(next, o.ID)
	}
	for i := range out {
		if out[i].ID == 0 {
			next++
			out[i].ID = next
		}
	}
	if out == nil {
		out = []TimeOff{}
	}
	return out
}

// UpdateManager applies a patch. Errors: ENOTFOUND, EINVALID, ECONFLICT.
func (s *Store) UpdateManager(ctx context.Context, id int64, p ManagerPatch) (Manager, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		m, err := scanManager(tx.QueryRow(ctx, `SELECT `+managerColumns+managerFrom+` WHERE m.id = $1 FOR UPDATE OF m`, id))
		if err != nil {
			return translate(err, "manager")
		}
		set(&m.Name, p.Name)
		set(&m.Role, p.Role)
		set(&m.TimeZone, p.TimeZone)
		set(&m.Email, p.Email)
		set(&m.Active, p.Active)
		set(&m.Away, p.Away)
		set(&m.Weight, p.Weight)
		if p.TimeOff != nil || p.TimeOffRemove != nil {
			var add []TimeOff
			var remove []int64
			set(&add, p.TimeOff)
			set(&remove, p.TimeOffRemove)
			// Entries written before they had ids get theirs first.
			if m.TimeOff, err = mergeTimeOff(numberTimeOff(m.TimeOff), add, remove); err != nil {
				return err
			}
		}
		if p.TelegramChatID != nil {
			m.TelegramChatID = p.TelegramChatID
		}
		if p.Capacity != nil {
			m.Capacity = p.Capacity
			if *p.Capacity == 0 {
				m.Capacity = nil
			}
		}
		if p.Hours != nil {
			m.Hours = mergeHours(m.Hours, *p.Hours)
		}
		if p.ClearHours {
			m.Hours = nil
		}
		if err := m.Validate(); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE managers SET name = $2, role = $3, time_zone = $4, active = $5, telegram_chat_id = $6,
			away = $7, weight = $8, capacity = $9, hours = $10, time_off = $11, email = $12, updated_at = now() WHERE id = $1`,
			id, m.Name, m.Role, m.TimeZone, m.Active, m.TelegramChatID, m.Away, m.Weight, m.Capacity, m.Hours, m.TimeOff, m.Email)
		return translate(err, "manager")
	})
	if err != nil {
		return Manager{}, err
	}
	return s.Manager(ctx, id)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Managers lists every manager by id, with their load.
func (s *Store) Managers(ctx context.Context) ([]Manager, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+managerColumns+managerFrom+` ORDER BY m.id`)
	if err != nil {
		return nil, translate(err, "managers")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Manager, error) { return scanManager(r) })
	return out, translate(err, "managers")
}

// Manager returns one manager with their load. Errors: ENOTFOUND.
func (s *Store) Manager(ctx context.Context, id int64) (Manager, error) {
	m, err := scanManager(s.pool.QueryRow(ctx, `SELECT `+managerColumns+managerFrom+` WHERE m.id = $1`, id))
	return m, translate(err, "manager")
}

// SeedManagers creates the given managers only when the database has none:
// a demo starts with someone to assign to, and after that the database is
// the truth. It returns how many it created.
func (s *Store) SeedManagers(ctx context.Context, seed []Manager) (int, error) {
	for i := range seed {
		if seed[i].Weight == 0 {
			seed[i].Weight = 1
		}
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
			if _, err := tx.Exec(ctx, `INSERT INTO managers (name, role, time_zone, active, weight, capacity, hours, time_off, email)
				VALUES ($1, $2, $3, true, $4, $5, $6, $7, $8)`, m.Name, m.Role, m.TimeZone, m.Weight, m.Capacity, m.Hours, numberTimeOff(m.TimeOff), m.Email); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, translate(err, "seed managers")
}
