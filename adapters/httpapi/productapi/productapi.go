// Package productapi is the HTTP API of the product catalogue: every signed-in user reads the
// products and the category tree; holders of products.manage create, edit, put on and off sale
// and delete products and create, rename, move and delete categories.
package productapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/productcmd"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/product"
	"github.com/chronicle-crm/chronicle/readmodels/productview"
)

func init() {
	httpkit.RegisterErrors(
		httpkit.ErrorCode{Err: productcmd.ErrDuplicateCode, Status: http.StatusConflict, Code: "duplicate_code"},
		httpkit.ErrorCode{Err: product.ErrCategoryNotEmpty, Status: http.StatusConflict, Code: "category_not_empty"},
		httpkit.ErrorCode{Err: product.ErrDuplicateCategory, Status: http.StatusConflict, Code: "duplicate_category"},
		httpkit.ErrorCode{Err: product.ErrUnknownCategory, Status: http.StatusNotFound, Code: "not_found"},
		httpkit.ErrorCode{Err: product.ErrDeleted, Status: http.StatusNotFound, Code: "not_found"},
		httpkit.ErrorCode{Err: product.ErrNotFound, Status: http.StatusNotFound, Code: "not_found"},
	)
}

// Deps are what the product API needs.
type Deps struct {
	Kit      *httpkit.Kit
	Products productcmd.Commands
	Views    *productview.Views
}

// projection is what product reads wait for.
var projection = []string{productview.Projection}

// Routes registers the product endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{d}
	answer := httpkit.Answer{Projection: projection, View: a.view}
	rt.Handle(http.MethodGet, "/products", httpkit.List(d.Kit, projection, a.query, d.Views.Search))
	rt.Handle(http.MethodPost, "/products", a.create)
	rt.Handle(http.MethodGet, "/products/{id}", httpkit.Get(d.Kit, projection, a.read, func(v *productview.Product) int64 { return v.Version }))
	rt.Handle(http.MethodPatch, "/products/{id}", httpkit.OnRecord[ProductPatch]{Kit: d.Kit, Run: a.update, Answer: answer}.Handle)
	rt.Handle(http.MethodPost, "/products/{id}/on-sale", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Run: a.status(product.OnSale), Answer: answer}.Handle)
	rt.Handle(http.MethodPost, "/products/{id}/off-sale", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Run: a.status(product.OffSale), Answer: answer}.Handle)
	rt.Handle(http.MethodDelete, "/products/{id}", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Run: a.delete}.Handle)
	rt.Handle(http.MethodGet, "/products/{id}/history", httpkit.History(d.Products.History, httpkit.HistoryItems))
	rt.Handle(http.MethodGet, "/product-categories", a.tree)
	rt.Handle(http.MethodPost, "/product-categories", a.createCategory)
	rt.Handle(http.MethodPatch, "/product-categories/{id}", a.changeCategory)
	rt.Handle(http.MethodDelete, "/product-categories/{id}", a.deleteCategory)
}

type api struct{ Deps }

func (a api) read(ctx context.Context, _ access.Actor, id uuid.UUID) (*productview.Product, error) {
	return a.Views.Get(ctx, id)
}

func (a api) view(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.read(ctx, actor, id)
}

// query reads the list parameters: q (name substring, code), categoryId (its subtree), status
// (repeatable), sort, limit, cursor.
func (a api) query(r *http.Request) (productview.Query, error) {
	p := httpkit.Params(r.URL.Query())
	q := Query(p)
	q.Limit, q.Cursor = p.Limit(), p.Str("cursor")
	return q, p.Err()
}

// Query reads the filters of a product search (q, categoryId, status, sort); the export shares
// them with the list. Problems are left in p.
func Query(p *httpkit.ParamReader) productview.Query {
	q := productview.Query{Q: p.Str("q"), Sort: p.Str("sort"), Status: p.List("status", product.Statuses, "must be on_sale or off_sale; got %q")}
	if id := p.UUID("categoryId"); id != nil {
		q.CategoryID = id.String()
	}
	return q
}

// ProductCreate is the body of POST /api/v1/products. Amounts are decimal strings ("1200.50").
type ProductCreate struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Code           string `json:"code"`
	CategoryID     string `json:"categoryId"`
	Unit           string `json:"unit"`
	ProductionDate string `json:"productionDate"`
	Cost           string `json:"cost"`
	Price          string `json:"price"`
	Description    string `json:"description"`
	Status         string `json:"status"`
}

func (a api) create(r *http.Request) (httpkit.Reply, error) {
	var in ProductCreate
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	c := productcmd.Create{Fields: product.Fields{Name: in.Name, Code: in.Code, CategoryID: in.CategoryID, Unit: in.Unit,
		ProductionDate: in.ProductionDate, Cost: in.Cost, Price: in.Price, Description: in.Description}, Status: product.Status(in.Status)}
	if in.ID != "" {
		id, err := httpkit.ParseUUID("id", in.ID)
		if err != nil {
			return httpkit.Reply{}, err
		}
		c.ID = id
	}
	return a.Kit.Run(r, func(m commands.Meta) (commands.Result, error) { return a.Products.Create(r.Context(), m, c) },
		httpkit.Answer{Status: http.StatusCreated, Location: "/api/v1/products", ReplayOK: true, Projection: projection, View: a.view})
}

// ProductPatch is the body of PATCH /api/v1/products/{id}: the fields to change (null or ""
// clears an optional one).
type ProductPatch struct {
	Name           httpkit.Opt[string] `json:"name"`
	Code           httpkit.Opt[string] `json:"code"`
	CategoryID     httpkit.Opt[string] `json:"categoryId"`
	Unit           httpkit.Opt[string] `json:"unit"`
	ProductionDate httpkit.Opt[string] `json:"productionDate"`
	Cost           httpkit.Opt[string] `json:"cost"`
	Price          httpkit.Opt[string] `json:"price"`
	Description    httpkit.Opt[string] `json:"description"`
}

func (in ProductPatch) patch() product.Patch {
	return product.Patch{Name: in.Name.Field(), Code: in.Code.Field(), CategoryID: in.CategoryID.Field(), Unit: in.Unit.Field(),
		ProductionDate: in.ProductionDate.Field(), Cost: in.Cost.Field(), Price: in.Price.Field(), Description: in.Description.Field()}
}

func (a api) update(ctx context.Context, m commands.Meta, id uuid.UUID, in *ProductPatch) (commands.Result, error) {
	return a.Products.Update(ctx, m, id, in.patch())
}

func (a api) status(s product.Status) func(context.Context, commands.Meta, uuid.UUID, *struct{}) (commands.Result, error) {
	return func(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
		return a.Products.SetStatus(ctx, m, id, s)
	}
}

func (a api) delete(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
	return a.Products.Delete(ctx, m, id)
}

func (a api) tree(r *http.Request) (httpkit.Reply, error) {
	if err := a.Kit.WaitFor(r, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	t, err := a.Views.Tree(r.Context())
	if err != nil {
		return httpkit.Reply{}, err
	}
	rp := httpkit.OK(t)
	if t.Version > 0 {
		rp = rp.With("ETag", httpkit.ETag(t.Version))
	}
	return rp, nil
}

// CategoryCreate is the body of POST /api/v1/product-categories.
type CategoryCreate struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	ParentID string `json:"parentId"`
}

// CategoryPatch is the body of PATCH /api/v1/product-categories/{id}: a new name, a new parent
// (null or "": the top level), or both.
type CategoryPatch struct {
	Name     httpkit.Opt[string] `json:"name"`
	ParentID httpkit.Opt[string] `json:"parentId"`
}

// runTree runs a catalogue command and answers with the tree.
func (a api) runTree(r *http.Request, status int, run func(commands.Meta) (commands.Result, error)) (httpkit.Reply, error) {
	view := func(ctx context.Context, _ access.Actor, _ uuid.UUID) (any, error) { return a.Views.Tree(ctx) }
	return a.Kit.Run(r, func(m commands.Meta) (commands.Result, error) {
		res, err := run(m)
		if errors.Is(err, product.ErrCategoryCycle) {
			err = &field.Error{Field: "parentId", Message: err.Error(), Code: "category_cycle"}
		}
		return res, err
	}, httpkit.Answer{Status: status, Projection: projection, View: view})
}

func (a api) createCategory(r *http.Request) (httpkit.Reply, error) {
	var in CategoryCreate
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	c := productcmd.CategoryInput{Name: in.Name, ParentID: in.ParentID}
	if in.ID != "" {
		id, err := httpkit.ParseUUID("id", in.ID)
		if err != nil {
			return httpkit.Reply{}, err
		}
		c.ID = id
	}
	return a.runTree(r, http.StatusCreated, func(m commands.Meta) (commands.Result, error) { return a.Products.CreateCategory(r.Context(), m, c) })
}

func (a api) changeCategory(r *http.Request) (httpkit.Reply, error) {
	id, err := httpkit.PathID(r)
	if err != nil {
		return httpkit.Reply{}, err
	}
	var in CategoryPatch
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	if !in.Name.Set && !in.ParentID.Set {
		return httpkit.Reply{}, httpkit.Invalid("name", "send a new name, a new parentId, or both")
	}
	return a.runTree(r, http.StatusOK, func(m commands.Meta) (commands.Result, error) {
		var res commands.Result
		var err error
		if in.Name.Set {
			if res, err = a.Products.RenameCategory(r.Context(), m, id.String(), in.Name.Value); err != nil {
				return res, err
			}
			m.IfMatch = nil // the rename moved the version the client pinned
		}
		if in.ParentID.Set {
			res, err = a.Products.MoveCategory(r.Context(), m, id.String(), in.ParentID.Value)
		}
		return res, err
	})
}

func (a api) deleteCategory(r *http.Request) (httpkit.Reply, error) {
	id, err := httpkit.PathID(r)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return a.runTree(r, http.StatusOK, func(m commands.Meta) (commands.Result, error) {
		return a.Products.DeleteCategory(r.Context(), m, id.String())
	})
}
