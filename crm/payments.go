package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Payment statuses.
const (
	PaymentPending = "pending"
	PaymentPaid    = "paid"
)

// Payment is a sum asked of a person for a deal, through a payment link,
// and whether the provider has reported it paid.
type Payment struct {
	ID        int64      `json:"id"`
	DealID    int64      `json:"deal_id"`
	Provider  string     `json:"provider"`
	InvID     int64      `json:"inv_id"` // the number the provider knows it by
	Amount    string     `json:"amount"` // a decimal string: "1200.50"
	Currency  string     `json:"currency"`
	Status    string     `json:"status"` // pending, paid
	CreatedAt time.Time  `json:"created_at"`
	PaidAt    *time.Time `json:"paid_at"`
}

const paymentColumns = `id, deal_id, provider, inv_id, amount::text, currency, status, created_at, paid_at`

func scanPayment(row pgx.Row) (Payment, error) {
	var p Payment
	err := row.Scan(&p.ID, &p.DealID, &p.Provider, &p.InvID, &p.Amount, &p.Currency, &p.Status, &p.CreatedAt, &p.PaidAt)
	return p, err
}

// CreatePayment asks amount of the deal's person ("" asks the deal's
// amount) and returns the pending payment, its InvId taken from its row.
// A lost deal takes no payment. Errors: ENOTFOUND (the deal), EINVALID.
func (s *Store) CreatePayment(ctx context.Context, dealID int64, amount string) (Payment, error) {
	var p Payment
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var dealAmount, currency, semantic string
		if err := tx.QueryRow(ctx, `SELECT d.amount::text, d.currency, s.semantic FROM deals d JOIN stages s ON s.id = d.stage_id
			WHERE d.id = $1 FOR SHARE OF d`, dealID).Scan(&dealAmount, &currency, &semantic); err != nil {
			return translate(err, "deal")
		}
		if semantic == StageLost {
			return Invalid("deal_id", "deal %d is lost: it takes no payment", dealID)
		}
		if amount == "" {
			amount = dealAmount
		}
		sum, err := parseDecimal(amount, "amount", 2)
		if err != nil {
			return err
		}
		if sum.Sign() <= 0 {
			return Invalid("amount", "must be more than zero; the deal's amount is %s", dealAmount)
		}
		p, err = scanPayment(tx.QueryRow(ctx, `WITH n AS (SELECT nextval(pg_get_serial_sequence('payments', 'id')) AS id)
			INSERT INTO payments (id, inv_id, deal_id, amount, currency, created_at)
			SELECT n.id, n.id, $1, $2::numeric, $3, $4 FROM n RETURNING `+paymentColumns,
			dealID, sum.FloatString(2), currency, s.now()))
		return translate(err, "payment")
	})
	return p, err
}

// Payment returns the payment the provider knows as invID. Errors:
// ENOTFOUND.
func (s *Store) Payment(ctx context.Context, invID int64) (Payment, error) {
	p, err := scanPayment(s.pool.QueryRow(ctx, `SELECT `+paymentColumns+` FROM payments WHERE inv_id = $1`, invID))
	return p, translate(err, "payment")
}

// outSumRe is a provider's sum: Robokassa writes up to six decimals
// ("1200.000000") in its notices.
var outSumRe = regexp.MustCompile(`^\d{1,16}(\.\d{1,6})?$`)

// MarkPaid records the provider's notice that invID is paid, once: in the
// same transaction it moves the deal to paidStage (when the deal's
// pipeline has that stage and the deal is still open) and tells the
// deal's manager through the outbox ("payment.received"). A repeated
// notice returns the payment with first false and changes nothing. The
// sum must be what was asked. Errors: ENOTFOUND (no such payment),
// EINVALID (another sum; nothing is changed).
func (s *Store) MarkPaid(ctx context.Context, invID int64, outSum, paidStage string, raw map[string]string) (Payment, bool, error) {
	if !outSumRe.MatchString(outSum) {
		return Payment{}, false, Invalid("OutSum", "must be a decimal sum like 1200.00, not %q", outSum)
	}
	paid, _ := new(big.Rat).SetString(outSum)
	rawJSON, err := json.Marshal(raw)
	if err != nil {
		return Payment{}, false, err
	}
	var p Payment
	first := false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		p, err = scanPayment(tx.QueryRow(ctx, `SELECT `+paymentColumns+` FROM payments WHERE inv_id = $1 FOR UPDATE`, invID))
		if err != nil {
			return translate(err, "payment")
		}
		asked, _ := new(big.Rat).SetString(p.Amount)
		if asked.Cmp(paid) != 0 {
			return Invalid("OutSum", "payment %d asked %s, the notice says %s", invID, p.Amount, outSum)
		}
		if p.Status == PaymentPaid {
			return nil
		}
		now := s.now()
		if p, err = scanPayment(tx.QueryRow(ctx, `UPDATE payments SET status = 'paid', paid_at = $2, raw = $3
			WHERE id = $1 RETURNING `+paymentColumns, p.ID, now, rawJSON)); err != nil {
			return translate(err, "payment")
		}
		first = true
		moved, err := s.moveOnPayment(ctx, tx, p.DealID, paidStage, now, fmt.Sprintf("%s payment %d", p.Provider, p.InvID))
		if err != nil {
			return err
		}
		var managerID *int64
		if err := tx.QueryRow(ctx, `SELECT manager_id FROM deals WHERE id = $1`, p.DealID).Scan(&managerID); err != nil {
			return translate(err, "deal")
		}
		return Enqueue(ctx, tx, "payment.received:"+strconv.FormatInt(p.ID, 10), PaymentReceived{PaymentID: p.ID,
			DealID: p.DealID, ManagerID: managerID, Amount: p.Amount, Currency: p.Currency,
			InvID: p.InvID, Provider: p.Provider, MovedTo: moved})
	})
	if err != nil {
		return Payment{}, false, err
	}
	return p, first, nil
}

// moveOnPayment moves a paid deal to stage inside the payment's
// transaction, as MoveDeal does (the update, the history row by nobody,
// the automation and the "deal.stage_changed" notice): MoveDeal owns its
// transaction, and a payment recorded without its move could not be
// retried, since the repeated notice changes nothing. A closed deal stays
// where it is, and so does a deal whose pipeline has no such stage; it
// returns the stage moved to, or nil.
func (s *Store) moveOnPayment(ctx context.Context, tx pgx.Tx, id int64, stage string, now time.Time, provider string) (*string, error) {
	if stage == "" {
		return nil, nil
	}
	var pipelineID, from int64
	var closed bool
	if err := tx.QueryRow(ctx, `SELECT pipeline_id, stage_id, closed_at IS NOT NULL FROM deals WHERE id = $1 FOR UPDATE`,
		id).Scan(&pipelineID, &from, &closed); err != nil {
		return nil, translate(err, "deal")
	}
	ps, err := pipelines(ctx, tx)
	if err != nil {
		return nil, err
	}
	var p Pipeline
	for _, x := range ps {
		if x.ID == pipelineID {
			p = x
		}
	}
	to, ok := p.stage(stage)
	if !ok || closed || to.ID == from || to.Semantic == StageLost {
		return nil, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE deals SET stage_id = $2, loss_reason = NULL, updated_at = $3,
			closed_at = CASE WHEN $4 THEN coalesce(closed_at, $3) END
		WHERE id = $1`, id, to.ID, now, to.Closed()); err != nil {
		return nil, translate(err, "deal")
	}
	if err := recordStageMove(ctx, tx, id, &from, to.ID, now, Actor{Kind: ActorPayment, Name: provider}); err != nil {
		return nil, err
	}
	moved, err := scanDeal(tx.QueryRow(ctx, `SELECT `+dealColumns+dealFrom+` WHERE d.id = $1`, id))
	if err != nil {
		return nil, translate(err, "deal")
	}
	if err := s.Automation.schedule(ctx, tx, moved, now); err != nil {
		return nil, err
	}
	if err := Enqueue(ctx, tx, "deal.stage:"+strconv.FormatInt(id, 10)+":"+strconv.FormatInt(now.UnixNano(), 10),
		DealStageChanged{DealID: id, Pipeline: p.Key, To: to.Key, Semantic: to.Semantic}); err != nil {
		return nil, err
	}
	return &to.Key, nil
}
