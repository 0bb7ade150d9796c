package tabular

import (
	"strconv"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/readmodels/opportunityview"
)

type (
	// OpportunityRow: opportunities are exported, not imported.
	OpportunityRow  struct{}
	opportunityView = *opportunityview.Opportunity
	opportunityCol  = Column[OpportunityRow, opportunityView]
)

// StageNames is what the Names of an opportunity export also do: the name of a pipeline's stage.
// Without it, exports write the stage's key.
type StageNames interface {
	Stage(pipeline uuid.UUID, key string) string
}

var opportunityStatusLabels = newLabels([]string{"open", "进行中"}, []string{"won", "赢单"}, []string{"lost", "输单"})

func koText(field, header string, get func(opportunityView) string) opportunityCol {
	return opportunityCol{Field: field, Headers: []string{header}, Format: func(o opportunityView, _ Names) string { return get(o) }}
}

// Opportunities are the columns of an opportunity export: amounts exactly as stored, stages by
// name, statuses, sources and lost reasons by their Chinese labels.
var Opportunities = &Spec[OpportunityRow, opportunityView]{Name: "opportunities", Title: "商机", Columns: []opportunityCol{
	koText("name", "商机名称", func(o opportunityView) string { return o.Name }),
	koText("customer", "客户", func(o opportunityView) string { return o.CustomerName }),
	{Field: "stage", Headers: []string{"阶段"}, Format: func(o opportunityView, n Names) string {
		if s, ok := n.(StageNames); ok {
			return s.Stage(o.PipelineID, o.Stage)
		}
		return o.Stage
	}},
	{Field: "status", Headers: []string{"状态"}, Format: func(o opportunityView, _ Names) string { return opportunityStatusLabels.label(o.Status) }},
	koText("amount", "金额", func(o opportunityView) string { return o.Amount }),
	{Field: "probability", Headers: []string{"赢率(%)"}, Format: func(o opportunityView, _ Names) string { return strconv.FormatInt(o.Probability, 10) }},
	koText("weightedAmount", "加权金额", func(o opportunityView) string { return o.Weighted }),
	koText("expectedCloseDate", "预计成交日期", func(o opportunityView) string { return o.ExpectedCloseDate }),
	{Field: "source", Headers: []string{"商机来源"}, Format: func(o opportunityView, n Names) string { return n.Label(dictionary.OpportunitySource, o.Source) }},
	{Field: "owner", Headers: []string{"负责人"}, Format: func(o opportunityView, n Names) string { return ownerName(o.OwnerID, o.OwnerName, n) }},
	koText("assignee", "客户经理", func(o opportunityView) string { return o.AssigneeName }),
	koText("closedOn", "成交/输单日期", func(o opportunityView) string { return o.ClosedOn }),
	{Field: "lostReason", Headers: []string{"输单原因"}, Format: func(o opportunityView, n Names) string { return n.Label(dictionary.LostReason, o.LostReason) }},
	koText("nextStep", "下一步", func(o opportunityView) string { return o.NextStep }),
	{Field: "createdAt", Headers: []string{"创建时间"}, Format: func(o opportunityView, _ Names) string { return fmtTime(&o.CreatedAt) }},
	{Field: "updatedAt", Headers: []string{"更新时间"}, Format: func(o opportunityView, _ Names) string { return fmtTime(&o.UpdatedAt) }},
}}
