import { useEffect, useMemo, useState } from 'react';
import { Button, DatePicker, Input, Segmented, Select, Space, Spin, Typography } from 'antd';
import { AppstoreOutlined, BarChartOutlined, FunnelPlotOutlined, PlusOutlined, UnorderedListOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import dayjs from 'dayjs';
import { useNavigate } from 'react-router';
import { get, type Page, type Schemas } from '../api/client';
import Chart from '../components/Chart';
import { DataList, type Col } from '../components/DataList';
import { UserSelect, useUserName } from '../components/common';
import { ClearFilters, TextFilter, useListParams } from '../components/filters';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { fmtMoney } from '../money';
import { useSession } from '../session';
import { OpportunityBoard } from './OpportunityBoard';
import { OpportunityForm } from './OpportunityForm';
import { FunnelFilters, OpportunityFunnel, funnelOnlyParams } from './OpportunityFunnel';
import { StatusTag, opportunityStatus, stageName, usePipelines, useStageLabel, type Opportunity, type Pipeline } from './opportunityCommon';

type Month = Schemas['OpportunityForecastMonth'];

/** Weighted amounts of open opportunities by expected close month: bars, and the amounts as a line.
 * The chart is handed the API's decimal texts as they are (ECharts reads them); tooltips show the texts. */
export function ForecastChart({ pipelineId }: { pipelineId?: string }) {
  const t = useT();
  const [months, setMonths] = useState(6);
  const from = dayjs().format('YYYY-MM');
  const q = useQuery({
    queryKey: ['/opportunity-forecast', from, months, pipelineId],
    queryFn: () => get<Page<Month>>('/opportunity-forecast', { from, months, pipelineId }),
  });
  const items = useMemo(() => q.data?.items ?? [], [q.data]);
  const weighted = t('加权金额', 'Weighted amount');
  const amount = t('金额', 'Amount');
  const option = useMemo(
    () => ({
      grid: { left: 70, right: 20, top: 30, bottom: 30 },
      legend: { data: [weighted, amount] },
      tooltip: {
        trigger: 'axis',
        formatter: (ps: { dataIndex: number }[]) => {
          const m = items[ps[0]?.dataIndex ?? 0];
          return m ? `${m.month}<br/>${weighted}: ¥${fmtMoney(m.weightedAmount)}<br/>${amount}: ¥${fmtMoney(m.amount)}<br/>${t('商机数', 'Opportunities')}: ${m.count}` : '';
        },
      },
      xAxis: { type: 'category', data: items.map((m) => m.month) },
      yAxis: { type: 'value' },
      series: [
        { name: weighted, type: 'bar', data: items.map((m) => m.weightedAmount), itemStyle: { color: '#1f5fbf' } },
        { name: amount, type: 'line', data: items.map((m) => m.amount), itemStyle: { color: '#8a5300' } },
      ],
    }),
    [items, weighted, amount, t],
  );
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  return (
    <div data-testid="forecast">
      <Space style={{ marginBottom: 8 }} wrap>
        <Typography.Text>{t('预测月数', 'Months')}</Typography.Text>
        <Select
          aria-label={t('预测月数', 'Months')}
          value={months}
          onChange={setMonths}
          style={{ width: 90 }}
          options={[3, 6, 12, 24].map((n) => ({ value: n, label: String(n) }))}
        />
      </Space>
      {q.isLoading ? (
        <Spin style={{ display: 'block', margin: 48 }} />
      ) : (
        <>
          <Chart option={option} height={300} ariaLabel={t('按预计成交月份的加权金额预测', 'Weighted forecast by expected close month')} />
          <table className="forecast-table" style={{ width: '100%', fontSize: 13, marginTop: 8, borderCollapse: 'collapse' }}>
            <caption style={{ textAlign: 'left', color: '#595959' }}>{t('预测明细', 'Forecast figures')}</caption>
            <thead>
              <tr>
                <th scope="col" style={{ textAlign: 'left' }}>{t('月份', 'Month')}</th>
                <th scope="col" style={{ textAlign: 'right' }}>{t('商机数', 'Opportunities')}</th>
                <th scope="col" style={{ textAlign: 'right' }}>{amount}</th>
                <th scope="col" style={{ textAlign: 'right' }}>{weighted}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((m) => (
                <tr key={m.month}>
                  <td>{m.month}</td>
                  <td style={{ textAlign: 'right' }}>{m.count}</td>
                  <td style={{ textAlign: 'right' }}>{fmtMoney(m.amount)}</td>
                  <td style={{ textAlign: 'right' }}>{fmtMoney(m.weightedAmount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

type View = 'list' | 'board' | 'forecast' | 'funnel';

export default function Opportunities() {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const nav = useNavigate();
  const userName = useUserName();
  const stageLabel = useStageLabel();
  const pipelines = usePipelines();
  const { sp, query, set, clear } = useListParams();
  const view = (sp.get('view') as View | null) ?? 'list';
  const [creating, setCreating] = useState(false);
  useEffect(() => {
    const onNew = () => setCreating(true);
    window.addEventListener('chronicle:new', onNew);
    return () => window.removeEventListener('chronicle:new', onNew);
  }, []);
  const filters = useMemo(() => {
    const { view: _v, ...rest } = query;
    void _v;
    return rest;
  }, [query]);
  const sort = sp.get('sort') ?? undefined;
  const pipelineId = sp.get('pipelineId') ?? undefined;
  const pipeline: Pipeline | undefined = pipelines.data?.find((p) => p.id === pipelineId) ?? pipelines.data?.[0];
  const canCreate = s.isAdmin || s.can('opportunities.create');

  const columns: Col<Opportunity>[] = [
    { key: 'name', title: t('商机名称', 'Name'), sort: 'name' },
    { key: 'customerName', title: t('客户', 'Customer') },
    { key: 'stage', title: t('阶段', 'Stage'), render: (r) => stageLabel(r.pipelineId, r.stage) },
    { key: 'amount', title: t('金额', 'Amount'), render: (r) => fmtMoney(r.amount) },
    { key: 'weightedAmount', title: t('加权金额', 'Weighted'), render: (r) => fmtMoney(r.weightedAmount) },
    { key: 'probability', title: t('赢率', 'Probability'), render: (r) => `${r.probability}%` },
    { key: 'expectedCloseDate', title: t('预计成交', 'Expected close'), sort: 'expectedCloseDate' },
    { key: 'ownerId', title: t('负责人', 'Owner'), render: (r) => r.ownerName || userName(r.ownerId) },
    { key: 'status', title: t('状态', 'Status'), render: (r) => <StatusTag status={r.status} /> },
    { key: 'updatedAt', title: t('更新时间', 'Updated'), sort: 'updatedAt', hidden: true, render: (r) => (r.updatedAt ?? '').slice(0, 10) },
  ];
  const stagesOf = (pipeline?.stages ?? []).map((x) => ({ value: x.key, label: stageName(x, x.key, lang) }));
  const range = [sp.get('closeFrom'), sp.get('closeTo')].map((v) => (v ? dayjs(v) : null)) as [dayjs.Dayjs | null, dayjs.Dayjs | null];

  return (
    <div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginBottom: 12 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('商机', 'Opportunities')}</Typography.Title>
        <Segmented<View>
          value={view}
          onChange={(v) => set({ view: v === 'list' ? undefined : v, ...(v !== 'funnel' ? funnelOnlyParams : {}) })}
          aria-label={t('视图', 'View')}
          data-testid="opportunity-view"
          options={[
            { value: 'list', label: t('列表', 'List'), icon: <UnorderedListOutlined /> },
            { value: 'board', label: t('看板', 'Board'), icon: <AppstoreOutlined /> },
            { value: 'forecast', label: t('预测', 'Forecast'), icon: <BarChartOutlined /> },
            { value: 'funnel', label: t('漏斗', 'Funnel'), icon: <FunnelPlotOutlined /> },
          ]}
        />
        <div style={{ flex: 1 }} />
        {canCreate && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t('新建商机', 'New opportunity')}
          </Button>
        )}
      </div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 12, alignItems: 'center' }}>
        {view === 'list' && (
          <Input.Search data-search allowClear key={sp.get('q') ?? ''} defaultValue={sp.get('q') ?? ''} placeholder={t('搜索名称、客户…（按 / ）', 'Search name, customer… (press /)')} aria-label={t('搜索商机', 'Search opportunities')} onSearch={(v) => set({ q: v.trim() })} style={{ width: 240 }} />
        )}
        <Select
          placeholder={t('销售流程', 'Pipeline')}
          aria-label={t('按销售流程筛选', 'Filter by pipeline')}
          value={pipelineId ?? (view === 'list' ? undefined : pipeline?.id)}
          allowClear={view === 'list'}
          onChange={(v) => set({ pipelineId: v, stage: undefined })}
          style={{ width: 150 }}
          options={(pipelines.data ?? []).map((p) => ({ value: p.id, label: p.name }))}
        />
        {view === 'funnel' && <FunnelFilters sp={sp} set={set} />}
        {view === 'list' && (
          <>
            <Select allowClear placeholder={t('状态', 'Status')} aria-label={t('按状态筛选', 'Filter by status')} value={sp.get('status') ?? undefined} onChange={(v) => set({ status: v })} style={{ width: 110 }} options={Object.keys(opportunityStatus).map((v) => ({ value: v, label: t(...opportunityStatus[v]) }))} />
            <Select allowClear placeholder={t('阶段', 'Stage')} aria-label={t('按阶段筛选', 'Filter by stage')} value={sp.get('stage') ?? undefined} onChange={(v) => set({ stage: v, pipelineId: pipelineId ?? pipeline?.id })} style={{ width: 130 }} options={stagesOf} />
            <UserSelect placeholder={t('负责人', 'Owner')} aria-label={t('按负责人筛选', 'Filter by owner')} value={sp.get('ownerId') ?? undefined} onChange={(v) => set({ ownerId: v as string | undefined })} style={{ minWidth: 140 }} />
            <DatePicker.RangePicker
              allowEmpty={[true, true]}
              aria-label={t('按预计成交日期筛选', 'Filter by expected close')}
              placeholder={[t('预计成交 起', 'Close from'), t('止', 'to')]}
              value={range}
              onChange={(d) => set({ closeFrom: d?.[0]?.format('YYYY-MM-DD'), closeTo: d?.[1]?.format('YYYY-MM-DD') })}
            />
            <TextFilter name="amountMin" label={t('最低金额', 'Min amount')} sp={sp} set={set} width={110} />
            <TextFilter name="amountMax" label={t('最高金额', 'Max amount')} sp={sp} set={set} width={110} />
            <ClearFilters sp={new URLSearchParams([...sp].filter(([k]) => k !== 'view'))} clear={() => clear(['q', 'sort', 'view'])} />
          </>
        )}
      </div>
      {view === 'list' && (
        <DataList<Opportunity> id="opportunities" path="/opportunities" query={filters} columns={columns} sort={sort} onSortChange={(v) => set({ sort: v })} title={(r) => r.name} onOpen={(r) => nav(`/opportunities/${r.id}`)} />
      )}
      {view === 'board' && (pipeline ? <OpportunityBoard pipeline={pipeline} /> : pipelines.error ? <ErrorState error={pipelines.error} retry={() => void pipelines.refetch()} /> : <Spin />)}
      {view === 'forecast' && <ForecastChart pipelineId={pipelineId} />}
      {view === 'funnel' && <OpportunityFunnel sp={sp} />}
      <OpportunityForm open={creating} onClose={() => setCreating(false)} onSaved={(id) => nav(`/opportunities/${id}`)} />
    </div>
  );
}
