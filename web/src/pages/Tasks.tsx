// The tasks (任务) list: the view (mine, due today, overdue, created by me, participating, my
// team's, all), search, filters and sort in the URL, CSV/XLSX export of the filtered list, and the
// new-task form at /tasks/new (?relatedKind=&relatedId=&relatedName= starts it about a record).
// layout=board shows the same view and filters as the task board (TaskBoard.tsx).
import { useEffect, useMemo } from 'react';
import { Button, DatePicker, Dropdown, Input, Segmented, Select, Tabs, Typography } from 'antd';
import { AppstoreOutlined, DownloadOutlined, PlusOutlined, UnorderedListOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { Link, useLocation, useNavigate } from 'react-router';
import { exportUrl, type Query } from '../api/client';
import type { Task, TaskRelatedKind, TaskView } from '../api/tasks';
import { DataList, type Col } from '../components/DataList';
import { UserSelect } from '../components/common';
import { ClearFilters, useListParams } from '../components/filters';
import { useLang, useT } from '../i18n';
import { label, taskPriority, taskStatus, taskView } from '../labels';
import { useSession } from '../session';
import { fmtTime, userZone } from '../util';
import { TaskBoard } from './TaskBoard';
import { RelatedLink, TaskDue, TaskForm, TaskPriorityTag, TaskStatusTag } from './taskCommon';

const views: TaskView[] = ['mine', 'today', 'overdue', 'created', 'participating', 'subordinates', 'all'];
/** on /tasks/new these are the form's, not filters of the list behind it */
const prefillKeys = ['relatedKind', 'relatedId', 'relatedName'];

export default function Tasks() {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const nav = useNavigate();
  const loc = useLocation();
  const { sp, query, set, clear } = useListParams();
  const can = (p: string) => s.isAdmin || s.can(p);
  const creating = loc.pathname.replace(/\/$/, '').endsWith('/tasks/new');
  const shownViews = views.filter((v) => v !== 'subordinates' || can('tasks.read'));
  const view = (shownViews as string[]).includes(sp.get('view') ?? '') ? (sp.get('view') as TaskView) : 'mine';
  const board = sp.get('layout') === 'board';
  const filters = useMemo<Query>(() => {
    const q: Query = { ...query };
    if (creating) for (const k of prefillKeys) delete q[k];
    delete q.relatedName;
    delete q.layout;
    // the view is always sent, and the user's zone decides what "today" is
    return { ...q, view, tz: userZone() };
  }, [query, creating, view]);
  const sort = sp.get('sort') ?? undefined;
  const related = useMemo(
    () => (creating && sp.get('relatedKind') && sp.get('relatedId') ? { kind: sp.get('relatedKind') as TaskRelatedKind, id: sp.get('relatedId')!, name: sp.get('relatedName') ?? undefined } : undefined),
    [creating, sp],
  );
  useEffect(() => {
    if (!can('tasks.create')) return;
    const onNew = () => nav('/tasks/new');
    window.addEventListener('chronicle:new', onNew);
    return () => window.removeEventListener('chronicle:new', onNew);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [nav]);

  const link = { textDecoration: 'underline' };
  const columns: Col<Task>[] = [
    { key: 'title', title: t('任务', 'Task'), render: (r) => <Link to={`/tasks/${r.id}`} style={link}>{r.title}</Link> },
    { key: 'priority', title: t('优先级', 'Priority'), sort: 'priority', render: (r) => <TaskPriorityTag priority={r.priority} /> },
    { key: 'status', title: t('状态', 'Status'), render: (r) => <TaskStatusTag status={r.status} /> },
    { key: 'dueAt', title: t('截止时间', 'Due'), sort: 'dueAt', render: (r) => <TaskDue task={r} /> },
    { key: 'assigneeName', title: t('负责人', 'Assignee') },
    { key: 'related', title: t('关联记录', 'Related to'), render: (r) => <RelatedLink task={r} /> },
    { key: 'checklist', title: t('检查项', 'Checklist'), render: (r) => (r.checklistTotal ? <span data-testid="task-checklist-progress">{`${r.checklistDone}/${r.checklistTotal}`}</span> : '') },
    { key: 'creatorName', title: t('创建人', 'Creator'), hidden: true },
    { key: 'startAt', title: t('开始时间', 'Starts'), hidden: true, render: (r) => fmtTime(r.startAt) },
    { key: 'createdAt', title: t('创建时间', 'Created'), sort: 'createdAt', hidden: true, render: (r) => fmtTime(r.createdAt) },
    { key: 'updatedAt', title: t('更新时间', 'Updated'), sort: 'updatedAt', hidden: true, render: (r) => fmtTime(r.updatedAt) },
  ];
  const range = [sp.get('dueFrom'), sp.get('dueTo')].map((v) => (v ? dayjs(v) : null)) as [dayjs.Dayjs | null, dayjs.Dayjs | null];
  const filterParams = new URLSearchParams([...sp].filter(([k]) => k !== 'view' && k !== 'layout' && !(creating && prefillKeys.includes(k))));

  return (
    <div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginBottom: 4 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('任务', 'Tasks')}</Typography.Title>
        <Segmented<'list' | 'board'>
          value={board ? 'board' : 'list'}
          onChange={(v) => set({ layout: v === 'board' ? 'board' : undefined })}
          aria-label={t('显示方式', 'Layout')}
          data-testid="task-layout"
          options={[
            { value: 'list', label: t('列表', 'List'), icon: <UnorderedListOutlined /> },
            { value: 'board', label: t('看板', 'Board'), icon: <AppstoreOutlined /> },
          ]}
        />
        <div style={{ flex: 1 }} />
        {can('tasks.export') && (
          <Dropdown
            menu={{
              items: (['xlsx', 'csv'] as const).map((f) => ({
                key: f,
                // a plain link: the download goes with the session cookie
                label: (
                  <a href={exportUrl('tasks', f, filters)} download data-testid={`task-export-${f}`}>
                    {f === 'xlsx' ? 'Excel (.xlsx)' : 'CSV'}
                  </a>
                ),
              })),
            }}
          >
            <Button icon={<DownloadOutlined />} data-testid="task-export">{t('导出', 'Export')}</Button>
          </Dropdown>
        )}
        {can('tasks.create') && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => nav('/tasks/new' + (sp.toString() ? '?' + sp.toString() : ''))} data-testid="task-new">
            {t('新建任务', 'New task')}
          </Button>
        )}
      </div>
      <Tabs
        activeKey={view}
        onChange={(k) => set({ view: k === 'mine' ? undefined : k })}
        items={shownViews.map((v) => ({ key: v, label: label(taskView, v, lang) }))}
        data-testid="task-views"
      />
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 12, alignItems: 'center' }}>
        <Input.Search
          data-search
          allowClear
          key={sp.get('q') ?? ''}
          defaultValue={sp.get('q') ?? ''}
          placeholder={t('搜索任务标题、描述…（按 / ）', 'Search title, description… (press /)')}
          aria-label={t('搜索任务', 'Search tasks')}
          onSearch={(v) => set({ q: v.trim() })}
          style={{ width: 260 }}
        />
        <Select
          mode="multiple"
          allowClear
          maxTagCount="responsive"
          placeholder={t('状态', 'Status')}
          aria-label={t('按状态筛选', 'Filter by status')}
          value={sp.getAll('status')}
          onChange={(v: string[]) => set({ status: v })}
          style={{ minWidth: 140 }}
          options={Object.keys(taskStatus).map((v) => ({ value: v, label: label(taskStatus, v, lang) }))}
        />
        <Select
          mode="multiple"
          allowClear
          maxTagCount="responsive"
          placeholder={t('优先级', 'Priority')}
          aria-label={t('按优先级筛选', 'Filter by priority')}
          value={sp.getAll('priority')}
          onChange={(v: string[]) => set({ priority: v })}
          style={{ minWidth: 140 }}
          options={Object.keys(taskPriority).map((v) => ({ value: v, label: label(taskPriority, v, lang) }))}
        />
        <UserSelect placeholder={t('负责人', 'Assignee')} aria-label={t('按负责人筛选', 'Filter by assignee')} value={sp.get('assigneeId') ?? undefined} onChange={(v) => set({ assigneeId: v as string | undefined })} style={{ minWidth: 140 }} />
        <DatePicker.RangePicker
          allowEmpty={[true, true]}
          aria-label={t('按截止日期筛选', 'Filter by due date')}
          placeholder={[t('截止日期 起', 'Due from'), t('止', 'to')]}
          value={range}
          onChange={(d) => set({ dueFrom: d?.[0]?.format('YYYY-MM-DD'), dueTo: d?.[1]?.format('YYYY-MM-DD') })}
        />
        <ClearFilters sp={filterParams} clear={() => clear(['q', 'sort', 'view', 'layout', ...(creating ? prefillKeys : [])])} />
      </div>
      {board ? (
        <TaskBoard query={filters} />
      ) : (
        <DataList<Task>
          id="tasks"
          path="/tasks"
          query={filters}
          columns={columns}
          sort={sort}
          onSortChange={(v) => set({ sort: v })}
          title={(r) => r.title}
          onOpen={(r) => nav(`/tasks/${r.id}`)}
        />
      )}
      <TaskForm
        open={creating}
        related={related}
        onClose={() => {
          const rest = new URLSearchParams([...sp].filter(([k]) => !prefillKeys.includes(k))).toString();
          nav('/tasks' + (rest ? '?' + rest : ''), { replace: true });
        }}
        onSaved={(id) => nav(`/tasks/${id}`, { replace: true })}
      />
    </div>
  );
}
