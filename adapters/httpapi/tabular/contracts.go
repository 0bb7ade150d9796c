package tabular

import (
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/readmodels/contractview"
)

type (
	// ContractRow: contracts are exported, not imported (a contract is drafted and approved one
	// by one).
	ContractRow  struct{}
	contractView = *contractview.Contract
	contractCol  = Column[ContractRow, contractView]
)

var contractStatusLabels = newLabels([]string{"draft", "草稿"}, []string{"pending", "审批中"}, []string{"approved", "已审批"},
	[]string{"executing", "执行中"}, []string{"completed", "已完成"}, []string{"terminated", "已终止"})

func kcText(field, header string, get func(contractView) string) contractCol {
	return contractCol{Field: field, Headers: []string{header}, Format: func(c contractView, _ Names) string { return get(c) }}
}

// Contracts are the columns of a contract export: amounts exactly as stored (decimal text), the
// type and status by their Chinese labels.
var Contracts = &Spec[ContractRow, contractView]{Name: "contracts", Title: "合同", Columns: []contractCol{
	kcText("number", "合同编号", func(c contractView) string { return c.Number }),
	kcText("name", "合同名称", func(c contractView) string { return c.Name }),
	kcText("customer", "客户", func(c contractView) string { return c.CustomerName }),
	kcText("opportunity", "商机", func(c contractView) string { return c.OpportunityName }),
	{Field: "type", Headers: []string{"合同类型"}, Format: func(c contractView, n Names) string { return n.Label(dictionary.ContractType, c.Type) }},
	kcText("signedOn", "签约日期", func(c contractView) string { return c.SignedOn }),
	kcText("startsOn", "开始日期", func(c contractView) string { return c.StartsOn }),
	kcText("endsOn", "结束日期", func(c contractView) string { return c.EndsOn }),
	kcText("amount", "合同金额", func(c contractView) string { return c.Amount }),
	{Field: "status", Headers: []string{"状态"}, Format: func(c contractView, _ Names) string { return contractStatusLabels.label(c.Status) }},
	{Field: "owner", Headers: []string{"负责人"}, Format: func(c contractView, n Names) string { return ownerName(c.OwnerID, c.OwnerName, n) }},
	kcText("paymentTerms", "付款条件", func(c contractView) string { return c.State.Fields.PaymentTerms }),
	kcText("remarks", "备注", func(c contractView) string { return c.State.Fields.Remarks }),
	{Field: "createdAt", Headers: []string{"创建时间"}, Format: func(c contractView, _ Names) string { return fmtTime(&c.CreatedAt) }},
	{Field: "updatedAt", Headers: []string{"更新时间"}, Format: func(c contractView, _ Names) string { return fmtTime(&c.UpdatedAt) }},
}}
