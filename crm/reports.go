package crm

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Reports are computed from the facts that migration 070 keeps beside the
// records (see crm/schema/070_reports.sql): one pass over a narrow index
// per report, grouped in SQL, folded in Go. Every figure carries the URL of
// the list behind it (see Drill).

// ReportNames are the reports GET /api/v1/reports/{name} answers.
var ReportNames = []string{"funnel", "pipeline", "sources", "speed", "workload", "plan"}

// ReportQuery is what a report is asked: its filter, the viewer's time
// zone, and the rules that come from the configuration.
type ReportQuery struct {
	Filter    ReportFilter
	Loc       *time.Location
	SLA       time.Duration // the response-time target (followup.sla)
	StuckDays int           // a deal with no activity this long is stuck
	// Currency is the currency a report's sums are in (RUB when none is
	// asked): deals in other currencies are counted but never added to
	// them; the report says how many there are.
	Currency string
}

// BaseCurrency is the currency reports sum in unless asked for another.
const BaseCurrency = "RUB"

func (rq ReportQuery) currency() string {
	if rq.Currency == "" {
		return BaseCurrency
	}
	return rq.Currency
}

// OtherCurrency is how many of a report's deals are in a currency other
// than the one its sums are in, and their sum in that currency.
type OtherCurrency struct {
	Currency string            `json:"currency"`
	Deals    int               `json:"deals"`
	Sum      string            `json:"sum"`
	Links    map[string]string `json:"links"`
}

// otherCurrencies gathers the deals a report counted in currencies other
// than its own, each with the list of them (by the drill-down figure fig
// over filter f).
type otherCurrencies map[string]*OtherCurrency

func (o otherCurrencies) add(currency string, n int, sum string) {
	x := o[currency]
	if x == nil {
		x = &OtherCurrency{Currency: currency, Sum: "0.00"}
		o[currency] = x
	}
	x.Deals, x.Sum = x.Deals+n, sumDecimal(x.Sum, sum)
}

func (o otherCurrencies) list(link func(currency string) string) []OtherCurrency {
	out := []OtherCurrency{}
	for _, x := range o {
		l := link(x.Currency)
		x.Links = map[string]string{"deals": l, "sum": l}
		out = append(out, *x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

// Decimal is an exact amount as a decimal string ("1200.50"): a sum of
// money, or a percent with one decimal.
type Decimal string

// Tabular is a report that can be written as tables.
type Tabular interface {
	Tables() []Table
}

// SetReadPool sends the reports' queries to pool (a replica); nil sends
// them to the main pool.
func (s *Store) SetReadPool(pool *pgxpool.Pool) { s.read = pool }

func (s *Store) reader() Querier {
	if s.read != nil {
		return s.read
	}
	return s.pool
}

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// readTx runs f in a read-only transaction on the read pool, with memory
// enough for the percentiles to sort in.
func (s *Store) readTx(ctx context.Context, f func(tx pgx.Tx) error) error {
	var pool *pgxpool.Pool = s.pool
	if s.read != nil {
		pool = s.read
	}
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		// JIT compiling costs a report 50–150 ms and saves less than that.
		if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '64MB'; SET LOCAL jit = off`); err != nil {
			return err
		}
		return f(tx)
	})
}

// Percent is a share as a percent with one decimal; nil when there is no
// base to take it of.
func Percent(part, whole int) *float64 {
	if whole == 0 {
		return nil
	}
	v := math.Round(float64(part)*1000/float64(whole)) / 10
	return &v
}

// ManagerRef names a manager in a report's breakdown.
type ManagerRef struct {
	ID   int64  `json:"manager_id"`
	Name string `json:"manager"`
}

// managerNames maps every manager's id to their name.
func managerNames(ctx context.Context, q Querier) (map[int64]string, error) {
	rows, err := q.Query(ctx, `SELECT id, name FROM managers`)
	if err != nil {
		return nil, translate(err, "managers")
	}
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, translate(rows.Err(), "managers")
}

func managerRef(names map[int64]string, id *int64) ManagerRef {
	if id == nil {
		return ManagerRef{Name: "Без ответственного"}
	}
	n, ok := names[*id]
	if !ok {
		n = fmt.Sprintf("Менеджер %d", *id)
	}
	return ManagerRef{ID: *id, Name: n}
}

func sortRefs[T any](rows []T, ref func(T) ManagerRef) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := ref(rows[i]), ref(rows[j])
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
}

// sumDecimal adds decimal strings exactly.
func sumDecimal(xs ...string) string {
	t := new(big.Rat)
	for _, x := range xs {
		if r, ok := new(big.Rat).SetString(x); ok {
			t.Add(t, r)
		}
	}
	return formatKopecks(t)
}

// divDecimal is a/n rounded to kopecks, or nil when n is 0.
func divDecimal(a string, n int) *string {
	if n == 0 {
		return nil
	}
	r, ok := new(big.Rat).SetString(a)
	if !ok {
		return nil
	}
	s := formatKopecks(r.Quo(r, big.NewRat(int64(n), 1)))
	return &s
}

func pct(p *float64) any {
	if p == nil {
		return nil
	}
	return Decimal(fmt.Sprintf("%.1f", *p))
}

func dec(s *string) any {
	if s == nil {
		return nil
	}
	return Decimal(*s)
}

func secs(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func idPtr(id int64) *int64 { return &id }

// period is a report's period as the viewer reads it.
type period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}
