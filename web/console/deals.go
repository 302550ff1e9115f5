package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/imports"
)

// boardQuery is the board's and the list's filter as the form sends it.
type boardQuery struct {
	Pipeline string
	Manager  string
	Channel  string
	Period   string // 7d, 30d, 90d, year, or "" for all time
	Sort     string // list: newest (default), oldest, amount (largest first) or amount_asc
}

var periods = []string{"", "7d", "30d", "90d", "365d"}

var channels = []string{crm.ChannelForm, crm.ChannelCall, crm.ChannelMail, crm.ChannelMessenger, crm.ChannelManual}

func readBoardQuery(r *http.Request) boardQuery {
	q := r.URL.Query()
	return boardQuery{Pipeline: q.Get("pipeline"), Manager: q.Get("manager"), Channel: q.Get("channel"), Period: q.Get("period"), Sort: q.Get("sort")}
}

// SortBy is the query string of the filter sorted by sort, for the
// list's column headers.
func (b boardQuery) SortBy(sort string) string {
	b.Sort = sort
	return b.Encode()
}

// Encode is the query string of the filter, for links.
func (b boardQuery) Encode() string {
	q := url.Values{}
	for k, v := range map[string]string{"pipeline": b.Pipeline, "manager": b.Manager, "channel": b.Channel, "period": b.Period, "sort": b.Sort} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

// filter is the store's filter for the viewer: a manager sees their own
// deals whatever the form says.
func (b boardQuery) filter(v *viewer) (crm.BoardFilter, error) {
	f := crm.BoardFilter{Pipeline: b.Pipeline}
	if b.Manager != "" {
		id, err := strconv.ParseInt(b.Manager, 10, 64)
		if err != nil || id <= 0 {
			return f, crm.Invalid("manager_id", "%s", v.T("form.pick_manager"))
		}
		f.ManagerID = &id
	}
	if !v.P.SeesAll() {
		f.ManagerID = v.P.ManagerID
	}
	for _, c := range channels {
		if c == b.Channel {
			f.Channel = c
		}
	}
	switch b.Period {
	case "7d", "30d", "90d", "365d":
		days, _ := strconv.Atoi(b.Period[:len(b.Period)-1])
		f.From = v.Now.AddDate(0, 0, -days)
	}
	return f, nil
}

// boardData is the Kanban page.
type boardData struct {
	Query       boardQuery
	Pipelines   []crm.Pipeline
	Pipeline    crm.Pipeline
	Columns     []crm.BoardColumn
	Managers    []crm.Manager
	Channels    []string
	Periods     []string
	LossReasons []string
	Total       int
}

func (s *Server) boardCommon(r *http.Request, v *viewer) (boardData, crm.BoardFilter, error) {
	d := boardData{Query: readBoardQuery(r), Channels: channels, Periods: periods}
	f, err := d.Query.filter(v)
	if err != nil {
		return d, f, err
	}
	if d.Pipelines, err = s.store.Pipelines(r.Context()); err != nil {
		return d, f, err
	}
	for _, p := range d.Pipelines {
		if (d.Query.Pipeline == "" && p.Default) || p.Key == d.Query.Pipeline {
			d.Pipeline = p
		}
	}
	if d.Pipeline.Key == "" {
		return d, f, crm.Errorf(crm.ENOTFOUND, "pipeline %q", d.Query.Pipeline)
	}
	d.LossReasons = d.Pipeline.LossReasons
	if d.Managers, err = s.store.Managers(r.Context()); err != nil {
		return d, f, err
	}
	return d, f, nil
}

func (s *Server) board(r *http.Request, v *viewer) (any, error) {
	d, f, err := s.boardCommon(r, v)
	if err != nil {
		return nil, err
	}
	if d.Columns, err = s.store.Board(r.Context(), f); err != nil {
		return nil, err
	}
	for _, c := range d.Columns {
		d.Total += c.Count
	}
	return d, nil
}

// columnData is a column's next cards, as a fragment or a page.
type columnData struct {
	boardData
	Stage crm.Stage
	Cards []crm.BoardCard
	Next  int64
}

// boardColumn answers "more" in a column: the next cards after ?before.
func (s *Server) boardColumn(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d, f, err := s.boardCommon(r, v)
	if err != nil {
		return err
	}
	c := columnData{boardData: d}
	for _, st := range d.Pipeline.Stages {
		if st.Key == r.URL.Query().Get("stage") {
			c.Stage = st
		}
	}
	if c.Stage.Key == "" {
		return crm.Errorf(crm.ENOTFOUND, "no stage")
	}
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	cards, err := s.store.BoardCards(r.Context(), f, c.Stage.Key, before, crm.BoardCardsShown+1)
	if err != nil {
		return err
	}
	if len(cards) > crm.BoardCardsShown {
		cards = cards[:crm.BoardCardsShown]
		c.Next = cards[len(cards)-1].ID
	}
	c.Cards = cards
	s.render(w, r, v, http.StatusOK, "column", c)
	return nil
}

// dealsData is the list view.
type dealsData struct {
	boardData
	Deals  []crm.Deal
	Next   string
	Stages map[string]string
}

func (s *Server) dealList(r *http.Request, v *viewer) (any, error) {
	b, bf, err := s.boardCommon(r, v)
	if err != nil {
		return nil, err
	}
	d := dealsData{boardData: b, Stages: map[string]string{}}
	// The board's filters, so the list shows the same deals.
	f := crm.DealFilter{Pipeline: b.Pipeline.Key, ManagerID: bf.ManagerID, Channel: bf.Channel, From: bf.From, To: bf.To,
		Oldest:   b.Query.Sort == "oldest" || b.Query.Sort == "amount_asc",
		ByAmount: b.Query.Sort == "amount" || b.Query.Sort == "amount_asc",
		Cursor:   r.URL.Query().Get("cursor"), Limit: 100}
	if d.Deals, d.Next, err = s.store.Deals(r.Context(), f); err != nil {
		return nil, err
	}
	return d, nil
}

// exportDeals downloads the list as CSV or XLSX, as the API's export.
func (s *Server) exportDeals(w http.ResponseWriter, r *http.Request, v *viewer) error {
	b, bf, err := s.boardCommon(r, v)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format != "xlsx" {
		format = "csv"
	}
	f := imports.Filter{Deals: crm.DealFilter{Pipeline: b.Pipeline.Key, ManagerID: bf.ManagerID, Channel: bf.Channel, From: bf.From, To: bf.To}}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(5 * time.Minute))
	w.Header().Set("Content-Type", imports.ContentType(format))
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="deals-%s.%s"`, v.Now.In(v.Loc).Format("2006-01-02"), format))
	if err := imports.Export(r.Context(), w, format, imports.Deals, s.store, f); err != nil {
		s.log.Error("console export failed part-way", "err", err)
		panic(http.ErrAbortHandler) // half a file must not pass for a whole one
	}
	return nil
}
