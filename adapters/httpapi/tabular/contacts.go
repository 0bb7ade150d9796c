package tabular

import (
	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/dataimport"
	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

type (
	// ContactRow is a row of a contact import.
	ContactRow  = dataimport.ContactRow
	contactView = *customerview.Contact
	contactCol  = Column[ContactRow, contactView]
)

// kText is a plain text field of a contact.
func kText(field string, headers []string, dst func(*contact.Fields) *string, get func(contactView) string) contactCol {
	return contactCol{Field: field, Headers: headers,
		Parse:  func(c *ContactRow, v string) error { *dst(&c.Fields) = v; return nil },
		Format: func(c contactView, _ Names) string { return get(c) }}
}

// Contacts are the columns of a contact import or export.
var Contacts = &Spec[ContactRow, contactView]{Name: "contacts", Title: "联系人", Required: []string{"name", "customer|customerId"}, Columns: []contactCol{
	{Field: "id", Headers: []string{"编号", "id", "联系人编号"}, Format: func(c contactView, _ Names) string { return c.ID.String() }},
	{Field: "customer", Headers: []string{"客户名称", "客户", "customer", "customerName", "公司", "公司名称"},
		Parse:  func(c *ContactRow, v string) error { c.CustomerName = v; return nil },
		Format: func(c contactView, _ Names) string { return c.CustomerName }},
	{Field: "customerId", Headers: []string{"客户编号", "customerId", "客户ID"},
		Parse: func(c *ContactRow, v string) error {
			id, err := uuid.Parse(v)
			if err != nil {
				return field.Errorf("customerId", "is not a customer id (UUID): %q", v)
			}
			c.CustomerID = id
			return nil
		},
		Format: func(c contactView, _ Names) string { return c.CustomerID.String() }},
	kText("name", []string{"姓名", "name", "联系人", "联系人姓名"}, func(f *contact.Fields) *string { return &f.Name }, func(c contactView) string { return c.Name }),
	{Field: "gender", Headers: []string{"性别", "gender"},
		Parse:  func(c *ContactRow, v string) error { c.Fields.Gender = genderLabels.code(v); return nil },
		Format: func(c contactView, _ Names) string { return genderLabels.label(c.Gender) }},
	kText("title", []string{"职务", "职位", "title"}, func(f *contact.Fields) *string { return &f.Title }, func(c contactView) string { return c.Title }),
	kText("officePhone", []string{"办公电话", "电话", "officePhone", "phone"}, func(f *contact.Fields) *string { return &f.OfficePhone }, func(c contactView) string { return c.OfficePhone }),
	kText("mobile", []string{"手机", "mobile", "手机号", "手机号码"}, func(f *contact.Fields) *string { return &f.Mobile }, func(c contactView) string { return c.Mobile }),
	kText("email", []string{"邮箱", "email", "电子邮箱", "e-mail"}, func(f *contact.Fields) *string { return &f.Email }, func(c contactView) string { return c.Email }),
	kText("fax", []string{"传真", "fax"}, func(f *contact.Fields) *string { return &f.Fax }, func(c contactView) string { return c.Fax }),
	{Field: "birthday", Headers: []string{"生日", "出生日期", "birthday"},
		Parse: func(c *ContactRow, v string) (err error) {
			c.Fields.Birthday, err = parseCellDate("birthday", v)
			return err
		},
		Format: func(c contactView, _ Names) string { return c.Birthday }},
	kText("remark", []string{"备注", "remark", "remarks", "note"}, func(f *contact.Fields) *string { return &f.Remark }, func(c contactView) string { return c.Remark }),
	{Field: "primary", Headers: []string{"主联系人", "primary"}, Format: func(c contactView, _ Names) string { return yesNo(c.Primary) }},
	{Field: "ownerId", Headers: []string{"负责人", "ownerId", "owner"}, Format: func(c contactView, n Names) string { return ownerName(c.OwnerID, c.OwnerName, n) }},
	{Field: "createdAt", Headers: []string{"创建时间", "createdAt"}, Format: func(c contactView, _ Names) string { return fmtTime(&c.CreatedAt) }},
	{Field: "updatedAt", Headers: []string{"更新时间", "updatedAt"}, Format: func(c contactView, _ Names) string { return fmtTime(&c.UpdatedAt) }},
}}
