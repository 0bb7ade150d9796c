package productcmd

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/product"
)

// ImportID is the id an import gives a product: from its code (case-insensitively), so that
// importing a file again finds the products it made.
func ImportID(code string) uuid.UUID { return commands.ImportID("product", product.CodeKey(code)) }

// ImportRow is one product of an import: Category is what the file names (a category path
// "硬件/服务器", a name only one category has, or an id), Fields.Unit a unit's code or label.
type ImportRow struct {
	Fields   product.Fields
	Category string
	Status   product.Status
}

// Import enters products (products.manage), one create each: every row reserves its code and is
// filed in the catalogue like a create by hand, so a row whose code another product has fails
// with DuplicateCodeError and the others are imported. A nil error means every row has its result.
func (s *Service) Import(ctx context.Context, m commands.Meta, rows []ImportRow, o commands.ImportOptions) ([]commands.ImportResult, error) {
	m.Command = commands.ProductImport
	if err := may(m); err != nil {
		return nil, err
	}
	cat, err := s.Catalogue(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]commands.ImportResult, len(rows))
	seen := map[string]bool{} // codes of this file (a dry run writes no reservation)
	for i, r := range rows {
		if err := ctx.Err(); err != nil {
			out[i] = commands.ImportResult{Status: commands.ImportFailed, Err: err}
			continue
		}
		f := r.Fields
		id := ImportID(f.Code)
		var cerr error
		if r.Category != "" {
			c, ok := cat.Resolve(r.Category)
			if !ok {
				cerr = unknownCategory(r.Category)
			}
			f.CategoryID = c
		}
		if o.DryRun {
			out[i] = s.check(ctx, id, f, r.Status, cerr, seen)
			continue
		}
		if cerr != nil {
			out[i] = commands.ImportResult{Status: commands.ImportFailed, Err: cerr}
			continue
		}
		res, err := s.Create(ctx, m, Create{ID: id, Fields: f, Status: r.Status})
		switch {
		case errors.Is(err, commands.ErrAlreadyExists):
			// An earlier row of the file (or an earlier import) made another product with this code.
			out[i] = commands.ImportResult{Status: commands.ImportFailed, Err: &DuplicateCodeError{Code: f.Code, HolderID: id}}
		case err != nil:
			out[i] = commands.ImportResult{Status: commands.ImportFailed, Err: err}
		case !res.Created:
			out[i] = commands.ImportResult{Status: commands.ImportUnchanged, Position: res.Position}
		default:
			out[i] = commands.ImportResult{Status: commands.ImportCreated, Position: res.Position}
		}
	}
	return out, nil
}

// check is a dry run's verdict on one row: what Create would decide, writing nothing.
func (s *Service) check(ctx context.Context, id uuid.UUID, f product.Fields, st product.Status, cerr error, seen map[string]bool) commands.ImportResult {
	fail := func(err error) commands.ImportResult {
		return commands.ImportResult{Status: commands.ImportFailed, Err: err}
	}
	unit, uerr := s.unit(ctx, f.Unit)
	f.Unit = unit
	p, err := product.New(id, f, st, uuid.Nil, s.clock())
	if err := joinFields(err, uerr, cerr); err != nil {
		return fail(err)
	}
	key := product.CodeKey(p.Fields().Code)
	if seen[key] {
		return fail(&DuplicateCodeError{Code: f.Code, HolderID: id})
	}
	seen[key] = true
	_, holder, err := s.codes.Latest(ctx, key, 0)
	if err != nil {
		return fail(err)
	}
	if holder != uuid.Nil && holder != id {
		held, _, err := s.codes.Holds(ctx, holder, key)
		if err != nil {
			return fail(err)
		}
		if held {
			return fail(&DuplicateCodeError{Code: f.Code, HolderID: holder})
		}
	}
	if l, err := s.repo.Load(ctx, id); err == nil && !l.Root.Deleted() {
		return commands.ImportResult{Status: commands.ImportUnchanged}
	}
	return commands.ImportResult{Status: commands.ImportCreated}
}
