// The receipts (回款单) of every contract the user may read: search, filters (status, date range,
// customer, owner) and sort in the URL, CSV/XLSX export of the filtered list; a row opens its
// contract's receivables tab.
import { DatePicker, Input, Select, Typography } from 'antd';
import dayjs from 'dayjs';
import { Link, useNavigate } from 'react-router';
import type { ReceiptRow } from '../api/finance';
import { DataList, type Col } from '../components/DataList';
import { UserSelect, useUserName } from '../components/common';
import { useDictLabel } from '../components/dict';
import { ClearFilters, useListParams } from '../components/filters';
import { useLang, useT } from '../i18n';
import { label, receiptStatus } from '../labels';
import { fmtMoney } from '../money';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { CustomerFilter } from './CustomerSelect';
import { ExportButton, ReceiptStatusTag, receivablesPath } from './financeCommon';

export default function Receipts() {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const nav = useNavigate();
  const userName = useUserName();
  const dictLabel = useDictLabel();
  const { sp, query, set, clear } = useListParams();
  const sort = sp.get('sort') ?? undefined;
  const can = (p: string) => s.isAdmin || s.can(p);
  const link = { textDecoration: 'underline' };
  const columns: Col<ReceiptRow>[] = [
    { key: 'number', title: t('回款单号', 'Number'), render: (r) => <Link to={receivablesPath(r.contractId)} style={link}>{r.number}</Link> },
    { key: 'date', title: t('回款日期', 'Date'), sort: 'date' },
    { key: 'amount', title: t('金额', 'Amount'), sort: 'amount', render: (r) => fmtMoney(r.amount) },
    { key: 'status', title: t('状态', 'Status'), render: (r) => <ReceiptStatusTag status={r.status} /> },
    { key: 'customerName', title: t('客户', 'Customer'), render: (r) => <Link to={`/customers/${r.customerId}`} style={link}>{r.customerName}</Link> },
    { key: 'contractNumber', title: t('合同', 'Contract'), render: (r) => <Link to={receivablesPath(r.contractId)} style={link}>{`${r.contractNumber} ${r.contractName}`}</Link> },
    { key: 'method', title: t('付款方式', 'Method'), render: (r) => dictLabel('payment_method', r.method) },
    { key: 'ownerId', title: t('负责人', 'Owner'), render: (r) => userName(r.ownerId) },
    { key: 'contractOwnerName', title: t('合同负责人', 'Contract owner'), hidden: true },
    { key: 'payerAccount', title: t('付款账户', 'Payer account'), hidden: true },
    { key: 'createdAt', title: t('登记时间', 'Recorded'), sort: 'createdAt', hidden: true, render: (r) => fmtTime(r.createdAt) },
  ];
  const range = [sp.get('dateFrom'), sp.get('dateTo')].map((v) => (v ? dayjs(v) : null)) as [dayjs.Dayjs | null, dayjs.Dayjs | null];
  return (
    <div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginBottom: 12 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('回款单', 'Receipts')}</Typography.Title>
        <div style={{ flex: 1 }} />
        {can('finance.export') && <ExportButton collection="receipts" query={query} testId="receipt-export" />}
      </div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 12, alignItems: 'center' }}>
        <Input.Search
          data-search
          allowClear
          key={sp.get('q') ?? ''}
          defaultValue={sp.get('q') ?? ''}
          placeholder={t('搜索回款单号、合同、客户…（按 / ）', 'Search number, contract, customer… (press /)')}
          aria-label={t('搜索回款单', 'Search receipts')}
          onSearch={(v) => set({ q: v.trim() })}
          style={{ width: 260 }}
        />
        <Select
          allowClear
          placeholder={t('状态', 'Status')}
          aria-label={t('按状态筛选', 'Filter by status')}
          value={sp.get('status') ?? undefined}
          onChange={(v?: string) => set({ status: v })}
          style={{ minWidth: 120 }}
          options={Object.keys(receiptStatus).map((v) => ({ value: v, label: label(receiptStatus, v, lang) }))}
        />
        <DatePicker.RangePicker
          allowEmpty={[true, true]}
          aria-label={t('按回款日期筛选', 'Filter by date')}
          placeholder={[t('回款日期 起', 'Date from'), t('止', 'to')]}
          value={range}
          onChange={(d) => set({ dateFrom: d?.[0]?.format('YYYY-MM-DD'), dateTo: d?.[1]?.format('YYYY-MM-DD') })}
        />
        <CustomerFilter value={sp.get('customerId') ?? undefined} onChange={(v) => set({ customerId: v })} />
        <UserSelect placeholder={t('负责人', 'Owner')} aria-label={t('按负责人筛选', 'Filter by owner')} value={sp.get('ownerId') ?? undefined} onChange={(v) => set({ ownerId: v as string | undefined })} style={{ minWidth: 140 }} />
        <ClearFilters sp={sp} clear={() => clear()} />
      </div>
      <DataList<ReceiptRow>
        id="receipts"
        path="/receipts"
        query={query}
        columns={columns}
        sort={sort}
        onSortChange={(v) => set({ sort: v })}
        title={(r) => `${r.number} ${r.customerName}`}
        onOpen={(r) => nav(receivablesPath(r.contractId))}
      />
    </div>
  );
}
