package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leadd/leadd/dedupe"
)

// Seeded contacts have phones +7 916 0000000 and up: one block, so a
// rerun finds them and the posted new callers never collide with them.
const seedBase = 79160000000

var firstNames = []string{"Иван", "Мария", "Алексей", "Ольга", "Дмитрий", "Елена", "Сергей", "Анна", "Павел", "Наталья",
	"Андрей", "Татьяна", "Михаил", "Юлия", "Николай", "Ирина"}
var lastNames = []string{"Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов",
	"Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев"}
var comments = []string{"", "Перезвоните, пожалуйста", "Нужен счёт на оплату", "Интересует доставка в Казань",
	"Сколько стоит годовое обслуживание?", "Хочу оптовые цены", "Звонить после 18:00"}

// Mobile codes for new callers; 916 is left to the seeded contacts.
var mobileCodes = []string{"903", "905", "906", "909", "915", "917", "925", "926", "929", "977", "985", "999"}

// seedContacts tops the contacts up to want with phone-only contacts owned
// round-robin by the active managers, and returns how many it added.
// The managers are the daemon's: it must have started once.
func seedContacts(ctx context.Context, pool *pgxpool.Pool, want int) (int, error) {
	var have int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM contacts`).Scan(&have); err != nil {
		return 0, fmt.Errorf("count contacts: %w", err)
	}
	if have >= want {
		return 0, nil
	}
	var managers []int64
	rows, err := pool.Query(ctx, `SELECT id FROM managers WHERE active ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("managers: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		managers = append(managers, id)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("managers: %w", err)
	}
	if len(managers) == 0 {
		return 0, errors.New("no active managers: start the daemon once (it seeds the demo managers)")
	}
	var last int64
	if err := pool.QueryRow(ctx, `SELECT coalesce(max(substr(identity, 6)::bigint), 0) FROM contact_identities
		WHERE identity LIKE 'tel:+7916%'`).Scan(&last); err != nil {
		return 0, fmt.Errorf("seeded phones: %w", err)
	}
	next := max(last+1, seedBase)
	add := want - have
	names, phones, owners := make([]string, add), make([]string, add), make([]int64, add)
	for i := range add {
		names[i] = lastNames[i%len(lastNames)] + " " + firstNames[i/len(lastNames)%len(firstNames)]
		phones[i] = "+" + strconv.FormatInt(next+int64(i), 10)
		owners[i] = managers[i%len(managers)]
	}
	_, err = pool.Exec(ctx, `WITH c AS (
			INSERT INTO contacts (name, phones, manager_id)
			SELECT n, ARRAY[p], m FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(n, p, m)
			RETURNING id, phones[1] AS phone)
		INSERT INTO contact_identities (identity, contact_id) SELECT 'tel:' || phone, id FROM c`, names, phones, owners)
	if err != nil {
		return 0, fmt.Errorf("seed contacts: %w", err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE contacts, contact_identities`); err != nil {
		return 0, fmt.Errorf("analyze: %w", err)
	}
	return add, nil
}

// planned is one post: the body, and what the daemon should make of it.
type planned struct {
	body      string
	e164      string
	returning bool
}

type plan struct {
	posts []planned
}

func (p *plan) returningCount() int {
	n := 0
	for _, x := range p.posts {
		if x.returning {
			n++
		}
	}
	return n
}

// newPlan writes the run's posts: round(n*returning) of them from known
// contacts (a contact may call twice), the rest from phones no contact and
// no open lead has, each phone in one of the ways people type them. Every
// phone is checked to normalize to the number meant.
func newPlan(ctx context.Context, pool *pgxpool.Pool, o options) (*plan, error) {
	rng := rand.New(rand.NewPCG(o.seed, o.seed^0x9e3779b97f4a7c15))
	nReturning := int(float64(o.n)*o.returning + 0.5)
	var known []string
	if nReturning > 0 {
		rows, err := pool.Query(ctx, `SELECT substr(identity, 5) FROM contact_identities WHERE identity LIKE 'tel:+79%'`)
		if err != nil {
			return nil, fmt.Errorf("known phones: %w", err)
		}
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				return nil, err
			}
			known = append(known, p)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("known phones: %w", err)
		}
		if len(known) == 0 {
			return nil, errors.New("no known contact has a Russian mobile to call from")
		}
	}
	fresh, err := freshPhones(ctx, pool, rng, o.n-nReturning)
	if err != nil {
		return nil, err
	}
	run := strconv.FormatUint(o.seed%1e8, 36)
	norm := dedupe.Normalizer{Region: "RU"}
	p := &plan{posts: make([]planned, o.n)}
	returning := rng.Perm(o.n)[:nReturning]
	isReturning := make([]bool, o.n)
	for _, i := range returning {
		isReturning[i] = true
	}
	for i := range p.posts {
		x := planned{returning: isReturning[i]}
		v := url.Values{}
		if x.returning {
			x.e164 = known[rng.IntN(len(known))]
		} else {
			x.e164, fresh = fresh[0], fresh[1:]
			if rng.Float64() < o.emails {
				v.Set("email", fmt.Sprintf("lb-%s-%d@example.ru", run, i))
			}
		}
		typed := formatPhone(x.e164, rng.IntN(len(phoneFormats)))
		if got, ok := norm.Phone(typed); !ok || got != x.e164 {
			return nil, fmt.Errorf("plan: %q normalizes to %q, not %q", typed, got, x.e164)
		}
		v.Set("name", firstNames[rng.IntN(len(firstNames))]+" "+lastNames[rng.IntN(len(lastNames))])
		v.Set("phone", typed)
		if c := comments[rng.IntN(len(comments))]; c != "" {
			v.Set("comment", c)
		}
		x.body = v.Encode()
		p.posts[i] = x
	}
	return p, nil
}

// freshPhones returns n distinct valid mobiles that neither a contact nor
// an open lead has.
func freshPhones(ctx context.Context, pool *pgxpool.Pool, rng *rand.Rand, n int) ([]string, error) {
	norm := dedupe.Normalizer{Region: "RU"}
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for len(out) < n {
		var batch []string
		for len(out)+len(batch) < n {
			p := "+7" + mobileCodes[rng.IntN(len(mobileCodes))] + fmt.Sprintf("%07d", rng.IntN(1e7))
			if seen[p] {
				continue
			}
			if _, ok := norm.Phone(p); !ok {
				continue
			}
			seen[p] = true
			batch = append(batch, p)
		}
		ids := make([]string, len(batch))
		for i, p := range batch {
			ids[i] = "tel:" + p
		}
		taken := map[string]bool{}
		rows, err := pool.Query(ctx, `SELECT identity FROM contact_identities WHERE identity = ANY($1)
			UNION SELECT identity FROM lead_identities WHERE identity = ANY($1)`, ids)
		if err != nil {
			return nil, fmt.Errorf("check new phones: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			taken[id[4:]] = true
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("check new phones: %w", err)
		}
		for _, p := range batch {
			if !taken[p] {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// phoneFormats are ways a Russian mobile +7 ABC DEF GH IJ gets typed.
var phoneFormats = []func(code, a, b, c string) string{
	func(code, a, b, c string) string { return "8 (" + code + ") " + a + "-" + b + "-" + c },
	func(code, a, b, c string) string { return "+7 " + code + " " + a + " " + b + " " + c },
	func(code, a, b, c string) string { return "+7 (" + code + ") " + a + "-" + b + "-" + c },
	func(code, a, b, c string) string { return "8" + code + a + b + c },
	func(code, a, b, c string) string { return "+7" + code + a + b + c },
	func(code, a, b, c string) string { return "7-" + code + "-" + a + "-" + b + "-" + c },
}

func formatPhone(e164 string, style int) string {
	d := e164[2:] // the ten digits after +7
	return phoneFormats[style](d[:3], d[3:6], d[6:8], d[8:])
}
