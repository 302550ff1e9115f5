package crm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

func salesPipeline(stages ...crm.Stage) []crm.Pipeline {
	ps := []crm.Pipeline{{Key: "sales", Name: "Продажи", Default: true, Stages: stages}}
	if errs := crm.ValidatePipelines("pipelines", ps); len(errs) > 0 {
		panic(errs)
	}
	return ps
}

func TestPipelinesAreReconciledFromTheConfig(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	ctx := context.Background()
	first := salesPipeline(crm.Stage{Key: "new", Name: "Новая"}, crm.Stage{Key: "offer", Name: "КП"},
		crm.Stage{Key: "won", Name: "Успех", Semantic: "won"}, crm.Stage{Key: "lost", Name: "Провал", Semantic: "lost"})
	if err := db.Store.ReconcilePipelines(ctx, first); err != nil {
		t.Fatal(err)
	}
	title, stage := "Станок", "offer"
	d, err := db.Store.CreateDeal(ctx, crm.DealInput{Title: &title, Stage: &stage}, crm.Actor{})
	if err != nil {
		t.Fatal(err)
	}

	// Renaming a stage (same key) keeps its deals; a new stage is added.
	renamed := salesPipeline(crm.Stage{Key: "new", Name: "Новая"}, crm.Stage{Key: "needs", Name: "Потребности"},
		crm.Stage{Key: "offer", Name: "Коммерческое предложение"},
		crm.Stage{Key: "won", Name: "Успех", Semantic: "won"}, crm.Stage{Key: "lost", Name: "Провал", Semantic: "lost"})
	if err := db.Store.ReconcilePipelines(ctx, renamed); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Store.Deal(ctx, d.ID)
	if got.Stage != "offer" || got.StageName != "Коммерческое предложение" {
		t.Errorf("after the rename the deal is in %s %q", got.Stage, got.StageName)
	}
	ps, _ := db.Store.Pipelines(ctx)
	if len(ps[0].Stages) != 5 || ps[0].Stages[1].Key != "needs" {
		t.Errorf("stages %+v", ps[0].Stages)
	}

	// Removing a stage that holds a deal is refused, naming it; the
	// database stays as it was.
	removed := salesPipeline(crm.Stage{Key: "new"}, crm.Stage{Key: "won", Semantic: "won"}, crm.Stage{Key: "lost", Semantic: "lost"})
	err = db.Store.ReconcilePipelines(ctx, removed)
	if crm.ErrorCode(err) != crm.ECONFLICT || !strings.Contains(err.Error(), `"offer"`) || !strings.Contains(err.Error(), "1 deals") {
		t.Fatalf("removing a stage with a deal: %v", err)
	}
	if ps, _ := db.Store.Pipelines(ctx); len(ps[0].Stages) != 5 {
		t.Errorf("a refused reconcile changed the stages: %d", len(ps[0].Stages))
	}
	// An empty stage goes quietly.
	withoutNeeds := salesPipeline(crm.Stage{Key: "new"}, crm.Stage{Key: "offer"}, crm.Stage{Key: "won", Semantic: "won"}, crm.Stage{Key: "lost", Semantic: "lost"})
	if err := db.Store.ReconcilePipelines(ctx, withoutNeeds); err != nil {
		t.Errorf("removing an empty stage: %v", err)
	}
}

func TestAPipelineConfigIsValidated(t *testing.T) {
	ps := []crm.Pipeline{
		{Key: "sales", Stages: []crm.Stage{{Key: "won", Semantic: "won"}, {Key: "new"}}},
		{Key: "Sales 2", Stages: []crm.Stage{{Key: "a"}, {Key: "a"}, {Key: "x", Semantic: "maybe"}}},
	}
	var msgs []string
	for _, e := range crm.ValidatePipelines("pipelines", ps) {
		msgs = append(msgs, e.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, key := range []string{"pipelines[0].stages[0].semantic:", "pipelines[1].key:", "pipelines[1].stages[1].key:",
		"pipelines[1].stages[2].semantic:", "pipelines[1].stages: a pipeline needs exactly one won stage"} {
		if !strings.Contains(all, key) {
			t.Errorf("no %s in:\n%s", key, all)
		}
	}
}
