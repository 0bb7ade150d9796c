package product

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

// The category tree is one Catalogue aggregate in one stream. It decides every category change
// and also records which category each product is filed in (ProductFiled / ProductUnfiled):
// "delete a category only when it has no child and no product" is then a decision on one stream,
// so a product filed into a category and the category's deletion can never both succeed — two
// writers append to the catalogue with the same expected version, one of them retries and sees
// the other's change. (Counting products from the read model would race with a create that the
// read model has not shown yet.)
//
// A product is filed in the catalogue before its own stream is written (and unfiled after its
// deletion), as a key is reserved before its record: a crash between the two appends leaves a
// placement whose product does not hold it. Such a placement blocks nothing once it is older than
// PlacementGrace and the product's own stream disagrees (see DeleteCategory's stale argument).

// CatalogueStreamPrefix is the stream kind of the catalogue.
const CatalogueStreamPrefix = "productcatalogue"

// CatalogueID is the catalogue's aggregate id (there is one).
var CatalogueID = uuid.MustParse("2b7d4c1e-9a35-5f60-8e21-6c4a0b3d7f19")

// CatalogueStream is the stream of the catalogue with this id.
func CatalogueStream(id uuid.UUID) string { return CatalogueStreamPrefix + "-" + id.String() }

// PlacementGrace is how long a placement whose product does not agree is presumed to be a create
// or move in progress rather than a crash's leftover.
const PlacementGrace = time.Minute

// MaxCategoryName is the longest category name; MaxDepth the deepest a category may sit.
const (
	MaxCategoryName = 50
	MaxDepth        = 8
)

// Catalogue errors.
var (
	ErrUnknownCategory   = errors.New("no such product category")
	ErrCategoryNotEmpty  = errors.New("the category still has sub-categories or products")
	ErrDuplicateCategory = errors.New("a category with this name exists under the same parent")
	ErrCategoryCycle     = errors.New("a category cannot move under itself or one of its sub-categories")
)

// Category is one node of the tree.
type Category struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	ParentID string `json:"parentId,omitempty"`
}

// Placement is where a product is filed and since when.
type Placement struct {
	CategoryID string    `json:"categoryId"`
	At         time.Time `json:"at"`
}

// Catalogue events.
type (
	CategoryCreated struct {
		CategoryID string    `json:"categoryId"`
		Name       string    `json:"name"`
		ParentID   string    `json:"parentId,omitempty"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	CategoryRenamed struct {
		CategoryID string    `json:"categoryId"`
		Name       string    `json:"name"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	CategoryMoved struct {
		CategoryID string    `json:"categoryId"`
		ParentID   string    `json:"parentId,omitempty"` // "": the top level
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	CategoryDeleted struct {
		CategoryID string    `json:"categoryId"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	// ProductFiled: a product is (now) in the category (its creation or a move).
	ProductFiled struct {
		ProductID  string    `json:"productId"`
		CategoryID string    `json:"categoryId"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	// ProductUnfiled: a product left the catalogue (deleted, or a leftover placement cleared).
	ProductUnfiled struct {
		ProductID string    `json:"productId"`
		By        string    `json:"by"`
		At        time.Time `json:"at"`
	}
)

func (CategoryCreated) EventType() string { return "productcatalogue.category_created.v1" }
func (CategoryRenamed) EventType() string { return "productcatalogue.category_renamed.v1" }
func (CategoryMoved) EventType() string   { return "productcatalogue.category_moved.v1" }
func (CategoryDeleted) EventType() string { return "productcatalogue.category_deleted.v1" }
func (ProductFiled) EventType() string    { return "productcatalogue.product_filed.v1" }
func (ProductUnfiled) EventType() string  { return "productcatalogue.product_unfiled.v1" }

func registerCatalogue(r *event.Registry) {
	r.Register(func() event.Event { return &CategoryCreated{} }, func() event.Event { return &CategoryRenamed{} },
		func() event.Event { return &CategoryMoved{} }, func() event.Event { return &CategoryDeleted{} },
		func() event.Event { return &ProductFiled{} }, func() event.Event { return &ProductUnfiled{} })
}

// Catalogue is the aggregate: the categories in creation order and the products' placements.
type Catalogue struct {
	event.Root
	categories []Category
	placements map[string]Placement // product id → placement
}

// NewCatalogue is the catalogue before any event: empty.
func NewCatalogue() *Catalogue { return &Catalogue{placements: map[string]Placement{}} }

// RehydrateCatalogue rebuilds the catalogue from its history.
func RehydrateCatalogue(id uuid.UUID, history []event.Event) (*Catalogue, error) {
	if id != CatalogueID {
		return nil, fmt.Errorf("product catalogue: no catalogue has id %s", id)
	}
	c := NewCatalogue()
	c.Replay(c.apply, history, nil)
	return c, nil
}

// RestoreCatalogue is a catalogue's categories as a read model keeps them (no placements), to
// which FoldCatalogue applies later events.
func RestoreCatalogue(cats []Category) *Catalogue {
	c := NewCatalogue()
	c.categories = slices.Clone(cats)
	return c
}

// Fold applies an event of the catalogue's history, recording nothing (read models).
func (c *Catalogue) Fold(e event.Event) { c.apply(e) }

// Categories returns the categories in creation order.
func (c *Catalogue) Categories() []Category { return slices.Clone(c.categories) }

// Category finds a category.
func (c *Catalogue) Category(id string) (Category, bool) {
	i := c.index(id)
	if i < 0 {
		return Category{}, false
	}
	return c.categories[i], true
}

func (c *Catalogue) index(id string) int {
	return slices.IndexFunc(c.categories, func(x Category) bool { return x.ID == id })
}

// Placement is where the product is filed (ok false: nowhere).
func (c *Catalogue) Placement(product uuid.UUID) (Placement, bool) {
	p, ok := c.placements[product.String()]
	return p, ok
}

// Filed lists the products filed in a category.
func (c *Catalogue) Filed(category string) map[uuid.UUID]Placement {
	out := map[uuid.UUID]Placement{}
	for pid, p := range c.placements {
		if p.CategoryID == category {
			id, _ := uuid.Parse(pid)
			out[id] = p
		}
	}
	return out
}

// Path is the names from the top down to the category ("硬件/服务器"), for imports and exports.
func (c *Catalogue) Path(id string) string {
	var names []string
	for i := 0; id != "" && i <= MaxDepth+1; i++ {
		cat, ok := c.Category(id)
		if !ok {
			break
		}
		names = append([]string{cat.Name}, names...)
		id = cat.ParentID
	}
	return strings.Join(names, "/")
}

// Resolve finds the category a user's input means: its id, its path of names separated by "/"
// ("硬件/服务器"), or a name that only one category has (names compare case-insensitively).
func (c *Catalogue) Resolve(input string) (string, bool) {
	s := strings.TrimSpace(input)
	if s == "" {
		return "", false
	}
	if _, ok := c.Category(s); ok {
		return s, true
	}
	parts := strings.Split(s, "/")
	parent := ""
	if len(parts) > 1 {
		for _, name := range parts {
			id, ok := c.child(parent, strings.TrimSpace(name))
			if !ok {
				return "", false
			}
			parent = id
		}
		return parent, true
	}
	found := ""
	for _, cat := range c.categories {
		if strings.EqualFold(cat.Name, s) {
			if found != "" {
				return "", false // ambiguous: name the path
			}
			found = cat.ID
		}
	}
	return found, found != ""
}

func (c *Catalogue) child(parent, name string) (string, bool) {
	for _, cat := range c.categories {
		if cat.ParentID == parent && strings.EqualFold(cat.Name, name) {
			return cat.ID, true
		}
	}
	return "", false
}

func (c *Catalogue) depth(id string) int {
	d := 0
	for id != "" && d <= MaxDepth+1 {
		cat, ok := c.Category(id)
		if !ok {
			break
		}
		d++
		id = cat.ParentID
	}
	return d
}

// height is how many levels the subtree of id spans (1: no children).
func (c *Catalogue) height(id string) int {
	h := 0
	for _, cat := range c.categories {
		if cat.ParentID == id {
			h = max(h, c.height(cat.ID))
		}
	}
	return h + 1
}

func (c *Catalogue) checkName(name, parent, self string) (string, error) {
	name = strings.TrimSpace(name)
	if err := errors.Join(field.Required("name", name), field.Text("name", name, MaxCategoryName)); err != nil {
		return "", err
	}
	if strings.Contains(name, "/") {
		return "", field.Errorf("name", "may not contain \"/\" (it separates the levels of a category path)")
	}
	if id, ok := c.child(parent, name); ok && id != self {
		return "", fmt.Errorf("%w: %q", ErrDuplicateCategory, name)
	}
	return name, nil
}

func (c *Catalogue) checkParent(parent string) error {
	if parent == "" {
		return nil
	}
	if _, ok := c.Category(parent); !ok {
		return field.Errorf("parentId", "no category %q", parent)
	}
	return nil
}

// CreateCategory adds a category under parent ("" the top level).
func (c *Catalogue) CreateCategory(id uuid.UUID, name, parent string, by uuid.UUID, at time.Time) error {
	if id == uuid.Nil {
		return &ValidationError{Field: "id", Message: "is required"}
	}
	if _, ok := c.Category(id.String()); ok {
		return fmt.Errorf("%w: category %s", errAlreadyExists, id)
	}
	if err := c.checkParent(parent); err != nil {
		return err
	}
	if c.depth(parent)+1 > MaxDepth {
		return field.Errorf("parentId", "categories nest at most %d levels", MaxDepth)
	}
	name, err := c.checkName(name, parent, "")
	if err != nil {
		return err
	}
	c.Record(c.apply, CategoryCreated{CategoryID: id.String(), Name: name, ParentID: parent, By: by.String(), At: at.UTC()})
	return nil
}

var errAlreadyExists = errors.New("already exists")

// IsAlreadyExists reports a create of a category id that exists.
func IsAlreadyExists(err error) bool { return errors.Is(err, errAlreadyExists) }

// RenameCategory changes a category's name; the same name records nothing.
func (c *Catalogue) RenameCategory(id, name string, by uuid.UUID, at time.Time) error {
	cat, ok := c.Category(id)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownCategory, id)
	}
	name, err := c.checkName(name, cat.ParentID, id)
	if err != nil {
		return err
	}
	if name == cat.Name {
		return nil
	}
	c.Record(c.apply, CategoryRenamed{CategoryID: id, Name: name, By: by.String(), At: at.UTC()})
	return nil
}

// MoveCategory puts a category (with its subtree) under parent ("" the top level); never under
// itself or its own descendants.
func (c *Catalogue) MoveCategory(id, parent string, by uuid.UUID, at time.Time) error {
	cat, ok := c.Category(id)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownCategory, id)
	}
	if err := c.checkParent(parent); err != nil {
		return err
	}
	for p := parent; p != ""; {
		if p == id {
			return ErrCategoryCycle
		}
		pc, _ := c.Category(p)
		p = pc.ParentID
	}
	if parent == cat.ParentID {
		return nil
	}
	if c.depth(parent)+c.height(id) > MaxDepth {
		return field.Errorf("parentId", "categories nest at most %d levels", MaxDepth)
	}
	if _, err := c.checkName(cat.Name, parent, id); err != nil {
		return err
	}
	c.Record(c.apply, CategoryMoved{CategoryID: id, ParentID: parent, By: by.String(), At: at.UTC()})
	return nil
}

// DeleteCategory removes an empty category: no sub-category and no product filed in it. stale
// names the products filed in it whose placement the caller found to be a leftover (their own
// stream does not hold this category and the placement is older than PlacementGrace); they are
// unfiled with the deletion. Any other product filed there refuses the deletion.
func (c *Catalogue) DeleteCategory(id string, stale []uuid.UUID, by uuid.UUID, at time.Time) error {
	if _, ok := c.Category(id); !ok {
		return fmt.Errorf("%w: %s", ErrUnknownCategory, id)
	}
	for _, cat := range c.categories {
		if cat.ParentID == id {
			return fmt.Errorf("%w: it has the sub-category %q", ErrCategoryNotEmpty, cat.Name)
		}
	}
	filed := c.Filed(id)
	for _, s := range stale {
		delete(filed, s)
	}
	if len(filed) > 0 {
		return fmt.Errorf("%w: %d product(s) are filed in it", ErrCategoryNotEmpty, len(filed))
	}
	for _, s := range stale {
		if p, ok := c.Placement(s); ok && p.CategoryID == id {
			c.Record(c.apply, ProductUnfiled{ProductID: s.String(), By: by.String(), At: at.UTC()})
		}
	}
	c.Record(c.apply, CategoryDeleted{CategoryID: id, By: by.String(), At: at.UTC()})
	return nil
}

// File puts a product in a category, which must exist; the same placement records nothing.
func (c *Catalogue) File(product uuid.UUID, category string, by uuid.UUID, at time.Time) error {
	if _, ok := c.Category(category); !ok {
		return &ValidationError{Field: "categoryId", Message: fmt.Sprintf("no product category %q", category), Code: "unknown_category"}
	}
	if p, ok := c.Placement(product); ok && p.CategoryID == category {
		return nil
	}
	c.Record(c.apply, ProductFiled{ProductID: product.String(), CategoryID: category, By: by.String(), At: at.UTC()})
	return nil
}

// Unfile takes a product out of the catalogue; a product filed nowhere records nothing.
func (c *Catalogue) Unfile(product uuid.UUID, by uuid.UUID, at time.Time) {
	if _, ok := c.Placement(product); !ok {
		return
	}
	c.Record(c.apply, ProductUnfiled{ProductID: product.String(), By: by.String(), At: at.UTC()})
}

func (c *Catalogue) apply(e event.Event) {
	switch e := e.(type) {
	case CategoryCreated:
		c.categories = append(c.categories, Category{ID: e.CategoryID, Name: e.Name, ParentID: e.ParentID})
	case CategoryRenamed:
		if i := c.index(e.CategoryID); i >= 0 {
			c.categories[i].Name = e.Name
		}
	case CategoryMoved:
		if i := c.index(e.CategoryID); i >= 0 {
			c.categories[i].ParentID = e.ParentID
		}
	case CategoryDeleted:
		if i := c.index(e.CategoryID); i >= 0 {
			c.categories = slices.Delete(c.categories, i, i+1)
		}
	case ProductFiled:
		c.placements[e.ProductID] = Placement{CategoryID: e.CategoryID, At: e.At}
	case ProductUnfiled:
		delete(c.placements, e.ProductID)
	}
}

// Subtree is the category and every category under it.
func (c *Catalogue) Subtree(id string) []string {
	out := []string{id}
	for i := 0; i < len(out); i++ {
		for _, cat := range c.categories {
			if cat.ParentID == out[i] {
				out = append(out, cat.ID)
			}
		}
	}
	return out
}
