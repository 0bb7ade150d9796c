// Package productcmd holds the product catalogue's commands: products (enter, edit, put on and
// off sale, delete) and their categories (create, rename, move, delete), decided by holders of
// products.manage. Product codes are unique across live products (a key reservation, as
// usernames); a product's category is decided on the catalogue stream (see product.Catalogue),
// its unit against the data dictionary (the Dictionary port).
package productcmd

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/product"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// ErrDuplicateCode: another live product has the code (case-insensitively).
var ErrDuplicateCode = errors.New("another product has this code")

// DuplicateCodeError names the product that holds the code.
type DuplicateCodeError struct {
	Code     string
	HolderID uuid.UUID
}

func (e *DuplicateCodeError) Error() string {
	return fmt.Sprintf("%s: %q is the code of product %s", ErrDuplicateCode, e.Code, e.HolderID)
}

func (e *DuplicateCodeError) Unwrap() error { return ErrDuplicateCode }

// Dictionary is the port through which products check their unit: the data dictionary's lists as
// the command side decides with them (served by dictcmd, wired in adapters/app).
type Dictionary interface {
	List(ctx context.Context, k dictionary.Kind) (*dictionary.List, error)
}

// codeNS namespaces the streams that reserve product codes.
var codeNS = uuid.MustParse("9e4a7c2d-5b18-4f3e-a6d0-1c8b2e7f4a93")

// Service handles the product commands.
type Service struct {
	repo      *commands.Repository[*product.Product]
	catalogue *commands.Repository[*product.Catalogue]
	codes     commands.Reservations
	clock     commands.Clock
	dict      Dictionary
}

var _ Commands = (*Service)(nil)

// New refuses nil dependencies.
func New(store eventstore.Store, registry *event.Registry, clock commands.Clock, dict Dictionary) *Service {
	if store == nil || registry == nil || clock == nil || dict == nil {
		panic("productcmd: New with a nil dependency")
	}
	s := &Service{repo: commands.NewRepository(store, registry, clock, product.Stream, product.Rehydrate),
		catalogue: commands.NewRepository(store, registry, clock, product.CatalogueStream, product.RehydrateCatalogue),
		clock:     clock, dict: dict}
	// A code is held by a product while it exists, is not deleted and still has that code: a
	// deleted product's code may be used again.
	s.codes = commands.Reservations{Store: store, Registry: registry, Clock: clock, Kind: commands.ProductCodeKind, NS: codeNS,
		Holds: func(ctx context.Context, id uuid.UUID, key string) (bool, bool, error) {
			l, err := s.repo.Load(ctx, id)
			if errors.Is(err, commands.ErrNotFound) {
				return false, false, nil
			}
			if err != nil {
				return false, false, err
			}
			p := l.Root
			return !p.Deleted() && product.CodeKey(p.Fields().Code) == key, true, nil
		}}
	return s
}

// Create enters a product.
type Create struct {
	ID     uuid.UUID
	Fields product.Fields
	Status product.Status
}

func may(m commands.Meta) error {
	if !m.Actor.Can(role.ProductsManage) {
		return commands.ErrForbidden
	}
	return nil
}

// unit resolves a unit given by code or label to its code ("" stays "").
func (s *Service) unit(ctx context.Context, in string) (string, error) {
	if in == "" {
		return "", nil
	}
	l, err := s.dict.List(ctx, dictionary.ProductUnit)
	if err != nil {
		return "", err
	}
	code, ok := l.Resolve(in)
	if !ok {
		return "", &field.Error{Field: "unit", Message: fmt.Sprintf("%q is not a unit of the product_unit dictionary", in), Code: "unknown_unit"}
	}
	return code, nil
}

// Catalogue loads the catalogue (empty before its first change).
func (s *Service) Catalogue(ctx context.Context) (*product.Catalogue, error) {
	l, err := s.catalogue.Load(ctx, product.CatalogueID)
	if errors.Is(err, commands.ErrNotFound) {
		return product.NewCatalogue(), nil
	}
	if err != nil {
		return nil, err
	}
	return l.Root, nil
}

func unknownCategory(id string) error {
	return &field.Error{Field: "categoryId", Message: fmt.Sprintf("no product category %q", id), Code: "unknown_category"}
}

// Create enters a product: its fields are validated (all problems at once), its unit resolved in
// the dictionary, its category checked, its code reserved, it is filed in the catalogue and its
// stream written. Of two creates with the same code at once exactly one succeeds.
func (s *Service) Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error) {
	m.Command = commands.ProductCreate
	if err := may(m); err != nil {
		return commands.Result{}, err
	}
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	unit, uerr := s.unit(ctx, c.Fields.Unit)
	if uerr == nil {
		c.Fields.Unit = unit
	}
	cat, err := s.Catalogue(ctx)
	if err != nil {
		return commands.Result{}, err
	}
	var cerr error
	if id := c.Fields.CategoryID; id != "" {
		if _, ok := cat.Category(id); !ok {
			cerr = unknownCategory(id)
		}
	}
	p, err := product.New(c.ID, c.Fields, c.Status, m.Actor.ID, s.clock())
	if err := joinFields(err, uerr, cerr); err != nil {
		return commands.Result{}, err
	}
	f := p.Fields()
	if err := s.reserve(ctx, m, f.Code, c.ID); err != nil {
		return commands.Result{}, err
	}
	if _, err := s.changeCatalogue(ctx, unpinned(m), func(cat *product.Catalogue) error {
		return cat.File(c.ID, f.CategoryID, m.Actor.ID, s.clock())
	}); err != nil {
		return commands.Result{}, err
	}
	return s.repo.CreateOrMatch(ctx, m, c.ID, p, func(existing, proposed event.Event) bool {
		a, ok1 := existing.(product.Created)
		b, ok2 := proposed.(product.Created)
		return ok1 && ok2 && a.By == b.By && a.Status == b.Status && reflect.DeepEqual(a.Fields, b.Fields)
	})
}

// joinFields joins errors, keeping a non-field error (a store failure) alone.
func joinFields(errs ...error) error {
	var out []error
	for _, e := range errs {
		if e == nil {
			continue
		}
		var fe *field.Error
		if !errors.As(e, &fe) {
			return e
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

func (s *Service) reserve(ctx context.Context, m commands.Meta, code string, id uuid.UUID) error {
	holder, err := s.codes.Reserve(ctx, m, product.CodeKey(code), id)
	if err != nil {
		return err
	}
	if holder != uuid.Nil {
		return &DuplicateCodeError{Code: code, HolderID: holder}
	}
	return nil
}

// Update changes a product's fields (If-Match pins the version). A new code is reserved first; a
// new category is filed in the catalogue first (and the old placement restored if the product's
// own append then fails).
func (s *Service) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p product.Patch) (commands.Result, error) {
	m.Command = commands.ProductUpdate
	if err := may(m); err != nil {
		return commands.Result{}, err
	}
	if p.Unit != nil {
		u, err := s.unit(ctx, *p.Unit)
		if err != nil {
			return commands.Result{}, err
		}
		p.Unit = &u
	}
	l, err := s.load(ctx, id)
	if err != nil {
		return commands.Result{}, err
	}
	if m.IfMatch != nil && *m.IfMatch != l.Version() {
		return s.repo.Update(ctx, m, id, func(*product.Product) error { return nil }) // answers the 412 with who changed it
	}
	cur := l.Fields()
	next := cur.Apply(p)
	if err := next.Validate(); err != nil {
		return commands.Result{}, err
	}
	if product.CodeKey(next.Code) != product.CodeKey(cur.Code) {
		if err := s.reserve(ctx, m, next.Code, id); err != nil {
			return commands.Result{}, err
		}
	}
	moved := next.CategoryID != cur.CategoryID
	if moved {
		if _, err := s.changeCatalogue(ctx, unpinned(m), func(cat *product.Catalogue) error {
			if err := cat.File(id, next.CategoryID, m.Actor.ID, s.clock()); err != nil {
				return unknownCategory(next.CategoryID)
			}
			return nil
		}); err != nil {
			return commands.Result{}, err
		}
	}
	res, err := s.repo.Update(ctx, m, id, func(pr *product.Product) error {
		if pr.Deleted() {
			return commands.ErrNotFound
		}
		return pr.Update(p, m.Actor.ID, s.clock())
	})
	if err != nil && moved {
		// The product stayed where it was: put its placement back.
		_, _ = s.changeCatalogue(ctx, unpinned(m), func(cat *product.Catalogue) error {
			if pr, lerr := s.load(ctx, id); lerr == nil && !pr.Deleted() {
				return cat.File(id, pr.Fields().CategoryID, m.Actor.ID, s.clock())
			}
			return nil
		})
	}
	return res, err
}

// load reads a live product (a deleted one is not found).
func (s *Service) load(ctx context.Context, id uuid.UUID) (*product.Product, error) {
	l, err := s.repo.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if l.Root.Deleted() {
		return nil, commands.ErrNotFound
	}
	return l.Root, nil
}

// SetStatus puts a product on sale or takes it off sale.
func (s *Service) SetStatus(ctx context.Context, m commands.Meta, id uuid.UUID, st product.Status) (commands.Result, error) {
	m.Command = commands.ProductTakeOffSale
	if st == product.OnSale {
		m.Command = commands.ProductPutOnSale
	}
	if err := may(m); err != nil {
		return commands.Result{}, err
	}
	return s.repo.Update(ctx, m, id, func(p *product.Product) error {
		if p.Deleted() {
			return commands.ErrNotFound
		}
		return p.SetStatus(st, m.Actor.ID, s.clock())
	})
}

// Delete removes a product from every list (its code is free again) and from the catalogue.
func (s *Service) Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.ProductDelete
	if err := may(m); err != nil {
		return commands.Result{}, err
	}
	res, err := s.repo.Update(ctx, m, id, func(p *product.Product) error {
		if p.Deleted() {
			return commands.ErrNotFound
		}
		return p.Delete(m.Actor.ID, s.clock())
	})
	if err != nil {
		return res, err
	}
	// A crash before this leaves a placement the category's deletion recognises as stale.
	if _, err := s.changeCatalogue(ctx, unpinned(m), func(cat *product.Catalogue) error {
		cat.Unfile(id, m.Actor.ID, s.clock())
		return nil
	}); err != nil {
		return res, err
	}
	return res, nil
}

// History returns the product's events with field-level changes (every signed-in user).
func (s *Service) History(ctx context.Context, _ access.Actor, id uuid.UUID) ([]commands.Change, error) {
	return s.repo.History(ctx, id, (*product.Product).Snapshot)
}

// CategoryInput is a new category.
type CategoryInput struct {
	ID       uuid.UUID
	Name     string
	ParentID string
}

// CreateCategory adds a category.
func (s *Service) CreateCategory(ctx context.Context, m commands.Meta, in CategoryInput) (commands.Result, error) {
	m.Command = commands.ProductCategoryCreate
	if err := may(m); err != nil {
		return commands.Result{}, err
	}
	if in.ID == uuid.Nil {
		in.ID = uuid.Must(uuid.NewV7())
	}
	res, err := s.changeCatalogue(ctx, m, func(c *product.Catalogue) error {
		if cur, ok := c.Category(in.ID.String()); ok && cur.Name == in.Name && cur.ParentID == in.ParentID {
			return nil // the same create again
		}
		return c.CreateCategory(in.ID, in.Name, in.ParentID, m.Actor.ID, s.clock())
	})
	res.ID = in.ID
	return res, err
}

// RenameCategory renames a category.
func (s *Service) RenameCategory(ctx context.Context, m commands.Meta, id, name string) (commands.Result, error) {
	m.Command = commands.ProductCategoryRename
	if err := may(m); err != nil {
		return commands.Result{}, err
	}
	return s.changeCatalogue(ctx, m, func(c *product.Catalogue) error { return c.RenameCategory(id, name, m.Actor.ID, s.clock()) })
}

// MoveCategory moves a category under another ("" the top level).
func (s *Service) MoveCategory(ctx context.Context, m commands.Meta, id, parent string) (commands.Result, error) {
	m.Command = commands.ProductCategoryMove
	if err := may(m); err != nil {
		return commands.Result{}, err
	}
	return s.changeCatalogue(ctx, m, func(c *product.Catalogue) error { return c.MoveCategory(id, parent, m.Actor.ID, s.clock()) })
}

// DeleteCategory removes an empty category. Placements in it are checked against the products'
// own streams: a placement whose product does not hold the category (never written, deleted, or
// moved away) and that is older than product.PlacementGrace is a leftover and is cleared; any
// other refuses the deletion.
func (s *Service) DeleteCategory(ctx context.Context, m commands.Meta, id string) (commands.Result, error) {
	m.Command = commands.ProductCategoryDelete
	if err := may(m); err != nil {
		return commands.Result{}, err
	}
	return s.changeCatalogue(ctx, m, func(c *product.Catalogue) error {
		var stale []uuid.UUID
		for pid, pl := range c.Filed(id) {
			p, err := s.repo.Load(ctx, pid)
			exists := err == nil
			if err != nil && !errors.Is(err, commands.ErrNotFound) {
				return err
			}
			holds := exists && !p.Root.Deleted() && p.Root.Fields().CategoryID == id
			if !holds && s.clock().Sub(pl.At) >= product.PlacementGrace {
				stale = append(stale, pid)
			}
		}
		return c.DeleteCategory(id, stale, m.Actor.ID, s.clock())
	})
}

// unpinned is the metadata of a product command for its catalogue append: If-Match pins the
// product's version, not the catalogue's.
func unpinned(m commands.Meta) commands.Meta {
	m.IfMatch = nil
	return m
}

// changeCatalogue runs a decision on the catalogue at its current version (If-Match pins it); the
// first change creates its stream, and two first changes at once are a conflict retried like any.
func (s *Service) changeCatalogue(ctx context.Context, m commands.Meta, decide func(*product.Catalogue) error) (commands.Result, error) {
	return s.catalogue.UpdateOrCreate(ctx, m, product.CatalogueID, product.NewCatalogue, decide)
}
