// Package lineitem is the line items of opportunities and contracts: a product, a quantity, a
// unit price and a discount, with the line's total computed exactly (domain/money) and rounded
// half-up to 0.01 once.
package lineitem

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/money"
)

// Max bounds the lines of one record.
const Max = 200

// Input is a line item as entered: the unit price is copied from the product by the command
// when the user leaves it out.
type Input struct {
	ProductID   string `json:"productId"`
	ProductName string `json:"productName,omitempty"`
	Quantity    string `json:"quantity"`
	UnitPrice   string `json:"unitPrice"`
	Discount    string `json:"discount,omitempty"` // percent, default 0
	Remark      string `json:"remark,omitempty"`
}

// Line is a stored line item with its total (quantity × unit price × (100 − discount)/100,
// rounded half-up to 0.01).
type Line struct {
	ProductID   string `json:"productId"`
	ProductName string `json:"productName"`
	Quantity    string `json:"quantity"`
	UnitPrice   string `json:"unitPrice"`
	Discount    string `json:"discount"`
	Total       string `json:"total"`
	Remark      string `json:"remark,omitempty"`
}

// Check checks line inputs and computes their totals and sum.
func Check(in []Input) ([]Line, money.Amount, error) {
	if len(in) > Max {
		return nil, money.Amount{}, field.Errorf("lines", "holds %d lines; at most %d", len(in), Max)
	}
	var errs []error
	out := make([]Line, 0, len(in))
	var sum money.Amount
	for i, l := range in {
		at := fmt.Sprintf("lines[%d].", i)
		var lineErrs []error
		if _, err := uuid.Parse(l.ProductID); err != nil {
			lineErrs = append(lineErrs, field.Errorf(at+"productId", "is not a product id: %q", l.ProductID))
		}
		name := strings.TrimSpace(l.ProductName)
		lineErrs = append(lineErrs, field.Text(at+"productName", name, 200), field.Text(at+"remark", l.Remark, 500))
		q, err := money.ParseQuantity(at+"quantity", l.Quantity)
		lineErrs = append(lineErrs, err)
		if err == nil && q.IsZero() {
			lineErrs = append(lineErrs, &field.Error{Field: at + "quantity", Message: "must be more than 0", Code: "zero_quantity"})
		}
		p, err := money.NonNegativeAmount(at+"unitPrice", l.UnitPrice)
		lineErrs = append(lineErrs, err)
		disc := l.Discount
		if disc == "" {
			disc = "0"
		}
		d, err := money.ParsePercent(at+"discount", disc)
		lineErrs = append(lineErrs, err)
		if err := errors.Join(lineErrs...); err != nil {
			errs = append(errs, err)
			continue
		}
		total, ok := money.LineTotal(q, p, d)
		if !ok {
			errs = append(errs, &field.Error{Field: at + "quantity", Message: "the line total is beyond the largest amount", Code: money.CodeOutOfRange})
			continue
		}
		sum = sum.Add(total)
		id, _ := uuid.Parse(l.ProductID)
		out = append(out, Line{ProductID: id.String(), ProductName: name, Quantity: q.String(), UnitPrice: p.String(), Discount: d.String(), Total: total.String(), Remark: l.Remark})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, money.Amount{}, err
	}
	if !sum.InRange() {
		return nil, money.Amount{}, &field.Error{Field: "lines", Message: "the lines' sum is beyond the largest amount", Code: money.CodeOutOfRange}
	}
	return out, sum, nil
}
