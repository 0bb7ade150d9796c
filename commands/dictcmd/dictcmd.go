// Package dictcmd holds the data dictionary's commands: administrators (settings.manage) add,
// relabel, disable, enable and reorder the items of a list.
package dictcmd

import (
	"context"
	"errors"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// Commands is the dictionary port: what the transport calls.
type Commands interface {
	Add(ctx context.Context, m commands.Meta, k dictionary.Kind, in AddItem) (commands.Result, error)
	Relabel(ctx context.Context, m commands.Meta, k dictionary.Kind, code string, labels dictionary.Labels) (commands.Result, error)
	SetEnabled(ctx context.Context, m commands.Meta, k dictionary.Kind, code string, enabled bool) (commands.Result, error)
	Reorder(ctx context.Context, m commands.Meta, k dictionary.Kind, parent string, codes []string) (commands.Result, error)
	// List is a list as the command side decides with it (the other modules' coded fields).
	List(ctx context.Context, k dictionary.Kind) (*dictionary.List, error)
}

// Service implements Commands.
type Service struct {
	lists *commands.Repository[*dictionary.List]
	clock commands.Clock
}

var _ Commands = (*Service)(nil)

// New refuses nil dependencies.
func New(store eventstore.Store, registry *event.Registry, clock commands.Clock) *Service {
	if store == nil || registry == nil || clock == nil {
		panic("dictcmd: New with a nil dependency")
	}
	return &Service{lists: commands.NewRepository(store, registry, clock, dictionary.Stream, dictionary.Rehydrate), clock: clock}
}

// AddItem is a new item of a list.
type AddItem struct {
	Code   string
	Parent string
	Labels dictionary.Labels
}

// Add appends an item.
func (s *Service) Add(ctx context.Context, m commands.Meta, k dictionary.Kind, in AddItem) (commands.Result, error) {
	m.Command = commands.DictionaryAddItem
	return s.change(ctx, m, k, func(l *dictionary.List) error { return l.Add(in.Code, in.Parent, in.Labels, m.Actor.ID, s.clock()) })
}

// Relabel changes an item's labels.
func (s *Service) Relabel(ctx context.Context, m commands.Meta, k dictionary.Kind, code string, labels dictionary.Labels) (commands.Result, error) {
	m.Command = commands.DictionaryRelabelItem
	return s.change(ctx, m, k, func(l *dictionary.List) error { return l.Relabel(code, labels, m.Actor.ID, s.clock()) })
}

// SetEnabled disables or enables an item.
func (s *Service) SetEnabled(ctx context.Context, m commands.Meta, k dictionary.Kind, code string, enabled bool) (commands.Result, error) {
	m.Command = commands.DictionaryDisableItem
	if enabled {
		m.Command = commands.DictionaryEnableItem
	}
	return s.change(ctx, m, k, func(l *dictionary.List) error { return l.SetEnabled(code, enabled, m.Actor.ID, s.clock()) })
}

// Reorder orders the items under parent.
func (s *Service) Reorder(ctx context.Context, m commands.Meta, k dictionary.Kind, parent string, codes []string) (commands.Result, error) {
	m.Command = commands.DictionaryReorder
	return s.change(ctx, m, k, func(l *dictionary.List) error { return l.Reorder(parent, codes, m.Actor.ID, s.clock()) })
}

// List loads a list: its built-in items before any change.
func (s *Service) List(ctx context.Context, k dictionary.Kind) (*dictionary.List, error) {
	l, err := s.lists.Load(ctx, dictionary.ID(k))
	if errors.Is(err, commands.ErrNotFound) {
		return dictionary.New(k), nil
	}
	if err != nil {
		return nil, err
	}
	return l.Root, nil
}

// change runs a decision on the list at its current version (If-Match pins it); the first change
// of a list creates its stream, and two first changes at once are a conflict retried like any.
func (s *Service) change(ctx context.Context, m commands.Meta, k dictionary.Kind, decide func(*dictionary.List) error) (commands.Result, error) {
	if !m.Actor.Can(role.SettingsManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	id := dictionary.ID(k)
	for {
		res, err := s.lists.Update(ctx, m, id, decide)
		if !errors.Is(err, commands.ErrNotFound) {
			return res, err
		}
		if m.IfMatch != nil && *m.IfMatch != 0 {
			return commands.Result{}, &commands.VersionMismatchError{Current: 0}
		}
		l := dictionary.New(k)
		if err := decide(l); err != nil {
			return commands.Result{}, err
		}
		if len(l.Changes()) == 0 {
			return commands.Result{ID: id}, nil
		}
		res, err = s.lists.Create(ctx, m, id, l)
		if !errors.Is(err, commands.ErrAlreadyExists) {
			return res, err
		}
		// Someone created the list meanwhile: decide again on theirs.
	}
}
