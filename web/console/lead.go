package console

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
)

// pathID reads the {id} of a record's address; a malformed one is a
// missing record.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, crm.Errorf(crm.ENOTFOUND, "no such %s", name)
	}
	return id, nil
}

// leadFor loads the lead of the address if the viewer may do access to it
// (crm.Authorize: a supervisor or admin any, a manager their own and the
// unassigned queue). Errors: ENOTFOUND, EFORBIDDEN.
func (s *Server) leadFor(r *http.Request, v *viewer, access crm.Access) (crm.Lead, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return crm.Lead{}, err
	}
	if err := s.store.Authorize(r.Context(), v.P, access, crm.Path(crm.KindLead, id)); err != nil {
		return crm.Lead{}, err
	}
	return s.store.Lead(r.Context(), id)
}

// timelineItem is one line of a record's timeline: a touch, a note, an
// activity or an assignment hop.
type timelineItem struct {
	At       time.Time
	Kind     string // touch, note, activity, hop
	Touch    *touchView
	Note     *crm.Note
	Activity *crm.Activity
	Hop      *crm.Assignment
}

// withNotes adds the record's notes (the newest 200, from its timeline in
// crm) to a card's timeline, newest first.
func (s *Server) withNotes(r *http.Request, kind string, id int64, items []timelineItem) ([]timelineItem, error) {
	page, _, err := s.store.Timeline(r.Context(), kind, id, crm.TimelineFilter{Limit: 200})
	if err != nil {
		return nil, err
	}
	for _, it := range page {
		if it.Note != nil {
			items = append(items, timelineItem{At: it.At, Kind: "note", Note: it.Note})
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].At.After(items[j].At) })
	return items, nil
}

// touchView is a touch with its data read for showing.
type touchView struct {
	crm.Touch
	Call *struct {
		Direction    string `json:"direction"`
		Answered     bool   `json:"answered"`
		Duration     int    `json:"duration"`
		Disposition  string `json:"disposition"`
		RecordingURL string `json:"recording_url"`
	} `json:"call"`
	Mail *struct {
		Subject string `json:"subject"`
		From    string `json:"from"`
	} `json:"mail"`
	Fields  map[string]string `json:"fields"`
	PageURL string            `json:"page_url"`
	Ignored string            `json:"ignored"`
	By      *int64            `json:"by_manager_id"`
}

// SafeRecording is the console's address of a call's recording, for
// <audio>: Leadd fetches it from the PBX (with the PBX's key) and streams
// it to whoever may see the call, so the link works for a signed-in
// manager and for nobody else.
func (t *touchView) SafeRecording() string {
	if t.Call == nil || t.Call.RecordingURL == "" {
		return ""
	}
	return "/touches/" + strconv.FormatInt(t.ID, 10) + "/recording"
}

// touchRecording streams a call's recording to a viewer who may see its
// lead or deal. Errors: ENOTFOUND, EFORBIDDEN, EUNAVAILABLE.
func (s *Server) touchRecording(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rec, err := s.store.CallRecording(r.Context(), id)
	if err != nil {
		return err
	}
	refs := rec.Refs()
	if refs == nil && !v.P.SeesAll() {
		return crm.Errorf(crm.EFORBIDDEN, "call %d is nobody's client yet", id)
	}
	if err := s.store.Authorize(r.Context(), v.P, crm.Read, refs...); err != nil {
		return err
	}
	if s.opts.Recordings == nil {
		return crm.Errorf(crm.ENOTFOUND, "no telephony provider is configured")
	}
	return s.opts.Recordings.Serve(w, r, rec.Provider, rec.Ref, "call-"+strconv.FormatInt(id, 10)+".mp3")
}

// SortedFields are the form's fields by name.
func (t *touchView) SortedFields() [][2]string { return sortedMap(t.Fields) }

func sortedMap(m map[string]string) [][2]string {
	out := make([][2]string, 0, len(m))
	for k, v := range m {
		out = append(out, [2]string{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

func viewTouch(t crm.Touch) *touchView {
	tv := &touchView{Touch: t}
	_ = json.Unmarshal(t.Data, tv)
	tv.Touch = t
	return tv
}

func timeline(touches []crm.Touch, acts []crm.Activity, hops []crm.Assignment) []timelineItem {
	var out []timelineItem
	for _, t := range touches {
		out = append(out, timelineItem{At: t.At, Kind: "touch", Touch: viewTouch(t)})
	}
	for i := range acts {
		a := &acts[i]
		at := a.DueAt
		if a.DoneAt != nil {
			at = *a.DoneAt
		}
		out = append(out, timelineItem{At: at, Kind: "activity", Activity: a})
	}
	for i := range hops {
		out = append(out, timelineItem{At: hops[i].At, Kind: "hop", Hop: &hops[i]})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out
}

// leadData is the lead card.
type leadData struct {
	Lead        crm.Lead
	Timeline    []timelineItem
	Open        *crm.Activity // the next open activity, for no answer and reschedule
	Managers    []crm.Manager
	Pipelines   []crm.Pipeline
	JunkReasons []string
	UTM         [][2]string
	Fields      [][2]string
	Mine        bool
	IsOpen      bool
	Registry    bool
	SLADue      time.Time
	Custom      customFields
	// Landed is when the lead reached the managers, shown when that was
	// well after the client reached out (CreatedAt): intake was down or
	// behind, and the client waited longer than the CRM had the lead.
	Landed time.Time
	Late   time.Duration
}

// landedLate is how long after the client reached out a lead first
// reached a manager or the queue, before the card says so.
const landedLate = time.Minute

func (s *Server) leadCard(r *http.Request, v *viewer) (any, error) {
	l, err := s.leadFor(r, v, crm.Read)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	hops, err := s.store.Assignments(ctx, l.ID)
	if err != nil {
		return nil, err
	}
	d := leadData{Lead: l, JunkReasons: crm.JunkReasons, UTM: sortedMap(l.UTM), Fields: sortedMap(l.Fields), Registry: s.opts.Registry != nil}
	d.IsOpen = l.Open()
	if len(hops) > 0 && hops[0].At.Sub(l.CreatedAt) > landedLate {
		d.Landed, d.Late = hops[0].At, hops[0].At.Sub(l.CreatedAt)
	}
	d.Custom = s.cardFields(crm.FieldsLead, leadPath(l.ID)+"/fields", l.Fields)
	d.Mine = l.ManagerID != nil && v.P.ManagerID != nil && *l.ManagerID == *v.P.ManagerID
	if d.Timeline, err = s.withNotes(r, crm.RecordLead, l.ID, timeline(l.Touches, l.Activities, hops)); err != nil {
		return nil, err
	}
	for i := range l.Activities {
		if a := &l.Activities[i]; a.DoneAt == nil && (d.Open == nil || a.DueAt.Before(d.Open.DueAt)) {
			d.Open = a
		}
	}
	if d.Managers, err = s.store.Managers(ctx); err != nil {
		return nil, err
	}
	if d.Pipelines, err = s.store.Pipelines(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

func leadPath(id int64) string { return "/leads/" + strconv.FormatInt(id, 10) }

// takeLead: the manager takes the lead into work (a queued lead becomes
// theirs first).
func (s *Server) takeLead(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	l, err := s.leadFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	back := leadPath(l.ID)
	if l.ManagerID == nil {
		if v.P.ManagerID == nil {
			return back, crm.Invalid("manager_id", "%s", v.T("lead.take_nobody"))
		}
		if l, err = s.store.AssignLead(r.Context(), l.ID, *v.P.ManagerID, v.P.ManagerID, s.opts.SLA); err != nil {
			return back, err
		}
	}
	if l.Status == crm.StatusNew {
		if _, err := s.store.SetLeadStatus(r.Context(), l.ID, crm.StatusInProgress, ""); err != nil {
			return back, err
		}
	}
	s.flash(w, r, v.T("lead.taken"), false)
	return back, nil
}

// openActivity is the lead's next open activity the form names.
func (s *Server) openActivity(r *http.Request, l crm.Lead) (crm.Activity, error) {
	id, err := strconv.ParseInt(r.PostFormValue("activity"), 10, 64)
	if err != nil {
		return crm.Activity{}, crm.Invalid("activity", "no activity")
	}
	for _, a := range l.Activities {
		if a.ID == id && a.DoneAt == nil {
			return a, nil
		}
	}
	return crm.Activity{}, crm.Errorf(crm.ECONFLICT, "the activity is done already")
}

func (s *Server) noAnswer(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	l, err := s.leadFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	a, err := s.openActivity(r, l)
	if err != nil {
		return leadPath(l.ID), err
	}
	res, err := s.store.CompleteActivity(r.Context(), a.ID, crm.Completion{Outcome: "no_answer"}, s.opts.Cadence)
	if err != nil {
		return leadPath(l.ID), err
	}
	switch {
	case res.LeadJunk:
		s.flash(w, r, v.T("lead.unreachable"), false)
	case res.Next != nil:
		s.flash(w, r, v.T("lead.next_call")+" "+v.Time(res.Next.DueAt), false)
	}
	return leadPath(l.ID), nil
}

// parseLocal reads a datetime-local field in the viewer's zone.
func parseLocal(v *viewer, field, val string) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02T15:04", val, v.Loc)
	if err != nil {
		return time.Time{}, crm.Invalid(field, "%s", v.T("form.bad_time"))
	}
	return t, nil
}

func (s *Server) reschedule(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	l, err := s.leadFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	back := leadPath(l.ID)
	a, err := s.openActivity(r, l)
	if err != nil {
		return back, err
	}
	at, err := parseLocal(v, "at", r.PostFormValue("at"))
	if err != nil {
		return back, err
	}
	if !at.After(s.opts.Now()) {
		return back, crm.Invalid("at", "%s", v.T("form.past_time"))
	}
	if _, err := s.store.CompleteActivity(r.Context(), a.ID, crm.Completion{Outcome: "rescheduled", At: &at,
		Note: strings.TrimSpace(r.PostFormValue("note"))}, s.opts.Cadence); err != nil {
		return back, err
	}
	s.flash(w, r, v.T("lead.rescheduled")+" "+v.Time(at), false)
	return back, nil
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	l, err := s.leadFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	return s.note(w, r, v, crm.RecordLead, l.ID, leadPath(l.ID))
}

func (s *Server) addDealNote(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	d, err := s.dealFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	return s.note(w, r, v, crm.RecordDeal, d.ID, dealPath(d.ID))
}

// note adds the form's note to a record the viewer may write to.
func (s *Server) note(w http.ResponseWriter, r *http.Request, v *viewer, kind string, id int64, back string) (string, error) {
	text := strings.TrimSpace(r.PostFormValue("text"))
	if text == "" {
		return back, crm.Invalid("text", "%s", v.T("form.note_empty"))
	}
	if len(text) > crm.MaxNote {
		return back, crm.Invalid("text", "%s", v.T("form.note_long"))
	}
	if _, err := s.store.AddNote(r.Context(), kind, id, text, v.P.Actor()); err != nil {
		return back, err
	}
	s.flash(w, r, v.T("lead.noted"), false)
	return back, nil
}

// reassign hands the lead to another manager (supervisors and admins).
func (s *Server) reassign(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	l, err := s.leadFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	if !v.P.SeesAll() {
		return "", crm.Errorf(crm.EFORBIDDEN, "a manager does not re-assign")
	}
	id, err := strconv.ParseInt(r.PostFormValue("manager_id"), 10, 64)
	if err != nil || id <= 0 {
		return leadPath(l.ID), crm.Invalid("manager_id", "%s", v.T("form.pick_manager"))
	}
	if err := s.store.Authorize(r.Context(), v.P, crm.Write, crm.Named(crm.KindManager, "manager_id", &id)...); err != nil {
		return leadPath(l.ID), err
	}
	if _, err := s.store.AssignLead(r.Context(), l.ID, id, v.P.ManagerID, s.opts.SLA); err != nil {
		return leadPath(l.ID), err
	}
	s.flash(w, r, v.T("lead.reassigned")+" "+v.ManagerName(&id), false)
	return leadPath(l.ID), nil
}

// convert qualifies the lead into a deal: for a person, or for a company
// by name and INN (the registry fills its requisites when configured).
func (s *Server) convert(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	l, err := s.leadFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	back := leadPath(l.ID)
	c := crm.Conversion{Pipeline: r.PostFormValue("pipeline"), Title: strings.TrimSpace(r.PostFormValue("title"))}
	var inn string
	if r.PostFormValue("for") == "company" {
		name := strings.TrimSpace(r.PostFormValue("company"))
		inn = strings.TrimSpace(r.PostFormValue("inn"))
		if name == "" && inn == "" {
			return back, crm.Invalid("company.name", "%s", v.T("form.company_needed"))
		}
		c.Company = &crm.CompanyInput{}
		if name != "" {
			c.Company.Name = &name
		}
		if inn != "" {
			inn = strings.Join(strings.Fields(inn), "")
			if !digits(inn) || (len(inn) != 10 && len(inn) != 12) {
				return back, crm.Invalid("company.inn", "%s", v.T("form.bad_inn"))
			}
			c.Company.INN = &inn
		}
	}
	if err := s.store.AuthorizeReach(r.Context(), v.P, crm.Write, c.Company.Reach("company")...); err != nil {
		return back, err
	}
	out, err := s.store.ConvertLead(r.Context(), l.ID, c, v.P.Actor())
	if err != nil {
		return back, err
	}
	msg := v.T("lead.converted")
	if out.CompanyID != nil && inn != "" && s.opts.Registry != nil {
		if party, err := s.opts.Registry.FindParty(r.Context(), inn); err != nil {
			msg += " " + v.T("lead.lookup_failed") + " " + v.errorText(err)
		} else if _, err := s.store.FillCompany(r.Context(), *out.CompanyID, party); err != nil {
			msg += " " + v.T("lead.lookup_failed") + " " + v.errorText(err)
		} else {
			msg += " " + v.T("lead.lookup_ok")
		}
	}
	s.flash(w, r, msg, false)
	return "/deals/" + strconv.FormatInt(out.DealID, 10), nil
}

func (s *Server) junk(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	l, err := s.leadFor(r, v, crm.Write)
	if err != nil {
		return "", err
	}
	reason := r.PostFormValue("reason")
	ok := false
	for _, j := range crm.JunkReasons {
		ok = ok || j == reason
	}
	if !ok {
		return leadPath(l.ID), crm.Invalid("junk_reason", "%s", v.T("form.pick_reason"))
	}
	if _, err := s.store.SetLeadStatus(r.Context(), l.ID, crm.StatusJunk, reason); err != nil {
		return leadPath(l.ID), err
	}
	s.flash(w, r, v.T("lead.junked"), false)
	return leadPath(l.ID), nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
