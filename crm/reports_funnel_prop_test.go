package crm

import (
	"math/rand"
	"testing"
)

// Every conversion the funnel shows is a share of the deals that entered a
// stage, so it lies within 0–100 % — over any history: deals that skip
// stages, step back, are won from anywhere or lost anywhere. The won and
// lost stages are where deals end: they have no conversion at all.
func TestFunnelConversionsAreSharesOverRandomHistories(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewSource(15))
	for run := 0; run < 500; run++ {
		// A pipeline of 1–6 progress stages, won and lost.
		n := 1 + rng.Intn(6)
		p := Pipeline{Key: "p"}
		for i := 0; i < n; i++ {
			p.Stages = append(p.Stages, Stage{ID: int64(i + 1), Key: string(rune('a' + i)), Semantic: StageProgress, Position: i})
		}
		won := Stage{ID: 100, Key: "won", Semantic: StageWon, Position: n}
		lost := Stage{ID: 101, Key: "lost", Semantic: StageLost, Position: n + 1}
		p.Stages = append(p.Stages, won, lost)
		// Deals as the store groups them: where each is now, the furthest
		// progress stage it reached, where it was lost.
		var groups []funnelGroup
		for d := rng.Intn(40); d > 0; d-- {
			reached := rng.Intn(n)
			g := funnelGroup{reached: reached, n: 1 + rng.Intn(3)}
			switch rng.Intn(3) {
			case 0:
				g.stageID, g.semantic = won.ID, StageWon
			case 1:
				at := rng.Intn(reached + 1)
				g.stageID, g.semantic, g.lostPos, g.reason = lost.ID, StageLost, &at, "price"
			default:
				g.stageID, g.semantic = int64(rng.Intn(reached+1)+1), StageProgress
			}
			groups = append(groups, g)
		}
		for _, st := range foldFunnel(p, ReportFilter{}, groups, nil) {
			for name, c := range map[string]*float64{"to next": st.ConversionNext, "to won": st.ConversionWon} {
				switch {
				case st.Semantic != StageProgress && c != nil:
					t.Fatalf("run %d: the %s stage has a conversion %s of %v", run, st.Semantic, name, *c)
				case c != nil && (*c < 0 || *c > 100):
					t.Fatalf("run %d: stage %s converts %s %v %% of %d entered (groups %+v)", run, st.Key, name, *c, st.Entered, groups)
				case c == nil && st.Semantic == StageProgress && st.Entered > 0:
					t.Fatalf("run %d: stage %s entered by %d has no conversion %s", run, st.Key, st.Entered, name)
				}
			}
		}
	}
}
