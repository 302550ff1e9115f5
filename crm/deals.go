package crm

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Deal statuses, from the semantic of its stage.
const (
	DealOpen = "open"
	DealWon  = "won"
	DealLost = "lost"
)

// Deal is a qualified sale moving through a pipeline.
type Deal struct {
	ID            int64      `json:"id"`
	Title         string     `json:"title"`
	Pipeline      string     `json:"pipeline"`
	Stage         string     `json:"stage"`
	StageName     string     `json:"stage_name"`
	Status        string     `json:"status"` // open, won, lost
	ContactID     *int64     `json:"contact_id"`
	CompanyID     *int64     `json:"company_id"`
	ManagerID     *int64     `json:"manager_id"`
	LeadID        *int64     `json:"lead_id"`
	Currency      string     `json:"currency"`
	Amount        string     `json:"amount"`     // a decimal string: "1200.50"; with lines, their sum
	VATAmount     string     `json:"vat_amount"` // the VAT in it, the sum of the lines' rounded VAT
	ExpectedClose *string    `json:"expected_close"`
	LossReason    *string    `json:"loss_reason"`
	ClosedAt      *time.Time `json:"closed_at"`
	Fields        Fields     `json:"fields"` // custom fields (configs: fields.deal)
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

const dealColumns = `d.id, d.title, p.key, s.key, s.name, CASE s.semantic WHEN 'won' THEN 'won' WHEN 'lost' THEN 'lost' ELSE 'open' END,
	d.contact_id, d.company_id, d.manager_id, d.lead_id, d.currency, d.amount::text, d.vat_amount::text, to_char(d.expected_close, 'YYYY-MM-DD'),
	d.loss_reason, d.closed_at, d.fields, d.created_at, d.updated_at`

const dealFrom = ` FROM deals d JOIN pipelines p ON p.id = d.pipeline_id JOIN stages s ON s.id = d.stage_id`

func scanDeal(row pgx.Row) (Deal, error) {
	var d Deal
	err := row.Scan(&d.ID, &d.Title, &d.Pipeline, &d.Stage, &d.StageName, &d.Status, &d.ContactID, &d.CompanyID, &d.ManagerID,
		&d.LeadID, &d.Currency, &d.Amount, &d.VATAmount, &d.ExpectedClose, &d.LossReason, &d.ClosedAt, &d.Fields, &d.CreatedAt, &d.UpdatedAt)
	return d, err
}

var moneyRe = regexp.MustCompile(`^-?\d{1,16}(\.\d{1,2})?$`)

// DealInput creates or changes a deal; nil fields are left as they are
// (or take their defaults on create).
type DealInput struct {
	Title         *string `json:"title"`
	Pipeline      *string `json:"pipeline"`
	Stage         *string `json:"stage"`
	ContactID     *int64  `json:"contact_id"`
	CompanyID     *int64  `json:"company_id"`
	ManagerID     *int64  `json:"manager_id"`
	Currency      *string `json:"currency"`
	Amount        *string `json:"amount"`
	ExpectedClose *string `json:"expected_close"`
	// Fields are merged into the deal's custom fields ("" removes one).
	Fields Fields `json:"fields"`
}

func (in *DealInput) validate() error {
	if in.Title != nil && strings.TrimSpace(*in.Title) == "" {
		return Invalid("title", "must not be empty")
	}
	if in.Currency != nil && !regexp.MustCompile(`^[A-Z]{3}$`).MatchString(*in.Currency) {
		return Invalid("currency", "must be an ISO 4217 code like RUB, not %q", *in.Currency)
	}
	if in.Amount != nil && !moneyRe.MatchString(*in.Amount) {
		return Invalid("amount", "must be a decimal string like \"1200.50\", not %q", *in.Amount)
	}
	if in.ExpectedClose != nil && *in.ExpectedClose != "" {
		if _, err := time.Parse(time.DateOnly, *in.ExpectedClose); err != nil {
			return Invalid("expected_close", "must be a date YYYY-MM-DD, not %q", *in.ExpectedClose)
		}
	}
	return nil
}

// CreateDeal opens a deal by hand, in the first stage of its pipeline (the
// default when none is named). Errors: EINVALID.
func (s *Store) CreateDeal(ctx context.Context, in DealInput, by Actor) (Deal, error) {
	if err := in.validate(); err != nil {
		return Deal{}, err
	}
	if in.Title == nil {
		return Deal{}, Invalid("title", "is required")
	}
	f, err := s.FieldSet().Apply(FieldsDeal, nil, in.Fields, true)
	if err != nil {
		return Deal{}, err
	}
	in.Fields = f
	var id int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		id, err = createDeal(ctx, tx, in, nil, by, s.now())
		return err
	})
	if err != nil {
		return Deal{}, err
	}
	return s.Deal(ctx, id)
}

// createDeal writes a deal and its first stage in history.
func createDeal(ctx context.Context, tx pgx.Tx, in DealInput, leadID *int64, by Actor, now time.Time) (int64, error) {
	p, err := pipelineByKey(ctx, tx, deref(in.Pipeline), "pipeline")
	if err != nil {
		return 0, err
	}
	st := p.Stages[0]
	if in.Stage != nil {
		var ok bool
		if st, ok = p.stage(*in.Stage); !ok {
			return 0, Invalid("stage", "pipeline %s has no stage %q", p.Key, *in.Stage)
		}
	}
	currency, amount := "RUB", "0"
	set(&currency, in.Currency)
	set(&amount, in.Amount)
	var closed *time.Time
	if st.Closed() {
		closed = &now
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO deals (title, pipeline_id, stage_id, contact_id, company_id, manager_id, lead_id,
			currency, amount, expected_close, closed_at, created_at, updated_at, fields)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::numeric, $10::date, $11, $12, $12, $13) RETURNING id`,
		strings.TrimSpace(*in.Title), p.ID, st.ID, in.ContactID, in.CompanyID, in.ManagerID, leadID,
		currency, amount, nilIfEmpty(in.ExpectedClose), closed, now, nonNilFields(in.Fields)).Scan(&id)
	if err != nil {
		return 0, translate(err, "deal")
	}
	if err := recordStageMove(ctx, tx, id, nil, st.ID, now, by); err != nil {
		return 0, err
	}
	return id, Enqueue(ctx, tx, "deal.created:"+strconv.FormatInt(id, 10), DealCreated{DealID: id, ManagerID: in.ManagerID, LeadID: leadID})
}

func nilIfEmpty(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

// Deal returns one deal. Errors: ENOTFOUND.
func (s *Store) Deal(ctx context.Context, id int64) (Deal, error) {
	d, err := scanDeal(s.pool.QueryRow(ctx, `SELECT `+dealColumns+dealFrom+` WHERE d.id = $1`, id))
	return d, translate(err, "deal")
}

// DealFilter selects deals, newest first.
type DealFilter struct {
	Pipeline  string
	Stage     string
	Status    string // open, won, lost
	ManagerID *int64
	ContactID *int64
	CompanyID *int64
	Fields    []FieldCond
	Channel   string    // the channel of the lead the deal came from
	From, To  time.Time // created within (zero: open-ended)
	Oldest    bool      // oldest first instead of newest; with ByAmount, smallest first
	ByAmount  bool      // largest amount first
	Limit     int
	Cursor    string
	// Drill, when set, narrows the list to the deals behind a report's figure.
	Drill *Drill
}

// dealScope adds the conditions the board and the list share.
func dealScope(q *listQuery, managerID *int64, channel string, from, to time.Time) {
	if managerID != nil {
		q.add("d.manager_id = ?", *managerID)
	}
	if channel != "" {
		q.add("EXISTS (SELECT 1 FROM leads l WHERE l.id = d.lead_id AND l.channel = ?)", channel)
	}
	if !from.IsZero() {
		q.add("d.created_at >= ?", from)
	}
	if !to.IsZero() {
		q.add("d.created_at < ?", to)
	}
}

// Deals lists deals matching f and the next page's cursor. Errors:
// EINVALID.
func (s *Store) Deals(ctx context.Context, f DealFilter) ([]Deal, string, error) {
	f.Limit = pageSize(f.Limit)
	q := newListQuery("TRUE")
	if f.Pipeline != "" {
		q.add("p.key = ?", f.Pipeline)
	}
	if f.Stage != "" {
		q.add("s.key = ?", f.Stage)
	}
	switch f.Status {
	case "":
	case DealOpen:
		q.raw("d.closed_at IS NULL")
	case DealWon, DealLost:
		q.add("s.semantic = ?", f.Status)
	default:
		return nil, "", Invalid("status", "must be open, won or lost, not %q", f.Status)
	}
	dealScope(q, f.ManagerID, f.Channel, f.From, f.To)
	if f.ContactID != nil {
		q.add("d.contact_id = ?", *f.ContactID)
	}
	if f.CompanyID != nil {
		q.add("d.company_id = ?", *f.CompanyID)
	}
	err := s.FieldSet().filter(q, FieldsDeal, "d.fields", f.Fields)
	if err != nil {
		return nil, "", err
	}
	if f.Drill != nil {
		if err := f.Drill.apply(ctx, q, s.pool, "deals"); err != nil {
			return nil, "", err
		}
	}
	var tail string
	var args []any
	if f.ByAmount {
		tail, args, err = q.pageByAmount(f.Cursor, f.Oldest, f.Limit)
	} else {
		// One contact's or company's deals: found by their index, then
		// sorted, not met by walking every deal newest first.
		order := "d.id"
		if f.ContactID != nil || f.CompanyID != nil {
			order = "(d.id + 0)"
		}
		tail, args, err = q.page(order, f.Cursor, f.Oldest, f.Limit)
	}
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+dealColumns+dealFrom+tail, args...)
	if err != nil {
		return nil, "", translate(err, "deals")
	}
	deals, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Deal, error) { return scanDeal(r) })
	if err != nil {
		return nil, "", translate(err, "deals")
	}
	if f.ByAmount {
		if len(deals) <= f.Limit {
			return deals, "", nil
		}
		deals = deals[:f.Limit]
		last := deals[len(deals)-1]
		return deals, last.Amount + "," + strconv.FormatInt(last.ID, 10), nil
	}
	return page(deals, f.Limit, func(d Deal) int64 { return d.ID })
}

// UpdateDeal changes a deal's fields (not its stage: MoveDeal). Errors:
// ENOTFOUND, EINVALID.
func (s *Store) UpdateDeal(ctx context.Context, id int64, in DealInput) (Deal, error) {
	if err := in.validate(); err != nil {
		return Deal{}, err
	}
	if in.Pipeline != nil || in.Stage != nil {
		return Deal{}, Invalid("stage", "move a deal with POST /api/v1/deals/{id}/stage")
	}
	if in.Amount != nil {
		var lines bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM deal_lines WHERE deal_id = $1)`, id).Scan(&lines); err != nil {
			return Deal{}, translate(err, "deal")
		}
		if lines {
			return Deal{}, Invalid("amount", "a deal with lines takes its amount from them")
		}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var cur Fields
		if err := tx.QueryRow(ctx, `SELECT fields FROM deals WHERE id = $1 FOR UPDATE`, id).Scan(&cur); err != nil {
			return translate(err, "deal")
		}
		fields, err := s.FieldSet().Apply(FieldsDeal, cur, in.Fields, false)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE deals SET title = coalesce($2, title), contact_id = coalesce($3, contact_id),
			company_id = coalesce($4, company_id), manager_id = coalesce($5, manager_id), currency = coalesce($6, currency),
			amount = coalesce($7::numeric, amount),
			expected_close = CASE WHEN $8::text IS NULL THEN expected_close WHEN $8 = '' THEN NULL ELSE $8::date END,
			updated_at = $9, fields = $10
		WHERE id = $1`, id, in.Title, in.ContactID, in.CompanyID, in.ManagerID, in.Currency, in.Amount, in.ExpectedClose, s.now(),
			nonNilFields(fields))
		return translate(err, "deal")
	})
	if err != nil {
		return Deal{}, err
	}
	return s.Deal(ctx, id)
}

// MoveDeal moves a deal to another stage of its pipeline; a lost stage
// needs a loss reason. Every move is recorded (from, to, when, who); moving
// to the stage it is in changes nothing. Errors: ENOTFOUND, EINVALID.
func (s *Store) MoveDeal(ctx context.Context, id int64, stage, lossReason string, by Actor) (Deal, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var pipelineID, from int64
		if err := tx.QueryRow(ctx, `SELECT pipeline_id, stage_id FROM deals WHERE id = $1 FOR UPDATE`, id).Scan(&pipelineID, &from); err != nil {
			return translate(err, "deal")
		}
		ps, err := pipelines(ctx, tx)
		if err != nil {
			return err
		}
		var p Pipeline
		for _, x := range ps {
			if x.ID == pipelineID {
				p = x
			}
		}
		to, ok := p.stage(stage)
		if !ok {
			return Invalid("stage", "pipeline %s has no stage %q", p.Key, stage)
		}
		if to.ID == from {
			return nil
		}
		var reason *string
		if to.Semantic == StageLost {
			if lossReason == "" {
				return Invalid("loss_reason", "a lost deal needs the reason")
			}
			if len(p.LossReasons) > 0 && !containsStr(p.LossReasons, lossReason) {
				return Invalid("loss_reason", "must be one of %v", p.LossReasons)
			}
			reason = &lossReason
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE deals SET stage_id = $2, loss_reason = $3, updated_at = $4,
				closed_at = CASE WHEN $5 THEN coalesce(closed_at, $4) END
			WHERE id = $1`, id, to.ID, reason, now, to.Closed()); err != nil {
			return translate(err, "deal")
		}
		if err := recordStageMove(ctx, tx, id, &from, to.ID, now, by); err != nil {
			return err
		}
		moved, err := scanDeal(tx.QueryRow(ctx, `SELECT `+dealColumns+dealFrom+` WHERE d.id = $1`, id))
		if err != nil {
			return translate(err, "deal")
		}
		if err := s.Automation.schedule(ctx, tx, moved, now); err != nil {
			return err
		}
		return Enqueue(ctx, tx, "deal.stage:"+strconv.FormatInt(id, 10)+":"+strconv.FormatInt(now.UnixNano(), 10),
			DealStageChanged{DealID: id, Pipeline: p.Key, To: to.Key, Semantic: to.Semantic})
	})
	if err != nil {
		return Deal{}, err
	}
	return s.Deal(ctx, id)
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// StageMove is one entry of a deal's stage history.
type StageMove struct {
	DealID      int64     `json:"deal_id"`
	From        *string   `json:"from"` // stage key; null for the first
	FromName    *string   `json:"from_name"`
	To          string    `json:"to"`
	ToName      string    `json:"to_name"`
	At          time.Time `json:"at"`
	ByManagerID *int64    `json:"by_manager_id"`
	// By is who moved it: a manager (with their name), a token, an
	// automation rule, a payment; null only for moves recorded before
	// Leadd kept it.
	By *Actor `json:"by"`
}

// recordStageMove writes one line of a deal's stage history.
func recordStageMove(ctx context.Context, tx pgx.Tx, dealID int64, from *int64, to int64, at time.Time, by Actor) error {
	_, err := tx.Exec(ctx, `INSERT INTO deal_stage_history (deal_id, from_stage_id, to_stage_id, at, by_manager_id, by_kind, by_name)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, dealID, from, to, at, by.ManagerID, by.kindPtr(), by.Name)
	return translate(err, "deal history")
}

// stageMoveBy reads who made a move from its history row; a manager's
// name is their own, not their token's.
func stageMoveBy(kind *string, managerID *int64, name string, managerName *string) *Actor {
	if kind == nil && managerID == nil {
		return nil
	}
	a := &Actor{Kind: ActorManager, ManagerID: managerID, Name: name}
	if kind != nil {
		a.Kind = *kind
	}
	if managerName != nil {
		a.Name = *managerName
	}
	return a
}

// DealHistory returns a deal's stage moves, oldest first. Errors:
// ENOTFOUND.
func (s *Store) DealHistory(ctx context.Context, id int64) ([]StageMove, error) {
	if _, err := s.Deal(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+stageMoveColumns+stageMoveFrom+` WHERE h.deal_id = $1 ORDER BY h.id`, id)
	if err != nil {
		return nil, translate(err, "deal history")
	}
	out, err := pgx.CollectRows(rows, scanStageMove)
	return out, translate(err, "deal history")
}

const stageMoveColumns = `h.id, h.deal_id, f.key, f.name, t.key, t.name, h.at, h.by_manager_id, h.by_kind, h.by_name, m.name`

const stageMoveFrom = ` FROM deal_stage_history h JOIN stages t ON t.id = h.to_stage_id LEFT JOIN stages f ON f.id = h.from_stage_id
	LEFT JOIN managers m ON m.id = h.by_manager_id`

func scanStageMove(r pgx.CollectableRow) (StageMove, error) {
	_, m, err := scanStageMoveID(r)
	return m, err
}

// scanStageMoveID reads a history row and its id.
func scanStageMoveID(r pgx.CollectableRow) (int64, StageMove, error) {
	var m StageMove
	var id int64
	var kind, managerName *string
	var name string
	err := r.Scan(&id, &m.DealID, &m.From, &m.FromName, &m.To, &m.ToName, &m.At, &m.ByManagerID, &kind, &name, &managerName)
	m.By = stageMoveBy(kind, m.ByManagerID, name, managerName)
	return id, m, err
}
