package console

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/leadd/leadd/crm"
)

// workData is the work page: open activities (overdue, today, this week)
// a page each, a week calendar with a few of each day's activities and the
// free-slot search. A supervisor sees the department's or, picked, one
// manager's.
type workData struct {
	Overdue, Today, Week workList
	Days                 []calendarDay
	WeekStart            time.Time
	Prev, Next           string
	Date                 string // today in the viewer's zone, the free-slot search's default day
	Managers             []crm.Manager
	Manager              int64 // the manager a supervisor picked; 0: everyone
	Find                 *findData
}

// workList is a page of one of the work page's lists.
type workList struct {
	Items []crm.Activity
	More  string // the next page's link; "" on the last
	First string // the first page's link on a later one
}

type calendarDay struct {
	Day    time.Time
	Today  bool
	Events []crm.Activity
	More   bool // more that day than shown
}

// findData is "find a time": whom, how long, which day, and the slots.
type findData struct {
	IDs    map[int64]bool
	Length int
	Day    string
	Slots  []crm.Slot
}

const (
	workShown     = 50 // a list's page
	calendarShown = 20 // a calendar day's activities
)

func startOfDay(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

func (s *Server) work(r *http.Request, v *viewer) (any, error) {
	ctx := r.Context()
	q := r.URL.Query()
	scope := s.scope(v)
	d := workData{}
	if id, err := strconv.ParseInt(q.Get("manager"), 10, 64); err == nil && id > 0 && v.SeesAll() {
		scope, d.Manager = &id, id
	}
	today := startOfDay(v.Now, v.Loc)
	tomorrow := today.AddDate(0, 0, 1)
	var err error
	for _, l := range []struct {
		key, list string
		into      *workList
	}{
		{"overdue", crm.ListOverdue, &d.Overdue},
		{"today", crm.ListToday, &d.Today},
		{"week", crm.ListLater, &d.Week},
	} {
		if *l.into, err = s.workList(r, v, scope, l.key, l.list, tomorrow, today.AddDate(0, 0, 8)); err != nil {
			return nil, err
		}
	}
	// The calendar's week: Monday to Sunday, ?week=YYYY-MM-DD moves it.
	d.WeekStart = today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	if w := q.Get("week"); w != "" {
		if t, err := time.ParseInLocation(time.DateOnly, w, v.Loc); err == nil {
			d.WeekStart = t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
		}
	}
	d.Date = today.Format(time.DateOnly)
	d.Prev = d.WeekStart.AddDate(0, 0, -7).Format(time.DateOnly)
	d.Next = d.WeekStart.AddDate(0, 0, 7).Format(time.DateOnly)
	bounds := make([]time.Time, 8)
	for i := range bounds {
		bounds[i] = d.WeekStart.AddDate(0, 0, i)
	}
	days, err := s.store.CalendarActivities(ctx, scope, bounds, calendarShown+1)
	if err != nil {
		return nil, err
	}
	for i, events := range days {
		cd := calendarDay{Day: bounds[i], Today: bounds[i].Equal(today), Events: events}
		if len(events) > calendarShown {
			cd.Events, cd.More = events[:calendarShown], true
		}
		d.Days = append(d.Days, cd)
	}
	if d.Managers, err = s.store.Managers(ctx); err != nil {
		return nil, err
	}
	if q.Has("find") {
		if d.Find, err = s.findTime(r, v); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// workList reads a page of one list: ?<key>=<id> is the page after that
// activity. The links keep the rest of the page's query.
func (s *Server) workList(r *http.Request, v *viewer, scope *int64, key, list string, end, until time.Time) (workList, error) {
	q := r.URL.Query()
	after, _ := strconv.ParseInt(q.Get(key), 10, 64)
	items, err := s.store.OpenActivities(r.Context(), scope, list, v.Now, end, until, max(after, 0), workShown+1)
	if err != nil {
		return workList{}, err
	}
	l := workList{Items: items}
	if after > 0 {
		q.Del(key)
		l.First = workLink(q, key)
	}
	if len(items) > workShown {
		l.Items = items[:workShown]
		q.Set(key, strconv.FormatInt(l.Items[workShown-1].ID, 10))
		l.More = workLink(q, key)
	}
	return l, nil
}

func workLink(q url.Values, key string) string {
	if len(q) == 0 {
		return "/work#" + key
	}
	return "/work?" + q.Encode() + "#" + key
}

// findTime searches the free slots of the chosen managers on a day.
func (s *Server) findTime(r *http.Request, v *viewer) (*findData, error) {
	q := r.URL.Query()
	f := &findData{IDs: map[int64]bool{}, Length: 60, Day: q.Get("day")}
	var ids []int64
	for _, raw := range q["managers"] {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			return nil, crm.Invalid("managers", "%s", v.T("form.pick_manager"))
		}
		ids = append(ids, id)
		f.IDs[id] = true
	}
	if len(ids) == 0 && v.P.ManagerID != nil {
		ids = []int64{*v.P.ManagerID}
		f.IDs[*v.P.ManagerID] = true
	}
	if n, err := strconv.Atoi(q.Get("length")); err == nil && n >= 15 && n <= 480 {
		f.Length = n
	}
	day, err := time.ParseInLocation(time.DateOnly, f.Day, v.Loc)
	if err != nil {
		day = startOfDay(v.Now, v.Loc)
		f.Day = day.Format(time.DateOnly)
	}
	if len(ids) == 0 {
		return f, nil
	}
	from := day
	if from.Before(v.Now) {
		from = v.Now
	}
	f.Slots, err = s.store.FreeSlots(r.Context(), ids, time.Duration(f.Length)*time.Minute, from, day.AddDate(0, 0, 1))
	if err != nil && crm.ErrorCode(err) == crm.EINVALID {
		return f, nil
	}
	return f, err
}

// completeActivity marks one of the viewer's activities done.
func (s *Server) completeActivity(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return "", err
	}
	back := localPath(r.PostFormValue("back"))
	if err := s.store.Authorize(r.Context(), v.P, crm.Write, crm.Path(crm.KindActivity, id)); err != nil {
		return "", err
	}
	if _, err := s.store.CompleteActivity(r.Context(), id, crm.Completion{Outcome: "done"}, s.opts.Cadence); err != nil {
		return back, err
	}
	s.flash(w, r, v.T("work.completed"), false)
	return back, nil
}
