package tabular

import (
	"strconv"
	"strings"
	"time"

	"github.com/chronicle-crm/chronicle/domain/schedule"
	"github.com/chronicle-crm/chronicle/readmodels/scheduleview"
)

type (
	// ScheduleRow: schedule entries are exported, not imported.
	ScheduleRow  struct{}
	scheduleView = *scheduleview.Entry
	scheduleCol  = Column[ScheduleRow, scheduleView]
)

func scText(field, header string, get func(scheduleView) string) scheduleCol {
	return scheduleCol{Field: field, Headers: []string{header}, Format: func(e scheduleView, _ Names) string { return get(e) }}
}

// entryTime is a start or an end as an export shows it: a date for an all-day entry, else the
// time in the export's zone.
func entryTime(e scheduleView, t time.Time, end bool) string {
	if e.AllDay {
		if end {
			t = t.Add(-time.Nanosecond) // an all-day end is the start of the day after
		}
		return t.In(schedule.Zone).Format(time.DateOnly)
	}
	return fmtTime(&t)
}

// recurrenceText is a rule in words (Chinese), or the rule itself when it has parts the words do
// not cover.
func recurrenceText(rule string) string {
	if rule == "" {
		return ""
	}
	r, err := schedule.ParseRule(rule)
	if err != nil {
		return rule
	}
	var b strings.Builder
	unit := map[string]string{schedule.Daily: "天", schedule.Weekly: "周", schedule.Monthly: "月", schedule.Yearly: "年"}[r.Freq]
	if r.Interval > 1 {
		b.WriteString("每" + strconv.Itoa(r.Interval) + unit)
	} else {
		b.WriteString("每" + unit)
	}
	days := map[string]string{"MO": "一", "TU": "二", "WE": "三", "TH": "四", "FR": "五", "SA": "六", "SU": "日"}
	switch {
	case r.Freq == schedule.Weekly && len(r.ByDay) > 0:
		var ds []string
		for _, d := range r.ByDay {
			ds = append(ds, "周"+days[d])
		}
		b.WriteString("（" + strings.Join(ds, "、") + "）")
	case r.Freq == schedule.Monthly && len(r.ByDay) == 1:
		d := r.ByDay[0]
		n := strings.TrimSuffix(d, d[len(d)-2:])
		place := "第" + n + "个"
		if n == "-1" {
			place = "最后一个"
		}
		b.WriteString("（" + place + "周" + days[d[len(d)-2:]] + "）")
	case r.Freq == schedule.Monthly && r.ByMonthDay == -1:
		b.WriteString("（最后一天）")
	case r.Freq == schedule.Monthly && r.ByMonthDay > 0:
		b.WriteString("（" + strconv.Itoa(r.ByMonthDay) + "日）")
	}
	switch {
	case r.Count > 0:
		b.WriteString("，共" + strconv.Itoa(r.Count) + "次")
	case r.Until != "":
		b.WriteString("，至" + r.Until)
	}
	return b.String()
}

// Schedules are the columns of a schedule export: a row per entry (a series once, with its
// recurrence in words), labels in Chinese, times in the export's zone.
var Schedules = &Spec[ScheduleRow, scheduleView]{Name: "schedules", Title: "日程", Columns: []scheduleCol{
	scText("title", "主题", func(e scheduleView) string { return e.Title }),
	{Field: "start", Headers: []string{"开始"}, Format: func(e scheduleView, _ Names) string { return entryTime(e, e.StartAt, false) }},
	{Field: "end", Headers: []string{"结束"}, Format: func(e scheduleView, _ Names) string { return entryTime(e, e.EndAt, true) }},
	{Field: "allDay", Headers: []string{"全天"}, Format: func(e scheduleView, _ Names) string {
		if e.AllDay {
			return "是"
		}
		return "否"
	}},
	{Field: "recurrence", Headers: []string{"重复"}, Format: func(e scheduleView, _ Names) string { return recurrenceText(e.Recurrence) }},
	scText("location", "地点", func(e scheduleView) string { return e.Location }),
	{Field: "owner", Headers: []string{"负责人"}, Format: func(e scheduleView, n Names) string { return ownerName(e.OwnerID, e.OwnerName, n) }},
	scText("creator", "创建人", func(e scheduleView) string { return e.CreatorName }),
	{Field: "related", Headers: []string{"关联记录"}, Format: func(e scheduleView, _ Names) string {
		if e.RelatedID == nil {
			return ""
		}
		return relatedKindLabels.label(e.RelatedKind) + "：" + e.RelatedName
	}},
	scText("description", "描述", func(e scheduleView) string { return e.Description }),
	{Field: "createdAt", Headers: []string{"创建时间"}, Format: func(e scheduleView, _ Names) string { return fmtTime(&e.CreatedAt) }},
}}
