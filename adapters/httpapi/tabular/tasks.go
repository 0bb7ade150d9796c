package tabular

import (
	"fmt"

	"github.com/chronicle-crm/chronicle/readmodels/taskview"
)

type (
	// TaskRow: tasks are exported, not imported.
	TaskRow  struct{}
	taskView = *taskview.Task
	taskCol  = Column[TaskRow, taskView]
)

var (
	taskStatusLabels = newLabels([]string{"not_started", "未开始"}, []string{"in_progress", "进行中"}, []string{"done", "已完成"},
		[]string{"cancelled", "已取消"})
	taskPriorityLabels = newLabels([]string{"urgent", "紧急"}, []string{"high", "高"}, []string{"normal", "普通"}, []string{"low", "低"})
	relatedKindLabels  = newLabels([]string{"lead", "线索"}, []string{"customer", "客户"}, []string{"contact", "联系人"},
		[]string{"opportunity", "商机"}, []string{"contract", "合同"})
)

func ktText(field, header string, get func(taskView) string) taskCol {
	return taskCol{Field: field, Headers: []string{header}, Format: func(t taskView, _ Names) string { return get(t) }}
}

// Tasks are the columns of a task export: labels in Chinese, times in the export's zone.
var Tasks = &Spec[TaskRow, taskView]{Name: "tasks", Title: "任务", Columns: []taskCol{
	ktText("title", "任务主题", func(t taskView) string { return t.Title }),
	{Field: "priority", Headers: []string{"优先级"}, Format: func(t taskView, _ Names) string { return taskPriorityLabels.label(t.Priority) }},
	{Field: "status", Headers: []string{"状态"}, Format: func(t taskView, _ Names) string { return taskStatusLabels.label(t.Status) }},
	{Field: "startAt", Headers: []string{"开始时间"}, Format: func(t taskView, _ Names) string { return fmtTime(t.StartAt) }},
	{Field: "dueAt", Headers: []string{"截止时间"}, Format: func(t taskView, _ Names) string { return fmtTime(t.DueAt) }},
	{Field: "assignee", Headers: []string{"执行人"}, Format: func(t taskView, n Names) string { return ownerName(t.OwnerID, t.OwnerName, n) }},
	ktText("creator", "创建人", func(t taskView) string { return t.CreatorName }),
	{Field: "related", Headers: []string{"关联记录"}, Format: func(t taskView, _ Names) string {
		if t.RelatedID == nil {
			return ""
		}
		return relatedKindLabels.label(t.RelatedKind) + "：" + t.RelatedName
	}},
	{Field: "checklist", Headers: []string{"检查项"}, Format: func(t taskView, _ Names) string {
		if t.ChecklistTotal == 0 {
			return ""
		}
		return fmt.Sprintf("%d/%d", t.ChecklistDone, t.ChecklistTotal)
	}},
	ktText("description", "描述", func(t taskView) string { return t.Description }),
	ktText("note", "完成说明", func(t taskView) string { return t.Note }),
	{Field: "completedAt", Headers: []string{"完成时间"}, Format: func(t taskView, _ Names) string { return fmtTime(t.CompletedAt) }},
	{Field: "createdAt", Headers: []string{"创建时间"}, Format: func(t taskView, _ Names) string { return fmtTime(&t.CreatedAt) }},
}}
