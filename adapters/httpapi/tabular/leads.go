package tabular

import (
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

type (
	// LeadRow is a row of a lead import.
	LeadRow  = leadcmd.ImportRow
	leadView = *leadview.Lead
	leadCol  = Column[LeadRow, leadView]
)

// lText is a plain text field of a lead.
func lText(field string, headers []string, dst func(*lead.Fields) *string, get func(leadView) string) leadCol {
	return leadCol{Field: field, Headers: headers,
		Parse:  func(l *LeadRow, v string) error { *dst(&l.Fields) = v; return nil },
		Format: func(l leadView, _ Names) string { return get(l) }}
}

// lCoded is a lead field holding a dictionary code: imports take a code or a label (the commands
// resolve it), exports write the Chinese label (which imports again).
func lCoded(field string, headers []string, k dictionary.Kind, dst func(*lead.Fields) *string, get func(leadView) string) leadCol {
	c := lText(field, headers, dst, get)
	c.Format = func(l leadView, n Names) string { return n.Label(k, get(l)) }
	return c
}

// Leads are the columns of a lead import or export.
var Leads = &Spec[LeadRow, leadView]{Name: "leads", Title: "线索", Required: []string{"name"}, Columns: []leadCol{
	{Field: "id", Headers: []string{"编号", "id", "线索编号"}, Format: func(l leadView, _ Names) string { return l.ID.String() }},
	lText("name", []string{"姓名", "name", "联系人", "线索名称", "名称"}, func(f *lead.Fields) *string { return &f.Name }, func(l leadView) string { return l.Name }),
	lText("company", []string{"公司", "company", "公司名称", "单位"}, func(f *lead.Fields) *string { return &f.Company }, func(l leadView) string { return l.Company }),
	lText("phone", []string{"电话", "phone", "联系电话", "办公电话", "tel"}, func(f *lead.Fields) *string { return &f.Phone }, func(l leadView) string { return l.Phone }),
	lText("mobile", []string{"手机", "mobile", "手机号", "手机号码"}, func(f *lead.Fields) *string { return &f.Mobile }, func(l leadView) string { return l.Mobile }),
	lText("email", []string{"邮箱", "email", "电子邮箱", "e-mail"}, func(f *lead.Fields) *string { return &f.Email }, func(l leadView) string { return l.Email }),
	lCoded("source", []string{"来源", "线索来源", "source"}, dictionary.LeadSource, func(f *lead.Fields) *string { return &f.Source }, func(l leadView) string { return l.Source }),
	lCoded("industry", []string{"行业", "所属行业", "industry"}, dictionary.Industry, func(f *lead.Fields) *string { return &f.Industry }, func(l leadView) string { return l.Industry }),
	lCoded("level", []string{"级别", "线索级别", "level"}, dictionary.CustomerLevel, func(f *lead.Fields) *string { return &f.Level }, func(l leadView) string { return l.Level }),
	lText("address", []string{"地址", "详细地址", "address"}, func(f *lead.Fields) *string { return &f.Address }, func(l leadView) string { return l.Address }),
	lText("remark", []string{"备注", "remark", "remarks", "note"}, func(f *lead.Fields) *string { return &f.Remark }, func(l leadView) string { return l.Remark }),
	{Field: "nextFollowUpAt", Headers: []string{"下次跟进时间", "下次联系时间", "nextFollowUpAt"},
		Parse: func(l *LeadRow, v string) error {
			t, err := parseCellTime("nextFollowUpAt", v)
			l.Fields.NextFollowUpAt = &t
			return err
		},
		Format: func(l leadView, _ Names) string { return fmtTime(l.NextFollowUpAt) }},
	{Field: "status", Headers: []string{"状态", "线索状态", "status"}, Format: func(l leadView, _ Names) string { return leadStatusLabels.label(l.Status) }},
	{Field: "ownerId", Headers: []string{"负责人", "负责人编号", "ownerId", "owner"}, Format: func(l leadView, n Names) string { return ownerName(l.OwnerID, l.OwnerName, n) }},
	{Field: "inPool", Headers: []string{"公海", "inPool"}, Format: func(l leadView, _ Names) string { return yesNo(l.InPool) }},
	{Field: "createdAt", Headers: []string{"创建时间", "createdAt"}, Format: func(l leadView, _ Names) string { return fmtTime(&l.CreatedAt) }},
	{Field: "updatedAt", Headers: []string{"更新时间", "updatedAt"}, Format: func(l leadView, _ Names) string { return fmtTime(&l.UpdatedAt) }},
}}
