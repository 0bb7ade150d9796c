// What the task (任务) screens share: the status and priority tags, the due time (red once overdue),
// the link to the record a task is about, the status moves the signed-in user may make and the
// dialogs that ask for their note, how a refused task command is told, and the task form
// (create, or edit the creator's fields at the task's version).
import { useEffect, useState } from 'react';
import { Col, DatePicker, Form, Input, Modal, Row, Select, Tag, Typography, type FormInstance } from 'antd';
import type { Dayjs } from 'dayjs';
import { Link } from 'react-router';
import { ApiError, call } from '../api/client';
import { defaultReminders, reminderChoices, type Task, type TaskInput, type TaskPriority, type TaskRelatedKind, type TaskStatus } from '../api/tasks';
import { useCommand } from '../components/commands';
import { UserSelect } from '../components/common';
import { FormDialog } from '../components/detail';
import { useLang, useT } from '../i18n';
import { label, taskPriority, taskProblem, taskRelatedKind, taskStatus } from '../labels';
import { useSession } from '../session';
import { fmtTime, fromPicker, toPicker } from '../util';
import { CustomerSelect } from './CustomerSelect';

// preset colours that pass the WCAG AA contrast check (cyan and orange do not)
const statusColor: Record<TaskStatus, string> = { not_started: 'default', in_progress: 'processing', done: 'success', cancelled: 'error' };
const priorityColor: Record<TaskPriority, string> = { urgent: 'red', high: 'volcano', normal: 'geekblue', low: 'default' };

export function TaskStatusTag({ status }: { status: TaskStatus }) {
  const { lang } = useLang();
  return <Tag color={statusColor[status] ?? 'default'} data-testid="task-status">{label(taskStatus, status, lang)}</Tag>;
}

export function TaskPriorityTag({ priority }: { priority: TaskPriority }) {
  const { lang } = useLang();
  return <Tag color={priorityColor[priority] ?? 'default'} data-testid="task-priority">{label(taskPriority, priority, lang)}</Tag>;
}

/** A dark red that passes the AA contrast check on white (antd's error colour does not). */
export const overdueRed = '#cf1322';

/** The due time; red with 已逾期 once the task is overdue. */
export function TaskDue({ task }: { task: Pick<Task, 'dueAt' | 'overdue'> }) {
  const t = useT();
  if (!task.dueAt) return <>—</>;
  if (!task.overdue) return <span data-testid="task-due">{fmtTime(task.dueAt)}</span>;
  return (
    <span data-testid="task-due" data-overdue="true" style={{ color: overdueRed, whiteSpace: 'nowrap' }}>
      {fmtTime(task.dueAt)} <Tag color="red" style={{ marginInlineEnd: 0 }}>{t('已逾期', 'Overdue')}</Tag>
    </span>
  );
}

const relatedBase: Record<Exclude<TaskRelatedKind, ''>, string> = {
  lead: '/leads',
  customer: '/customers',
  contact: '/contacts',
  opportunity: '/opportunities',
  contract: '/contracts',
};

/** Where a related record's page is. */
export const relatedPath = (kind: TaskRelatedKind, id: string) => (kind ? `${relatedBase[kind]}/${id}` : '');

/** "客户：北京星河" with the name linking to the record; nothing when the task is about no record. */
export function RelatedLink({ task }: { task: Pick<Task, 'relatedKind' | 'relatedId' | 'relatedName'> }) {
  const { lang } = useLang();
  if (!task.relatedKind || !task.relatedId) return null;
  return (
    <span data-testid="task-related">
      {label(taskRelatedKind, task.relatedKind, lang)}：
      <Link to={relatedPath(task.relatedKind, task.relatedId)} style={{ textDecoration: 'underline' }} onClick={(e) => e.stopPropagation()}>
        {task.relatedName || task.relatedId.slice(0, 8)}
      </Link>
    </span>
  );
}

/** The status moves of the screens, each with who makes it: the assignee does the work; the
 * creator calls it off and takes that back (the server's rule lets the assignee cancel too, but
 * the screens leave calling a task off to its creator). */
const moves: Record<TaskStatus, Partial<Record<TaskStatus, 'assignee' | 'creator' | 'either'>>> = {
  not_started: { in_progress: 'assignee', done: 'assignee', cancelled: 'creator' },
  in_progress: { not_started: 'assignee', done: 'assignee', cancelled: 'creator' },
  done: { in_progress: 'assignee' },
  cancelled: { not_started: 'either' },
};

/** Where the user (by id) may move the task's status: none when they are neither its assignee nor its creator. */
export function taskMoves(task: Pick<Task, 'status' | 'assigneeId' | 'creatorId'>, me: string): TaskStatus[] {
  const assignee = task.assigneeId === me;
  const creator = task.creatorId === me;
  return (Object.entries(moves[task.status] ?? {}) as [TaskStatus, string][])
    .filter(([, who]) => (who === 'assignee' ? assignee : who === 'creator' ? creator : assignee || creator))
    .map(([to]) => to);
}

/** The dialogs of the moves that take a note: 完成 (an optional completion note) and 取消 (a
 * required reason). open names the one shown; subject (the task's title) is said above the note. */
export function TaskNoteDialogs({
  open,
  subject,
  onClose,
  submit,
}: {
  open: 'done' | 'cancelled' | null;
  subject?: string;
  onClose: () => void;
  submit: (to: 'done' | 'cancelled', note: string, form: FormInstance) => Promise<unknown>;
}) {
  const t = useT();
  const about = subject ? <Typography.Paragraph strong style={{ overflowWrap: 'anywhere' }}>{subject}</Typography.Paragraph> : null;
  return (
    <>
      <FormDialog
        open={open === 'done'}
        title={t('完成任务', 'Complete the task')}
        okText={t('完成', 'Complete')}
        onClose={onClose}
        testId="complete-form"
        name="complete"
        submit={(v, form) => submit('done', String(v.note ?? '').trim(), form)}
      >
        {about}
        <Form.Item name="note" label={t('完成说明', 'Completion note')} rules={[{ max: 2000 }]}>
          <Input.TextArea rows={3} autoFocus />
        </Form.Item>
      </FormDialog>
      <FormDialog
        open={open === 'cancelled'}
        title={t('取消任务', 'Cancel the task')}
        okText={t('取消任务', 'Cancel task')}
        danger
        onClose={onClose}
        testId="cancel-form"
        name="cancel"
        submit={(v, form) => submit('cancelled', String(v.note ?? '').trim(), form)}
      >
        {about}
        <Form.Item name="note" label={t('取消原因', 'Why cancel')} rules={[{ required: true, whitespace: true, message: t('请填写取消原因', 'A reason is required') }, { max: 2000 }]}>
          <Input.TextArea rows={3} autoFocus />
        </Form.Item>
      </FormDialog>
    </>
  );
}

/** "1 小时" / "1 day": a reminder's minutes before the due time. */
export function useReminderLabel() {
  const t = useT();
  return (m: number) => {
    if (m % 1440 === 0) return t(`${m / 1440} 天`, m === 1440 ? '1 day' : `${m / 1440} days`);
    if (m % 60 === 0) return t(`${m / 60} 小时`, m === 60 ? '1 hour' : `${m / 60} hours`);
    return t(`${m} 分钟`, `${m} min`);
  };
}

/** Runs a task command; a refusal the screens know (not_creator, bad_transition…) is told in the page's language. */
export function useTaskCommand() {
  const run = useCommand();
  const t = useT();
  return <T,>(fn: () => Promise<T>, o: Parameters<typeof run>[1] = {}) =>
    run(async () => {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof ApiError && taskProblem[e.code] && !(e.problem?.errors ?? []).length) e.message = t(...taskProblem[e.code]);
        throw e;
      }
    }, o);
}

/** A record to start a new task with (from a customer's page: /tasks/new?relatedKind=customer&relatedId=…&relatedName=…). */
export interface RelatedPrefill {
  kind: TaskRelatedKind;
  id: string;
  name?: string;
}

interface Values {
  title: string;
  description?: string;
  priority: TaskPriority;
  startAt?: Dayjs | null;
  dueAt?: Dayjs | null;
  assigneeId?: string;
  participants?: string[];
  reminders?: number[];
  relatedKind?: TaskRelatedKind;
  relatedId?: string;
}

/** Creates a task (only what was filled in is sent; the assignee is the user unless they hold
 * tasks.assign and pick another) or edits one (PATCH of the changed fields at its version). Server
 * field errors land on their fields. */
export function TaskForm({
  open,
  task,
  related,
  onClose,
  onSaved,
}: {
  open: boolean;
  task?: Task | null;
  related?: RelatedPrefill;
  onClose: () => void;
  onSaved?: (id: string) => void;
}) {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const run = useTaskCommand();
  const reminderLabel = useReminderLabel();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const editing = !!task;
  const me = s.user.id;
  const mayAssign = s.isAdmin || s.can('tasks.assign');
  const kind = (Form.useWatch('relatedKind', form) ?? '') as TaskRelatedKind;

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    if (task)
      form.setFieldsValue({
        title: task.title,
        description: task.description ?? '',
        priority: task.priority,
        startAt: toPicker(task.startAt),
        dueAt: toPicker(task.dueAt),
        participants: task.participants ?? [],
        reminders: task.reminders ?? [],
        relatedKind: task.relatedKind || undefined,
        relatedId: task.relatedId ?? undefined,
      });
    else
      form.setFieldsValue({
        priority: 'normal',
        assigneeId: me,
        participants: [],
        reminders: defaultReminders,
        relatedKind: related?.kind || undefined,
        relatedId: related?.kind ? related.id : undefined,
      });
  }, [open, task, related?.kind, related?.id, me, form]);

  const save = async (v: Values) => {
    setBusy(true);
    try {
      const relKind = v.relatedKind ?? '';
      const relId = relKind ? (v.relatedId ?? '').trim() : '';
      if (task) {
        const now: Record<string, unknown> = {
          title: v.title.trim(),
          description: (v.description ?? '').trim(),
          priority: v.priority,
          startAt: fromPicker(v.startAt),
          dueAt: fromPicker(v.dueAt),
          participants: v.participants ?? [],
          reminders: [...(v.reminders ?? [])].sort((a, b) => a - b),
          relatedKind: relKind,
          relatedId: relId || null,
        };
        const was: Record<string, unknown> = {
          title: task.title,
          description: task.description ?? '',
          priority: task.priority,
          startAt: task.startAt ? new Date(task.startAt).toISOString() : null,
          dueAt: task.dueAt ? new Date(task.dueAt).toISOString() : null,
          participants: task.participants ?? [],
          reminders: [...(task.reminders ?? [])].sort((a, b) => a - b),
          relatedKind: task.relatedKind ?? '',
          relatedId: task.relatedId || null,
        };
        const changed: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(now)) if (JSON.stringify(val) !== JSON.stringify(was[k])) changed[k] = val;
        // the record a task is about is its kind and id together
        if ('relatedKind' in changed || 'relatedId' in changed) Object.assign(changed, { relatedKind: relKind, relatedId: relId || null });
        if (Object.keys(changed).length === 0) {
          onClose();
          return;
        }
        const r = await run(() => call<Task>('PATCH', `/tasks/${task.id}`, { body: changed, ifMatch: task.version }), {
          form,
          success: t('已保存', 'Saved'),
          historyPath: `/tasks/${task.id}/history`,
          reload: onClose,
        });
        if (r !== undefined) {
          if (onSaved) onSaved(task.id);
          else onClose();
        }
      } else {
        const body: TaskInput = { title: v.title.trim() };
        if ((v.description ?? '').trim()) body.description = v.description!.trim();
        if (relKind && relId) {
          body.relatedKind = relKind;
          body.relatedId = relId;
        }
        if (v.priority) body.priority = v.priority;
        const start = fromPicker(v.startAt);
        if (start) body.startAt = start;
        const due = fromPicker(v.dueAt);
        if (due) body.dueAt = due;
        if (v.participants?.length) body.participants = v.participants;
        body.reminders = [...(v.reminders ?? [])].sort((a, b) => a - b);
        if (v.assigneeId && v.assigneeId !== me) body.assigneeId = v.assigneeId;
        const r = await run(() => call<Task>('POST', '/tasks', { body }), { form, success: t('任务已创建', 'Task created') });
        if (r) {
          if (onSaved) onSaved(r.data.id);
          else onClose();
        }
      }
    } catch {
      /* shown on the fields or as a message */
    } finally {
      setBusy(false);
    }
  };

  const kinds = Object.keys(taskRelatedKind).map((k) => ({ value: k, label: label(taskRelatedKind, k, lang) }));
  const prefilled = related && related.kind === kind ? related : task && task.relatedKind === kind && task.relatedId ? { kind, id: task.relatedId, name: task.relatedName } : undefined;
  return (
    <Modal
      open={open}
      title={editing ? t('编辑任务', 'Edit task') : t('新建任务', 'New task')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('保存', 'Save')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy }}
      width={760}
      destroyOnHidden
      forceRender
    >
      <Form form={form} name={editing ? 'taskEdit' : 'taskNew'} layout="vertical" onFinish={save} data-testid="task-form">
        <Form.Item name="title" label={t('任务标题', 'Title')} rules={[{ required: true, whitespace: true, message: t('请输入任务标题', 'A title is required') }, { max: 200 }]}>
          <Input autoFocus />
        </Form.Item>
        <Form.Item name="description" label={t('任务描述', 'Description')} rules={[{ max: 5000 }]}>
          <Input.TextArea rows={3} />
        </Form.Item>
        <Row gutter={12}>
          <Col xs={24} sm={8}>
            <Form.Item name="priority" label={t('优先级', 'Priority')}>
              <Select options={Object.keys(taskPriority).map((p) => ({ value: p, label: label(taskPriority, p, lang) }))} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8}>
            <Form.Item name="startAt" label={t('开始时间', 'Starts')}>
              <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8}>
            <Form.Item name="dueAt" label={t('截止时间', 'Due')}>
              <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Row gutter={12}>
          {!editing && (
            <Col xs={24} sm={12}>
              <Form.Item
                name="assigneeId"
                label={t('负责人', 'Assignee')}
                extra={mayAssign ? undefined : t('只能分配给自己', 'Assigned to yourself')}
                rules={[{ required: true, message: t('请选择负责人', 'Choose an assignee') }]}
              >
                <UserSelect activeOnly allowClear={false} disabled={!mayAssign} />
              </Form.Item>
            </Col>
          )}
          <Col xs={24} sm={editing ? 24 : 12}>
            <Form.Item name="participants" label={t('参与人', 'Participants')}>
              <UserSelect mode="multiple" activeOnly />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="reminders" label={t('提醒', 'Reminders')} extra={t('截止前提醒负责人', 'Reminds the assignee before the due time')}>
          <Select mode="multiple" allowClear options={reminderChoices.map((m) => ({ value: m, label: t(`提前 ${reminderLabel(m)}`, `${reminderLabel(m)} before`) }))} />
        </Form.Item>
        <Row gutter={12}>
          <Col xs={24} sm={8}>
            <Form.Item name="relatedKind" label={t('关联类型', 'Related to')}>
              <Select allowClear options={kinds} onChange={() => form.setFieldsValue({ relatedId: undefined })} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={16}>
            <Form.Item
              name="relatedId"
              label={t('关联记录', 'Related record')}
              extra={prefilled?.name && kind !== 'customer' ? prefilled.name : undefined}
              rules={kind ? [{ required: true, whitespace: true, message: t('请选择关联记录', 'Choose the record') }] : []}
            >
              {kind === 'customer' ? (
                <CustomerSelect current={prefilled?.name ? { id: prefilled.id, name: prefilled.name } : undefined} />
              ) : (
                <Input disabled={!kind} placeholder={kind ? t('记录编号（ID）', 'The record’s id') : t('先选择关联类型', 'Choose a kind first')} />
              )}
            </Form.Item>
          </Col>
        </Row>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}
