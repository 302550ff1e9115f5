package crm

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReportChoices are the values a report filter's selects offer: where the
// leads that arrived in a period came from, most frequent first.
type ReportChoices struct {
	Origins      []OriginChoice // forms, PBX lines and mailboxes
	UTMSources   []string
	UTMCampaigns []string
}

// OriginChoice is one form, PBX line or mailbox, with its channel.
type OriginChoice struct {
	Channel string
	Origin  string
}

// reportChoicesMax bounds each list: a select of more is no use to anyone.
const reportChoicesMax = 100

// ReportChoices reads the filter's choices from the leads that arrived in
// [from, to) — the reports' own index, no scan of the leads. managerID,
// when given, narrows to a manager's own leads. Errors: the database's.
func (s *Store) ReportChoices(ctx context.Context, from, to time.Time, managerID *int64) (ReportChoices, error) {
	var out ReportChoices
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		q := newListQuery("TRUE")
		ReportFilter{From: from, To: to, ManagerID: managerID}.leadCond(q, true)
		read := func(sql string, each func(rows pgx.Rows) error) error {
			rows, err := tx.Query(ctx, sql, q.args...)
			if err != nil {
				return translate(err, "report choices")
			}
			defer rows.Close()
			for rows.Next() {
				if err := each(rows); err != nil {
					return err
				}
			}
			return rows.Err()
		}
		limit := " LIMIT " + strconv.Itoa(reportChoicesMax)
		if err := read(`SELECT l.channel, l.rep_origin FROM leads l WHERE `+q.where+` AND l.rep_origin IS NOT NULL AND l.rep_origin <> ''
			GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2`+limit, func(rows pgx.Rows) error {
			var o OriginChoice
			err := rows.Scan(&o.Channel, &o.Origin)
			out.Origins = append(out.Origins, o)
			return err
		}); err != nil {
			return err
		}
		for _, c := range []struct {
			col string
			to  *[]string
		}{{"l.rep_utm_source", &out.UTMSources}, {"l.rep_utm_campaign", &out.UTMCampaigns}} {
			if err := read(`SELECT `+c.col+` FROM leads l WHERE `+q.where+` AND `+c.col+` IS NOT NULL
				GROUP BY 1 ORDER BY count(*) DESC, 1`+limit, func(rows pgx.Rows) error {
				var v string
				err := rows.Scan(&v)
				*c.to = append(*c.to, v)
				return err
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
