package crm

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Stage semantics.
const (
	StageProgress = "progress"
	StageWon      = "won"
	StageLost     = "lost"
)

// Pipeline is a sales process: ordered stages, each in progress, won or
// lost. Declared in the config, reconciled into the database at start.
type Pipeline struct {
	ID          int64    `json:"id" yaml:"-"`
	Key         string   `json:"key" yaml:"key"`
	Name        string   `json:"name" yaml:"name"`
	Default     bool     `json:"default" yaml:"default"`
	LossReasons []string `json:"loss_reasons" yaml:"loss_reasons"`
	Stages      []Stage  `json:"stages" yaml:"stages"`
}

// Stage is one step of a pipeline.
type Stage struct {
	ID       int64  `json:"id" yaml:"-"`
	Key      string `json:"key" yaml:"key"`
	Name     string `json:"name" yaml:"name"`
	Semantic string `json:"semantic" yaml:"semantic"` // progress (default), won, lost
	Position int    `json:"position" yaml:"-"`
	// Probability is the percent chance a deal here is won, for the
	// pipeline report's weighted sum; nil: not given.
	Probability *int `json:"probability" yaml:"probability"`
}

// Closed reports whether a deal in this stage is finished.
func (s Stage) Closed() bool { return s.Semantic == StageWon || s.Semantic == StageLost }

var keyRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ValidatePipelines returns every problem, each naming its key under
// prefix ("pipelines[0].stages[2].key: ..."), and fills defaults.
func ValidatePipelines(prefix string, ps []Pipeline) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	if len(ps) == 0 {
		bad("", "at least one pipeline is needed")
	}
	keys, defaults := map[string]bool{}, 0
	for i := range ps {
		p := &ps[i]
		at := fmt.Sprintf("[%d]", i)
		if !keyRe.MatchString(p.Key) {
			bad(at+".key", "must be lower-case letters, digits and _, starting with a letter, not %q", p.Key)
		} else if keys[p.Key] {
			bad(at+".key", "%q is used twice", p.Key)
		}
		keys[p.Key] = true
		if strings.TrimSpace(p.Name) == "" {
			p.Name = p.Key
		}
		if p.Default {
			defaults++
		}
		stageKeys, progress, won := map[string]bool{}, 0, 0
		for j := range p.Stages {
			s := &p.Stages[j]
			sat := fmt.Sprintf("%s.stages[%d]", at, j)
			if !keyRe.MatchString(s.Key) {
				bad(sat+".key", "must be lower-case letters, digits and _, not %q", s.Key)
			} else if stageKeys[s.Key] {
				bad(sat+".key", "%q is used twice in this pipeline", s.Key)
			}
			stageKeys[s.Key] = true
			if s.Name == "" {
				s.Name = s.Key
			}
			switch s.Semantic {
			case "":
				s.Semantic = StageProgress
				progress++
			case StageProgress:
				progress++
			case StageWon:
				won++
			case StageLost:
			default:
				bad(sat+".semantic", "must be progress, won or lost, not %q", s.Semantic)
			}
			s.Position = j
			if s.Probability != nil && (*s.Probability < 0 || *s.Probability > 100) {
				bad(sat+".probability", "must be a percent from 0 to 100, not %d", *s.Probability)
			}
		}
		if progress == 0 {
			bad(at+".stages", "a pipeline needs at least one stage in progress")
		}
		if won != 1 {
			bad(at+".stages", "a pipeline needs exactly one won stage, not %d", won)
		}
		if len(p.Stages) > 0 && p.Stages[0].Semantic != StageProgress {
			bad(at+".stages[0].semantic", "a deal starts in the first stage, which must be in progress")
		}
	}
	if defaults > 1 {
		bad("", "only one pipeline may be the default")
	}
	if defaults == 0 && len(ps) > 0 {
		ps[0].Default = true
	}
	return errs
}

// ReconcilePipelines makes the database's pipelines and stages what the
// configuration says: new ones are added, renamed ones keep their deals
// (the key is the identity), and removing a stage or pipeline that holds
// deals is refused. Errors: ECONFLICT naming what still holds deals.
func (s *Store) ReconcilePipelines(ctx context.Context, ps []Pipeline) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE pipelines IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE pipelines SET is_default = false WHERE is_default`); err != nil {
			return err
		}
		keep := []string{}
		for i, p := range ps {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO pipelines (key, name, is_default, position, loss_reasons)
				VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (key) DO UPDATE SET name = $2, is_default = $3, position = $4, loss_reasons = $5 RETURNING id`,
				p.Key, p.Name, p.Default, i, nonNil(p.LossReasons)).Scan(&id); err != nil {
				return translate(err, "pipeline "+p.Key)
			}
			keep = append(keep, p.Key)
			stageKeys := []string{}
			for _, st := range p.Stages {
				if _, err := tx.Exec(ctx, `INSERT INTO stages (pipeline_id, key, name, semantic, position, probability)
					VALUES ($1, $2, $3, $4, $5, $6)
					ON CONFLICT (pipeline_id, key) DO UPDATE SET name = $3, semantic = $4, position = $5, probability = $6`,
					id, st.Key, st.Name, st.Semantic, st.Position, st.Probability); err != nil {
					return translate(err, "stage "+p.Key+"."+st.Key)
				}
				stageKeys = append(stageKeys, st.Key)
			}
			var gone string
			var n int
			err := tx.QueryRow(ctx, `SELECT s.key, count(d.id) FROM stages s JOIN deals d ON d.stage_id = s.id
				WHERE s.pipeline_id = $1 AND NOT s.key = ANY($2) GROUP BY s.key LIMIT 1`, id, stageKeys).Scan(&gone, &n)
			if err == nil {
				return Errorf(ECONFLICT, "pipelines.%s: stage %q is no longer configured but holds %d deals; move them to another stage first", p.Key, gone, n)
			} else if err != pgx.ErrNoRows {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM deal_stage_history h USING stages s
				WHERE s.id IN (h.from_stage_id, h.to_stage_id) AND s.pipeline_id = $1 AND NOT s.key = ANY($2)`, id, stageKeys); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM stages WHERE pipeline_id = $1 AND NOT key = ANY($2)`, id, stageKeys); err != nil {
				return translate(err, "stages")
			}
		}
		var gone string
		err := tx.QueryRow(ctx, `SELECT p.key FROM pipelines p WHERE NOT p.key = ANY($1)
			AND EXISTS (SELECT 1 FROM deals WHERE pipeline_id = p.id) LIMIT 1`, keep).Scan(&gone)
		if err == nil {
			return Errorf(ECONFLICT, "pipeline %q is no longer configured but holds deals; move them first", gone)
		} else if err != pgx.ErrNoRows {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM pipelines WHERE NOT key = ANY($1)`, keep)
		return translate(err, "pipelines")
	})
}

// Pipelines lists the pipelines with their stages, in order.
func (s *Store) Pipelines(ctx context.Context) ([]Pipeline, error) {
	return pipelines(ctx, s.pool)
}

func pipelines(ctx context.Context, q Querier) ([]Pipeline, error) {
	rows, err := q.Query(ctx, `SELECT p.id, p.key, p.name, p.is_default, p.loss_reasons, s.id, s.key, s.name, s.semantic, s.position, s.probability
		FROM pipelines p JOIN stages s ON s.pipeline_id = p.id ORDER BY p.position, p.id, s.position`)
	if err != nil {
		return nil, translate(err, "pipelines")
	}
	defer rows.Close()
	var out []Pipeline
	for rows.Next() {
		var p Pipeline
		var st Stage
		if err := rows.Scan(&p.ID, &p.Key, &p.Name, &p.Default, &p.LossReasons, &st.ID, &st.Key, &st.Name, &st.Semantic, &st.Position, &st.Probability); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != p.ID {
			out = append(out, p)
		}
		last := &out[len(out)-1]
		last.Stages = append(last.Stages, st)
	}
	return out, translate(rows.Err(), "pipelines")
}

// pipelineByKey returns the named pipeline, or the default one for "".
// Errors: EINVALID naming field.
func pipelineByKey(ctx context.Context, q Querier, key, field string) (Pipeline, error) {
	ps, err := pipelines(ctx, q)
	if err != nil {
		return Pipeline{}, err
	}
	for _, p := range ps {
		if p.Key == key || (key == "" && p.Default) {
			return p, nil
		}
	}
	return Pipeline{}, Invalid(field, "no pipeline %q", key)
}

// stage finds a stage of the pipeline by key (or id as text).
func (p Pipeline) stage(key string) (Stage, bool) {
	for _, s := range p.Stages {
		if s.Key == key || fmt.Sprint(s.ID) == key {
			return s, true
		}
	}
	return Stage{}, false
}
