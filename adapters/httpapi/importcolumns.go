package httpapi

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lead"
)

// Columns of imported and exported files. A column is found by its header, Chinese or English,
// compared without case, spaces, punctuation or a "*" required marker. Exports write the first
// header of each column, so an exported file imports again.

// column is one column of a record type T.
type column[T any] struct {
	field   string   // the API field name (errors name it)
	headers []string // accepted headers; the first is what exports write
	// set stores a cell's value (never empty); nil marks a column exports write and imports ignore.
	set func(*T, string) error
}

// headerKey normalises a header for comparison.
func headerKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || r == 0x3000 {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// cleanCell trims a cell and removes the apostrophe an export put before formula-like text.
func cleanCell(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > 1 && v[0] == '\'' && strings.ContainsRune("=+-@", rune(v[1])) {
		v = v[1:]
	}
	return v
}

// labels map stable codes to the Chinese labels users write; the first label is the one exports
// write.
type labels struct {
	codes  []string
	byCode map[string][]string
	lookup map[string]string
}

func newLabels(pairs ...[]string) labels {
	l := labels{byCode: map[string][]string{}, lookup: map[string]string{}}
	for _, p := range pairs {
		code := p[0]
		l.codes = append(l.codes, code)
		l.byCode[code] = p[1:]
		l.lookup[headerKey(code)] = code
		for _, lab := range p[1:] {
			l.lookup[headerKey(lab)] = code
		}
	}
	return l
}

// code returns the code of a label or code; anything else is returned as it is, for the domain
// to reject with its list of allowed values.
func (l labels) code(v string) string {
	if c, ok := l.lookup[headerKey(v)]; ok {
		return c
	}
	return v
}

// label is the Chinese label of a code (the code itself when it has none).
func (l labels) label(code string) string {
	if ls := l.byCode[code]; len(ls) > 0 {
		return ls[0]
	}
	return code
}

var (
	natureLabels = newLabels([]string{"foreign", "外资", "外资企业", "外商独资"}, []string{"joint_venture", "合资", "合资企业", "中外合资"},
		[]string{"state_owned", "国有", "国企", "国有企业"}, []string{"collective", "集体", "集体企业"},
		[]string{"private", "私营", "民营", "私营企业", "民营企业", "私企"}, []string{"other", "其他", "其它"})
	typeLabels = newLabels([]string{"manufacturer", "生产商", "制造商", "厂商", "生产型"}, []string{"trading", "贸易商", "贸易", "贸易型"},
		[]string{"service", "服务商", "服务", "服务型"}, []string{"other", "其他", "其它"})
	sizeLabels  = newLabels([]string{"large", "大型", "大"}, []string{"medium", "中型", "中"}, []string{"small", "小型", "小"})
	classLabels = newLabels([]string{"old_customer", "老客户"}, []string{"target", "目标客户"}, []string{"potential", "潜在客户"},
		[]string{"partner", "合作伙伴"}, []string{"blacklist", "黑名单"}, []string{"competitor", "竞争对手"})
	customerStatusLabels = newLabels([]string{"potential", "潜在", "潜在客户"}, []string{"cooperating", "合作中", "合作"},
		[]string{"closed_deal", "已成交", "成交"})
	leadStatusLabels = newLabels([]string{"new", "新线索"}, []string{"following", "跟进中"}, []string{"invalid", "无效"},
		[]string{"converted", "已转化"})
	genderLabels = newLabels([]string{"male", "男", "m"}, []string{"female", "女", "f"}, []string{"other", "其他", "其它"})
)

// Naive dates and times in files are China Standard Time (UTC+8), the product's home zone.
var importZone = time.FixedZone("UTC+8", 8*3600)

var timeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04", "2006-01-02T15:04:05",
	"2006-1-2", "2006/1/2", "2006.1.2", "2006年1月2日", "20060102"}

// parseCellTime reads RFC 3339, common date and time layouts (UTC+8) and Excel serial dates.
func parseCellTime(name, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, v, importZone); err == nil {
			return t.UTC(), nil
		}
	}
	// Excel stores dates as days since 1899-12-30 (fraction: time of day).
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 1 && f < 2958466 {
		days, frac := math.Modf(f)
		t := time.Date(1899, 12, 30, 0, 0, 0, 0, importZone).AddDate(0, 0, int(days)).Add(time.Duration(math.Round(frac*86400)) * time.Second)
		return t.UTC(), nil
	}
	return time.Time{}, field.Errorf(name, "is not a date or time: %q (use 2026-12-01 or 2026-12-01 09:30)", v)
}

func parseCellDate(name, v string) (string, error) {
	t, err := parseCellTime(name, v)
	if err != nil {
		return "", err
	}
	return t.In(importZone).Format("2006-01-02"), nil
}

// parseRating reads a whole number (or stars: ★★★★); the domain checks the range.
func parseRating(name, v string) (int, error) {
	if strings.Trim(v, "★") == "" {
		return utf8Count(v, '★'), nil
	}
	if n, err := strconv.Atoi(v); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 100 {
		return int(f), nil
	}
	return 0, field.Errorf(name, "must be a whole number from 1 to 5, got %q", v)
}

func utf8Count(s string, r rune) int { return strings.Count(s, string(r)) }

func text(dst func(*customercmd.ImportRow) *string) func(*customercmd.ImportRow, string) error {
	return func(c *customercmd.ImportRow, v string) error { *dst(c) = v; return nil }
}

// customerColumns are the columns of a customer import or export.
var customerColumns = []column[customercmd.ImportRow]{
	{field: "id", headers: []string{"编号", "id", "客户编号", "customerId"}},
	{"name", []string{"客户名称", "名称", "name", "客户", "customer", "customerName", "公司名称", "企业名称"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.Name })},
	{"legalRepresentative", []string{"法人代表", "法定代表人", "legalRepresentative"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.LegalRepresentative })},
	{"level", []string{"级别", "客户级别", "level"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.Level })},
	{"industry", []string{"行业", "所属行业", "industry"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.Industry })},
	{"subIndustry", []string{"子行业", "细分行业", "subIndustry"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.SubIndustry })},
	{"source", []string{"来源", "客户来源", "source"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.Source })},
	{"nature", []string{"性质", "企业性质", "客户性质", "nature"}, func(c *customercmd.ImportRow, v string) error { c.Fields.Nature = natureLabels.code(v); return nil }},
	{"type", []string{"类型", "客户类型", "type"}, func(c *customercmd.ImportRow, v string) error { c.Fields.Type = typeLabels.code(v); return nil }},
	{"size", []string{"规模", "企业规模", "size"}, func(c *customercmd.ImportRow, v string) error { c.Fields.Size = sizeLabels.code(v); return nil }},
	{"classification", []string{"分类", "客户分类", "classification"}, func(c *customercmd.ImportRow, v string) error {
		c.Fields.Classification = classLabels.code(v)
		return nil
	}},
	{"country", []string{"国家", "国家地区", "country"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.Country })},
	{"province", []string{"省份", "省", "province"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.Province })},
	{"city", []string{"城市", "市", "city"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.City })},
	{"district", []string{"区县", "区", "district"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.District })},
	{"address", []string{"地址", "详细地址", "address"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.Address })},
	{"postcode", []string{"邮编", "邮政编码", "postcode"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.Postcode })},
	{"phone", []string{"电话", "联系电话", "phone", "tel"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.Phone })},
	{"fax", []string{"传真", "fax"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.Fax })},
	{"email", []string{"邮箱", "电子邮箱", "email", "e-mail"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.Email })},
	{"website", []string{"网址", "网站", "website"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.Website })},
	{"remark", []string{"备注", "remark", "remarks", "note"}, text(func(c *customercmd.ImportRow) *string { return &c.Fields.Remark })},
	{"satisfaction", []string{"满意度", "satisfaction"}, func(c *customercmd.ImportRow, v string) (err error) {
		c.Fields.Satisfaction, err = parseRating("satisfaction", v)
		return err
	}},
	{"credit", []string{"信用", "信用等级", "credit"}, func(c *customercmd.ImportRow, v string) (err error) {
		c.Fields.Credit, err = parseRating("credit", v)
		return err
	}},
	{"nextFollowUpAt", []string{"下次跟进时间", "下次联系时间", "nextFollowUpAt"}, func(c *customercmd.ImportRow, v string) error {
		t, err := parseCellTime("nextFollowUpAt", v)
		c.Fields.NextFollowUpAt = &t
		return err
	}},
	{"status", []string{"状态", "客户状态", "status"}, func(c *customercmd.ImportRow, v string) error {
		c.Status = customer.Status(customerStatusLabels.code(v))
		return nil
	}},
	{field: "ownerId", headers: []string{"负责人", "负责人编号", "ownerId", "owner"}},
	{field: "inPool", headers: []string{"公海", "inPool"}},
	{field: "locked", headers: []string{"锁定", "locked"}},
	{field: "lastFollowUpAt", headers: []string{"最后跟进时间", "lastFollowUpAt"}},
	{field: "createdAt", headers: []string{"创建时间", "createdAt"}},
	{field: "updatedAt", headers: []string{"更新时间", "updatedAt"}},
}

func leadText(dst func(*lead.Fields) *string) func(*leadcmd.ImportRow, string) error {
	return func(l *leadcmd.ImportRow, v string) error { *dst(&l.Fields) = v; return nil }
}

// leadColumns are the columns of a lead import or export.
var leadColumns = []column[leadcmd.ImportRow]{
	{field: "id", headers: []string{"编号", "id", "线索编号"}},
	{"name", []string{"姓名", "name", "联系人", "线索名称", "名称"}, leadText(func(f *lead.Fields) *string { return &f.Name })},
	{"company", []string{"公司", "company", "公司名称", "单位"}, leadText(func(f *lead.Fields) *string { return &f.Company })},
	{"phone", []string{"电话", "phone", "联系电话", "办公电话", "tel"}, leadText(func(f *lead.Fields) *string { return &f.Phone })},
	{"mobile", []string{"手机", "mobile", "手机号", "手机号码"}, leadText(func(f *lead.Fields) *string { return &f.Mobile })},
	{"email", []string{"邮箱", "email", "电子邮箱", "e-mail"}, leadText(func(f *lead.Fields) *string { return &f.Email })},
	{"source", []string{"来源", "线索来源", "source"}, leadText(func(f *lead.Fields) *string { return &f.Source })},
	{"industry", []string{"行业", "所属行业", "industry"}, leadText(func(f *lead.Fields) *string { return &f.Industry })},
	{"level", []string{"级别", "线索级别", "level"}, leadText(func(f *lead.Fields) *string { return &f.Level })},
	{"address", []string{"地址", "详细地址", "address"}, leadText(func(f *lead.Fields) *string { return &f.Address })},
	{"remark", []string{"备注", "remark", "remarks", "note"}, leadText(func(f *lead.Fields) *string { return &f.Remark })},
	{"nextFollowUpAt", []string{"下次跟进时间", "下次联系时间", "nextFollowUpAt"}, func(l *leadcmd.ImportRow, v string) error {
		t, err := parseCellTime("nextFollowUpAt", v)
		l.Fields.NextFollowUpAt = &t
		return err
	}},
	{field: "status", headers: []string{"状态", "线索状态", "status"}},
	{field: "ownerId", headers: []string{"负责人", "负责人编号", "ownerId", "owner"}},
	{field: "inPool", headers: []string{"公海", "inPool"}},
	{field: "createdAt", headers: []string{"创建时间", "createdAt"}},
	{field: "updatedAt", headers: []string{"更新时间", "updatedAt"}},
}

// contactRow is a contact row before its customer is looked up.
type contactRow struct {
	customerName string
	customerID   uuid.UUID
	fields       contact.Fields
}

func contactText(dst func(*contact.Fields) *string) func(*contactRow, string) error {
	return func(c *contactRow, v string) error { *dst(&c.fields) = v; return nil }
}

// contactColumns are the columns of a contact import or export.
var contactColumns = []column[contactRow]{
	{field: "id", headers: []string{"编号", "id", "联系人编号"}},
	{"customer", []string{"客户名称", "客户", "customer", "customerName", "公司", "公司名称"}, func(c *contactRow, v string) error { c.customerName = v; return nil }},
	{"customerId", []string{"客户编号", "customerId", "客户ID"}, func(c *contactRow, v string) error {
		id, err := uuid.Parse(v)
		if err != nil {
			return field.Errorf("customerId", "is not a customer id (UUID): %q", v)
		}
		c.customerID = id
		return nil
	}},
	{"name", []string{"姓名", "name", "联系人", "联系人姓名"}, contactText(func(f *contact.Fields) *string { return &f.Name })},
	{"gender", []string{"性别", "gender"}, func(c *contactRow, v string) error { c.fields.Gender = genderLabels.code(v); return nil }},
	{"title", []string{"职务", "职位", "title"}, contactText(func(f *contact.Fields) *string { return &f.Title })},
	{"officePhone", []string{"办公电话", "电话", "officePhone", "phone"}, contactText(func(f *contact.Fields) *string { return &f.OfficePhone })},
	{"mobile", []string{"手机", "mobile", "手机号", "手机号码"}, contactText(func(f *contact.Fields) *string { return &f.Mobile })},
	{"email", []string{"邮箱", "email", "电子邮箱", "e-mail"}, contactText(func(f *contact.Fields) *string { return &f.Email })},
	{"fax", []string{"传真", "fax"}, contactText(func(f *contact.Fields) *string { return &f.Fax })},
	{"birthday", []string{"生日", "出生日期", "birthday"}, func(c *contactRow, v string) (err error) {
		c.fields.Birthday, err = parseCellDate("birthday", v)
		return err
	}},
	{"remark", []string{"备注", "remark", "remarks", "note"}, contactText(func(f *contact.Fields) *string { return &f.Remark })},
	{field: "primary", headers: []string{"主联系人", "primary"}},
	{field: "createdAt", headers: []string{"创建时间", "createdAt"}},
	{field: "updatedAt", headers: []string{"更新时间", "updatedAt"}},
}

// header returns the header exports write for a field.
func header[T any](cols []column[T], fieldName string) string {
	for _, c := range cols {
		if c.field == fieldName {
			return c.headers[0]
		}
	}
	panic("httpapi: no column " + fieldName)
}
