// Package opportunitycmd holds the opportunity module's commands: opportunities (enter, edit,
// move through the stages, line items, win, lose, reopen, assign, delete, the development plan)
// and the pipelines administrators define.
package opportunitycmd

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// Customers is what opportunities need of the customer module (a port the wiring fills).
type Customers interface {
	// CustomerVisible is nil when the customer exists, is not deleted and the actor's scope
	// covers it; commands.ErrNotFound otherwise.
	CustomerVisible(ctx context.Context, a access.Actor, id uuid.UUID) error
	// ContactCustomer is the customer a live contact belongs to (commands.ErrNotFound: none).
	ContactCustomer(ctx context.Context, contactID uuid.UUID) (uuid.UUID, error)
}

// ErrProductOffSale: a product off sale is not added to new lines (Products answers it).
var ErrProductOffSale = commands.ErrProductOffSale

// Products prices line items (commands.Products).
type Products = commands.Products

// Deps are the service's ports.
type Deps struct {
	Org        access.Directory
	Customers  Customers
	Products   Products            // nil: line items must carry their unit price
	Dictionary commands.Dictionary // opportunity sources, lost reasons
}

// Service handles the opportunity commands.
type Service struct {
	repo      *commands.Repository[*opportunity.Opportunity]
	pipelines *commands.Repository[*opportunity.Pipeline]
	clock     commands.Clock
	deps      Deps
	rules     access.Rules
}

// New refuses missing ports.
func New(store eventstore.Store, registry *event.Registry, clock commands.Clock, d Deps) *Service {
	if d.Org == nil || d.Customers == nil || d.Dictionary == nil {
		panic("opportunitycmd: New without its ports")
	}
	return &Service{
		repo:      commands.NewRepository(store, registry, clock, opportunity.Stream, opportunity.Rehydrate),
		pipelines: commands.NewRepository(store, registry, clock, opportunity.PipelineStream, opportunity.RehydratePipeline),
		clock:     clock, deps: d,
		rules: access.Rules{Org: d.Org, Read: role.OpportunitiesRead, Assign: role.OpportunitiesAssign},
	}
}

// Pipeline loads a pipeline (the default one exists before any event).
func (s *Service) Pipeline(ctx context.Context, id uuid.UUID) (*opportunity.Pipeline, error) {
	l, err := s.pipelines.Load(ctx, id)
	if errors.Is(err, commands.ErrNotFound) && id == opportunity.DefaultPipelineID {
		return opportunity.DefaultPipeline(), nil
	}
	if err != nil {
		return nil, err
	}
	return l.Root, nil
}

// Create is an opportunity to enter.
type Create struct {
	ID         uuid.UUID
	Fields     opportunity.Fields
	PipelineID uuid.UUID // uuid.Nil: the default pipeline
	Stage      string    // "": the pipeline's first enabled stage
	Lines      []opportunity.LineInput
	OwnerID    uuid.UUID // uuid.Nil: the actor
	FromLeadID string
}

// Create enters an opportunity for a customer in the actor's scope.
func (s *Service) Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error) {
	m.Command = commands.OpportunityCreate
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	o, err := s.prepare(ctx, m.Actor, c)
	if err != nil {
		return commands.Result{}, err
	}
	if err := s.references(ctx, m.Actor, opportunity.Fields{}, o.Fields()); err != nil {
		return commands.Result{}, err
	}
	return s.repo.CreateOrMatch(ctx, m, c.ID, o, commands.SameCreation[opportunity.Created])
}

// prepare decides a create but for its references (customer, contacts, team).
func (s *Service) prepare(ctx context.Context, a access.Actor, c Create) (*opportunity.Opportunity, error) {
	if !a.Can(role.OpportunitiesCreate) {
		return nil, commands.ErrForbidden
	}
	if c.PipelineID == uuid.Nil {
		c.PipelineID = opportunity.DefaultPipelineID
	}
	p, err := s.Pipeline(ctx, c.PipelineID)
	if errors.Is(err, commands.ErrNotFound) {
		return nil, &field.Error{Field: "pipelineId", Message: "no such pipeline", Code: "unknown_pipeline"}
	}
	if err != nil {
		return nil, err
	}
	owner, err := s.rules.NewOwner(ctx, a, false, c.OwnerID)
	if err != nil {
		return nil, err
	}
	lines, err := s.priced(ctx, c.Lines)
	if err != nil {
		return nil, err
	}
	dict := commands.Lists{Dict: s.deps.Dictionary}
	if err := dict.Resolve(ctx, commands.Coded{Field: "source", Kind: dictionary.OpportunitySource, Value: &c.Fields.Source}); err != nil {
		return nil, err
	}
	id := c.ID
	if id == uuid.Nil {
		id = uuid.Must(uuid.NewV7())
	}
	return opportunity.New(id, c.Fields, p, c.Stage, lines, owner, c.FromLeadID, a.ID, s.clock())
}

// Priced tells whether Create would accept c, leaving out its references, and answers c with its
// lines priced from the catalogue: a conversion checks the opportunity it will open for a customer
// that does not exist yet, before it records anything, and records the priced lines.
func (s *Service) Priced(ctx context.Context, a access.Actor, c Create) (Create, error) {
	if _, err := s.prepare(ctx, a, c); err != nil {
		return c, err
	}
	lines, err := s.priced(ctx, c.Lines)
	c.Lines = lines
	return c, err
}

// Adopt creates an opportunity a process decided and checked before (a lead conversion's), with
// its owner, reading nothing but the event store (processes run it inside a projection's
// transaction). An opportunity already there is left as it is.
func (s *Service) Adopt(ctx context.Context, m commands.Meta, c Create) (commands.Result, error) {
	m.Command = commands.OpportunityCreate
	if l, err := s.repo.Load(ctx, c.ID); err == nil {
		return commands.Result{ID: c.ID, Version: l.Root.Version(), Position: l.Position}, nil
	} else if !errors.Is(err, commands.ErrNotFound) {
		return commands.Result{}, err
	}
	p, err := s.Pipeline(ctx, opportunity.DefaultPipelineID)
	if err != nil {
		return commands.Result{}, err
	}
	o, err := opportunity.New(c.ID, c.Fields, p, "", c.Lines, c.OwnerID, c.FromLeadID, m.Actor.ID, s.clock())
	if err != nil {
		return commands.Result{}, err
	}
	res, err := s.repo.Create(ctx, m, c.ID, o)
	if errors.Is(err, commands.ErrAlreadyExists) { // created a moment ago by another process: where it landed
		l, lerr := s.repo.Load(ctx, c.ID)
		if lerr != nil {
			return commands.Result{}, lerr
		}
		return commands.Result{ID: c.ID, Version: l.Root.Version(), Position: l.Position}, nil
	}
	return res, err
}

// priced copies a product's name and price into lines that leave them out.
func (s *Service) priced(ctx context.Context, in []opportunity.LineInput) ([]opportunity.LineInput, error) {
	return commands.PriceLines(ctx, s.deps.Products, in)
}

// references checks what changed between two versions of the fields: the customer is in the
// actor's scope, the contacts are the customer's, the team are active users, the source is a
// (the source is resolved against the dictionary before: see Create and Update). Unchanged values
// are not checked again (a contact moved away stays as it was).
func (s *Service) references(ctx context.Context, a access.Actor, before, after opportunity.Fields) error {
	var errs []error
	cust, _ := uuid.Parse(after.CustomerID)
	if after.CustomerID != before.CustomerID {
		if err := s.deps.Customers.CustomerVisible(ctx, a, cust); errors.Is(err, commands.ErrNotFound) {
			errs = append(errs, &field.Error{Field: "customerId", Message: "no such customer in your data scope", Code: "unknown_customer"})
		} else if err != nil {
			return err
		}
	}
	if after.CustomerID != before.CustomerID || !slices.Equal(after.ContactIDs, before.ContactIDs) {
		for i, c := range after.ContactIDs {
			id, _ := uuid.Parse(c)
			owner, err := s.deps.Customers.ContactCustomer(ctx, id)
			if err != nil && !errors.Is(err, commands.ErrNotFound) {
				return err
			}
			if err != nil || owner != cust {
				errs = append(errs, &field.Error{Field: fmt.Sprintf("contactIds[%d]", i), Message: "is not a contact of the customer", Code: "unknown_contact"})
			}
		}
	}
	for i, t := range after.TeamIDs {
		if slices.Contains(before.TeamIDs, t) {
			continue
		}
		id, _ := uuid.Parse(t)
		if _, ok, err := s.deps.Org.Placement(ctx, id); err != nil {
			return err
		} else if !ok {
			errs = append(errs, &field.Error{Field: fmt.Sprintf("teamIds[%d]", i), Message: "is not an active user", Code: "unknown_user"})
		}
	}
	return errors.Join(errs...)
}

// Load returns an opportunity the actor may read (see Visible).
func (s *Service) Load(ctx context.Context, a access.Actor, id uuid.UUID) (commands.Loaded[*opportunity.Opportunity], error) {
	l, err := s.repo.Load(ctx, id)
	if err != nil {
		return l, err
	}
	if l.Root.Deleted() {
		return l, commands.ErrNotFound
	}
	if err := s.visible(ctx, a, l.Root); err != nil {
		return l, err
	}
	return l, nil
}

// visible: the actor's scope covers the owner, or the actor is the assignee or on the team.
func (s *Service) visible(ctx context.Context, a access.Actor, o *opportunity.Opportunity) error {
	if !a.Can(role.OpportunitiesRead) {
		return commands.ErrNotFound
	}
	if slices.Contains(o.Team(), a.ID) {
		return nil
	}
	ok, err := s.rules.Sees(ctx, a, o.Owner())
	if err != nil {
		return err
	}
	if !ok {
		return commands.ErrNotFound
	}
	return nil
}

// edit runs a behaviour on an opportunity the actor may change: its owner is in the actor's
// scope, or the actor is its assigned account manager; with the permission.
func (s *Service) edit(ctx context.Context, m commands.Meta, id uuid.UUID, permission string, change func(*opportunity.Opportunity) error) (commands.Result, error) {
	return s.repo.Update(ctx, m, id, func(o *opportunity.Opportunity) error {
		if o.Deleted() {
			return commands.ErrNotFound
		}
		if o.Assignee() != m.Actor.ID || !m.Actor.Can(role.OpportunitiesRead) {
			if err := s.rules.MayChange(ctx, m.Actor, o.Owner(), false, permission); err != nil {
				return err
			}
		} else if !m.Actor.Can(permission) {
			return commands.ErrForbidden
		}
		return change(o)
	})
}

// Edit runs a behaviour on an opportunity the actor may change with the permission (processes
// that record on the opportunity's stream: follow-ups).
func (s *Service) Edit(ctx context.Context, m commands.Meta, id uuid.UUID, permission string, change func(*opportunity.Opportunity) error) (commands.Result, error) {
	return s.edit(ctx, m, id, permission, change)
}

// Update changes fields.
func (s *Service) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p opportunity.Patch) (commands.Result, error) {
	m.Command = commands.OpportunityUpdate
	if p.Source != nil {
		src := *p.Source
		dict := commands.Lists{Dict: s.deps.Dictionary}
		if err := dict.Resolve(ctx, commands.Coded{Field: "source", Kind: dictionary.OpportunitySource, Value: &src}); err != nil {
			return commands.Result{}, err
		}
		p.Source = &src
	}
	return s.edit(ctx, m, id, role.OpportunitiesUpdate, func(o *opportunity.Opportunity) error {
		before := o.Fields()
		if err := o.Update(p, m.Actor.ID, s.clock()); err != nil {
			return err
		}
		return s.references(ctx, m.Actor, before, o.Fields())
	})
}

// MoveStage advances or moves back the opportunity, with a note.
func (s *Service) MoveStage(ctx context.Context, m commands.Meta, id uuid.UUID, stage, note string) (commands.Result, error) {
	m.Command = commands.OpportunityMoveStage
	return s.edit(ctx, m, id, role.OpportunitiesUpdate, func(o *opportunity.Opportunity) error {
		p, err := s.Pipeline(ctx, o.Pipeline())
		if err != nil {
			return err
		}
		return o.MoveStage(p, stage, note, m.Actor.ID, s.clock())
	})
}

// SetLines replaces the line items (prices copied from products where left out).
func (s *Service) SetLines(ctx context.Context, m commands.Meta, id uuid.UUID, lines []opportunity.LineInput) (commands.Result, error) {
	m.Command = commands.OpportunitySetLines
	priced, err := s.priced(ctx, lines)
	if err != nil {
		return commands.Result{}, err
	}
	return s.edit(ctx, m, id, role.OpportunitiesUpdate, func(o *opportunity.Opportunity) error {
		return o.SetLines(priced, m.Actor.ID, s.clock())
	})
}

// Win closes the deal. date "" is today in loc.
func (s *Service) Win(ctx context.Context, m commands.Meta, id uuid.UUID, amount, date, note string, loc *time.Location) (commands.Result, error) {
	m.Command = commands.OpportunityWin
	now := s.clock()
	if date == "" {
		if loc == nil {
			loc = time.UTC
		}
		date = now.In(loc).Format(time.DateOnly)
	}
	return s.edit(ctx, m, id, role.OpportunitiesUpdate, func(o *opportunity.Opportunity) error {
		return o.Win(amount, date, note, m.Actor.ID, now)
	})
}

// Lose closes the deal as lost; the reason is a lost_reason code (or label).
func (s *Service) Lose(ctx context.Context, m commands.Meta, id uuid.UUID, reason, competitor, note string) (commands.Result, error) {
	m.Command = commands.OpportunityLose
	dict := commands.Lists{Dict: s.deps.Dictionary}
	if err := dict.Resolve(ctx, commands.Coded{Field: "reason", Kind: dictionary.LostReason, Value: &reason}); err != nil {
		return commands.Result{}, err
	}
	return s.edit(ctx, m, id, role.OpportunitiesUpdate, func(o *opportunity.Opportunity) error {
		return o.Lose(reason, competitor, note, m.Actor.ID, s.clock())
	})
}

// Reopen returns a won or lost opportunity to a stage (managers: opportunities.reopen).
func (s *Service) Reopen(ctx context.Context, m commands.Meta, id uuid.UUID, stage, note string) (commands.Result, error) {
	m.Command = commands.OpportunityReopen
	return s.edit(ctx, m, id, role.OpportunitiesReopen, func(o *opportunity.Opportunity) error {
		p, err := s.Pipeline(ctx, o.Pipeline())
		if err != nil {
			return err
		}
		return o.Reopen(p, stage, note, m.Actor.ID, s.clock())
	})
}

// Assign names the account manager: an active user inside the actor's scope.
func (s *Service) Assign(ctx context.Context, m commands.Meta, id, to uuid.UUID) (commands.Result, error) {
	m.Command = commands.OpportunityAssign
	return s.edit(ctx, m, id, role.OpportunitiesAssign, func(o *opportunity.Opportunity) error {
		if err := s.rules.Assignable(ctx, m.Actor, to); err != nil {
			var fe *field.Error
			if errors.As(err, &fe) {
				fe.Field = "userId"
			}
			return err
		}
		return o.Assign(to, m.Actor.ID, s.clock())
	})
}

// Delete removes the opportunity from every list; its history stays.
func (s *Service) Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.OpportunityDelete
	return s.edit(ctx, m, id, role.OpportunitiesDelete, func(o *opportunity.Opportunity) error { return o.Delete(m.Actor.ID, s.clock()) })
}

// AddPlanStep adds a dated step to the development plan (stepID makes a retry harmless).
func (s *Service) AddPlanStep(ctx context.Context, m commands.Meta, id, stepID uuid.UUID, date, action string) (commands.Result, error) {
	m.Command = commands.OpportunityPlanAdd
	if stepID == uuid.Nil {
		stepID = uuid.Must(uuid.NewV7())
	}
	res, err := s.edit(ctx, m, id, role.OpportunitiesUpdate, func(o *opportunity.Opportunity) error {
		return o.AddPlanStep(stepID, date, action, m.Actor.ID, s.clock())
	})
	res.ID = stepID
	return res, err
}

// RecordPlanResult records a plan step's result.
func (s *Service) RecordPlanResult(ctx context.Context, m commands.Meta, id, stepID uuid.UUID, result string) (commands.Result, error) {
	m.Command = commands.OpportunityPlanRecord
	return s.edit(ctx, m, id, role.OpportunitiesUpdate, func(o *opportunity.Opportunity) error {
		return o.RecordPlanResult(stepID, result, m.Actor.ID, s.clock())
	})
}

// History returns the opportunity's events with field-level changes.
func (s *Service) History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error) {
	if _, err := s.Load(ctx, a, id); err != nil {
		return nil, err
	}
	return s.repo.History(ctx, id, (*opportunity.Opportunity).Snapshot)
}

// AsOf is the opportunity as it was at a time (rebuilt from its events), if the actor may read it
// now.
func (s *Service) AsOf(ctx context.Context, a access.Actor, id uuid.UUID, until time.Time) (map[string]any, error) {
	if _, err := s.Load(ctx, a, id); err != nil {
		return nil, err
	}
	o, err := s.repo.AsOf(ctx, id, until)
	if err != nil {
		return nil, err
	}
	return o.Snapshot(), nil
}

// DefinePipeline creates a pipeline (settings.manage).
func (s *Service) DefinePipeline(ctx context.Context, m commands.Meta, id uuid.UUID, name string, stages []opportunity.Stage) (commands.Result, error) {
	m.Command = commands.PipelineDefine
	if !m.Actor.Can(role.SettingsManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	if id == uuid.Nil {
		id = uuid.Must(uuid.NewV7())
	}
	p, err := opportunity.DefinePipeline(id, name, stages, m.Actor.ID, s.clock())
	if err != nil {
		return commands.Result{}, err
	}
	return s.pipelines.CreateOrMatch(ctx, m, id, p, func(existing, proposed event.Event) bool {
		a, ok1 := existing.(opportunity.PipelineDefined)
		b, ok2 := proposed.(opportunity.PipelineDefined)
		return ok1 && ok2 && a.Name == b.Name && reflect.DeepEqual(a.Stages, b.Stages)
	})
}

// RevisePipeline replaces a pipeline's definition (If-Match pins the version). The default
// pipeline's first revision creates its stream.
func (s *Service) RevisePipeline(ctx context.Context, m commands.Meta, id uuid.UUID, name string, stages []opportunity.Stage, disabled bool) (commands.Result, error) {
	m.Command = commands.PipelineRevise
	if !m.Actor.Can(role.SettingsManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	decide := func(p *opportunity.Pipeline) error { return p.Revise(name, stages, disabled, m.Actor.ID, s.clock()) }
	for {
		res, err := s.pipelines.Update(ctx, m, id, decide)
		if !errors.Is(err, commands.ErrNotFound) || id != opportunity.DefaultPipelineID {
			return res, err
		}
		if m.IfMatch != nil && *m.IfMatch != 0 {
			return commands.Result{}, &commands.VersionMismatchError{Current: 0}
		}
		p := opportunity.DefaultPipeline()
		if err := decide(p); err != nil {
			return commands.Result{}, err
		}
		if len(p.Changes()) == 0 {
			return commands.Result{ID: id}, nil
		}
		res, err = s.pipelines.Create(ctx, m, id, p)
		if !errors.Is(err, commands.ErrAlreadyExists) {
			return res, err
		}
	}
}
