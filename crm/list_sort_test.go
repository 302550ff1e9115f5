package crm_test

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"testing"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

// Deals listed by amount come largest first (smallest with Oldest), ties
// by id, and paging by the cursor neither skips nor repeats a deal.
func TestDealsByAmountPageWithoutGapsOrRepeats(t *testing.T) {
	ctx := context.Background()
	db := crmtest.MustOpenDB(t)
	if err := db.Store.ReconcilePipelines(ctx, []crm.Pipeline{{Key: "sales", Name: "Продажи", Default: true, Stages: []crm.Stage{
		{Key: "new", Name: "Новая", Semantic: "progress"}, {Key: "won", Name: "Успех", Semantic: "won"}, {Key: "lost", Name: "Провал", Semantic: "lost"}}}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 23; i++ {
		amount := fmt.Sprintf("%d.50", (i*7)%5*1000) // five amounts, many ties
		title := fmt.Sprint("Сделка ", i)
		if _, err := db.Store.CreateDeal(ctx, crm.DealInput{Title: &title, Amount: &amount}, crm.Actor{Kind: "api"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, asc := range []bool{false, true} {
		var got []crm.Deal
		cursor := ""
		for pages := 0; pages < 10; pages++ {
			page, next, err := db.Store.Deals(ctx, crm.DealFilter{ByAmount: true, Oldest: asc, Limit: 5, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page...)
			if cursor = next; cursor == "" {
				break
			}
		}
		if len(got) != 23 {
			t.Fatalf("asc=%v: %d deals over the pages, want 23", asc, len(got))
		}
		ok := slices.IsSortedFunc(got, func(a, b crm.Deal) int {
			x, _ := new(big.Rat).SetString(a.Amount)
			y, _ := new(big.Rat).SetString(b.Amount)
			c := x.Cmp(y)
			if c == 0 {
				c = int(a.ID - b.ID)
			}
			if !asc {
				c = -c
			}
			return c
		})
		if !ok {
			t.Errorf("asc=%v: not in order", asc)
		}
	}
	if _, _, err := db.Store.Deals(ctx, crm.DealFilter{ByAmount: true, Cursor: "12,x"}); crm.ErrorCode(err) != crm.EINVALID {
		t.Errorf("a made-up cursor: %v, want invalid", err)
	}
}
