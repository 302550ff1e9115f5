package crm

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReassignOverdue moves leads still new past their SLA deadline to the
// next available manager of their rule (never one who had the lead
// already), moving the call with them, recording the hop and telling the
// supervisors; after maxHops hops a lead waits in the queue. It works
// inside the caller's transaction, at most limit leads, and returns how
// many it moved.
func ReassignOverdue(ctx context.Context, tx pgx.Tx, now time.Time, assigner Assigner, maxHops, limit int) (int, error) {
	rows, err := tx.Query(ctx, `SELECT l.id, l.channel, l.source, l.utm, l.phones, l.emails, l.comment, l.contact_id,
			c.manager_id, l.hops, l.rule, l.manager_id, l.owner_sla,
			ARRAY(SELECT DISTINCT manager_id FROM assignments WHERE lead_id = l.id AND manager_id IS NOT NULL)
		FROM leads l LEFT JOIN contacts c ON c.id = l.contact_id
		WHERE l.status = 'new' AND l.sla_due_at <= $1
		ORDER BY l.sla_due_at LIMIT $2 FOR UPDATE OF l SKIP LOCKED`, now, limit)
	if err != nil {
		return 0, translate(err, "overdue leads")
	}
	type due struct {
		id             int64
		in             Inbound
		contact, owner *int64
		hops           int
		rule           string
		manager        *int64
		ownerSLA       *string
		tried          []int64
	}
	leads, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (due, error) {
		var d due
		err := r.Scan(&d.id, &d.in.Channel, &d.in.Source, &d.in.UTM, &d.in.Phones, &d.in.Emails, &d.in.Text, &d.contact,
			&d.owner, &d.hops, &d.rule, &d.manager, &d.ownerSLA, &d.tried)
		return d, err
	})
	if err != nil {
		return 0, translate(err, "overdue leads")
	}
	for _, d := range leads {
		if d.ownerSLA != nil && *d.ownerSLA == "notify" {
			// The client's own manager keeps their client: a supervisor is
			// told, and the clock stops.
			if _, err := tx.Exec(ctx, `UPDATE leads SET sla_due_at = NULL, owner_sla = NULL WHERE id = $1`, d.id); err != nil {
				return 0, translate(err, "lead")
			}
			payload := SLAMissed{LeadID: d.id, FromManagerID: d.manager, ToManagerID: d.manager, Hop: d.hops,
				Reason: "owner's SLA: the client's own manager has not taken their lead in time; it stays with them"}
			if err := Enqueue(ctx, tx, fmt.Sprintf("owner_sla_missed:%d:%d", d.id, now.UnixNano()), payload); err != nil {
				return 0, err
			}
			continue
		}
		var a Assignment
		if d.hops >= maxHops {
			a = Assignment{Rule: d.rule, Strategy: "queue", Candidates: []Candidate{},
				Reason: fmt.Sprintf("not taken after %d re-assignments: queued", d.hops)}
		} else {
			a, err = assigner.Assign(ctx, AssignRequest{Inbound: &d.in, Returning: d.contact != nil, OwnerID: d.owner,
				Rule: d.rule, Exclude: d.tried})
			if err != nil {
				return 0, fmt.Errorf("re-assign lead %d: %w", d.id, err)
			}
		}
		a.Reason = "SLA: not taken in time; " + a.Reason
		if err := recordAssignment(ctx, tx, d.id, d.contact, a, now); err != nil {
			return 0, err
		}
		if _, err := tx.Exec(ctx, `UPDATE leads SET hops = hops + 1 WHERE id = $1`, d.id); err != nil {
			return 0, translate(err, "lead")
		}
		payload := SLAMissed{LeadID: d.id, FromManagerID: d.manager, ToManagerID: a.ManagerID,
			Hop: d.hops + 1, Queued: a.ManagerID == nil, Reason: a.Reason}
		if err := Enqueue(ctx, tx, fmt.Sprintf("sla_missed:%d:%d", d.id, d.hops+1), payload); err != nil {
			return 0, err
		}
	}
	return len(leads), nil
}

// RemindOverdue tells managers, through the outbox, of each activity that
// has just become overdue — once per activity and due time. It returns how
// many it reminded, at most limit.
func RemindOverdue(ctx context.Context, tx pgx.Tx, now time.Time, limit int) (int, error) {
	rows, err := tx.Query(ctx, `WITH due AS (
			SELECT id FROM activities WHERE done_at IS NULL AND reminded_at IS NULL AND due_at <= $1 AND due_at + grace <= $1
			ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
		UPDATE activities a SET reminded_at = $1 FROM due WHERE a.id = due.id
		RETURNING a.id, a.type, a.subject, a.lead_id, a.manager_id, a.due_at`, now, limit)
	if err != nil {
		return 0, translate(err, "overdue activities")
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ActivityOverdue, error) {
		var x ActivityOverdue
		err := r.Scan(&x.ActivityID, &x.Type, &x.Subject, &x.LeadID, &x.ManagerID, &x.DueAt)
		return x, err
	})
	if err != nil {
		return 0, translate(err, "overdue activities")
	}
	for _, x := range list {
		if err := Enqueue(ctx, tx, fmt.Sprintf("overdue:%d:%d", x.ActivityID, x.DueAt.Unix()), x); err != nil {
			return 0, err
		}
	}
	return len(list), nil
}

// EnqueueDigests writes each active manager's morning digest — today's
// activities and the overdue count — once per local day, in the hour
// from hour o'clock in the manager's time zone (never later that day). It returns how many it wrote.
func EnqueueDigests(ctx context.Context, tx pgx.Tx, now time.Time, hour int) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id, time_zone FROM managers WHERE active AND role <> 'admin'`)
	if err != nil {
		return 0, translate(err, "managers")
	}
	type mgr struct {
		id int64
		tz string
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (mgr, error) {
		var m mgr
		return m, r.Scan(&m.id, &m.tz)
	})
	if err != nil {
		return 0, translate(err, "managers")
	}
	n := 0
	for _, m := range ms {
		loc, err := LoadLocation(m.tz)
		if err != nil {
			loc = time.UTC
		}
		// Only in the digest's hour: a daemon started in the afternoon,
		// or a scheduler tick run late, sends no morning digest.
		local := now.In(loc)
		if local.Hour() != hour {
			continue
		}
		var today, overdue int
		if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE `+dueTodayCond("$2", "$3")+`), count(*) FILTER (WHERE `+overdueCond("$2")+`)
			FROM activities WHERE manager_id = $1 AND done_at IS NULL AND due_at < $3`,
			m.id, now, endOfDay(now, loc)).Scan(&today, &overdue); err != nil {
			return n, translate(err, "digest")
		}
		date := local.Format(time.DateOnly)
		tag, err := tx.Exec(ctx, `INSERT INTO outbox (kind, idempotency_key, payload) VALUES ($3, $1, $2)
			ON CONFLICT (idempotency_key) DO NOTHING`, fmt.Sprintf("digest:%d:%s", m.id, date),
			ManagerDigest{ManagerID: m.id, Date: date, Today: today, Overdue: overdue}, KindManagerDigest)
		if err != nil {
			return n, translate(err, "digest")
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}
