package mailer

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/readmodels/notifyview"
)

// kindWords are each kind's headline in Chinese and English.
var kindWords = map[string][2]string{
	"task_assigned":          {"有任务分配给你", "A task was assigned to you"},
	"task_reminder":          {"任务即将到期", "A task of yours is due soon"},
	"task_overdue":           {"任务已逾期", "A task is overdue"},
	"task_done":              {"任务已完成", "A task was completed"},
	"task_commented":         {"任务有新评论", "New comment on a task"},
	"record_assigned":        {"有记录分配给你", "A record was assigned to you"},
	"approval_requested":     {"有待你审批的事项", "Waiting for your approval"},
	"approval_decided":       {"你的提交已有审批结果", "Your submission was decided"},
	"schedule_assigned":      {"日程已加入你的日历", "An entry was put in your calendar"},
	"schedule_reminder":      {"日程即将开始", "A calendar entry starts soon"},
	"announcement_published": {"新公告", "New announcement"},
	"worklog_submitted":      {"有工作日志提交给你", "A work log was submitted to you"},
	"worklog_commented":      {"你的工作日志有新评论", "New comment on your work log"},
}

// subjectPaths are the pages of the subjects (as the web UI's subjectPath).
var subjectPaths = map[string]string{"task": "/tasks", "lead": "/leads", "customer": "/customers", "opportunity": "/opportunities",
	"contract": "/contracts", "receipt": "/contracts", "payment": "/payables", "announcement": "/announcements", "worklog": "/worklogs"}

// Link is the address of a notification's subject in the web UI under base (CHRONICLE_PUBLIC_URL).
func Link(base string, n *notifyview.Notification) string {
	base = strings.TrimRight(base, "/")
	p, ok := subjectPaths[n.SubjectKind]
	if !ok || n.SubjectID == "" {
		return base + "/notifications"
	}
	link := base + p + "/" + url.PathEscape(n.SubjectID)
	if n.SubjectKind == "receipt" {
		link += "?tab=receivables"
	}
	return link
}

// NotificationMail is the subject and body of a notification's e-mail, in both languages (the
// reader's first).
func NotificationMail(base string, n *notifyview.Notification, language string) (subject, body string) {
	w, ok := kindWords[n.Kind]
	if !ok {
		w = [2]string{"新通知", "New notification"}
	}
	title := oneLine(n.Title)
	if title == "" {
		title = oneLine(n.Detail)
	}
	zh, en := w[0], w[1]
	if language == user.LanguageEnglish {
		subject = fmt.Sprintf("[Chronicle] %s / %s: %s", en, zh, title)
	} else {
		subject = fmt.Sprintf("[Chronicle] %s / %s：%s", zh, en, title)
	}
	if len([]rune(subject)) > 200 {
		subject = string([]rune(subject)[:199]) + "…"
	}
	link := Link(base, n)
	var zhBody, enBody strings.Builder
	fmt.Fprintf(&zhBody, "%s：%s\n", zh, title)
	fmt.Fprintf(&enBody, "%s: %s\n", en, title)
	if n.ActorName != "" {
		fmt.Fprintf(&zhBody, "操作人：%s\n", n.ActorName)
		fmt.Fprintf(&enBody, "By: %s\n", n.ActorName)
	}
	if n.Detail != "" && n.Detail != n.Title {
		fmt.Fprintf(&zhBody, "详情：%s\n", n.Detail)
		fmt.Fprintf(&enBody, "Detail: %s\n", n.Detail)
	}
	fmt.Fprintf(&zhBody, "查看：%s\n", link)
	fmt.Fprintf(&enBody, "Open: %s\n", link)
	parts := []string{zhBody.String(), enBody.String()}
	if language == user.LanguageEnglish {
		parts[0], parts[1] = parts[1], parts[0]
	}
	foot := "\n--\n此邮件由 Chronicle CRM 自动发送；可在“我的账户”中选择哪些通知发送邮件。\n" +
		"Sent by Chronicle CRM; choose which notifications are e-mailed on your account page: " + strings.TrimRight(base, "/") + "/account\n"
	return subject, parts[0] + "\n" + parts[1] + foot
}

// ResetMail is the subject and body of a password-reset e-mail.
func ResetMail(base, token string, minutes int) (subject, body string) {
	link := strings.TrimRight(base, "/") + "/reset-password?token=" + url.QueryEscape(token)
	subject = "[Chronicle] 重置密码 / Reset your password"
	body = fmt.Sprintf("有人（希望是你）请求重置你在 Chronicle CRM 的密码。请在 %d 分钟内打开以下链接设置新密码（仅可使用一次）：\n%s\n"+
		"如果不是你本人操作，请忽略此邮件，你的密码不会改变。\n\n"+
		"Someone (hopefully you) asked to reset your Chronicle CRM password. Open this link within %d minutes to choose a new one (it works once):\n%s\n"+
		"If it was not you, ignore this e-mail: your password stays as it is.\n", minutes, link, minutes, link)
	return subject, body
}
