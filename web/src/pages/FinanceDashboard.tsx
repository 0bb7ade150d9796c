// The finance dashboard (回款看板): planned against received by month (a chosen range, the last 12
// months by default), the ageing of what is outstanding (as of a date, today by default), the
// customers with the most outstanding, and the sums by owner and by department. Every figure leads
// to the list behind it: receipts or installments filtered by the customer, the owner, the month or
// the due date range; a department narrows the dashboard itself. Filters live in the URL. Money
// stays decimal text: the chart is handed the API's texts, the tables show them exactly.
import { useMemo } from 'react';
import { Card, Col, DatePicker, Row, Space, Spin, Statistic, Table, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import dayjs from 'dayjs';
import { Link } from 'react-router';
import { buildQuery, get, type Query } from '../api/client';
import type { Ageing, AgeingBucketName, CustomerStats, CustomerStatsRow, DepartmentStats, DepartmentStatsRow, MonthlyRow, MonthlyStats, OwnerStats, OwnerStatsRow, ReceivableSums } from '../api/finance';
import Chart from '../components/Chart';
import { UserSelect } from '../components/common';
import { ClearFilters, useListParams } from '../components/filters';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { ageingBucket, label } from '../labels';
import { fmtMoney, sumMoney } from '../money';
import { userZone } from '../util';
import { DepartmentSelect } from './OpportunityFunnel';
import { yuan } from './financeCommon';

const todayText = () => dayjs().tz(userZone()).format('YYYY-MM-DD');

/** The dashboard's filters as they are sent: the last 12 months to this one, ageing as of today. */
export function dashboardQuery(sp: URLSearchParams) {
  const now = dayjs(todayText());
  return {
    from: sp.get('from') || now.subtract(11, 'month').format('YYYY-MM'),
    to: sp.get('to') || now.format('YYYY-MM'),
    asOf: sp.get('asOf') || now.format('YYYY-MM-DD'),
    ownerId: sp.get('ownerId') || undefined,
    departmentId: sp.get('departmentId') || undefined,
  };
}

/** The first and last day of a month ("2026-02" → 2026-02-01, 2026-02-28). */
export function monthRange(month: string): { from: string; to: string } {
  const d = dayjs(month + '-01');
  return { from: d.format('YYYY-MM-DD'), to: d.endOf('month').format('YYYY-MM-DD') };
}

/** The due date range of an ageing bucket as of a date: days past due 0 (not due), 1–30, 31–60, 61–90, over 90. */
export function bucketRange(bucket: AgeingBucketName, asOf: string): { dueFrom?: string; dueTo?: string } {
  const a = dayjs(asOf);
  const d = (n: number) => a.subtract(n, 'day').format('YYYY-MM-DD');
  switch (bucket) {
    case 'not_due':
      return { dueFrom: d(0) };
    case '1_30':
      return { dueFrom: d(30), dueTo: d(1) };
    case '31_60':
      return { dueFrom: d(60), dueTo: d(31) };
    case '61_90':
      return { dueFrom: d(90), dueTo: d(61) };
    case 'over_90':
      return { dueTo: d(91) };
  }
}

/** Links to the lists behind the figures. */
export const drill = {
  receipts: (q: Query) => '/receipts' + buildQuery(q),
  installments: (q: Query) => '/installments' + buildQuery(q),
};

const A = ({ to, children, testId }: { to: string; children: React.ReactNode; testId?: string }) => (
  <Link to={to} style={{ textDecoration: 'underline' }} data-testid={testId}>
    {children}
  </Link>
);
const money = (v: string | null | undefined) => fmtMoney(v ?? '') || '—';

export default function FinanceDashboard() {
  const t = useT();
  const { lang } = useLang();
  const { sp, set, clear } = useListParams();
  const f = dashboardQuery(sp);
  const scope = { ownerId: f.ownerId, departmentId: f.departmentId };
  const monthly = useQuery({ queryKey: ['/finance/stats/monthly', f.from, f.to, scope], queryFn: () => get<MonthlyStats>('/finance/stats/monthly', { from: f.from, to: f.to, ...scope }) });
  const ageing = useQuery({ queryKey: ['/finance/stats/ageing', f.asOf, scope], queryFn: () => get<Ageing>('/finance/stats/ageing', { asOf: f.asOf, ...scope }) });
  const customers = useQuery({ queryKey: ['/finance/stats/customers', scope], queryFn: () => get<CustomerStats>('/finance/stats/customers', { limit: 10, ...scope }) });
  const owners = useQuery({ queryKey: ['/finance/stats/owners', f.departmentId], queryFn: () => get<OwnerStats>('/finance/stats/owners', { departmentId: f.departmentId }) });
  const departments = useQuery({ queryKey: ['/finance/stats/departments'], queryFn: () => get<DepartmentStats>('/finance/stats/departments') });
  const months = useMemo(() => monthly.data?.months ?? [], [monthly.data]);
  const planned = t('计划回款', 'Planned');
  const received = t('实际回款', 'Received');
  const overdue = t('逾期', 'Overdue');
  const option = useMemo(
    () => ({
      grid: { left: 80, right: 20, top: 40, bottom: 30 },
      legend: { top: 0, data: [planned, received, overdue] },
      tooltip: {
        trigger: 'axis',
        formatter: (ps: { dataIndex: number }[]) => {
          const m = months[ps[0]?.dataIndex ?? 0];
          return m ? `${m.month}<br/>${planned}: ${yuan(m.planned)}<br/>${received}: ${yuan(m.received)}<br/>${overdue}: ${yuan(m.overdue)}` : '';
        },
      },
      xAxis: { type: 'category', data: months.map((m) => m.month) },
      yAxis: { type: 'value' },
      series: [
        { name: planned, type: 'bar', data: months.map((m) => m.planned), itemStyle: { color: '#a9c3ea' } },
        { name: received, type: 'bar', data: months.map((m) => m.received), itemStyle: { color: '#1f5fbf' } },
        { name: overdue, type: 'line', data: months.map((m) => m.overdue), itemStyle: { color: '#c4302b' } },
      ],
    }),
    [months, planned, received, overdue],
  );

  // what an owner filter adds to the lists' links
  const own = { ownerId: f.ownerId };
  const monthCols = [
    { key: 'month', title: t('月份', 'Month'), render: (_: unknown, m: MonthlyRow) => <A to={drill.receipts({ ...own, dateFrom: monthRange(m.month).from, dateTo: monthRange(m.month).to })} testId={`month-${m.month}`}>{m.month}</A> },
    { key: 'planned', title: planned, align: 'right' as const, render: (_: unknown, m: MonthlyRow) => <A to={drill.installments({ ...own, status: 'all', dueFrom: monthRange(m.month).from, dueTo: monthRange(m.month).to })}>{money(m.planned)}</A> },
    { key: 'received', title: received, align: 'right' as const, render: (_: unknown, m: MonthlyRow) => <A to={drill.receipts({ ...own, dateFrom: monthRange(m.month).from, dateTo: monthRange(m.month).to })}>{money(m.received)}</A> },
    { key: 'outstanding', title: t('未回款', 'Outstanding'), align: 'right' as const, render: (_: unknown, m: MonthlyRow) => <A to={drill.installments({ ...own, status: 'open', dueFrom: monthRange(m.month).from, dueTo: monthRange(m.month).to })}>{money(m.outstanding)}</A> },
    { key: 'overdue', title: overdue, align: 'right' as const, render: (_: unknown, m: MonthlyRow) => <A to={drill.installments({ ...own, status: 'overdue', dueFrom: monthRange(m.month).from, dueTo: monthRange(m.month).to })}>{money(m.overdue)}</A> },
  ];
  const sumsCols = <T extends ReceivableSums>(q: (r: T) => Query) => [
    { key: 'contracts', title: t('合同数', 'Contracts'), align: 'right' as const, render: (_: unknown, r: T) => r.contracts },
    { key: 'amount', title: t('合同金额', 'Contract amount'), align: 'right' as const, render: (_: unknown, r: T) => money(r.amount) },
    { key: 'received', title: t('已回款', 'Received'), align: 'right' as const, render: (_: unknown, r: T) => <A to={drill.receipts({ ...q(r), status: 'confirmed' })}>{money(r.received)}</A> },
    { key: 'outstanding', title: t('未回款', 'Outstanding'), align: 'right' as const, render: (_: unknown, r: T) => <A to={drill.installments({ ...q(r), status: 'open' })}>{money(r.outstanding)}</A> },
    { key: 'overdue', title: overdue, align: 'right' as const, render: (_: unknown, r: T) => <A to={drill.installments({ ...q(r), status: 'overdue' })}>{money(r.overdue)}</A> },
    { key: 'lastReceiptDate', title: t('最近回款', 'Last receipt'), render: (_: unknown, r: T) => r.lastReceiptDate || '—' },
  ];
  const totalsRow = (tot: ReceivableSums | undefined, lead: number, testId: string) =>
    tot ? (
      <Table.Summary.Row data-testid={testId}>
        <Table.Summary.Cell index={0} colSpan={lead}>{t('合计', 'Total')}</Table.Summary.Cell>
        <Table.Summary.Cell index={1} align="right">{tot.contracts}</Table.Summary.Cell>
        <Table.Summary.Cell index={2} align="right">{money(tot.amount)}</Table.Summary.Cell>
        <Table.Summary.Cell index={3} align="right">{money(tot.received)}</Table.Summary.Cell>
        <Table.Summary.Cell index={4} align="right">{money(tot.outstanding)}</Table.Summary.Cell>
        <Table.Summary.Cell index={5} align="right">{money(tot.overdue)}</Table.Summary.Cell>
        <Table.Summary.Cell index={6}>{tot.lastReceiptDate || ''}</Table.Summary.Cell>
      </Table.Summary.Row>
    ) : null;

  const tot = monthly.data?.totals;
  const ag = ageing.data;
  const overdueNow = ag ? sumMoney(ag.buckets.filter((b) => b.bucket !== 'not_due').map((b) => b.amount)) : undefined;
  const stats: [string, string, string | undefined, string?][] = [
    ['planned', t('期间计划回款', 'Planned in the period'), tot?.planned],
    ['received', t('期间实际回款', 'Received in the period'), tot?.received, drill.receipts({ ...own, dateFrom: monthRange(f.from).from, dateTo: monthRange(f.to).to })],
    ['outstanding', t('期间未回款', 'Outstanding of the period'), tot?.outstanding],
    ['overdue', t('期间逾期', 'Overdue of the period'), tot?.overdue, drill.installments({ ...own, status: 'overdue', dueFrom: monthRange(f.from).from, dueTo: monthRange(f.to).to })],
    ['ageingTotal', t(`应收余额（${f.asOf}）`, `Outstanding on ${f.asOf}`), ag?.total, drill.installments({ ...own, status: 'open' })],
    ['ageingOverdue', t(`已逾期（${f.asOf}）`, `Overdue on ${f.asOf}`), overdueNow, drill.installments({ ...own, status: 'overdue' })],
  ];
  const err = monthly.error || ageing.error || customers.error || owners.error || departments.error;

  return (
    <div data-testid="finance-dashboard">
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginBottom: 12 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('回款看板', 'Receivables dashboard')}</Typography.Title>
      </div>
      <Space wrap style={{ marginBottom: 12 }}>
        <DatePicker.RangePicker
          picker="month"
          aria-label={t('月份范围', 'Months')}
          placeholder={[t('起始月份', 'From month'), t('截止月份', 'To month')]}
          value={[dayjs(f.from + '-01'), dayjs(f.to + '-01')]}
          allowClear={false}
          onChange={(d) => set({ from: d?.[0]?.format('YYYY-MM'), to: d?.[1]?.format('YYYY-MM') })}
        />
        <DatePicker
          aria-label={t('账龄截止日', 'Ageing as of')}
          placeholder={t('账龄截止日', 'Ageing as of')}
          value={dayjs(f.asOf)}
          allowClear={false}
          onChange={(d) => set({ asOf: d ? d.format('YYYY-MM-DD') : undefined })}
        />
        <UserSelect placeholder={t('负责人', 'Owner')} aria-label={t('按负责人筛选', 'Filter by owner')} value={f.ownerId} onChange={(v) => set({ ownerId: v as string | undefined })} style={{ minWidth: 140 }} />
        <DepartmentSelect placeholder={t('部门', 'Department')} aria-label={t('按部门筛选', 'Filter by department')} value={f.departmentId} onChange={(v) => set({ departmentId: v as string | undefined })} style={{ minWidth: 140 }} />
        <ClearFilters sp={sp} clear={() => clear([])} />
      </Space>
      {err && <ErrorState error={err} retry={() => void Promise.all([monthly.refetch(), ageing.refetch(), customers.refetch(), owners.refetch(), departments.refetch()])} />}

      <section aria-label={t('回款汇总', 'Summary')} data-testid="finance-summary" style={{ display: 'flex', flexWrap: 'wrap', gap: 24, marginBottom: 16 }}>
        {stats.map(([k, title, v, to]) => (
          <div key={k} data-testid={`stat-${k}`}>
            <Statistic title={title} value={yuan(v)} formatter={() => (to && v !== undefined ? <A to={to}>{yuan(v)}</A> : yuan(v))} styles={{ content: { fontSize: 20 } }} />
          </div>
        ))}
      </section>

      <Card size="small" title={t(`按月计划与回款（${f.from} 至 ${f.to}）`, `Planned and received by month, ${f.from} to ${f.to}`)}>
        {monthly.isLoading ? (
          <Spin style={{ display: 'block', margin: 48 }} />
        ) : (
          <>
            <Chart option={option} height={300} ariaLabel={t(`按月计划回款与实际回款：${f.from} 至 ${f.to}`, `Planned and received by month, ${f.from} to ${f.to}`)} />
            <Table<MonthlyRow>
              size="small"
              rowKey="month"
              pagination={false}
              scroll={{ x: 'max-content' }}
              data-testid="monthly-table"
              columns={monthCols}
              dataSource={months}
              summary={() =>
                tot ? (
                  <Table.Summary.Row data-testid="monthly-totals">
                    <Table.Summary.Cell index={0}>{t('合计', 'Total')}</Table.Summary.Cell>
                    <Table.Summary.Cell index={1} align="right">{money(tot.planned)}</Table.Summary.Cell>
                    <Table.Summary.Cell index={2} align="right">{money(tot.received)}</Table.Summary.Cell>
                    <Table.Summary.Cell index={3} align="right">{money(tot.outstanding)}</Table.Summary.Cell>
                    <Table.Summary.Cell index={4} align="right">{money(tot.overdue)}</Table.Summary.Cell>
                  </Table.Summary.Row>
                ) : null
              }
            />
          </>
        )}
      </Card>

      <Row gutter={[12, 12]} style={{ marginTop: 12 }}>
        <Col xs={24} lg={10}>
          <Card size="small" title={t(`账龄（截至 ${f.asOf}）`, `Ageing on ${f.asOf}`)}>
            <Table
              size="small"
              rowKey="bucket"
              pagination={false}
              loading={ageing.isLoading}
              data-testid="ageing-table"
              dataSource={ag?.buckets ?? []}
              columns={[
                { key: 'bucket', title: t('账龄', 'Age'), render: (_: unknown, b: Ageing['buckets'][number]) => label(ageingBucket, b.bucket, lang) },
                {
                  key: 'amount',
                  title: t('未回款', 'Outstanding'),
                  align: 'right' as const,
                  render: (_: unknown, b: Ageing['buckets'][number]) => <A to={drill.installments({ ...own, status: 'open', ...bucketRange(b.bucket, f.asOf) })} testId={`ageing-${b.bucket}`}>{money(b.amount)}</A>,
                },
              ]}
              summary={() =>
                ag ? (
                  <Table.Summary.Row>
                    <Table.Summary.Cell index={0}>{t('合计', 'Total')}</Table.Summary.Cell>
                    <Table.Summary.Cell index={1} align="right"><span data-testid="ageing-total">{money(ag.total)}</span></Table.Summary.Cell>
                  </Table.Summary.Row>
                ) : null
              }
            />
          </Card>
        </Col>
        <Col xs={24} lg={14}>
          <Card size="small" title={t('未回款最多的客户（前 10）', 'Customers with the most outstanding (top 10)')}>
            <Table<CustomerStatsRow>
              size="small"
              rowKey="customerId"
              pagination={false}
              loading={customers.isLoading}
              scroll={{ x: 'max-content' }}
              data-testid="customers-table"
              dataSource={customers.data?.rows ?? []}
              columns={[
                { key: 'customerName', title: t('客户', 'Customer'), render: (_: unknown, r: CustomerStatsRow) => <A to={drill.receipts({ customerId: r.customerId })} testId={`customer-${r.customerId}`}>{r.customerName}</A> },
                ...sumsCols<CustomerStatsRow>((r) => ({ customerId: r.customerId })),
              ]}
            />
          </Card>
        </Col>
      </Row>

      <Card size="small" style={{ marginTop: 12 }} title={t('按负责人', 'By owner')}>
        <Table<OwnerStatsRow>
          size="small"
          rowKey="ownerId"
          pagination={false}
          loading={owners.isLoading}
          scroll={{ x: 'max-content' }}
          data-testid="owners-table"
          dataSource={owners.data?.rows ?? []}
          columns={[
            { key: 'ownerName', title: t('负责人', 'Owner'), render: (_: unknown, r: OwnerStatsRow) => <A to={drill.installments({ ownerId: r.ownerId, status: 'open' })} testId={`owner-${r.ownerId}`}>{r.ownerName}</A> },
            { key: 'departmentName', title: t('部门', 'Department'), render: (_: unknown, r: OwnerStatsRow) => r.departmentName || '—' },
            ...sumsCols<OwnerStatsRow>((r) => ({ ownerId: r.ownerId })),
          ]}
          summary={() => totalsRow(owners.data?.totals, 2, 'owners-totals')}
        />
      </Card>

      <Card size="small" style={{ marginTop: 12 }} title={t('按部门', 'By department')}>
        <Table<DepartmentStatsRow>
          size="small"
          rowKey="departmentId"
          pagination={false}
          loading={departments.isLoading}
          scroll={{ x: 'max-content' }}
          data-testid="departments-table"
          dataSource={departments.data?.rows ?? []}
          columns={[
            {
              key: 'departmentName',
              title: t('部门', 'Department'),
              // the lists have no department filter: a department narrows this dashboard
              render: (_: unknown, r: DepartmentStatsRow) => <A to={'/finance' + buildQuery({ from: sp.get('from'), to: sp.get('to'), asOf: sp.get('asOf'), departmentId: r.departmentId })} testId={`department-${r.departmentId}`}>{r.departmentName || '—'}</A>,
            },
            { key: 'contracts', title: t('合同数', 'Contracts'), align: 'right' as const, render: (_: unknown, r: DepartmentStatsRow) => r.contracts },
            { key: 'amount', title: t('合同金额', 'Contract amount'), align: 'right' as const, render: (_: unknown, r: DepartmentStatsRow) => money(r.amount) },
            { key: 'received', title: t('已回款', 'Received'), align: 'right' as const, render: (_: unknown, r: DepartmentStatsRow) => money(r.received) },
            { key: 'outstanding', title: t('未回款', 'Outstanding'), align: 'right' as const, render: (_: unknown, r: DepartmentStatsRow) => money(r.outstanding) },
            { key: 'overdue', title: overdue, align: 'right' as const, render: (_: unknown, r: DepartmentStatsRow) => money(r.overdue) },
            { key: 'lastReceiptDate', title: t('最近回款', 'Last receipt'), render: (_: unknown, r: DepartmentStatsRow) => r.lastReceiptDate || '—' },
          ]}
          summary={() => totalsRow(departments.data?.totals, 1, 'departments-totals')}
        />
      </Card>
    </div>
  );
}
