package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadd/leadd/crm"
)

func (s *Server) createActivity(r *http.Request, p Principal) (int, any, error) {
	var in crm.ActivityInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if in.ManagerID == 0 && p.ManagerID != nil {
		in.ManagerID = *p.ManagerID
	}
	// A manager plans their own activities, on their own leads and deals,
	// and invites colleagues (participants name managers, not clients).
	if err := s.allow(r, p, refs(crm.Named(crm.KindManager, "manager_id", &in.ManagerID),
		crm.Named(crm.KindLead, "lead_id", in.LeadID), crm.Named(crm.KindDeal, "deal_id", in.DealID))...); err != nil {
		return 0, nil, err
	}
	a, err := s.store.CreateActivity(r.Context(), in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, a, nil
}

// calendarState says whether a manager has a calendar feed and since
// when; the address itself was shown once, when it was made.
func (s *Server) calendarState(r *http.Request, p Principal) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := s.allow(r, p, crm.Path(crm.KindManager, id)); err != nil {
		return 0, nil, err
	}
	at, err := s.store.CalendarSecretAt(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"active": at != nil, "since": at}, nil
}

// rotateCalendar makes a new secret address of a manager's feed, to add to
// their calendar app; an older address stops working. The manager
// themself or an admin may.
func (s *Server) rotateCalendar(r *http.Request, p Principal) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := s.allow(r, p, crm.Ref{Kind: crm.KindSecret, ID: id}); err != nil {
		return 0, nil, err
	}
	secret, err := s.store.RotateCalendarSecret(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]string{"path": "/calendar/" + secret + ".ics"}, nil
}

// freeSlots: GET /api/v1/calendar/free?managers=1,2&duration=60m&from=&to=
func (s *Server) freeSlots(r *http.Request, _ Principal) (int, any, error) {
	q := r.URL.Query()
	var ids []int64
	for _, v := range strings.Split(q.Get("managers"), ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return 0, nil, crm.Invalid("managers", "a comma-separated list of manager ids, not %q", q.Get("managers"))
		}
		ids = append(ids, id)
	}
	length, err := time.ParseDuration(q.Get("duration"))
	if err != nil {
		return 0, nil, crm.Invalid("duration", "a duration like 30m or 1h, not %q", q.Get("duration"))
	}
	from, err := time.Parse(time.RFC3339, q.Get("from"))
	if err != nil {
		return 0, nil, crm.Invalid("from", "an RFC 3339 time, not %q", q.Get("from"))
	}
	to, err := time.Parse(time.RFC3339, q.Get("to"))
	if err != nil {
		return 0, nil, crm.Invalid("to", "an RFC 3339 time, not %q", q.Get("to"))
	}
	slots, err := s.store.FreeSlots(r.Context(), ids, length, from, to)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(slots, ""), nil
}

// serveCalendar is the iCalendar feed at its secret address: no token, the
// address is the secret.
func (s *Server) serveCalendar(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimSuffix(r.PathValue("token"), ".ics")
	m, events, err := s.store.CalendarFeed(r.Context(), token)
	if err != nil {
		WriteError(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, _ = w.Write([]byte(ICalendar(m, events, time.Now())))
}

// ICalendar writes the feed (RFC 5545): one VEVENT per activity, times in
// UTC, text escaped and lines folded at 75 octets.
func ICalendar(m crm.Manager, events []crm.CalendarEvent, now time.Time) string {
	var b strings.Builder
	line := func(s string) {
		for len(s) > 75 {
			cut := 75
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
			b.WriteString(s[:cut] + "\r\n")
			s = " " + s[cut:]
		}
		b.WriteString(s + "\r\n")
	}
	stamp := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//Leadd//Leadd CRM//EN")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("X-WR-CALNAME:" + escapeText("Leadd: "+m.Name))
	for _, e := range events {
		line("BEGIN:VEVENT")
		line(fmt.Sprintf("UID:activity-%d@leadd", e.ID))
		line("DTSTAMP:" + stamp(now))
		line("LAST-MODIFIED:" + stamp(e.Updated))
		line("DTSTART:" + stamp(e.Start))
		line("DTEND:" + stamp(e.End))
		summary := e.Subject
		if e.Type == crm.ActivityCall {
			summary = "☎ " + summary
		}
		line("SUMMARY:" + escapeText(summary))
		var desc []string
		if e.LeadID != nil {
			desc = append(desc, fmt.Sprintf("Lead %d", *e.LeadID))
		}
		if e.DealID != nil {
			desc = append(desc, fmt.Sprintf("Deal %d", *e.DealID))
		}
		if len(desc) > 0 {
			line("DESCRIPTION:" + escapeText(strings.Join(desc, "\n")))
		}
		line("CATEGORIES:" + strings.ToUpper(e.Type))
		if e.Done {
			line("STATUS:CANCELLED")
		} else {
			line("STATUS:CONFIRMED")
		}
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return b.String()
}

// escapeText writes s as an iCalendar TEXT value (RFC 5545 3.3.11):
// backslashes, semicolons and commas escaped, every line break (CRLF, a
// bare CR or LF) as \n, and no other control character left — a bare CR
// in a subject must not start a property of its own in a colleague's feed.
func escapeText(s string) string {
	var b strings.Builder
	s = strings.ToValidUTF8(s, "\uFFFD")
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				i++
			}
			b.WriteString(`\n`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
