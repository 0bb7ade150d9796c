// The opportunity funnel (销售漏斗): of the opportunities created in a period (months), how many
// reached each stage of a pipeline, how many converted to the next one, what is open in each stage
// now, and the won/lost summary. Filters live in the URL (pipelineId, from, to, ownerId,
// departmentId). Money stays decimal text: the chart reads counts only, labels show exact strings.
import { useCallback, useMemo } from 'react';
import { DatePicker, Empty, Select, Spin, Statistic, Table } from 'antd';
import { useQuery } from '@tanstack/react-query';
import dayjs from 'dayjs';
import { get, type Page, type Schemas } from '../api/client';
import Chart from '../components/Chart';
import { UserSelect } from '../components/common';
import type { Patch } from '../components/filters';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { fmtMoney } from '../money';
import { stageName, usePipelines } from './opportunityCommon';

type Funnel = Schemas['OpportunityFunnel'];
type FunnelStage = Schemas['OpportunityFunnelStage'];
type Department = Schemas['Department'];

/** The funnel's filters as they are sent: the period defaults to January of this year … this month. */
export function funnelQuery(sp: URLSearchParams) {
  return {
    pipelineId: sp.get('pipelineId') || undefined,
    from: sp.get('from') || dayjs().startOf('year').format('YYYY-MM'),
    to: sp.get('to') || dayjs().format('YYYY-MM'),
    ownerId: sp.get('ownerId') || undefined,
    departmentId: sp.get('departmentId') || undefined,
  };
}

/** The URL parameters only the funnel reads (dropped when leaving the view). */
export const funnelOnlyParams: Patch = { from: undefined, to: undefined, departmentId: undefined };

/** "—" for an empty text, else the text formatted. */
const orDash = (v: string | null | undefined, f: (v: string) => string = (x) => x) => (v === undefined || v === null || v === '' ? '—' : f(v));
const yuan = (v: string) => `¥${fmtMoney(v)}`;

export function DepartmentSelect(props: React.ComponentProps<typeof Select>) {
  // The same cache entry as the organisation screens; any signed-in user may read the tree.
  const d = useQuery({ queryKey: ['departments'], queryFn: () => get<Page<Department>>('/departments') });
  return (
    <Select
      allowClear
      showSearch={{ optionFilterProp: 'title' }}
      loading={d.isLoading}
      options={(d.data?.items ?? []).map((x) => ({ value: x.id, title: x.name, label: '\u00a0'.repeat((x.depth ?? 0) * 2) + x.name }))}
      {...props}
    />
  );
}

/** The period, owner and department filters (the pipeline select is the opportunities page's). */
export function FunnelFilters({ sp, set }: { sp: URLSearchParams; set: (p: Patch) => void }) {
  const t = useT();
  const q = funnelQuery(sp);
  return (
    <>
      <DatePicker.RangePicker
        picker="month"
        aria-label={t('创建月份', 'Created in months')}
        placeholder={[t('起始月份', 'From month'), t('截止月份', 'To month')]}
        value={[dayjs(q.from + '-01'), dayjs(q.to + '-01')]}
        allowClear={false}
        onChange={(d) => set({ from: d?.[0]?.format('YYYY-MM'), to: d?.[1]?.format('YYYY-MM') })}
      />
      <UserSelect placeholder={t('负责人', 'Owner')} aria-label={t('按负责人筛选', 'Filter by owner')} value={q.ownerId} onChange={(v) => set({ ownerId: v as string | undefined })} style={{ minWidth: 140 }} />
      <DepartmentSelect placeholder={t('部门', 'Department')} aria-label={t('按部门筛选', 'Filter by department')} value={q.departmentId} onChange={(v) => set({ departmentId: v as string | undefined })} style={{ minWidth: 140 }} />
    </>
  );
}

export function OpportunityFunnel({ sp }: { sp: URLSearchParams }) {
  const t = useT();
  const { lang } = useLang();
  const pipelines = usePipelines();
  const query = funnelQuery(sp);
  const q = useQuery({
    queryKey: ['/opportunity-funnel', query],
    queryFn: () => get<Funnel>('/opportunity-funnel', query),
  });
  const f = q.data;
  const stages = pipelines.data?.find((p) => p.id === f?.pipelineId)?.stages;
  const stageLabel = useCallback((key: string) => stageName(stages?.find((s) => s.key === key), key, lang), [stages, lang]);
  const wonLabel = lang === 'en' ? 'Won' : '赢单';
  const layers = useMemo(
    () => (f ? [...f.stages.map((s) => ({ name: stageLabel(s.stage), value: s.reached })), { name: wonLabel, value: f.won }] : []),
    [f, stageLabel, wonLabel],
  );
  const option = useMemo(
    () => ({
      tooltip: { trigger: 'item', formatter: (p: { name: string; value: number }) => `${p.name}: ${p.value}` },
      series: [
        {
          name: lang === 'en' ? 'Sales funnel' : '销售漏斗',
          type: 'funnel',
          sort: 'none',
          left: '10%',
          width: '80%',
          top: 10,
          bottom: 10,
          min: 0,
          max: Math.max(1, ...layers.map((l) => l.value)),
          minSize: '6%',
          gap: 2,
          label: { show: true, position: 'inside', formatter: '{b}: {c}', color: '#fff' },
          itemStyle: { borderColor: '#fff', borderWidth: 1 },
          data: layers.map((l, i) => ({ ...l, itemStyle: i === layers.length - 1 ? { color: '#237804' } : undefined })),
        },
      ],
    }),
    [layers, lang],
  );

  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  if (!f) return <Spin style={{ display: 'block', margin: 48 }} />;

  const days = (v: string) => t(`${v} 天`, `${v} days`);
  const stats: [string, string, string][] = [
    ['total', t('新建商机', 'Created'), String(f.total)],
    ['won', t('赢单', 'Won'), String(f.won)],
    ['lost', t('输单', 'Lost'), String(f.lost)],
    ['winRate', t('赢率', 'Win rate'), orDash(f.winRate, (v) => `${v}%`)],
    ['wonAmount', t('赢单金额', 'Won amount'), orDash(f.wonAmount, yuan)],
    ['avgDealSize', t('平均成交金额', 'Average deal size'), orDash(f.avgDealSize, yuan)],
    ['avgCycleDays', t('平均销售周期', 'Average sales cycle'), orDash(f.avgCycleDays, days)],
  ];
  const columns = [
    { key: 'stage', title: t('阶段', 'Stage'), render: (_: unknown, s: FunnelStage) => stageLabel(s.stage) },
    { key: 'reached', title: t('到达数', 'Reached'), align: 'right' as const, render: (_: unknown, s: FunnelStage) => s.reached },
    { key: 'conversion', title: t('转化到下一阶段', 'Conversion to next stage'), align: 'right' as const, render: (_: unknown, s: FunnelStage) => orDash(s.conversion, (v) => `${v}%`) },
    { key: 'open', title: t('当前进行中', 'Open now'), align: 'right' as const, render: (_: unknown, s: FunnelStage) => s.open },
    { key: 'amount', title: t('进行中金额', 'Open amount'), align: 'right' as const, render: (_: unknown, s: FunnelStage) => orDash(s.amount, yuan) },
    { key: 'weightedAmount', title: t('加权金额', 'Weighted amount'), align: 'right' as const, render: (_: unknown, s: FunnelStage) => orDash(s.weightedAmount, yuan) },
    { key: 'avgDays', title: t('平均停留天数', 'Average days in stage'), align: 'right' as const, render: (_: unknown, s: FunnelStage) => orDash(s.avgDays) },
  ];

  return (
    <div data-testid="funnel">
      <section aria-label={t('漏斗汇总', 'Funnel summary')} data-testid="funnel-summary" style={{ display: 'flex', flexWrap: 'wrap', gap: 24, marginBottom: 16 }}>
        {stats.map(([k, title, text]) => (
          <div key={k} data-testid={`funnel-${k}`}>
            <Statistic title={title} value={text} formatter={() => text} styles={{ content: { fontSize: 20 } }} />
          </div>
        ))}
      </section>
      {f.total === 0 ? (
        <Empty description={t('所选期间没有新建的商机', 'No opportunities were created in this period')} style={{ margin: 24 }} />
      ) : (
        <Chart option={option} height={Math.max(220, 48 * layers.length)} ariaLabel={t(`销售漏斗：${f.from} 至 ${f.to} 新建的商机到达各阶段的数量`, `Sales funnel: how many opportunities created ${f.from} to ${f.to} reached each stage`)} />
      )}
      <Table<FunnelStage>
        data-testid="funnel-table"
        size="small"
        style={{ marginTop: 12 }}
        rowKey="stage"
        pagination={false}
        columns={columns}
        dataSource={f.stages}
        title={() => t(`${f.from} 至 ${f.to} 各阶段`, `Stages, ${f.from} to ${f.to}`)}
      />
    </div>
  );
}
