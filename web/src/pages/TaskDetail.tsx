// A task: its fields, what the signed-in user may do with it now (by whether they are its assignee
// or its creator and by their permissions), its checklist, its comments and its history. Every
// command but the checklist's and the comments' is sent at the version shown (If-Match).
import { useState } from 'react';
import { Alert, Button, Card, Checkbox, Col, Descriptions, Empty, Form, Input, Row, Space, Spin, Typography, type FormInstance } from 'antd';
import { DeleteOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { call, get } from '../api/client';
import type { Task, TaskComment, TaskStatus } from '../api/tasks';
import { UserSelect, useUserName } from '../components/common';
import { DeleteButton, DetailHeader, FormDialog, RecordTabs } from '../components/detail';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { label, taskSource } from '../labels';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { RelatedLink, TaskDue, TaskForm, TaskNoteDialogs, TaskPriorityTag, TaskStatusTag, taskMoves, useReminderLabel, useTaskCommand } from './taskCommon';

type Dialog = null | 'edit' | 'assign' | 'complete' | 'cancel';

/** The checklist: the creator and the assignee add, tick and remove items (no If-Match); others read it. */
function Checklist({ task, editable }: { task: Task; editable: boolean }) {
  const t = useT();
  const run = useTaskCommand();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const path = `/tasks/${task.id}/checklist`;
  const add = async () => {
    const v = text.trim();
    if (!v) return;
    setBusy(true);
    try {
      const r = await run(() => call<Task>('POST', path, { body: { text: v } }));
      if (r !== undefined) setText('');
    } catch {
      /* reported */
    } finally {
      setBusy(false);
    }
  };
  const items = task.checklist ?? [];
  return (
    <Card
      title={t('检查项', 'Checklist')}
      extra={<Typography.Text type="secondary" data-testid="checklist-progress">{`${task.checklistDone ?? items.filter((i) => i.done).length}/${task.checklistTotal ?? items.length}`}</Typography.Text>}
      data-testid="task-checklist"
      style={{ height: '100%' }}
    >
      {items.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('没有检查项', 'No items')} />
      ) : (
        <ul style={{ listStyle: 'none', margin: 0, padding: 0 }}>
          {items.map((it) => (
            <li key={it.id} data-testid="checklist-item" style={{ display: 'flex', alignItems: 'center', gap: 8, padding: '4px 0', borderBottom: '1px solid #f0f0f0' }}>
              <Checkbox
                checked={it.done}
                disabled={!editable}
                onChange={(e) => void run(() => call<Task>('PATCH', `${path}/${it.id}`, { body: { done: e.target.checked } })).catch(() => undefined)}
                style={{ flex: 1 }}
              >
                <span style={it.done ? { textDecoration: 'line-through' } : undefined}>{it.text}</span>
              </Checkbox>
              {editable && (
                <Button
                  type="text"
                  size="small"
                  icon={<DeleteOutlined />}
                  aria-label={t(`删除检查项 ${it.text}`, `Remove ${it.text}`)}
                  onClick={() => void run(() => call<Task>('DELETE', `${path}/${it.id}`)).catch(() => undefined)}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {editable && (
        <Space.Compact style={{ width: '100%', marginTop: 8 }}>
          <Input
            value={text}
            maxLength={500}
            placeholder={t('添加检查项', 'Add an item')}
            aria-label={t('新检查项', 'New checklist item')}
            onChange={(e) => setText(e.target.value)}
            onPressEnter={() => void add()}
          />
          <Button onClick={() => void add()} loading={busy} disabled={!text.trim()} data-testid="checklist-add">
            {t('添加', 'Add')}
          </Button>
        </Space.Compact>
      )}
    </Card>
  );
}

/** The comments, oldest first, and a box to write one. */
function Comments({ task }: { task: Task }) {
  const t = useT();
  const run = useTaskCommand();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const path = `/tasks/${task.id}/comments`;
  // the task's version is in the key: a new comment (or one by someone else seen on reload) reads them again
  const q = useQuery({ queryKey: [path, task.commentCount], queryFn: () => get<{ items: TaskComment[] }>(path) });
  const post = async () => {
    const v = text.trim();
    if (!v) return;
    setBusy(true);
    try {
      const r = await run(() => call<Task>('POST', path, { body: { text: v } }), { success: t('已发表', 'Posted') });
      if (r !== undefined) setText('');
    } catch {
      /* reported */
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={t(`评论（${task.commentCount ?? q.data?.items.length ?? 0}）`, `Comments (${task.commentCount ?? q.data?.items.length ?? 0})`)} data-testid="task-comments" style={{ height: '100%' }}>
      {q.error ? (
        <ErrorState error={q.error} retry={() => void q.refetch()} />
      ) : (
        <Spin spinning={q.isLoading}>
          {(q.data?.items ?? []).length === 0 ? (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('暂无评论', 'No comments yet')} />
          ) : (
            <ol style={{ listStyle: 'none', margin: 0, padding: 0 }}>
              {(q.data?.items ?? []).map((c) => (
                <li key={c.id} data-testid="task-comment" style={{ padding: '6px 0', borderBottom: '1px solid #f0f0f0' }}>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {c.byName || c.by} · {fmtTime(c.at)}
                  </Typography.Text>
                  <div style={{ whiteSpace: 'pre-wrap' }}>{c.text}</div>
                </li>
              ))}
            </ol>
          )}
        </Spin>
      )}
      <Input.TextArea
        style={{ marginTop: 8 }}
        rows={2}
        maxLength={2000}
        value={text}
        placeholder={t('写下评论…', 'Write a comment…')}
        aria-label={t('评论内容', 'Comment')}
        onChange={(e) => setText(e.target.value)}
      />
      <div style={{ textAlign: 'right', marginTop: 8 }}>
        <Button type="primary" onClick={() => void post()} loading={busy} disabled={!text.trim()} data-testid="comment-post">
          {t('发表评论', 'Post comment')}
        </Button>
      </div>
    </Card>
  );
}

export default function TaskDetail() {
  const { id } = useParams();
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const run = useTaskCommand();
  const userName = useUserName();
  const reminderLabel = useReminderLabel();
  const q = useQuery({ queryKey: ['/tasks', id], queryFn: () => get<Task>(`/tasks/${id}`), enabled: !!id });
  const [dialog, setDialog] = useState<Dialog>(null);
  if (q.isLoading) return <Spin style={{ display: 'block', margin: 48 }} />;
  if (q.error || !q.data) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  const task = q.data;
  const me = s.user.id;
  const can = (p: string) => s.isAdmin || s.can(p);
  const close = () => setDialog(null);
  const history = `/tasks/${task.id}/history`;
  const assignee = task.assigneeId === me;
  const creator = task.creatorId === me;
  const may = taskMoves(task, me);
  const closed = task.status === 'done' || task.status === 'cancelled';
  const move = (status: TaskStatus, ok: string, note?: string, form?: FormInstance) =>
    run(() => call<Task>('POST', `/tasks/${task.id}/status`, { body: note ? { status, note } : { status }, ifMatch: task.version }), { form, success: ok, historyPath: history, reload: close });
  const quick = (status: TaskStatus, ok: string) => () => void move(status, ok).catch(() => undefined);
  const st = task.status;
  // the task names its assignee and creator; anyone else is looked up among the users
  const nameOf = (u: string) => (u === task.assigneeId && task.assigneeName) || (u === task.creatorId && task.creatorName) || userName(u);

  return (
    <div>
      <DetailHeader title={task.title}>
        <TaskStatusTag status={task.status} />
        <TaskPriorityTag priority={task.priority} />
      </DetailHeader>
      <div style={{ marginBottom: 12 }}>
        <Space wrap data-testid="task-actions">
          {st === 'not_started' && may.includes('in_progress') && (
            <Button type="primary" onClick={quick('in_progress', t('任务已开始', 'Started'))} data-testid="task-start">{t('开始', 'Start')}</Button>
          )}
          {may.includes('done') && (
            <Button type={st === 'in_progress' ? 'primary' : 'default'} onClick={() => setDialog('complete')} data-testid="task-complete">{t('完成', 'Complete')}</Button>
          )}
          {st === 'in_progress' && may.includes('not_started') && (
            <Button onClick={quick('not_started', t('已退回未开始', 'Back to not started'))} data-testid="task-unstart">{t('退回未开始', 'Back to not started')}</Button>
          )}
          {closed && may.length > 0 && (
            <Button onClick={quick(st === 'done' ? 'in_progress' : 'not_started', t('已重新打开', 'Reopened'))} data-testid="task-reopen">{t('重新打开', 'Reopen')}</Button>
          )}
          {!closed && (creator || can('tasks.assign')) && (
            <Button onClick={() => setDialog('assign')} data-testid="task-assign">{t('分配', 'Assign')}</Button>
          )}
          {creator && (
            <Button onClick={() => setDialog('edit')} data-testid="task-edit">{t('编辑', 'Edit')}</Button>
          )}
          {may.includes('cancelled') && (
            <Button danger onClick={() => setDialog('cancel')} data-testid="task-cancel">{t('取消任务', 'Cancel task')}</Button>
          )}
          {creator && (
            <DeleteButton path={`/tasks/${task.id}`} version={task.version} title={t('删除任务', 'Delete task')} content={t('删除后任务离开列表，历史仍保留。', 'It leaves the lists; its history stays.')} after="/tasks" testId="task-delete" />
          )}
        </Space>
      </div>
      {task.status === 'cancelled' && task.note && (
        <Alert type="warning" showIcon style={{ marginBottom: 12 }} title={t(`取消原因：${task.note}`, `Cancelled: ${task.note}`)} />
      )}
      <Card>
        <Descriptions
          size="small"
          column={{ xs: 1, sm: 2, lg: 3 }}
          data-testid="task-fields"
          items={(
            [
              [t('负责人', 'Assignee'), task.assigneeName || userName(task.assigneeId)],
              [t('创建人', 'Creator'), task.creatorName || userName(task.creatorId)],
              [t('分配人', 'Assigned by'), task.assignedBy ? `${nameOf(task.assignedBy)}${task.assignedAt ? ' · ' + fmtTime(task.assignedAt) : ''}` : ''],
              [t('开始时间', 'Starts'), fmtTime(task.startAt)],
              [t('截止时间', 'Due'), task.dueAt ? <TaskDue task={task} /> : ''],
              [t('关联记录', 'Related to'), task.relatedKind && task.relatedId ? <RelatedLink task={task} /> : ''],
              [t('参与人', 'Participants'), (task.participants ?? []).map(nameOf).join('、')],
              [t('提醒', 'Reminders'), [...(task.reminders ?? [])].sort((a, b) => a - b).map((m) => t(`提前 ${reminderLabel(m)}`, `${reminderLabel(m)} before`)).join('、')],
              [t('来源', 'Source'), label(taskSource, task.source, lang)],
              [task.status === 'cancelled' ? t('取消原因', 'Why cancelled') : t('完成说明', 'Completion note'), task.note],
              [t('完成时间', 'Completed'), fmtTime(task.completedAt)],
              [t('创建时间', 'Created'), fmtTime(task.createdAt)],
              [t('更新时间', 'Updated'), fmtTime(task.updatedAt)],
              [t('版本', 'Version'), String(task.version)],
            ] as [string, React.ReactNode][]
          ).map(([l, v], i) => ({ key: String(i), label: l, children: v === '' || v === undefined || v === null ? '—' : v }))}
        />
        {task.description && (
          <Typography.Paragraph style={{ marginTop: 12, marginBottom: 0, whiteSpace: 'pre-wrap' }} data-testid="task-description">
            {task.description}
          </Typography.Paragraph>
        )}
      </Card>
      <Row gutter={12} style={{ marginTop: 12 }}>
        <Col xs={24} lg={12}>
          <Checklist task={task} editable={assignee || creator} />
        </Col>
        <Col xs={24} lg={12} style={{ marginTop: 0 }}>
          <Comments task={task} />
        </Col>
      </Row>
      <RecordTabs historyPath={history} items={[]} />
      {dialog === 'edit' && <TaskForm open task={task} onClose={close} />}
      <TaskNoteDialogs
        open={dialog === 'complete' ? 'done' : dialog === 'cancel' ? 'cancelled' : null}
        onClose={close}
        submit={(to, note, form) => move(to, to === 'done' ? t('任务已完成', 'Completed') : t('任务已取消', 'Cancelled'), note, form)}
      />
      <FormDialog
        open={dialog === 'assign'}
        title={t('分配任务', 'Assign the task')}
        okText={t('分配', 'Assign')}
        onClose={close}
        testId="assign-form"
        name="assign"
        submit={(v, form) =>
          run(() => call<Task>('POST', `/tasks/${task.id}/assign`, { body: { assigneeId: v.assigneeId }, ifMatch: task.version }), {
            form,
            success: t('已分配', 'Assigned'),
            historyPath: history,
            reload: close,
          })
        }
      >
        <Form.Item
          name="assigneeId"
          label={t('负责人', 'Assignee')}
          initialValue={task.assigneeId}
          rules={[{ required: true, message: t('请选择负责人', 'Choose an assignee') }]}
          extra={can('tasks.assign') ? undefined : t('您没有分配给他人的权限，只能分配给自己', 'Without tasks.assign you may assign it to yourself only')}
        >
          {can('tasks.assign') ? <UserSelect activeOnly /> : <UserSelect activeOnly options={[{ value: me, label: s.user.displayName }]} />}
        </Form.Item>
      </FormDialog>
    </div>
  );
}
