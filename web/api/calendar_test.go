package api

import (
	"bytes"
	"math/rand"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/leadd/leadd/crm"
)

// The feed's lines: a property this code writes, or the fold of one.
var feedLine = regexp.MustCompile(`^( |(BEGIN|END|VERSION|PRODID|CALSCALE|METHOD|X-WR-CALNAME|UID|DTSTAMP|LAST-MODIFIED|DTSTART|DTEND|SUMMARY|DESCRIPTION|CATEGORIES|STATUS):)`)

func TestAnySubjectStaysOneTextInTheFeed(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewSource(7))
	alphabet := []string{"\r", "\n", "\r\n", ";", ",", "\\", ":", "\t", "\x00", "\x7f", "\xff", "a", "Ж", " ", "BEGIN:VEVENT", "ATTENDEE:x", "\\n", "☎"}
	at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	for n := range 3000 {
		var b strings.Builder
		for range rng.Intn(40) {
			b.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		subject, name := b.String(), "Анна"+b.String()
		feed := ICalendar(crm.Manager{Name: name}, []crm.CalendarEvent{{ID: int64(n + 1), Type: crm.ActivityMeeting, Subject: subject,
			Start: at, End: at.Add(time.Hour), Updated: at}}, at)
		for _, l := range strings.Split(strings.TrimSuffix(feed, "\r\n"), "\r\n") {
			if !feedLine.MatchString(l) || strings.ContainsAny(l, "\r\n") || len(l) > 75 {
				t.Fatalf("subject %q: the feed has a line of its own making: %q\n%s", subject, l, feed)
			}
		}
		cal, err := ical.NewDecoder(bytes.NewReader([]byte(feed))).Decode()
		if err != nil {
			t.Fatalf("subject %q: the feed does not parse: %v\n%s", subject, err, feed)
		}
		events := cal.Events()
		if len(events) != 1 {
			t.Fatalf("subject %q: %d events", subject, len(events))
		}
		got, err := events[0].Props.Text(ical.PropSummary)
		if err != nil || got != plain(subject) {
			t.Fatalf("subject %q reads back as %q (%v), want %q", subject, got, err, plain(subject))
		}
		if calName, _ := cal.Props.Text("X-WR-CALNAME"); calName != "Leadd: "+plain(name) {
			t.Fatalf("calendar name %q reads back as %q", name, calName)
		}
	}
}

// plain is the text a calendar shows for s: line breaks as \n, other
// control characters as spaces, broken UTF-8 replaced.
func plain(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f) {
			return ' '
		}
		return r
	}, s)
}
