package crm

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Kinds of timeline item.
const (
	ItemTouch      = "touch"
	ItemNote       = "note"
	ItemActivity   = "activity"
	ItemStage      = "stage"
	ItemDocument   = "document"
	ItemPayment    = "payment"
	ItemAssignment = "assignment"
)

// TimelineItem is one thing that happened to a record. Type says which of
// the typed fields is set; ID is that row's id within its type.
type TimelineItem struct {
	Type       string            `json:"type"`
	ID         int64             `json:"id"`
	At         time.Time         `json:"at"`
	Touch      *Touch            `json:"touch,omitempty"`
	Note       *Note             `json:"note,omitempty"`
	Activity   *Activity         `json:"activity,omitempty"`
	Stage      *StageMove        `json:"stage,omitempty"`
	Document   *Document         `json:"document,omitempty"`
	Payment    *Payment          `json:"payment,omitempty"`
	Assignment *TimelineAssigned `json:"assignment,omitempty"`
}

// TimelineAssigned is an assignment hop of a lead on a timeline.
type TimelineAssigned struct {
	LeadID int64 `json:"lead_id"`
	Assignment
}

// TimelineFilter pages a timeline, newest first.
type TimelineFilter struct {
	Limit  int
	Cursor string // the next_cursor of the previous page
}

// timelineSources are, per record kind, the rows of each item type that
// belong to the record ($1): "type, id, at" selects.
var timelineSources = map[string][]string{
	RecordLead: {
		`SELECT 'touch', id, at FROM touches WHERE lead_id = $1 AND kind <> 'ignored'`,
		`SELECT 'note', id, at FROM notes WHERE lead_id = $1`,
		`SELECT 'activity', id, coalesce(done_at, created_at) FROM activities WHERE lead_id = $1`,
		`SELECT 'assignment', id, at FROM assignments WHERE lead_id = $1`,
	},
	RecordDeal: {
		`SELECT 'touch', id, at FROM touches WHERE deal_id = $1`,
		`SELECT 'note', id, at FROM notes WHERE deal_id = $1`,
		`SELECT 'activity', id, coalesce(done_at, created_at) FROM activities WHERE deal_id = $1`,
		`SELECT 'stage', id, at FROM deal_stage_history WHERE deal_id = $1`,
		`SELECT 'document', id, created_at FROM documents WHERE deal_id = $1`,
		`SELECT 'payment', id, coalesce(paid_at, created_at) FROM payments WHERE deal_id = $1`,
		`SELECT 'assignment', id, at FROM assignments WHERE lead_id = (SELECT lead_id FROM deals WHERE id = $1)`,
	},
	RecordContact: {
		`SELECT 'touch', id, at FROM touches WHERE contact_id = $1`,
		`SELECT 'note', id, at FROM notes WHERE contact_id = $1`,
		`SELECT 'activity', id, coalesce(done_at, created_at) FROM activities WHERE contact_id = $1`,
		`SELECT 'stage', h.id, h.at FROM deal_stage_history h JOIN deals d ON d.id = h.deal_id WHERE d.contact_id = $1`,
		`SELECT 'document', x.id, x.created_at FROM documents x JOIN deals d ON d.id = x.deal_id WHERE d.contact_id = $1`,
		`SELECT 'payment', x.id, coalesce(x.paid_at, x.created_at) FROM payments x JOIN deals d ON d.id = x.deal_id WHERE d.contact_id = $1`,
	},
	RecordCompany: {
		`SELECT 'touch', id, at FROM touches WHERE contact_id IN (SELECT id FROM contacts WHERE company_id = $1)
			OR deal_id IN (SELECT id FROM deals WHERE company_id = $1)`,
		`SELECT 'note', id, at FROM notes WHERE company_id = $1 OR contact_id IN (SELECT id FROM contacts WHERE company_id = $1)
			OR deal_id IN (SELECT id FROM deals WHERE company_id = $1)`,
		`SELECT 'activity', id, coalesce(done_at, created_at) FROM activities WHERE contact_id IN (SELECT id FROM contacts WHERE company_id = $1)
			OR deal_id IN (SELECT id FROM deals WHERE company_id = $1)`,
		`SELECT 'stage', h.id, h.at FROM deal_stage_history h JOIN deals d ON d.id = h.deal_id WHERE d.company_id = $1`,
		`SELECT 'document', x.id, x.created_at FROM documents x JOIN deals d ON d.id = x.deal_id WHERE d.company_id = $1`,
		`SELECT 'payment', x.id, coalesce(x.paid_at, x.created_at) FROM payments x JOIN deals d ON d.id = x.deal_id WHERE d.company_id = $1`,
	},
}

// Timeline returns what happened to a record — touches, notes, activities,
// stage moves with who made them, documents, payments, assignments —
// newest first, a page at a time, and the cursor of the next page ("" on
// the last). Errors: EINVALID (an unknown kind, a bad cursor), ENOTFOUND.
func (s *Store) Timeline(ctx context.Context, kind string, id int64, f TimelineFilter) ([]TimelineItem, string, error) {
	sources, ok := timelineSources[kind]
	if !ok {
		return nil, "", Invalid("kind", "timelines are of leads, deals, contacts and companies, not %q", kind)
	}
	if err := s.recordExists(ctx, kind, id); err != nil {
		return nil, "", err
	}
	limit := pageSize(f.Limit)
	args := []any{id}
	where := ""
	if f.Cursor != "" {
		at, typ, after, err := parseTimelineCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		args = append(args, at, typ, after)
		where = ` WHERE (at, type, id) < ($2, $3, $4)`
	}
	args = append(args, limit+1)
	q := `SELECT type, id, at FROM (` + strings.Join(sources, " UNION ALL ") + `) AS t(type, id, at)` + where +
		` ORDER BY at DESC, type DESC, id DESC LIMIT $` + strconv.Itoa(len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, "", translate(err, "timeline")
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TimelineItem, error) {
		var it TimelineItem
		err := r.Scan(&it.Type, &it.ID, &it.At)
		return it, err
	})
	if err != nil {
		return nil, "", translate(err, "timeline")
	}
	next := ""
	if len(items) > limit {
		items = items[:limit]
		last := items[len(items)-1]
		next = fmt.Sprintf("%d_%s_%d", last.At.UnixMicro(), last.Type, last.ID)
	}
	return items, next, s.fillTimeline(ctx, items)
}

func parseTimelineCursor(c string) (time.Time, string, int64, error) {
	bad := Invalid("cursor", "not a cursor this API returned")
	parts := strings.Split(c, "_")
	if len(parts) != 3 {
		return time.Time{}, "", 0, bad
	}
	us, err1 := strconv.ParseInt(parts[0], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || len(parts[1]) > 20 {
		return time.Time{}, "", 0, bad
	}
	return time.UnixMicro(us).UTC(), parts[1], id, nil
}

// recordExists checks the record a timeline or a note is about.
func (s *Store) recordExists(ctx context.Context, kind string, id int64) error {
	table := map[string]string{RecordLead: "leads", RecordDeal: "deals", RecordContact: "contacts", RecordCompany: "companies"}[kind]
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE id = $1)`, id).Scan(&ok); err != nil {
		return translate(err, kind)
	}
	if !ok {
		return Errorf(ENOTFOUND, "%s %d not found", kind, id)
	}
	return nil
}

// fillTimeline reads each item's row, one query per type on the page.
func (s *Store) fillTimeline(ctx context.Context, items []TimelineItem) error {
	ids := map[string][]int64{}
	at := map[string]map[int64]*TimelineItem{}
	for i := range items {
		it := &items[i]
		ids[it.Type] = append(ids[it.Type], it.ID)
		if at[it.Type] == nil {
			at[it.Type] = map[int64]*TimelineItem{}
		}
		at[it.Type][it.ID] = it
	}
	for typ, list := range ids {
		byID := at[typ]
		var err error
		switch typ {
		case ItemTouch:
			err = fill(ctx, s.pool, `SELECT id, channel, kind, source, at, text, data, event_id::text FROM touches WHERE id = ANY($1)`, list,
				func(r pgx.CollectableRow) (Touch, error) {
					var t Touch
					err := r.Scan(&t.ID, &t.Channel, &t.Kind, &t.Source, &t.At, &t.Text, &t.Data, &t.EventID)
					return t, err
				}, func(t Touch) { byID[t.ID].Touch = &t })
		case ItemNote:
			err = fill(ctx, s.pool, `SELECT `+noteColumns+noteFrom+` WHERE n.id = ANY($1)`, list, scanNote,
				func(n Note) { byID[n.ID].Note = &n })
		case ItemActivity:
			err = fill(ctx, s.pool, `SELECT `+activityColumns+` FROM activities WHERE id = ANY($1)`, list, scanActivity,
				func(a Activity) { byID[a.ID].Activity = &a })
		case ItemStage:
			type row struct {
				id int64
				m  StageMove
			}
			err = fill(ctx, s.pool, `SELECT `+stageMoveColumns+stageMoveFrom+` WHERE h.id = ANY($1)`, list,
				func(r pgx.CollectableRow) (row, error) {
					id, m, err := scanStageMoveID(r)
					return row{id, m}, err
				}, func(x row) { byID[x.id].Stage = &x.m })
		case ItemDocument:
			err = fill(ctx, s.pool, `SELECT `+documentColumns+` FROM documents WHERE id = ANY($1)`, list,
				func(r pgx.CollectableRow) (Document, error) { return scanDocument(r) },
				func(d Document) { byID[d.ID].Document = &d })
		case ItemPayment:
			err = fill(ctx, s.pool, `SELECT `+paymentColumns+` FROM payments WHERE id = ANY($1)`, list,
				func(r pgx.CollectableRow) (Payment, error) { return scanPayment(r) },
				func(p Payment) { byID[p.ID].Payment = &p })
		case ItemAssignment:
			type row struct {
				id int64
				a  TimelineAssigned
			}
			err = fill(ctx, s.pool, `SELECT id, lead_id, manager_id, rule, strategy, candidates, reason, at, by_manager_id
				FROM assignments WHERE id = ANY($1)`, list,
				func(r pgx.CollectableRow) (row, error) {
					var x row
					err := r.Scan(&x.id, &x.a.LeadID, &x.a.ManagerID, &x.a.Rule, &x.a.Strategy, &x.a.Candidates, &x.a.Reason, &x.a.At, &x.a.ByManagerID)
					return x, err
				}, func(x row) { byID[x.id].Assignment = &x.a })
		}
		if err != nil {
			return fmt.Errorf("timeline %ss: %w", typ, err)
		}
	}
	return nil
}

// fill runs a query over ids and puts each row it reads.
func fill[T any](ctx context.Context, q Querier, sql string, ids []int64, scan func(pgx.CollectableRow) (T, error), put func(T)) error {
	rows, err := q.Query(ctx, sql, ids)
	if err != nil {
		return err
	}
	list, err := pgx.CollectRows(rows, scan)
	for _, x := range list {
		put(x)
	}
	return err
}
