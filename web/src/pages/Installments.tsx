// The installments (期次) of every contract the user may read, overdue ones by default (逾期回款):
// status, due date range, customer and owner in the URL; CSV/XLSX export of the filtered list; a row
// opens its contract's receivables tab. The dashboard's drill-downs land here (an ageing bucket is a
// due date range of the open installments).
import { DatePicker, Select, Typography } from 'antd';
import dayjs from 'dayjs';
import { Link, useNavigate } from 'react-router';
import type { Query } from '../api/client';
import type { InstallmentRow } from '../api/finance';
import { DataList, type Col } from '../components/DataList';
import { UserSelect } from '../components/common';
import { ClearFilters, useListParams } from '../components/filters';
import { useT } from '../i18n';
import { fmtMoney } from '../money';
import { useSession } from '../session';
import { userZone } from '../util';
import { CustomerFilter } from './CustomerSelect';
import { ExportButton, InstallmentStatusTag, receivablesPath } from './financeCommon';

/** The list's query: the URL's filters; no status is "overdue", status=all is every installment. */
export function installmentQuery(q: Query): Query {
  const status = q.status ?? 'overdue';
  return { ...q, status: status === 'all' ? undefined : status };
}

/** Whole days from a date to today (the user's zone). */
const daysSince = (d: string) => dayjs(dayjs().tz(userZone()).format('YYYY-MM-DD')).diff(dayjs(d), 'day');

export default function Installments() {
  const t = useT();
  const s = useSession();
  const nav = useNavigate();
  const { sp, query, set, clear } = useListParams();
  const can = (p: string) => s.isAdmin || s.can(p);
  const status = sp.get('status') ?? 'overdue';
  const q = installmentQuery(query);
  const link = { textDecoration: 'underline' };
  const columns: Col<InstallmentRow>[] = [
    { key: 'contractNumber', title: t('合同', 'Contract'), render: (r) => <Link to={receivablesPath(r.contractId)} style={link}>{`${r.contractNumber} ${r.contractName}`}</Link> },
    { key: 'customerName', title: t('客户', 'Customer'), render: (r) => <Link to={`/customers/${r.customerId}`} style={link}>{r.customerName}</Link> },
    { key: 'seq', title: t('期次', 'No.'), render: (r) => t(`第 ${r.seq} 期`, `#${r.seq}`) },
    { key: 'dueDate', title: t('到期日', 'Due date') },
    { key: 'amount', title: t('金额', 'Amount'), render: (r) => fmtMoney(r.amount) },
    { key: 'received', title: t('已回款', 'Received'), render: (r) => fmtMoney(r.received) },
    { key: 'outstanding', title: t('未回款', 'Outstanding'), render: (r) => <span style={{ color: r.status === 'overdue' ? '#c4302b' : undefined }}>{fmtMoney(r.outstanding)}</span> },
    { key: 'status', title: t('状态', 'Status'), render: (r) => <InstallmentStatusTag status={r.status} /> },
    { key: 'overdueDays', title: t('逾期天数', 'Days overdue'), render: (r) => (r.overdueSince ? String(Math.max(0, daysSince(r.dueDate))) : '') },
    { key: 'ownerName', title: t('负责人', 'Owner') },
  ];
  const range = [sp.get('dueFrom'), sp.get('dueTo')].map((v) => (v ? dayjs(v) : null)) as [dayjs.Dayjs | null, dayjs.Dayjs | null];
  const statuses: [string, string, string][] = [
    ['overdue', '逾期', 'Overdue'],
    ['open', '未回清', 'Open'],
    ['planned', '未到期', 'Planned'],
    ['partly_received', '部分回款', 'Partly received'],
    ['received', '已回款', 'Received'],
    ['all', '全部', 'All'],
  ];
  return (
    <div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginBottom: 12 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{status === 'overdue' ? t('逾期回款', 'Overdue installments') : t('回款期次', 'Installments')}</Typography.Title>
        <div style={{ flex: 1 }} />
        {can('finance.export') && <ExportButton collection="installments" query={q} testId="installment-export" />}
      </div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 12, alignItems: 'center' }}>
        <Select
          aria-label={t('按状态筛选', 'Filter by status')}
          value={status}
          onChange={(v: string) => set({ status: v === 'overdue' ? undefined : v })}
          style={{ minWidth: 120 }}
          options={statuses.map(([v, zh, en]) => ({ value: v, label: t(zh, en) }))}
        />
        <DatePicker.RangePicker
          allowEmpty={[true, true]}
          aria-label={t('按到期日筛选', 'Filter by due date')}
          placeholder={[t('到期日 起', 'Due from'), t('止', 'to')]}
          value={range}
          onChange={(d) => set({ dueFrom: d?.[0]?.format('YYYY-MM-DD'), dueTo: d?.[1]?.format('YYYY-MM-DD') })}
        />
        <CustomerFilter value={sp.get('customerId') ?? undefined} onChange={(v) => set({ customerId: v })} />
        <UserSelect placeholder={t('负责人', 'Owner')} aria-label={t('按负责人筛选', 'Filter by owner')} value={sp.get('ownerId') ?? undefined} onChange={(v) => set({ ownerId: v as string | undefined })} style={{ minWidth: 140 }} />
        <ClearFilters sp={sp} clear={() => clear()} />
      </div>
      <DataList<InstallmentRow>
        id="installments"
        path="/installments"
        query={q}
        columns={columns}
        rowKey={(r) => `${r.contractId}:${r.seq}`}
        title={(r) => `${r.contractNumber} ${t(`第 ${r.seq} 期`, `#${r.seq}`)} ${r.customerName}`}
        onOpen={(r) => nav(receivablesPath(r.contractId))}
      />
    </div>
  );
}
