package opportunity

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// Pipelines: an administrator's ordered stages, each with a win probability. Several pipelines
// may exist (one per business line). The default pipeline exists before any event (its state
// before its first event is DefaultStages); others are defined. A stage is never removed, only
// disabled, so that every opportunity's stage keeps its meaning; an opportunity in a disabled
// stage stays there and may leave it, but none may enter it.

// PipelineStreamPrefix is the stream kind of pipelines.
const PipelineStreamPrefix = "pipeline"

// PipelineStream is the stream of a pipeline.
func PipelineStream(id uuid.UUID) string { return PipelineStreamPrefix + "-" + id.String() }

// DefaultPipelineID is the id of the pipeline every installation starts with.
var DefaultPipelineID = uuid.MustParse("5f0c2f7e-8a41-4b6e-9d3c-0a7e1b2c3d40")

// MaxStages bounds a pipeline's stages.
const MaxStages = 20

// Stage is one step of a pipeline. Won and lost are not stages: they are an opportunity's
// status (probability 100 and 0).
type Stage struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	NameEN      string `json:"nameEn,omitempty"`
	Probability int    `json:"probability"`
	Disabled    bool   `json:"disabled,omitempty"`
}

// DefaultStages are the default pipeline's stages (the requirement documents' 验证客户 10,
// 需求分析 30, 方案报价 60, 谈判审核 80).
var DefaultStages = []Stage{
	{Key: "qualify", Name: "验证客户", NameEN: "Qualification", Probability: 10},
	{Key: "needs", Name: "需求分析", NameEN: "Needs analysis", Probability: 30},
	{Key: "proposal", Name: "方案报价", NameEN: "Proposal", Probability: 60},
	{Key: "negotiation", Name: "谈判审核", NameEN: "Negotiation", Probability: 80},
}

// Pipeline errors.
var (
	ErrPipelineExists = errors.New("the pipeline already exists")
	ErrUnknownStage   = errors.New("no such stage in the opportunity's pipeline")
)

// PipelineDefined: an administrator created a pipeline.
type PipelineDefined struct {
	PipelineID string    `json:"pipelineId"`
	Name       string    `json:"name"`
	Stages     []Stage   `json:"stages"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// PipelineRevised: the name, stages (order, names, probabilities, disabled) or the pipeline's
// own disabled flag changed. It carries the whole new definition.
type PipelineRevised struct {
	PipelineID string    `json:"pipelineId"`
	Name       string    `json:"name"`
	Stages     []Stage   `json:"stages"`
	Disabled   bool      `json:"disabled,omitempty"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

func (PipelineDefined) EventType() string { return "pipeline.defined.v1" }
func (PipelineRevised) EventType() string { return "pipeline.revised.v1" }

// Pipeline is the aggregate.
type Pipeline struct {
	event.Root
	id       uuid.UUID
	name     string
	stages   []Stage
	disabled bool
}

// DefaultPipeline is the default pipeline before any event.
func DefaultPipeline() *Pipeline {
	return &Pipeline{id: DefaultPipelineID, name: "默认销售流程", stages: slices.Clone(DefaultStages)}
}

// DefinePipeline creates a pipeline.
func DefinePipeline(id uuid.UUID, name string, stages []Stage, by uuid.UUID, at time.Time) (*Pipeline, error) {
	if id == uuid.Nil || id == DefaultPipelineID {
		return nil, ErrPipelineExists
	}
	name, stages = strings.TrimSpace(name), trimStages(stages)
	if err := checkPipeline(name, stages, nil); err != nil {
		return nil, err
	}
	p := &Pipeline{id: id}
	p.Record(p.apply, PipelineDefined{PipelineID: id.String(), Name: name, Stages: stages, By: by.String(), At: at.UTC()})
	return p, nil
}

// RehydratePipeline rebuilds a pipeline; the default pipeline's history may be empty.
func RehydratePipeline(id uuid.UUID, history []event.Event) (*Pipeline, error) {
	p := &Pipeline{id: id}
	if id == DefaultPipelineID {
		p = DefaultPipeline()
	} else if len(history) == 0 {
		return nil, ErrNotFound
	}
	p.Replay(p.apply, history, nil)
	return p, nil
}

func (p *Pipeline) apply(e event.Event) {
	switch e := e.(type) {
	case PipelineDefined:
		p.name, p.stages = e.Name, slices.Clone(e.Stages)
	case PipelineRevised:
		p.name, p.stages, p.disabled = e.Name, slices.Clone(e.Stages), e.Disabled
	}
}

func (p *Pipeline) ID() uuid.UUID   { return p.id }
func (p *Pipeline) Name() string    { return p.name }
func (p *Pipeline) Disabled() bool  { return p.disabled }
func (p *Pipeline) Stages() []Stage { return slices.Clone(p.stages) }
func (p *Pipeline) Default() bool   { return p.id == DefaultPipelineID }

// Stage finds a stage by key.
func (p *Pipeline) Stage(key string) (Stage, bool) {
	i := slices.IndexFunc(p.stages, func(s Stage) bool { return s.Key == key })
	if i < 0 {
		return Stage{}, false
	}
	return p.stages[i], true
}

// FirstStage is the first enabled stage (where new opportunities start).
func (p *Pipeline) FirstStage() (Stage, bool) {
	for _, s := range p.stages {
		if !s.Disabled {
			return s, true
		}
	}
	return Stage{}, false
}

// Enterable checks that an opportunity may move into the stage.
func (p *Pipeline) Enterable(key string) (Stage, error) {
	s, ok := p.Stage(key)
	if !ok {
		return Stage{}, &field.Error{Field: "stage", Message: fmt.Sprintf("the pipeline %q has no stage %q", p.name, key), Code: "unknown_stage"}
	}
	if s.Disabled {
		return Stage{}, &field.Error{Field: "stage", Message: fmt.Sprintf("the stage %q is disabled", key), Code: "stage_disabled"}
	}
	return s, nil
}

// Revise replaces the definition. Every existing stage must still be there (disable it instead
// of removing it); the same definition records nothing. The default pipeline may not be disabled.
func (p *Pipeline) Revise(name string, stages []Stage, disabled bool, by uuid.UUID, at time.Time) error {
	name, stages = strings.TrimSpace(name), trimStages(stages)
	if err := checkPipeline(name, stages, p.stages); err != nil {
		return err
	}
	if disabled && p.Default() {
		return &field.Error{Field: "disabled", Message: "the default pipeline cannot be disabled", Code: "default_pipeline"}
	}
	if name == p.name && slices.Equal(stages, p.stages) && disabled == p.disabled {
		return nil
	}
	p.Record(p.apply, PipelineRevised{PipelineID: p.id.String(), Name: name, Stages: stages, Disabled: disabled, By: by.String(), At: at.UTC()})
	return nil
}

func trimStages(in []Stage) []Stage {
	out := make([]Stage, len(in))
	for i, s := range in {
		s.Key, s.Name, s.NameEN = strings.TrimSpace(s.Key), strings.TrimSpace(s.Name), strings.TrimSpace(s.NameEN)
		out[i] = s
	}
	return out
}

func checkPipeline(name string, stages, before []Stage) error {
	var errs []error
	errs = append(errs, field.Required("name", name), field.Text("name", name, 50))
	if len(stages) == 0 || len(stages) > MaxStages {
		errs = append(errs, field.Errorf("stages", "must hold 1 to %d stages; got %d", MaxStages, len(stages)))
	}
	seen := map[string]bool{}
	enabled := 0
	for i, s := range stages {
		at := fmt.Sprintf("stages[%d]", i)
		if !validKey(s.Key) {
			errs = append(errs, field.Errorf(at+".key", "must be 1 to 40 lowercase letters, digits or '_', starting with a letter; got %q", s.Key))
		}
		if s.Key == "won" || s.Key == "lost" {
			errs = append(errs, field.Errorf(at+".key", "%q is an opportunity status, not a stage", s.Key))
		}
		if seen[s.Key] {
			errs = append(errs, &field.Error{Field: at + ".key", Message: fmt.Sprintf("%q appears twice", s.Key), Code: "duplicate_stage"})
		}
		seen[s.Key] = true
		errs = append(errs, field.Required(at+".name", s.Name), field.Text(at+".name", s.Name, 30), field.Text(at+".nameEn", s.NameEN, 50))
		if s.Probability < 0 || s.Probability > 100 {
			errs = append(errs, field.Errorf(at+".probability", "must be between 0 and 100; got %d", s.Probability))
		}
		if !s.Disabled {
			enabled++
		}
	}
	if len(stages) > 0 && enabled == 0 {
		errs = append(errs, field.Errorf("stages", "at least one stage must be enabled"))
	}
	for _, b := range before {
		if !seen[b.Key] {
			errs = append(errs, &field.Error{Field: "stages", Message: fmt.Sprintf("the stage %q may be disabled but not removed: opportunities may be in it", b.Key), Code: "stage_removed"})
		}
	}
	return errors.Join(errs...)
}

func validKey(s string) bool {
	if s == "" || len(s) > 40 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
