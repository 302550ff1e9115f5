package console

import (
	"net/http"
	"strconv"
	"time"

	"github.com/leadd/leadd/crm"
)

// workData is the work page: open activities (overdue, today, this week),
// a week calendar and the free-slot search.
type workData struct {
	Overdue, Today, Week []crm.Activity
	Days                 []calendarDay
	WeekStart            time.Time
	Prev, Next           string
	Date                 string // today in the viewer's zone, the free-slot search's default day
	Managers             []crm.Manager
	Find                 *findData
}

type calendarDay struct {
	Day    time.Time
	Today  bool
	Events []crm.Activity
}

// findData is "find a time": whom, how long, which day, and the slots.
type findData struct {
	IDs    map[int64]bool
	Length int
	Day    string
	Slots  []crm.Slot
}

func startOfDay(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

func (s *Server) work(r *http.Request, v *viewer) (any, error) {
	ctx := r.Context()
	scope := s.scope(v)
	d := workData{}
	today := startOfDay(v.Now, v.Loc)
	open, err := s.store.WeekActivities(ctx, scope, today.AddDate(0, 0, -60), today.AddDate(0, 0, 8))
	if err != nil {
		return nil, err
	}
	for _, a := range open {
		switch {
		case a.DoneAt != nil:
		case a.Overdue(v.Now): // past its due time and grace, as the counters count
			d.Overdue = append(d.Overdue, a)
		case a.DueAt.Before(today.AddDate(0, 0, 1)):
			d.Today = append(d.Today, a)
		default:
			d.Week = append(d.Week, a)
		}
	}
	// The calendar's week: Monday to Sunday, ?week=YYYY-MM-DD moves it.
	d.WeekStart = today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	if w := r.URL.Query().Get("week"); w != "" {
		if t, err := time.ParseInLocation(time.DateOnly, w, v.Loc); err == nil {
			d.WeekStart = t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
		}
	}
	d.Date = today.Format(time.DateOnly)
	d.Prev = d.WeekStart.AddDate(0, 0, -7).Format(time.DateOnly)
	d.Next = d.WeekStart.AddDate(0, 0, 7).Format(time.DateOnly)
	week, err := s.store.WeekActivities(ctx, scope, d.WeekStart, d.WeekStart.AddDate(0, 0, 7))
	if err != nil {
		return nil, err
	}
	for i := range 7 {
		day := d.WeekStart.AddDate(0, 0, i)
		cd := calendarDay{Day: day, Today: day.Equal(today)}
		for _, a := range week {
			if !a.DueAt.Before(day) && a.DueAt.Before(day.AddDate(0, 0, 1)) {
				cd.Events = append(cd.Events, a)
			}
		}
		d.Days = append(d.Days, cd)
	}
	if d.Managers, err = s.store.Managers(ctx); err != nil {
		return nil, err
	}
	if r.URL.Query().Has("find") {
		if d.Find, err = s.findTime(r, v); err != nil {
			return nil, err
		}
	}
	return d, nil
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
