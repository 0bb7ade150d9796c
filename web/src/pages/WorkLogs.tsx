// The work logs (日志) list: the view (mine, sent to me, my team's, all), search and filters in the
// URL, the writer's form at /worklogs/new, and for holders of worklogs.stats the submission
// statistics per department (submitted / expected) at /worklogs/stats.
import { useEffect, useMemo, useState } from 'react';
import { Badge, Button, DatePicker, Empty, Input, Select, Space, Table, Tabs, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { useQuery } from '@tanstack/react-query';
import { Link, useLocation, useNavigate } from 'react-router';
import { get, type Query } from '../api/client';
import type { WorkLog, WorkLogKind, WorkLogStats, WorkLogView } from '../api/worklogs';
import { DataList, type Col } from '../components/DataList';
import { UserSelect } from '../components/common';
import { ClearFilters, useListParams } from '../components/filters';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { label, workLogKind, workLogStatus, workLogView } from '../labels';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { WorkLogForm, WorkLogKindTag, WorkLogStatusTag, periodText } from './worklogCommon';

const views: WorkLogView[] = ['mine', 'received', 'subordinates', 'all'];

/** The statistics: per department, the logs submitted against those expected, and per period. */
export function WorkLogStatsView() {
  const t = useT();
  const { lang } = useLang();
  const [kind, setKind] = useState<WorkLogKind>('daily');
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const query: Query = { kind };
  if (range?.[0]) query.from = range[0].format('YYYY-MM-DD');
  if (range?.[1]) query.to = range[1].format('YYYY-MM-DD');
  const q = useQuery({ queryKey: ['/worklogs/stats', query], queryFn: () => get<WorkLogStats>('/worklogs/stats', query) });
  const pct = (a: number, b: number) => (b ? `${Math.round((a / b) * 100)}%` : '—');
  const periods = q.data?.periods ?? [];
  return (
    <div data-testid="worklog-stats">
      <Space wrap style={{ marginBottom: 12 }}>
        <Select value={kind} onChange={setKind} aria-label={t('日志类型', 'Log kind')} style={{ width: 120 }}
          options={Object.keys(workLogKind).map((k) => ({ value: k, label: label(workLogKind, k, lang) }))} />
        <DatePicker.RangePicker value={range} onChange={(v) => setRange(v as [Dayjs | null, Dayjs | null] | null)} aria-label={t('统计区间', 'Range')}
          placeholder={[t('开始日期', 'From'), t('结束日期', 'To')]} />
      </Space>
      {q.error ? (
        <ErrorState error={q.error} retry={() => void q.refetch()} />
      ) : (
        <Table
          size="small"
          loading={q.isLoading}
          rowKey="departmentId"
          pagination={false}
          scroll={{ x: true }}
          dataSource={q.data?.items ?? []}
          locale={{ emptyText: <Empty description={t('没有可统计的部门', 'No departments to show')} /> }}
          columns={[
            { key: 'dept', title: t('部门', 'Department'), dataIndex: 'departmentName' },
            { key: 'members', title: t('人数', 'Members'), dataIndex: 'members' },
            { key: 'submitted', title: t('已提交 / 应提交', 'Submitted / expected'), render: (_, r) => <span data-testid="stats-cell">{`${r.submitted} / ${r.expected}`}</span> },
            { key: 'rate', title: t('提交率', 'Rate'), render: (_, r) => pct(r.submitted, r.expected) },
            ...periods.map((p, i) => ({ key: p, title: periodText(kind, p, lang === 'en'), render: (_: unknown, r: { byPeriod: number[]; members: number }) => `${r.byPeriod[i] ?? 0}/${r.members}` })),
          ]}
          summary={() =>
            q.data && q.data.items.length > 1 ? (
              <Table.Summary.Row>
                <Table.Summary.Cell index={0}>{t('合计', 'Total')}</Table.Summary.Cell>
                <Table.Summary.Cell index={1} />
                <Table.Summary.Cell index={2}>{`${q.data.submitted} / ${q.data.expected}`}</Table.Summary.Cell>
                <Table.Summary.Cell index={3}>{pct(q.data.submitted, q.data.expected)}</Table.Summary.Cell>
              </Table.Summary.Row>
            ) : null
          }
        />
      )}
    </div>
  );
}

export default function WorkLogs() {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const nav = useNavigate();
  const loc = useLocation();
  const { sp, query, set, clear } = useListParams();
  const can = (p: string) => s.isAdmin || s.can(p);
  const path = loc.pathname.replace(/\/$/, '');
  const creating = path.endsWith('/worklogs/new');
  const stats = path.endsWith('/worklogs/stats') && can('worklogs.stats');
  const shownViews = views.filter((v) => v !== 'subordinates' || can('worklogs.read'));
  const view = (shownViews as string[]).includes(sp.get('view') ?? '') ? (sp.get('view') as WorkLogView) : 'mine';
  const filters = useMemo<Query>(() => ({ ...query, view }), [query, view]);
  useEffect(() => {
    const onNew = () => nav('/worklogs/new');
    window.addEventListener('chronicle:new', onNew);
    return () => window.removeEventListener('chronicle:new', onNew);
  }, [nav]);

  const link = { textDecoration: 'underline' };
  const columns: Col<WorkLog>[] = [
    {
      key: 'period', title: t('周期', 'Period'), sort: 'period',
      render: (r) => (
        <Link to={`/worklogs/${r.id}`} style={link}>
          <Badge dot={r.unread} offset={[6, 0]}>{periodText(r.kind, r.period, lang === 'en')}</Badge>
        </Link>
      ),
    },
    { key: 'kind', title: t('类型', 'Kind'), render: (r) => <WorkLogKindTag kind={r.kind} /> },
    { key: 'writerName', title: t('撰写人', 'Writer') },
    { key: 'status', title: t('状态', 'Status'), render: (r) => <WorkLogStatusTag status={r.status} /> },
    { key: 'workDone', title: t('工作内容', 'Work done'), render: (r) => <Typography.Text ellipsis style={{ maxWidth: 320 }}>{r.workDone}</Typography.Text> },
    { key: 'reads', title: t('已读', 'Read'), render: (r) => (r.status === 'submitted' ? `${r.readCount}/${r.recipientCount}` : '') },
    { key: 'commentCount', title: t('评论', 'Comments') },
    { key: 'submittedAt', title: t('提交时间', 'Submitted'), sort: 'submittedAt', render: (r) => fmtTime(r.submittedAt) },
    { key: 'updatedAt', title: t('更新时间', 'Updated'), sort: 'updatedAt', hidden: true, render: (r) => fmtTime(r.updatedAt) },
  ];
  const range = [sp.get('periodFrom'), sp.get('periodTo')].map((v) => (v ? dayjs(v) : null)) as [Dayjs | null, Dayjs | null];
  const filterParams = new URLSearchParams([...sp].filter(([k]) => k !== 'view'));
  const tabs = [...shownViews.map((v) => ({ key: v, label: label(workLogView, v, lang) })), ...(can('worklogs.stats') ? [{ key: 'stats', label: t('提交统计', 'Statistics') }] : [])];

  return (
    <div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginBottom: 4 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('日志', 'Work logs')}</Typography.Title>
        <div style={{ flex: 1 }} />
        <Button type="primary" icon={<PlusOutlined />} onClick={() => nav('/worklogs/new')} data-testid="worklog-new">
          {t('写日志', 'Write a log')}
        </Button>
      </div>
      <Tabs
        activeKey={stats ? 'stats' : view}
        onChange={(k) => (k === 'stats' ? nav('/worklogs/stats') : nav('/worklogs' + (k === 'mine' ? '' : `?view=${k}`)))}
        items={tabs}
        data-testid="worklog-views"
      />
      {stats ? (
        <WorkLogStatsView />
      ) : (
        <>
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 12, alignItems: 'center' }}>
            <Input.Search
              data-search
              allowClear
              key={sp.get('q') ?? ''}
              defaultValue={sp.get('q') ?? ''}
              placeholder={t('搜索日志内容、撰写人…（按 / ）', 'Search the logs, writers… (press /)')}
              aria-label={t('搜索日志', 'Search logs')}
              onSearch={(v) => set({ q: v.trim() })}
              style={{ width: 260 }}
            />
            <Select mode="multiple" allowClear maxTagCount="responsive" placeholder={t('类型', 'Kind')} aria-label={t('按类型筛选', 'Filter by kind')}
              value={sp.getAll('kind')} onChange={(v: string[]) => set({ kind: v })} style={{ minWidth: 120 }}
              options={Object.keys(workLogKind).map((v) => ({ value: v, label: label(workLogKind, v, lang) }))} />
            <Select mode="multiple" allowClear maxTagCount="responsive" placeholder={t('状态', 'Status')} aria-label={t('按状态筛选', 'Filter by status')}
              value={sp.getAll('status')} onChange={(v: string[]) => set({ status: v })} style={{ minWidth: 120 }}
              options={Object.keys(workLogStatus).map((v) => ({ value: v, label: label(workLogStatus, v, lang) }))} />
            {view !== 'mine' && (
              <UserSelect placeholder={t('撰写人', 'Writer')} aria-label={t('按撰写人筛选', 'Filter by writer')} value={sp.get('writerId') ?? undefined}
                onChange={(v) => set({ writerId: v as string | undefined })} style={{ minWidth: 140 }} />
            )}
            <DatePicker.RangePicker allowEmpty={[true, true]} aria-label={t('按周期筛选', 'Filter by period')} placeholder={[t('周期 起', 'Period from'), t('止', 'to')]}
              value={range} onChange={(d) => set({ periodFrom: d?.[0]?.format('YYYY-MM-DD'), periodTo: d?.[1]?.format('YYYY-MM-DD') })} />
            {view !== 'mine' && (
              <Select allowClear placeholder={t('阅读状态', 'Read')} aria-label={t('只看未读', 'Unread only')} value={sp.get('unread') ?? undefined}
                onChange={(v?: string) => set({ unread: v })} style={{ width: 120 }} options={[{ value: 'true', label: t('未读', 'Unread') }]} />
            )}
            <ClearFilters sp={filterParams} clear={() => clear(['q', 'sort', 'view'])} />
          </div>
          <DataList<WorkLog>
            id="worklogs"
            path="/worklogs"
            query={filters}
            columns={columns}
            sort={sp.get('sort') ?? undefined}
            onSortChange={(v) => set({ sort: v })}
            title={(r) => `${label(workLogKind, r.kind, lang)} ${periodText(r.kind, r.period, lang === 'en')} · ${r.writerName}`}
            onOpen={(r) => nav(`/worklogs/${r.id}`)}
          />
        </>
      )}
      <WorkLogForm open={creating} onClose={() => nav('/worklogs', { replace: true })} onSaved={(id) => nav(`/worklogs/${id}`, { replace: true })} />
    </div>
  );
}
