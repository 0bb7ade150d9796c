package tabular

import (
	"regexp"
	"strings"

	"github.com/chronicle-crm/chronicle/commands/productcmd"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/product"
	"github.com/chronicle-crm/chronicle/readmodels/productview"
)

type (
	// ProductRow is a row of a product import.
	ProductRow  = productcmd.ImportRow
	productView = *productview.Product
	productCol  = Column[ProductRow, productView]
)

// UnitNames is what the Names of a product export also do: the label of a unit's code (the
// product_unit dictionary). Without it, exports write the code (imports accept either).
type UnitNames interface {
	Unit(code string) string
}

func unitName(code string, n Names) string {
	if u, ok := n.(UnitNames); ok && code != "" {
		return u.Unit(code)
	}
	return code
}

var productStatusLabels = newLabels([]string{string(product.OnSale), "在售", "上架", "销售中", "on sale"},
	[]string{string(product.OffSale), "停售", "下架", "已下架", "off sale"})

// thousands is an amount with thousands separators, as spreadsheets show money ("23,999.50").
var thousands = regexp.MustCompile(`^-?\d{1,3}(,\d{3})+(\.\d*)?$`)

// parseMoneyCell reads an amount exactly (never through a float): a decimal with at most two
// places, optionally with ¥ and thousands separators; it answers the canonical form ("23999.50").
// Errors carry the money codes (too_many_decimals, not_a_decimal, negative_not_allowed).
func parseMoneyCell(name, v string) (string, error) {
	v = strings.TrimSpace(strings.TrimLeft(v, "¥￥"))
	if thousands.MatchString(v) {
		v = strings.ReplaceAll(v, ",", "")
	}
	a, err := money.NonNegativeAmount(name, v)
	if err != nil {
		return "", err
	}
	return a.String(), nil
}

func amount(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// pText is a plain text field of a product.
func pText(field string, headers []string, dst func(*product.Fields) *string, get func(productView) string) productCol {
	return productCol{Field: field, Headers: headers,
		Parse:  func(p *ProductRow, v string) error { *dst(&p.Fields) = v; return nil },
		Format: func(p productView, _ Names) string { return get(p) }}
}

// pMoney is an amount of a product.
func pMoney(field string, headers []string, dst func(*product.Fields) *string, get func(productView) *string) productCol {
	return productCol{Field: field, Headers: headers,
		Parse: func(p *ProductRow, v string) (err error) {
			*dst(&p.Fields), err = parseMoneyCell(field, v)
			return err
		},
		Format: func(p productView, _ Names) string { return amount(get(p)) }}
}

// Products are the columns of a product import or export. A product is matched by its code; its
// category is written as its path ("硬件/服务器") and read as a path, a name only one category
// has, or an id; its unit as the dictionary's Chinese label, read as a label or a code.
var Products = &Spec[ProductRow, productView]{Name: "products", Title: "产品", Required: []string{"name", "code", "category"}, Columns: []productCol{
	pText("name", []string{"产品名称", "名称", "产品", "品名", "name", "productName"}, func(f *product.Fields) *string { return &f.Name },
		func(p productView) string { return p.Name }),
	pText("code", []string{"产品编码", "编码", "产品编号", "编号", "货号", "code", "productCode"}, func(f *product.Fields) *string { return &f.Code },
		func(p productView) string { return p.Code }),
	{Field: "category", Headers: []string{"产品分类", "分类", "类别", "category", "categoryPath"},
		Parse:  func(p *ProductRow, v string) error { p.Category = v; return nil },
		Format: func(p productView, _ Names) string { return p.CategoryPath }},
	{Field: "unit", Headers: []string{"单位", "计量单位", "unit"},
		Parse:  func(p *ProductRow, v string) error { p.Fields.Unit = v; return nil },
		Format: func(p productView, n Names) string { return unitName(p.Unit, n) }},
	{Field: "productionDate", Headers: []string{"生产日期", "productionDate"},
		Parse: func(p *ProductRow, v string) (err error) {
			p.Fields.ProductionDate, err = parseCellDate("productionDate", v)
			return err
		},
		Format: func(p productView, _ Names) string { return p.ProductionDate }},
	pMoney("cost", []string{"生产成本", "成本", "成本价", "cost"}, func(f *product.Fields) *string { return &f.Cost }, func(p productView) *string { return p.Cost }),
	pMoney("price", []string{"建议零售价", "零售价", "价格", "售价", "单价", "price"}, func(f *product.Fields) *string { return &f.Price },
		func(p productView) *string { return p.Price }),
	pText("description", []string{"产品描述", "描述", "说明", "description"}, func(f *product.Fields) *string { return &f.Description },
		func(p productView) string { return p.Description }),
	{Field: "status", Headers: []string{"状态", "销售状态", "status"},
		Parse: func(p *ProductRow, v string) error {
			p.Status = product.Status(productStatusLabels.code(v))
			return nil
		},
		Format: func(p productView, _ Names) string { return productStatusLabels.label(p.Status) }},
	{Field: "createdAt", Headers: []string{"创建时间", "createdAt"}, Format: func(p productView, _ Names) string { return fmtTime(&p.CreatedAt) }},
	{Field: "updatedAt", Headers: []string{"更新时间", "updatedAt"}, Format: func(p productView, _ Names) string { return fmtTime(&p.UpdatedAt) }},
}}
