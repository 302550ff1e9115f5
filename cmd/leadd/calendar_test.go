package main

import (
	"bytes"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/leadd/leadd/crm"
)

func TestTheCalendarFeedParsesAndShowsMeetingsAndCalls(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	l := ta.newLead("+7 918 500 00 01")
	at := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Hour)
	var meeting crm.Activity
	if s := ta.api("POST", "/api/v1/activities", map[string]any{"type": "meeting", "subject": "Демонстрация станка; цех №2, Пермь",
		"manager_id": 1, "participants": []int64{2}, "due_at": at, "minutes": 90, "lead_id": l.ID}, &meeting); s != 201 {
		t.Fatalf("meeting: %d", s)
	}
	var feed struct{ Path string }
	if s := ta.api("POST", "/api/v1/managers/2/calendar", nil, &feed); s != 201 {
		t.Fatalf("calendar address: %d", s)
	}
	res := ta.do("GET", feed.Path, "", nil) // no token: the address is the secret
	if res.Status != 200 || res.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Fatalf("feed: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	cal, err := ical.NewDecoder(bytes.NewReader(res.Body)).Decode()
	if err != nil {
		t.Fatalf("the feed does not parse: %v\n%s", err, res.Body)
	}
	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("%d events for the participant, want the meeting", len(events))
	}
	summary, _ := events[0].Props.Text(ical.PropSummary)
	start, _ := events[0].DateTimeStart(time.UTC)
	end, _ := events[0].DateTimeEnd(time.UTC)
	if summary != "Демонстрация станка; цех №2, Пермь" || !start.Equal(at) || end.Sub(start) != 90*time.Minute {
		t.Errorf("event %q %v–%v", summary, start, end)
	}
	// The organiser's feed has the meeting and the lead's call.
	ta.api("POST", "/api/v1/managers/1/calendar", nil, &feed)
	cal, err = ical.NewDecoder(bytes.NewReader(ta.do("GET", feed.Path, "", nil).Body)).Decode()
	if err != nil || len(cal.Events()) < 1 {
		t.Errorf("organiser's feed: %v, %d events", err, len(cal.Events()))
	}
	if s := ta.do("GET", "/calendar/not-a-secret.ics", "", nil).Status; s != 404 {
		t.Errorf("a wrong secret: %d", s)
	}
}

func TestFreeSlotsRespectTimeZonesHoursAndMeetings(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	// Анна in Moscow 09:00–18:00 (06–15 UTC), Борис in Yekaterinburg
	// 09:00–18:00 (04–13 UTC): together 06:00–13:00 UTC on weekdays.
	week := map[string]string{"mon": "09:00-18:00", "tue": "09:00-18:00", "wed": "09:00-18:00", "thu": "09:00-18:00", "fri": "09:00-18:00"}
	ta.api("PATCH", "/api/v1/managers/1", map[string]any{"time_zone": "Europe/Moscow", "hours": week}, nil)
	ta.api("PATCH", "/api/v1/managers/2", map[string]any{"time_zone": "Asia/Yekaterinburg", "hours": week}, nil)
	day := time.Date(2030, 3, 5, 0, 0, 0, 0, time.UTC) // a Tuesday
	// Борис has a meeting 08:00–09:00 UTC.
	ta.api("POST", "/api/v1/activities", map[string]any{"type": "meeting", "subject": "Планёрка", "manager_id": 2,
		"due_at": day.Add(8 * time.Hour), "minutes": 60}, nil)
	q := url.Values{"managers": {"1,2"}, "duration": {"1h"}, "from": {day.Format(time.RFC3339)}, "to": {day.Add(24 * time.Hour).Format(time.RFC3339)}}
	var slots struct{ Items []crm.Slot }
	if s := ta.api("GET", "/api/v1/calendar/free?"+q.Encode(), nil, &slots); s != 200 {
		t.Fatalf("free: %d", s)
	}
	var starts []string
	for _, sl := range slots.Items {
		starts = append(starts, sl.Start.Format("15:04"))
	}
	// 06:00–07:00 … 07:00–08:00, then from 09:00 to 12:00–13:00, on the quarter hour.
	want := "[06:00 06:15 06:30 06:45 07:00 09:00 09:15 09:30 09:45 10:00 10:15 10:30 10:45 11:00 11:15 11:30 11:45 12:00]"
	if got := fmt.Sprint(starts); got != want {
		t.Errorf("free hours:\n got  %s\n want %s", got, want)
	}
	q.Set("from", day.Add(5*24*time.Hour).Format(time.RFC3339)) // Sunday
	q.Set("to", day.Add(6*24*time.Hour).Format(time.RFC3339))
	ta.api("GET", "/api/v1/calendar/free?"+q.Encode(), nil, &slots)
	if len(slots.Items) != 0 {
		t.Errorf("free on a Sunday: %d slots", len(slots.Items))
	}
	var e struct{ Error struct{ Field string } }
	if s := ta.api("GET", "/api/v1/calendar/free?managers=1&duration=1h&from=yesterday&to=2030-01-01T00:00:00Z", nil, &e); s != 422 || e.Error.Field != "from" {
		t.Errorf("a bad from: %d %+v", s, e)
	}
}
