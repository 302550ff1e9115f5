package console

import (
	"strings"

	"github.com/leadd/leadd/crm"
)

// reportTables are a report's tables as the console shows and exports
// them: the report's own, and for the funnel the deals lost by reason —
// which the report counts but its tables leave out — with the reasons'
// labels (loss.*).
func reportTables(rep crm.Tabular) []crm.Table {
	ts := rep.Tables()
	if f, ok := rep.(crm.FunnelReport); ok {
		if lt, ok := lossTable(f); ok {
			ts = append(ts[:1:1], append([]crm.Table{lt}, ts[1:]...)...)
		}
	}
	return ts
}

// lossTable is the funnel's deals lost, by stage and reason; false when
// none was lost.
func lossTable(f crm.FunnelReport) (crm.Table, bool) {
	t := crm.Table{
		Title: "Проигранные сделки по причинам",
		Head:  crm.Label{Key: "rep.t.lost_by_reason", Text: "Проигранные сделки по причинам"},
		Heads: []crm.Label{{Key: "rep.c.stage", Text: "Стадия"}, {Key: "loss.reason", Text: "Причина проигрыша"}, {Key: "rep.c.lost", Text: "Проиграны"}},
	}
	for _, h := range t.Heads {
		t.Columns = append(t.Columns, h.Text)
	}
	for _, st := range f.Stages {
		for _, r := range st.LostByReason {
			t.Rows = append(t.Rows, []any{st.Name, lossLabel(r.Reason), r.Count})
			t.Links = append(t.Links, []string{"", "", r.Link})
		}
	}
	return t, len(t.Rows) > 0
}

// lossLabel is a loss reason as a report word: the catalogue's label
// (Russian in the exports), a reason it lacks as it is configured.
func lossLabel(reason string) crm.Label {
	if reason == "" {
		return crm.Label{Key: "loss.none", Text: catalogue["loss.none"][0]}
	}
	if m, ok := catalogue["loss."+reason]; ok {
		return crm.Label{Key: "loss." + reason, Text: m[0]}
	}
	return crm.Label{Text: reason}
}

// allZero reports whether a report's tables hold no figure but zeros: the
// period (or, for a picture of now, the moment) has nothing to show.
func allZero(ts []crm.Table) bool {
	for _, t := range ts {
		for _, r := range t.Rows {
			for _, c := range r {
				switch x := c.(type) {
				case int:
					if x != 0 {
						return false
					}
				case int64:
					if x != 0 {
						return false
					}
				case float64:
					if x != 0 {
						return false
					}
				case crm.Decimal:
					if strings.Trim(string(x), "0.-") != "" {
						return false
					}
				}
			}
		}
	}
	return true
}
