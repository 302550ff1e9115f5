package crm

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Rule is a stage automation from the configuration: when a deal enters a
// stage (and the conditions hold), after a delay, create an activity or
// run a tunnel — copy or move the deal into another pipeline's stage.
// Each rule fires at most once per deal, however often it moves back and
// forth.
type Rule struct {
	Name     string         `yaml:"name" json:"name"`
	Pipeline string         `yaml:"pipeline" json:"pipeline"`
	OnEnter  string         `yaml:"on_enter" json:"on_enter"` // a stage key
	When     RuleConditions `yaml:"when" json:"when"`
	Delay    time.Duration  `yaml:"delay" json:"delay"`
	Activity *RuleActivity  `yaml:"activity" json:"activity,omitempty"`
	Tunnel   *Tunnel        `yaml:"tunnel" json:"tunnel,omitempty"`
	// Document makes a document of this type (quote, invoice, contract,
	// act) from the deal's lines: "proposal" → quote, "invoice" → invoice.
	Document string `yaml:"document" json:"document,omitempty"`
}

// RuleConditions narrow a rule to some deals.
type RuleConditions struct {
	MinAmount string   `yaml:"min_amount" json:"min_amount,omitempty"` // decimal string
	Products  []string `yaml:"products" json:"products,omitempty"`     // SKUs: any of them among the lines
}

// RuleActivity is the activity a rule creates for the deal's manager.
type RuleActivity struct {
	Type    string        `yaml:"type" json:"type"` // call, meeting, task, email
	Subject string        `yaml:"subject" json:"subject"`
	DueIn   time.Duration `yaml:"due_in" json:"due_in"`
}

// Tunnel copies or moves a deal into another pipeline's stage.
type Tunnel struct {
	Pipeline string `yaml:"pipeline" json:"pipeline"`
	Stage    string `yaml:"stage" json:"stage"` // default: the first
	Move     bool   `yaml:"move" json:"move"`   // move instead of copy
}

// ValidateRules returns every problem, each naming its key under prefix.
func ValidateRules(prefix string, rules []Rule, ps []Pipeline) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	find := func(key string) (Pipeline, bool) {
		for _, p := range ps {
			if p.Key == key {
				return p, true
			}
		}
		return Pipeline{}, false
	}
	names := map[string]bool{}
	for i, r := range rules {
		at := fmt.Sprintf("[%d]", i)
		if r.Name == "" || names[r.Name] {
			bad(at+".name", "each rule needs its own name (it keys the once-per-deal record)")
		}
		names[r.Name] = true
		p, ok := find(r.Pipeline)
		if !ok {
			bad(at+".pipeline", "unknown pipeline %q", r.Pipeline)
		} else if _, ok := p.stage(r.OnEnter); !ok {
			bad(at+".on_enter", "pipeline %s has no stage %q", r.Pipeline, r.OnEnter)
		}
		n := 0
		for _, set := range []bool{r.Activity != nil, r.Tunnel != nil, r.Document != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			bad(at, "needs exactly one of activity, tunnel or document")
		}
		if r.Document != "" && !knownDocument(r.Document) {
			bad(at+".document", "must be one of %v, not %q", DocumentTypes, r.Document)
		}
		if a := r.Activity; a != nil {
			if !slices.Contains([]string{ActivityCall, ActivityMeeting, ActivityTask, ActivityEmail}, a.Type) {
				bad(at+".activity.type", "must be call, meeting, task or email, not %q", a.Type)
			}
			if a.Subject == "" {
				bad(at+".activity.subject", "is required")
			}
		}
		if t := r.Tunnel; t != nil {
			if tp, ok := find(t.Pipeline); !ok {
				bad(at+".tunnel.pipeline", "unknown pipeline %q", t.Pipeline)
			} else if t.Stage != "" {
				if _, ok := tp.stage(t.Stage); !ok {
					bad(at+".tunnel.stage", "pipeline %s has no stage %q", t.Pipeline, t.Stage)
				}
			}
			if t.Pipeline == r.Pipeline {
				bad(at+".tunnel.pipeline", "a tunnel leads to another pipeline")
			}
		}
		if r.When.MinAmount != "" {
			if _, err := parseDecimal(r.When.MinAmount, "min_amount", 2); err != nil {
				bad(at+".when.min_amount", "must be a decimal string like \"100000.00\"")
			}
		}
		if r.Delay < 0 {
			bad(at+".delay", "must not be negative")
		}
	}
	return errs
}

// Automation runs the configured rules.
type Automation struct {
	Rules []Rule
	// Documents makes the documents rules ask for (nil: documents are
	// off, and such a rule records that it made none).
	Documents DocumentMaker
}

// Matching returns the rules that fire when deal d enters its current
// stage, with whether each one's conditions hold and why not.
func (a *Automation) Matching(ctx context.Context, q Querier, d Deal) ([]RuleCheck, error) {
	var out []RuleCheck
	for _, r := range a.Rules {
		if r.Pipeline != d.Pipeline || r.OnEnter != d.Stage {
			continue
		}
		why, err := r.conditions(ctx, q, d)
		if err != nil {
			return nil, err
		}
		out = append(out, RuleCheck{Rule: r, Fires: why == "", Why: why})
	}
	return out, nil
}

// RuleCheck is a rule considered for a deal.
type RuleCheck struct {
	Rule  Rule   `json:"rule"`
	Fires bool   `json:"fires"`
	Why   string `json:"why,omitempty"` // why not
	Done  bool   `json:"done"`          // it has fired for this deal already
}

func (r Rule) conditions(ctx context.Context, q Querier, d Deal) (string, error) {
	if r.When.MinAmount != "" {
		min, _ := new(big.Rat).SetString(r.When.MinAmount)
		amount, _ := new(big.Rat).SetString(d.Amount)
		if amount == nil || amount.Cmp(min) < 0 {
			return fmt.Sprintf("amount %s is below %s", d.Amount, r.When.MinAmount), nil
		}
	}
	if len(r.When.Products) > 0 {
		var has bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM deal_lines WHERE deal_id = $1 AND sku = ANY($2))`,
			d.ID, r.When.Products).Scan(&has); err != nil {
			return "", translate(err, "lines")
		}
		if !has {
			return fmt.Sprintf("none of %v among the lines", r.When.Products), nil
		}
	}
	return "", nil
}

// schedule records, in the move's transaction, the rules a deal's new
// stage fires; each at most once per deal (a deal moved back and forth
// does not fire them again).
func (a *Automation) schedule(ctx context.Context, tx pgx.Tx, d Deal, now time.Time) error {
	if a == nil {
		return nil
	}
	checks, err := a.Matching(ctx, tx, d)
	if err != nil {
		return err
	}
	for _, c := range checks {
		if !c.Fires {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO automation_runs (rule, deal_id, due_at) VALUES ($1, $2, $3)
			ON CONFLICT (rule, deal_id) DO NOTHING`, c.Rule.Name, d.ID, now.Add(c.Rule.Delay)); err != nil {
			return translate(err, "automation")
		}
	}
	return nil
}

// RunDue runs the automation whose delay has passed, inside the caller's
// transaction (the scheduler's tick), at most limit; it returns how many.
func (a *Automation) RunDue(ctx context.Context, tx pgx.Tx, now time.Time, limit int) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id, rule, deal_id FROM automation_runs WHERE done_at IS NULL AND due_at <= $1
		ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit)
	if err != nil {
		return 0, translate(err, "automation")
	}
	type run struct {
		id     int64
		rule   string
		dealID int64
	}
	runs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (run, error) {
		var x run
		return x, r.Scan(&x.id, &x.rule, &x.dealID)
	})
	if err != nil {
		return 0, translate(err, "automation")
	}
	for _, x := range runs {
		result := "rule no longer configured"
		for _, r := range a.Rules {
			if r.Name == x.rule {
				if result, err = r.run(ctx, tx, x.dealID, now, a.Documents); err != nil {
					return 0, fmt.Errorf("automation %s on deal %d: %w", x.rule, x.dealID, err)
				}
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE automation_runs SET done_at = $2, result = $3 WHERE id = $1`, x.id, now, result); err != nil {
			return 0, translate(err, "automation")
		}
	}
	return len(runs), nil
}

func (r Rule) run(ctx context.Context, tx pgx.Tx, dealID int64, now time.Time, docs DocumentMaker) (string, error) {
	d, err := scanDeal(tx.QueryRow(ctx, `SELECT `+dealColumns+dealFrom+` WHERE d.id = $1 FOR UPDATE OF d`, dealID))
	if err != nil {
		return "", translate(err, "deal")
	}
	if a := r.Activity; a != nil {
		if d.ManagerID == nil {
			return "no manager to give the activity to", nil
		}
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO activities (type, subject, deal_id, contact_id, manager_id, due_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, a.Type, a.Subject, d.ID, d.ContactID, *d.ManagerID, now.Add(a.DueIn), now).Scan(&id)
		return fmt.Sprintf("activity %d", id), translate(err, "activity")
	}
	if r.Document != "" {
		if docs == nil {
			return "documents are off (documents.seller): none made", nil
		}
		id, created, _, err := createDocument(ctx, tx, d.ID, r.Document, docs, now, DocumentOptions{})
		if ErrorCode(err) == EINVALID {
			return "no document: " + err.Error(), nil
		}
		if err == nil && !created {
			return fmt.Sprintf("document %d, unchanged", id), nil
		}
		return fmt.Sprintf("document %d", id), err
	}
	t := r.Tunnel
	p, err := pipelineByKey(ctx, tx, t.Pipeline, "tunnel.pipeline")
	if err != nil {
		return "", err
	}
	st := p.Stages[0]
	if t.Stage != "" {
		st, _ = p.stage(t.Stage)
	}
	if t.Move {
		var from int64
		if err := tx.QueryRow(ctx, `UPDATE deals n SET pipeline_id = $2, stage_id = $3, closed_at = NULL, loss_reason = NULL, updated_at = $4
			FROM deals o WHERE n.id = $1 AND o.id = n.id RETURNING o.stage_id`, d.ID, p.ID, st.ID, now).Scan(&from); err != nil {
			return "", translate(err, "deal")
		}
		err := recordStageMove(ctx, tx, d.ID, &from, st.ID, now, Actor{Kind: ActorAutomation, Name: r.Name})
		return fmt.Sprintf("moved to %s/%s", p.Key, st.Key), err
	}
	title := d.Title
	id, err := createDeal(ctx, tx, DealInput{Title: &title, Pipeline: &p.Key, Stage: &st.Key, ContactID: d.ContactID,
		CompanyID: d.CompanyID, ManagerID: d.ManagerID, Currency: &d.Currency, Fields: d.Fields}, d.LeadID, Actor{Kind: ActorAutomation, Name: r.Name}, now)
	if err != nil {
		return "", err
	}
	if _, err := tx.Exec(ctx, `UPDATE deals SET source_deal_id = $2 WHERE id = $1`, id, d.ID); err != nil {
		return "", translate(err, "deal")
	}
	if _, err := tx.Exec(ctx, `INSERT INTO deal_lines (deal_id, product_id, name, sku, unit, quantity, price, discount, vat,
			vat_rate, vat_included, net, vat_amount, total)
		SELECT $2, product_id, name, sku, unit, quantity, price, discount, vat, vat_rate, vat_included, net, vat_amount, total
		FROM deal_lines WHERE deal_id = $1 ORDER BY id`, d.ID, id); err != nil {
		return "", translate(err, "lines")
	}
	if err := recomputeDeal(ctx, tx, id, now); err != nil {
		return "", err
	}
	return fmt.Sprintf("copied to deal %d in %s/%s", id, p.Key, st.Key), nil
}

// AutomationFor lists the rules a deal's current stage fires, whether each
// one's conditions hold, and whether it has fired already — the dry run.
// Errors: ENOTFOUND.
func (s *Store) AutomationFor(ctx context.Context, a *Automation, dealID int64) ([]RuleCheck, error) {
	d, err := s.Deal(ctx, dealID)
	if err != nil {
		return nil, err
	}
	checks, err := a.Matching(ctx, s.pool, d)
	if err != nil {
		return nil, err
	}
	for i := range checks {
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM automation_runs WHERE rule = $1 AND deal_id = $2)`,
			checks[i].Rule.Name, dealID).Scan(&checks[i].Done); err != nil {
			return nil, translate(err, "automation")
		}
	}
	return checks, nil
}
