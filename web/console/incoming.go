package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/leadd/leadd/crm"
)

// incomingData is the start page: counters, the new leads (the viewer's,
// or the department's for supervisors) and the unassigned queue.
type incomingData struct {
	Counters crm.Counters
	Leads    []crm.QueueLead
	More     bool
	Queue    []crm.QueueLead
	After    int64 // the live stream sends leads after this id
	SLA      int   // seconds
}

const queueShown = 100

func (s *Server) incoming(r *http.Request, v *viewer) (any, error) {
	ctx := r.Context()
	d := incomingData{SLA: int(s.opts.SLA.Seconds())}
	var err error
	// The newest id first: a lead landing while the page is read is sent
	// by the stream rather than lost between the two.
	if d.After, err = s.store.LastLeadID(ctx); err != nil {
		return nil, err
	}
	if d.Counters, err = s.counters(r, v); err != nil {
		return nil, err
	}
	if d.Leads, err = s.store.NewLeads(ctx, s.scope(v), 0, queueShown+1); err != nil {
		return nil, err
	}
	if len(d.Leads) > queueShown {
		d.Leads, d.More = d.Leads[:queueShown], true
	}
	if d.Queue, err = s.store.QueuedLeads(ctx, 50); err != nil {
		return nil, err
	}
	return d, nil
}

// scope is whose records a list shows: nil (everyone's) for supervisors
// and admins, the manager's own otherwise.
func (s *Server) scope(v *viewer) *int64 {
	if v.P.SeesAll() {
		return nil
	}
	return v.P.ManagerID
}

func (s *Server) counters(r *http.Request, v *viewer) (crm.Counters, error) {
	if id := s.scope(v); id != nil {
		return s.store.Counters(r.Context(), *id)
	}
	return s.store.DepartmentCounters(r.Context(), v.Loc)
}

// events streams the incoming page's live updates (server-sent events):
// "lead" with each new lead's row, "counters" when they change. The
// process's one poller (live) finds the new leads for every open page, by
// an indexed query, so it works the same on every replica; the counters
// are read again when leads arrive and every counterEvery otherwise.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	v := s.viewerOf(w, r)
	if !v.Signed() {
		http.Error(w, v.T("error.signin"), http.StatusUnauthorized)
		return
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if id, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil && id > after {
		after = id
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 3000\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	sub := s.live.subscribe(s.scope(v), max(after, 0))
	defer s.live.unsubscribe(sub)
	recount := time.NewTicker(counterEvery)
	defer recount.Stop()
	// A stream ends after a while; the browser reconnects with its last id.
	end := time.NewTimer(10 * time.Minute)
	defer end.Stop()
	var last crm.Counters
	first := true
	for {
		var leads []crm.QueueLead
		if !first {
			select {
			case <-r.Context().Done():
				return
			case <-s.stop:
				return
			case <-end.C:
				return
			case leads = <-sub.leads:
			case <-recount.C:
				if !s.stillSigned(r) {
					return // signed out, or an admin ended the session
				}
			}
			v.Now = s.opts.Now()
		}
		for _, l := range leads {
			var buf bytes.Buffer
			if err := s.pages["incoming"].t.ExecuteTemplate(&buf, "queue-row", queueRow{V: v, L: l}); err != nil {
				s.log.Error("console events render", "err", err)
				return
			}
			b, _ := json.Marshal(map[string]any{"id": l.ID, "name": l.Name, "html": string(unescapePlus(buf.Bytes()))})
			fmt.Fprintf(w, "id: %d\nevent: lead\ndata: %s\n\n", l.ID, b)
		}
		// Any failure ends the stream (the browser reconnects): going on
		// would skip the wait above while first is still true and spin —
		// a page closed during its first read of the counters did, at a
		// full core, until the process ended.
		c, err := s.live.countersOf(r.Context(), v)
		if err != nil {
			if r.Context().Err() == nil {
				s.log.Warn("console events", "err", err)
			}
			return
		}
		if first || c != last || len(leads) > 0 {
			b, _ := json.Marshal(c)
			fmt.Fprintf(w, "event: counters\ndata: %s\n\n", b)
			last, first = c, false
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// counterEvery is how often an open incoming page reads its counters when
// no lead of its arrives: they change as work is done elsewhere and as
// time makes work overdue, neither of which needs a page to know within
// seconds.
const counterEvery = 30 * time.Second

// stillSigned reports whether the request's session is still live.
func (s *Server) stillSigned(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return false
	}
	_, err = s.store.SessionByToken(r.Context(), c.Value, 0)
	return err == nil
}
