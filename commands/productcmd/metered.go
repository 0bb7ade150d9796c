package productcmd

import (
	"context"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/product"
)

// Commands is the product module's port: what the transport calls; *Service implements it and
// Metered decorates it.
type Commands interface {
	Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error)
	Update(ctx context.Context, m commands.Meta, id uuid.UUID, p product.Patch) (commands.Result, error)
	SetStatus(ctx context.Context, m commands.Meta, id uuid.UUID, s product.Status) (commands.Result, error)
	Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	Import(ctx context.Context, m commands.Meta, rows []ImportRow, o commands.ImportOptions) ([]commands.ImportResult, error)
	History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error)
	CreateCategory(ctx context.Context, m commands.Meta, in CategoryInput) (commands.Result, error)
	RenameCategory(ctx context.Context, m commands.Meta, id, name string) (commands.Result, error)
	MoveCategory(ctx context.Context, m commands.Meta, id, parent string) (commands.Result, error)
	DeleteCategory(ctx context.Context, m commands.Meta, id string) (commands.Result, error)
	// Catalogue is the category tree as the command side decides with it (imports resolve
	// category paths with it).
	Catalogue(ctx context.Context) (*product.Catalogue, error)
}

// Metered records every command of next (name, outcome, duration) with rec; queries pass through.
func Metered(next Commands, rec commands.Recorder) Commands { return metered{Commands: next, rec: rec} }

type metered struct {
	Commands
	rec commands.Recorder
}

func (d metered) Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ProductCreate, func() (commands.Result, error) { return d.Commands.Create(ctx, m, c) })
}

func (d metered) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p product.Patch) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ProductUpdate, func() (commands.Result, error) { return d.Commands.Update(ctx, m, id, p) })
}

func (d metered) SetStatus(ctx context.Context, m commands.Meta, id uuid.UUID, s product.Status) (commands.Result, error) {
	name := commands.ProductTakeOffSale
	if s == product.OnSale {
		name = commands.ProductPutOnSale
	}
	return commands.Measure(d.rec, name, func() (commands.Result, error) { return d.Commands.SetStatus(ctx, m, id, s) })
}

func (d metered) Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ProductDelete, func() (commands.Result, error) { return d.Commands.Delete(ctx, m, id) })
}

func (d metered) Import(ctx context.Context, m commands.Meta, rows []ImportRow, o commands.ImportOptions) ([]commands.ImportResult, error) {
	return commands.Measure(d.rec, commands.ProductImport, func() ([]commands.ImportResult, error) { return d.Commands.Import(ctx, m, rows, o) })
}

func (d metered) CreateCategory(ctx context.Context, m commands.Meta, in CategoryInput) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ProductCategoryCreate, func() (commands.Result, error) { return d.Commands.CreateCategory(ctx, m, in) })
}

func (d metered) RenameCategory(ctx context.Context, m commands.Meta, id, name string) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ProductCategoryRename, func() (commands.Result, error) { return d.Commands.RenameCategory(ctx, m, id, name) })
}

func (d metered) MoveCategory(ctx context.Context, m commands.Meta, id, parent string) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ProductCategoryMove, func() (commands.Result, error) { return d.Commands.MoveCategory(ctx, m, id, parent) })
}

func (d metered) DeleteCategory(ctx context.Context, m commands.Meta, id string) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ProductCategoryDelete, func() (commands.Result, error) { return d.Commands.DeleteCategory(ctx, m, id) })
}
