package crm

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// listQuery builds a list's WHERE clause — conditions with "?" for their
// parameter — and its keyset page: ordered by id, newest or oldest first,
// continuing after the cursor the previous page returned.
type listQuery struct {
	where string
	args  []any
}

func newListQuery(base string) *listQuery { return &listQuery{where: base} }

// add adds a condition whose "?" is v.
func (q *listQuery) add(cond string, v any) {
	q.args = append(q.args, v)
	q.where += " AND " + strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(q.args)))
}

// raw adds a condition with no parameter.
func (q *listQuery) raw(cond string) { q.where += " AND " + cond }

// page returns " WHERE … ORDER BY … LIMIT …" and its arguments for one
// page by the id column col, fetching one row more than limit to know
// whether another page follows. Errors: EINVALID for a cursor this API
// did not return.
func (q *listQuery) page(col, cursor string, oldest bool, limit int) (string, []any, error) {
	o := order(oldest)
	if cursor != "" {
		after, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || after <= 0 {
			return "", nil, Invalid("cursor", "not a cursor this API returned")
		}
		q.add(col+" "+o.cmp+" ?", after)
	}
	args := append(q.args, limit+1)
	return " WHERE " + q.where + " ORDER BY " + col + " " + o.dir + " LIMIT $" + strconv.Itoa(len(args)), args, nil
}

// pageByAmount is page for deals by amount, largest first (smallest with
// asc), ties by id; the cursor is "amount,id" of the last deal shown.
func (q *listQuery) pageByAmount(cursor string, asc bool, limit int) (string, []any, error) {
	o := order(asc)
	if cursor != "" {
		amount, id, ok := strings.Cut(cursor, ",")
		after, err := strconv.ParseInt(id, 10, 64)
		if _, ok2 := new(big.Rat).SetString(amount); !ok || !ok2 || err != nil || after <= 0 {
			return "", nil, Invalid("cursor", "not a cursor this API returned")
		}
		q.args = append(q.args, amount, after)
		n := len(q.args)
		q.raw(fmt.Sprintf("(d.amount, d.id) %s ($%d::numeric, $%d)", o.cmp, n-1, n))
	}
	args := append(q.args, limit+1)
	return " WHERE " + q.where + " ORDER BY d.amount " + o.dir + ", d.id " + o.dir + " LIMIT $" + strconv.Itoa(len(args)), args, nil
}

// sortOrder is a list's direction: newest first (by id, descending) or
// oldest first; the cursor continues in it.
type sortOrder struct{ dir, cmp string }

func order(oldest bool) sortOrder {
	if oldest {
		return sortOrder{"ASC", ">"}
	}
	return sortOrder{"DESC", "<"}
}

func pageSize(n int) int {
	if n <= 0 {
		return 50
	}
	return min(n, MaxPage)
}

// page cuts a list fetched with one extra item into a page and a cursor.
func page[T any](items []T, limit int, id func(T) int64) ([]T, string, error) {
	if len(items) <= limit {
		return items, "", nil
	}
	items = items[:limit]
	return items, strconv.FormatInt(id(items[len(items)-1]), 10), nil
}
