package tabular

import (
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

type (
	// CustomerRow is a row of a customer import.
	CustomerRow  = customercmd.ImportRow
	customerView = *customerview.Customer
	customerCol  = Column[CustomerRow, customerView]
)

// cText is a plain text field of a customer.
func cText(field string, headers []string, dst func(*customer.Fields) *string) customerCol {
	return customerCol{Field: field, Headers: headers,
		Parse:  func(c *CustomerRow, v string) error { *dst(&c.Fields) = v; return nil },
		Format: func(c customerView, _ Names) string { return *dst(&c.Fields) }}
}

// cLabel is a customer field holding a code that files show as a Chinese label.
func cLabel(field string, headers []string, l labels, dst func(*customer.Fields) *string) customerCol {
	return customerCol{Field: field, Headers: headers,
		Parse:  func(c *CustomerRow, v string) error { *dst(&c.Fields) = l.code(v); return nil },
		Format: func(c customerView, _ Names) string { return l.label(*dst(&c.Fields)) }}
}

// cCoded is a customer field holding a dictionary code: imports take a code or a label (the
// commands resolve it; syn adds the synonyms older files used, nil none), exports write the
// Chinese label (which imports again).
func cCoded(field string, headers []string, k dictionary.Kind, syn *labels, dst func(*customer.Fields) *string) customerCol {
	return customerCol{Field: field, Headers: headers,
		Parse: func(c *CustomerRow, v string) error {
			if syn != nil {
				v = syn.code(v)
			}
			*dst(&c.Fields) = v
			return nil
		},
		Format: func(c customerView, n Names) string { return n.Label(k, *dst(&c.Fields)) }}
}

// cRating is a customer rating from 1 to 5 (or stars).
func cRating(field string, headers []string, dst func(*customer.Fields) *int) customerCol {
	return customerCol{Field: field, Headers: headers,
		Parse: func(c *CustomerRow, v string) (err error) {
			*dst(&c.Fields), err = parseRating(field, v)
			return err
		},
		Format: func(c customerView, _ Names) string { return fmtRating(*dst(&c.Fields)) }}
}

// Customers are the columns of a customer import or export.
var Customers = &Spec[CustomerRow, customerView]{Name: "customers", Title: "客户", Required: []string{"name"}, Columns: []customerCol{
	{Field: "id", Headers: []string{"编号", "id", "客户编号", "customerId"}, Format: func(c customerView, _ Names) string { return c.ID.String() }},
	cText("name", []string{"客户名称", "名称", "name", "客户", "customer", "customerName", "公司名称", "企业名称"}, func(f *customer.Fields) *string { return &f.Name }),
	cText("legalRepresentative", []string{"法人代表", "法定代表人", "legalRepresentative"}, func(f *customer.Fields) *string { return &f.LegalRepresentative }),
	cCoded("level", []string{"级别", "客户级别", "level"}, dictionary.CustomerLevel, nil, func(f *customer.Fields) *string { return &f.Level }),
	cCoded("industry", []string{"行业", "所属行业", "industry"}, dictionary.Industry, nil, func(f *customer.Fields) *string { return &f.Industry }),
	cCoded("subIndustry", []string{"子行业", "细分行业", "subIndustry"}, dictionary.Industry, nil, func(f *customer.Fields) *string { return &f.SubIndustry }),
	cCoded("source", []string{"来源", "客户来源", "source"}, dictionary.LeadSource, nil, func(f *customer.Fields) *string { return &f.Source }),
	cCoded("nature", []string{"性质", "企业性质", "客户性质", "nature"}, dictionary.BusinessNature, &natureLabels, func(f *customer.Fields) *string { return &f.Nature }),
	cLabel("type", []string{"类型", "客户类型", "type"}, typeLabels, func(f *customer.Fields) *string { return &f.Type }),
	cLabel("size", []string{"规模", "企业规模", "size"}, sizeLabels, func(f *customer.Fields) *string { return &f.Size }),
	cCoded("classification", []string{"分类", "客户分类", "classification"}, dictionary.CustomerClass, &classLabels, func(f *customer.Fields) *string { return &f.Classification }),
	cText("country", []string{"国家", "国家地区", "country"}, func(f *customer.Fields) *string { return &f.Country }),
	cText("province", []string{"省份", "省", "province"}, func(f *customer.Fields) *string { return &f.Province }),
	cText("city", []string{"城市", "市", "city"}, func(f *customer.Fields) *string { return &f.City }),
	cText("district", []string{"区县", "区", "district"}, func(f *customer.Fields) *string { return &f.District }),
	cText("address", []string{"地址", "详细地址", "address"}, func(f *customer.Fields) *string { return &f.Address }),
	cText("postcode", []string{"邮编", "邮政编码", "postcode"}, func(f *customer.Fields) *string { return &f.Postcode }),
	cText("phone", []string{"电话", "联系电话", "phone", "tel"}, func(f *customer.Fields) *string { return &f.Phone }),
	cText("fax", []string{"传真", "fax"}, func(f *customer.Fields) *string { return &f.Fax }),
	cText("email", []string{"邮箱", "电子邮箱", "email", "e-mail"}, func(f *customer.Fields) *string { return &f.Email }),
	cText("website", []string{"网址", "网站", "website"}, func(f *customer.Fields) *string { return &f.Website }),
	cText("remark", []string{"备注", "remark", "remarks", "note"}, func(f *customer.Fields) *string { return &f.Remark }),
	cRating("satisfaction", []string{"满意度", "satisfaction"}, func(f *customer.Fields) *int { return &f.Satisfaction }),
	cRating("credit", []string{"信用", "信用等级", "credit"}, func(f *customer.Fields) *int { return &f.Credit }),
	{Field: "nextFollowUpAt", Headers: []string{"下次跟进时间", "下次联系时间", "nextFollowUpAt"},
		Parse: func(c *CustomerRow, v string) error {
			t, err := parseCellTime("nextFollowUpAt", v)
			c.Fields.NextFollowUpAt = &t
			return err
		},
		Format: func(c customerView, _ Names) string { return fmtTime(c.Fields.NextFollowUpAt) }},
	{Field: "status", Headers: []string{"状态", "客户状态", "status"},
		Parse: func(c *CustomerRow, v string) error {
			c.Status = customer.Status(customerStatusLabels.code(v))
			return nil
		},
		Format: func(c customerView, _ Names) string { return customerStatusLabels.label(c.Status) }},
	{Field: "ownerId", Headers: []string{"负责人", "负责人编号", "ownerId", "owner"}, Format: func(c customerView, n Names) string { return ownerName(c.OwnerID, c.OwnerName, n) }},
	{Field: "inPool", Headers: []string{"公海", "inPool"}, Format: func(c customerView, _ Names) string { return yesNo(c.InPool) }},
	{Field: "locked", Headers: []string{"锁定", "locked"}, Format: func(c customerView, _ Names) string { return yesNo(c.Locked) }},
	{Field: "lastFollowUpAt", Headers: []string{"最后跟进时间", "lastFollowUpAt"}, Format: func(c customerView, _ Names) string { return fmtTime(c.LastFollowUpAt) }},
	{Field: "createdAt", Headers: []string{"创建时间", "createdAt"}, Format: func(c customerView, _ Names) string { return fmtTime(&c.CreatedAt) }},
	{Field: "updatedAt", Headers: []string{"更新时间", "updatedAt"}, Format: func(c customerView, _ Names) string { return fmtTime(&c.UpdatedAt) }},
}}
