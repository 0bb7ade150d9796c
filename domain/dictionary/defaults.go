package dictionary

// Defaults are each list's built-in items: its state before any event. They never change (a
// change would rewrite what old histories mean); an installation changes its lists by events.
// Codes already used by records before the dictionary existed are kept (customer natures and
// classifications, levels A–C).
var Defaults = map[Kind][]Item{
	LeadSource: items(
		"web", "官网咨询", "Website",
		"exhibition", "展会", "Trade show",
		"referral", "客户转介绍", "Referral",
		"telemarketing", "电话营销", "Telemarketing",
		"search_ads", "百度推广", "Search ads",
		"wechat", "微信公众号", "WeChat",
		"alibaba", "阿里巴巴", "Alibaba",
		"douyin_ads", "抖音广告", "Douyin ads",
		"other", "其他", "Other",
	),
	Industry: concat(
		items("manufacturing", "制造业", "Manufacturing"),
		children("manufacturing",
			"manufacturing.machinery", "机械设备", "Machinery",
			"manufacturing.electronics", "电子电器", "Electronics",
			"manufacturing.chemicals", "化工", "Chemicals",
		),
		items("internet", "互联网", "Internet"),
		children("internet",
			"internet.software", "软件", "Software",
			"internet.ecommerce", "电子商务", "E-commerce",
		),
		items(
			"retail", "零售", "Retail",
			"education", "教育", "Education",
			"healthcare", "医疗", "Healthcare",
			"finance", "金融", "Finance",
			"logistics", "物流", "Logistics",
			"construction", "建筑", "Construction",
			"energy", "能源", "Energy",
			"catering", "餐饮", "Catering",
			"other", "其他", "Other",
		),
	),
	CustomerLevel: items(
		"A", "A（重点客户）", "A (key)",
		"B", "B（普通客户）", "B (regular)",
		"C", "C（一般客户）", "C (minor)",
	),
	CustomerClass: items(
		"old_customer", "老客户", "Existing customer",
		"target", "目标客户", "Target",
		"potential", "潜在客户", "Potential",
		"partner", "合作伙伴", "Partner",
		"blacklist", "黑名单", "Blacklist",
		"competitor", "竞争对手", "Competitor",
	),
	BusinessNature: items(
		"foreign", "外资企业", "Foreign-owned",
		"joint_venture", "合资企业", "Joint venture",
		"state_owned", "国有企业", "State-owned",
		"collective", "集体企业", "Collective",
		"private", "民营企业", "Private",
		"other", "其他", "Other",
	),
	OpportunitySource: items(
		"lead", "线索转化", "Converted lead",
		"existing_customer", "老客户", "Existing customer",
		"referral", "客户转介绍", "Referral",
		"exhibition", "展会", "Trade show",
		"web", "官网咨询", "Website",
		"other", "其他", "Other",
	),
	LostReason: items(
		"price", "价格过高", "Price too high",
		"competitor", "选择了竞争对手", "Chose a competitor",
		"no_budget", "无预算", "No budget",
		"no_need", "需求取消", "Need withdrawn",
		"timing", "时机不成熟", "Bad timing",
		"other", "其他", "Other",
	),
	ProductUnit: items(
		"piece", "个", "piece",
		"set", "套", "set",
		"unit", "台", "unit",
		"box", "箱", "box",
		"kg", "千克", "kg",
		"license", "许可", "license",
		"year", "年", "year",
		"hour", "小时", "hour",
	),
	PaymentMethod: items(
		"bank_transfer", "银行转账", "Bank transfer",
		"cash", "现金", "Cash",
		"cheque", "支票", "Cheque",
		"acceptance_bill", "承兑汇票", "Bank acceptance bill",
		"alipay", "支付宝", "Alipay",
		"wechat_pay", "微信支付", "WeChat Pay",
		"other", "其他", "Other",
	),
	ContractType: items(
		"sales", "销售合同", "Sales contract",
		"service", "服务合同", "Service contract",
		"framework", "框架协议", "Framework agreement",
		"maintenance", "维保合同", "Maintenance contract",
		"other", "其他", "Other",
	),
}

// items makes enabled top-level items from (code, zh, en) triples.
func items(triples ...string) []Item { return children("", triples...) }

// children makes enabled items under parent from (code, zh, en) triples.
func children(parent string, triples ...string) []Item {
	out := make([]Item, 0, len(triples)/3)
	for i := 0; i+2 < len(triples); i += 3 {
		out = append(out, Item{Code: triples[i], Parent: parent, Labels: Labels{ZH: triples[i+1], EN: triples[i+2]}, Enabled: true})
	}
	return out
}

func concat(parts ...[]Item) []Item {
	var out []Item
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
