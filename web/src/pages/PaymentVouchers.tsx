// The payment vouchers (付款单) of every payable the user may read: search, filters (status, date
// range, supplier) in the URL; a row opens its payable.
import { DatePicker, Input, Select, Typography } from 'antd';
import dayjs from 'dayjs';
import { Link, useNavigate } from 'react-router';
import type { PaymentVoucherRow } from '../api/finance';
import { DataList, type Col } from '../components/DataList';
import { useDictLabel } from '../components/dict';
import { ClearFilters, useListParams } from '../components/filters';
import { useLang, useT } from '../i18n';
import { label, receiptStatus } from '../labels';
import { fmtMoney } from '../money';
import { fmtTime } from '../util';
import { VoucherStatusTag, payablePath } from './financeCommon';

export default function PaymentVouchers() {
  const t = useT();
  const { lang } = useLang();
  const nav = useNavigate();
  const dictLabel = useDictLabel();
  const { sp, query, set, clear } = useListParams();
  const sort = sp.get('sort') ?? undefined;
  const link = { textDecoration: 'underline' };
  const columns: Col<PaymentVoucherRow>[] = [
    { key: 'number', title: t('付款单号', 'Number'), render: (r) => <Link to={payablePath(r.payableId)} style={link}>{r.number}</Link> },
    { key: 'date', title: t('付款日期', 'Date'), sort: 'date' },
    { key: 'amount', title: t('金额', 'Amount'), sort: 'amount', render: (r) => fmtMoney(r.amount) },
    { key: 'status', title: t('状态', 'Status'), render: (r) => <VoucherStatusTag status={r.status} /> },
    { key: 'supplierName', title: t('供应商', 'Supplier') },
    { key: 'payableNumber', title: t('应付款', 'Payable'), render: (r) => <Link to={payablePath(r.payableId)} style={link} data-testid="voucher-payable-link">{`${r.payableNumber} ${r.purpose}`}</Link> },
    { key: 'method', title: t('付款方式', 'Method'), render: (r) => dictLabel('payment_method', r.method) },
    { key: 'ownerName', title: t('负责人', 'Owner') },
    { key: 'payeeAccount', title: t('收款账户', 'Payee account'), hidden: true },
    { key: 'createdAt', title: t('登记时间', 'Recorded'), sort: 'createdAt', hidden: true, render: (r) => fmtTime(r.createdAt) },
  ];
  const range = [sp.get('dateFrom'), sp.get('dateTo')].map((v) => (v ? dayjs(v) : null)) as [dayjs.Dayjs | null, dayjs.Dayjs | null];
  return (
    <div>
      <Typography.Title level={1} style={{ fontSize: 20, marginTop: 0 }}>{t('付款单', 'Payment vouchers')}</Typography.Title>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 12, alignItems: 'center' }}>
        <Input.Search
          data-search
          allowClear
          key={sp.get('q') ?? ''}
          defaultValue={sp.get('q') ?? ''}
          placeholder={t('搜索付款单号、供应商…（按 / ）', 'Search number, supplier… (press /)')}
          aria-label={t('搜索付款单', 'Search payment vouchers')}
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
          aria-label={t('按付款日期筛选', 'Filter by date')}
          placeholder={[t('付款日期 起', 'Date from'), t('止', 'to')]}
          value={range}
          onChange={(d) => set({ dateFrom: d?.[0]?.format('YYYY-MM-DD'), dateTo: d?.[1]?.format('YYYY-MM-DD') })}
        />
        <ClearFilters sp={sp} clear={() => clear()} />
      </div>
      <DataList<PaymentVoucherRow>
        id="payment-vouchers"
        path="/payment-vouchers"
        query={query}
        columns={columns}
        sort={sort}
        onSortChange={(v) => set({ sort: v })}
        title={(r) => `${r.number} ${r.supplierName}`}
        onOpen={(r) => nav(payablePath(r.payableId))}
      />
    </div>
  );
}
