package crm

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Party is an organisation or an entrepreneur as a registry knows it.
type Party struct {
	INN          string `json:"inn"`
	KPP          string `json:"kpp"`
	OGRN         string `json:"ogrn"`
	Name         string `json:"name"`          // full name with its legal form
	ShortName    string `json:"short_name"`    // short name with its legal form
	Address      string `json:"address"`       // legal address, one line
	Director     string `json:"director"`      // the head's full name
	DirectorPost string `json:"director_post"` // the head's post: ГЕНЕРАЛЬНЫЙ ДИРЕКТОР
	Status       string `json:"status"`        // ACTIVE, LIQUIDATING, LIQUIDATED, BANKRUPT, REORGANIZING
}

// PartyFinder finds a party by INN. Errors: EINVALID naming inn (a bad
// control digit: nothing is asked), ENOTFOUND (the registry knows no such
// INN), EUNAVAILABLE (the registry is off, slow or failing).
type PartyFinder interface {
	FindParty(ctx context.Context, inn string) (Party, error)
}

// CachedParty returns the registry's answer for an INN if it was fetched
// less than maxAge ago; ok is false when there is none that fresh.
func (s *Store) CachedParty(ctx context.Context, inn string, maxAge time.Duration) (response []byte, fetchedAt time.Time, ok bool, err error) {
	err = s.pool.QueryRow(ctx, `SELECT response, fetched_at FROM registry_parties WHERE inn = $1 AND fetched_at > $2`,
		inn, s.now().Add(-maxAge)).Scan(&response, &fetchedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, translate(err, "registry cache")
	}
	return response, fetchedAt, true, nil
}

// CacheParty keeps the registry's answer for an INN, replacing an older
// one. The response must be JSON.
func (s *Store) CacheParty(ctx context.Context, inn string, response []byte) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO registry_parties (inn, response, fetched_at) VALUES ($1, $2::jsonb, $3)
		ON CONFLICT (inn) DO UPDATE SET response = EXCLUDED.response, fetched_at = EXCLUDED.fetched_at`,
		inn, string(response), s.now())
	return translate(err, "registry cache")
}

// Filled is a company after a registry lookup: what changed, by the
// company's JSON field names, and the director, which Company does not
// carry.
type Filled struct {
	Company      Company  `json:"company"`
	Director     string   `json:"director"`
	DirectorPost string   `json:"director_post"`
	Changed      []string `json:"changed"`
}

// FillCompany fills the company's empty requisites from a party: name,
// inn, kpp, ogrn, address, director (with its post). A field the manager
// has typed is never overwritten, even when the registry disagrees, and
// an empty value of the party changes nothing. Errors: ENOTFOUND,
// ECONFLICT (the INN is another company's).
func (s *Store) FillCompany(ctx context.Context, id int64, p Party) (Filled, error) {
	var out Filled
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var c Company
		var director, post string
		err := tx.QueryRow(ctx, `SELECT name, inn, kpp, ogrn, address, director, director_post
			FROM companies WHERE id = $1 AND merged_into IS NULL FOR UPDATE`, id).
			Scan(&c.Name, &c.INN, &c.KPP, &c.OGRN, &c.Address, &director, &post)
		if err != nil {
			return translate(err, "company")
		}
		changed := []string{}
		fill := func(field string, dst *string, v string) {
			if *dst == "" && v != "" {
				*dst = v
				changed = append(changed, field)
			}
		}
		fillPtr := func(field string, dst **string, v string) {
			if (*dst == nil || **dst == "") && v != "" {
				*dst = &v
				changed = append(changed, field)
			}
		}
		fill("name", &c.Name, p.Name)
		fillPtr("inn", &c.INN, p.INN)
		fillPtr("kpp", &c.KPP, p.KPP)
		fillPtr("ogrn", &c.OGRN, p.OGRN)
		fill("address", &c.Address, p.Address)
		if director == "" && p.Director != "" {
			director, post = p.Director, p.DirectorPost
			changed = append(changed, "director")
		}
		out.Changed = changed
		if len(changed) == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE companies SET name = $2, inn = $3, kpp = $4, ogrn = $5, address = $6,
			director = $7, director_post = $8, updated_at = $9 WHERE id = $1`,
			id, c.Name, c.INN, c.KPP, c.OGRN, c.Address, director, post, s.now())
		return translate(err, "company with this INN")
	})
	if err != nil {
		return Filled{}, err
	}
	if out.Company, err = s.Company(ctx, id); err != nil {
		return Filled{}, err
	}
	err = s.pool.QueryRow(ctx, `SELECT director, director_post FROM companies WHERE id = $1`, id).Scan(&out.Director, &out.DirectorPost)
	return out, translate(err, "company")
}
