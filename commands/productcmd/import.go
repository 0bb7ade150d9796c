package productcmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/field"
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

// Import enters products (products.manage), one create each, like a create by hand: every row's
// unit is resolved in the dictionary, its category in the catalogue, its code reserved. A row is
// matched to a product by its code: when a live product holds the code with the same values
// (and status) the row is unchanged (importing a file, or an export, again writes nothing); with
// other values the row fails on "code" (duplicate_code). Row problems are field errors on the
// file's columns (category, unit, cost, price, …), so the import reports the row and goes on; a
// nil error means every row has its result.
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
	for i, r := range rows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = s.importRow(ctx, m, cat, r, o.DryRun)
	}
	return out, nil
}

func failed(err error) commands.ImportResult {
	return commands.ImportResult{Status: commands.ImportFailed, Err: err}
}

// importRow decides one row and, unless dryRun, writes it.
func (s *Service) importRow(ctx context.Context, m commands.Meta, cat *product.Catalogue, r ImportRow, dryRun bool) commands.ImportResult {
	f := r.Fields
	var cerr error
	if r.Category == "" {
		cerr = &field.Error{Field: "category", Message: "is required (a category path such as 硬件/服务器, or a name)", Code: "required"}
	} else if id, ok := cat.Resolve(r.Category); ok {
		f.CategoryID = id
	} else {
		cerr = &field.Error{Field: "category", Message: fmt.Sprintf("no product category %q (give its path, such as 硬件/服务器, when names repeat)", r.Category),
			Code: "unknown_category"}
		f.CategoryID = uuid.Nil.String() // not "required" on top of unknown
	}
	unit, uerr := s.unit(ctx, f.Unit)
	if uerr == nil {
		f.Unit = unit
	} else if !isField(uerr) {
		return failed(uerr)
	}
	key := product.CodeKey(f.Code)
	p, verr := product.New(ImportID(f.Code), f, r.Status, m.Actor.ID, s.clock())
	if err := joinFields(renameField(verr, "categoryId", "category"), uerr, cerr); err != nil {
		return failed(err)
	}
	want, status := p.Fields(), p.Status()
	// The live product that holds the code, if any: the same product (unchanged) or another one.
	holder, err := s.codeHolder(ctx, key)
	if err != nil {
		return failed(err)
	}
	if holder != nil {
		if holder.Fields() == want && holder.Status() == status {
			return commands.ImportResult{Status: commands.ImportUnchanged}
		}
		return failed(duplicateCode(f.Code, holder.ID()))
	}
	// The code is free. Its import id may belong to a product that was deleted or has another
	// code now: the next id derived from it is used (deterministically, so two imports of one
	// file at once write one product).
	id, err := s.freeImportID(ctx, ImportID(f.Code))
	if err != nil {
		return failed(err)
	}
	if dryRun {
		return commands.ImportResult{Status: commands.ImportCreated}
	}
	res, err := s.Create(ctx, m, Create{ID: id, Fields: f, Status: r.Status})
	var dup *DuplicateCodeError
	switch {
	case errors.As(err, &dup):
		// Another writer took the code a moment ago.
		return failed(duplicateCode(f.Code, dup.HolderID))
	case errors.Is(err, commands.ErrAlreadyExists):
		return failed(commands.ErrImportConflict)
	case err != nil:
		return failed(renameField(err, "categoryId", "category"))
	case !res.Created:
		return commands.ImportResult{Status: commands.ImportUnchanged, Position: res.Position}
	}
	return commands.ImportResult{Status: commands.ImportCreated, Position: res.Position}
}

func duplicateCode(code string, holder uuid.UUID) error {
	return &field.Error{Field: "code", Message: fmt.Sprintf("product %s already has the code %q with other values", holder, code), Code: "duplicate_code"}
}

// codeHolder is the live product whose code has the key (nil: none).
func (s *Service) codeHolder(ctx context.Context, key string) (*product.Product, error) {
	_, holder, err := s.codes.Latest(ctx, key, 0)
	if err != nil || holder == uuid.Nil {
		return nil, err
	}
	l, err := s.repo.Load(ctx, holder)
	if errors.Is(err, commands.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if l.Root.Deleted() || product.CodeKey(l.Root.Fields().Code) != key {
		return nil, nil
	}
	return l.Root, nil
}

// freeImportID is id, or the first id derived from it whose stream does not exist.
func (s *Service) freeImportID(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	for range 100 {
		_, err := s.repo.Load(ctx, id)
		if errors.Is(err, commands.ErrNotFound) {
			return id, nil
		}
		if err != nil {
			return uuid.Nil, err
		}
		id = uuid.NewSHA1(id, []byte("again"))
	}
	return uuid.Nil, fmt.Errorf("productcmd: no free import id after 100 tries")
}

func isField(err error) bool {
	var fe *field.Error
	return errors.As(err, &fe)
}

// renameField gives the field errors named from another name (the file's column name for the
// API's field).
func renameField(err error, from, to string) error {
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		var fe *field.Error
		if errors.As(e, &fe) && fe.Field == from {
			c := *fe
			c.Field = to
			e = &c
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}
