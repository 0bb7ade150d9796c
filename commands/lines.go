package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lineitem"
)

// ErrProductOffSale: a product off sale is not added to new lines (Products answers it).
var ErrProductOffSale = errors.New("the product is off sale")

// Products prices line items: a product's name and suggested retail price (decimal text). The
// opportunity and contract modules reach the product module through it (the wiring fills it).
type Products interface {
	Product(ctx context.Context, id uuid.UUID) (name, price string, err error)
}

// PriceLines checks that each line names a product on sale and copies the product's name and
// price into lines that leave them out.
func PriceLines(ctx context.Context, products Products, in []lineitem.Input) ([]lineitem.Input, error) {
	if len(in) > lineitem.Max { // refused before any product is read
		return nil, field.Errorf("lines", "holds %d lines; at most %d", len(in), lineitem.Max)
	}
	out := slices.Clone(in)
	var errs []error
	type found struct {
		name, price string
		err         error
	}
	seen := map[uuid.UUID]found{} // a product on several lines is read once
	for i := range out {
		l := &out[i]
		id, err := uuid.Parse(l.ProductID)
		if err != nil {
			continue // the domain reports it
		}
		if products == nil {
			if l.UnitPrice == "" {
				errs = append(errs, field.Errorf(fmt.Sprintf("lines[%d].unitPrice", i), "is required"))
			}
			continue
		}
		// Every line names a product of the catalogue that is on sale, whether or not its name
		// and price are given (a line's price may differ from the suggested one).
		f, ok := seen[id]
		if !ok {
			f.name, f.price, f.err = products.Product(ctx, id)
			seen[id] = f
		}
		name, price, err := f.name, f.price, f.err
		if errors.Is(err, ErrNotFound) {
			errs = append(errs, &field.Error{Field: fmt.Sprintf("lines[%d].productId", i), Message: "no such product", Code: "unknown_product"})
			continue
		}
		if errors.Is(err, ErrProductOffSale) {
			errs = append(errs, &field.Error{Field: fmt.Sprintf("lines[%d].productId", i), Message: "the product is off sale", Code: "product_off_sale"})
			continue
		}
		if err != nil {
			return nil, err
		}
		if l.UnitPrice == "" {
			l.UnitPrice = price
		}
		if l.ProductName == "" {
			l.ProductName = name
		}
	}
	return out, errors.Join(errs...)
}
