// The payables (应付款) the user may read: search, filters (supplier, status, due date range) in the
// URL; a new payable in a dialog (supplier searched as typed, the amount as the exact text typed, due
// date, purpose, an optional contract). The same dialog edits one at its version (see PayableDetail).
import { useState } from 'react';
import { Button, Col, DatePicker, Form, Input, Modal, Row, Select, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import dayjs, { type Dayjs } from 'dayjs';
import { Link, useNavigate } from 'react-router';
import { ApiError, call, get, type Page, type Schemas } from '../api/client';
import type { Payable, PayableInput, PayableRow, Supplier, SupplierRow } from '../api/finance';
import { DataList, type Col as ListCol } from '../components/DataList';
import { useCommand } from '../components/commands';
import { UserSelect, useUserName } from '../components/common';
import { ClearFilters, useListParams } from '../components/filters';
import { useLang, useT } from '../i18n';
import { label, payableStatus } from '../labels';
import { cmpMoney, fmtMoney, isMoney } from '../money';
import { useSession } from '../session';
import { today } from './contractCommon';
import { PayableStatusTag, ProblemAlert, payablePath } from './financeCommon';

/** Searches suppliers by name as the user types; `current` is shown while the search has not found it. */
export function SupplierSelect(props: React.ComponentProps<typeof Select> & { current?: { id: string; name: string } }) {
  const t = useT();
  const [q, setQ] = useState('');
  const { current, ...rest } = props;
  const r = useQuery({ queryKey: ['/suppliers', 'pick', q], queryFn: () => get<Page<SupplierRow>>('/suppliers', { q, limit: 20 }) });
  const found = (r.data?.items ?? []).map((c) => ({ id: c.id, name: c.name }));
  if (current && !found.some((c) => c.id === current.id)) found.unshift(current);
  return (
    <Select
      showSearch={{ filterOption: false, onSearch: setQ }}
      allowClear
      placeholder={t('输入名称搜索', 'Type to search')}
      loading={r.isFetching}
      options={found.map((c) => ({ value: c.id, label: c.name }))}
      {...rest}
    />
  );
}

/** The supplier filter: the chosen supplier's name is read once (the URL holds its id). */
function SupplierFilter({ value, onChange }: { value?: string; onChange: (id: string | undefined) => void }) {
  const t = useT();
  const c = useQuery({ queryKey: ['/suppliers', value], queryFn: () => get<Supplier>(`/suppliers/${value}`), enabled: !!value, retry: false });
  return (
    <SupplierSelect
      placeholder={t('供应商', 'Supplier')}
      aria-label={t('按供应商筛选', 'Filter by supplier')}
      value={value}
      current={value && c.data ? { id: value, name: c.data.name } : undefined}
      onChange={(v) => onChange(v as string | undefined)}
      style={{ width: 180 }}
    />
  );
}

/** Searches contracts by number or name as the user types. */
function ContractSelect(props: React.ComponentProps<typeof Select>) {
  const t = useT();
  const [q, setQ] = useState('');
  const r = useQuery({ queryKey: ['/contracts', 'pick', q], queryFn: () => get<Page<Schemas['Contract']>>('/contracts', { q, limit: 20 }) });
  return (
    <Select
      showSearch={{ filterOption: false, onSearch: setQ }}
      allowClear
      placeholder={t('输入合同编号或名称搜索', 'Type a contract number or name')}
      loading={r.isFetching}
      options={(r.data?.items ?? []).map((c) => ({ value: c.id, label: `${c.number} ${c.name}` }))}
      {...props}
    />
  );
}

interface PayableValues {
  supplierId?: string;
  amount?: string;
  dueDate?: Dayjs | null;
  purpose?: string;
  contractId?: string | null;
  ownerId?: string;
  remarks?: string;
}

/** The body of POST /payables: the typed texts trimmed, exactly as typed; empty optional ones left out. */
export function payableBody(v: PayableValues): PayableInput {
  const out: PayableInput = {
    supplierId: v.supplierId ?? '',
    amount: (v.amount ?? '').trim(),
    dueDate: v.dueDate && v.dueDate.isValid() ? v.dueDate.format('YYYY-MM-DD') : '',
    purpose: (v.purpose ?? '').trim(),
  };
  if (v.contractId) out.contractId = v.contractId;
  if (v.ownerId) out.ownerId = v.ownerId;
  const remarks = (v.remarks ?? '').trim();
  if (remarks) out.remarks = remarks;
  return out;
}

/** The body of PATCH /payables/{id}: the changed fields only ("" or null clears an optional one). */
export function payablePatch(v: PayableValues, was: Payable): Record<string, string | null> {
  const now = payableBody(v);
  const out: Record<string, string | null> = {};
  if (now.supplierId !== was.supplierId) out.supplierId = now.supplierId;
  if (cmpMoney(now.amount, was.amount) !== 0 || !isMoney(now.amount)) out.amount = now.amount;
  if (now.dueDate !== was.dueDate) out.dueDate = now.dueDate;
  if (now.purpose !== was.purpose) out.purpose = now.purpose;
  if ((now.contractId ?? null) !== (was.contractId ?? null)) out.contractId = now.contractId ?? null;
  if ((now.ownerId ?? was.ownerId) !== was.ownerId) out.ownerId = now.ownerId ?? null;
  if ((now.remarks ?? '') !== was.remarks) out.remarks = now.remarks ?? '';
  return out;
}

/** Creates a payable, or edits one (`payable`) at its version; then `onDone` with the payable's id. */
export function PayableDialog({ open, payable, onClose, onDone }: { open: boolean; payable?: Payable; onClose: () => void; onDone?: (id: string) => void }) {
  const t = useT();
  const run = useCommand();
  const [form] = Form.useForm<PayableValues>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const initial: PayableValues = payable
    ? { supplierId: payable.supplierId, amount: payable.amount, dueDate: dayjs(payable.dueDate), purpose: payable.purpose, contractId: payable.contractId ?? undefined, ownerId: payable.ownerId, remarks: payable.remarks }
    : { dueDate: today() };
  const submit = async (v: PayableValues) => {
    setBusy(true);
    setError(null);
    try {
      const r = await run(
        () =>
          payable
            ? call<Payable>('PATCH', `/payables/${payable.id}`, { body: payablePatch(v, payable), ifMatch: payable.version })
            : call<Payable>('POST', '/payables', { body: payableBody(v) }),
        { form, success: payable ? t('应付款已保存', 'Payable saved') : t('已新建应付款', 'Payable created'), historyPath: payable ? `/payables/${payable.id}/history` : undefined, reload: onClose },
      );
      if (r !== undefined) {
        onClose();
        const id = payable?.id ?? (r as { data?: Payable }).data?.id;
        if (id) onDone?.(id);
      }
    } catch (e) {
      if (e instanceof ApiError && !(e.problem?.errors ?? []).length) setError(e);
    } finally {
      setBusy(false);
    }
  };
  const amountRule = {
    validator: (_: unknown, v: string | undefined) => {
      const s = (v ?? '').trim();
      if (!s) return Promise.reject(new Error(t('请填写应付金额', 'An amount is required')));
      if (!isMoney(s)) return Promise.reject(new Error(t('金额，最多 2 位小数', 'An amount, at most 2 decimals')));
      if (cmpMoney(s, '0') <= 0) return Promise.reject(new Error(t('金额必须大于 0', 'The amount must be more than 0')));
      return Promise.resolve();
    },
  };
  return (
    <Modal
      open={open}
      title={payable ? t(`编辑应付款 ${payable.number}`, `Edit payable ${payable.number}`) : t('新建应付款', 'New payable')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('保存', 'Save')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy }}
      destroyOnHidden
      width={640}
    >
      <ProblemAlert error={error} />
      <Form form={form} name="payable" layout="vertical" preserve={false} initialValues={initial} onFinish={submit} data-testid="payable-form">
        <Row gutter={12}>
          <Col xs={24}>
            <Form.Item name="supplierId" label={t('供应商', 'Supplier')} rules={[{ required: true, message: t('请选择供应商', 'A supplier is required') }]}>
              <SupplierSelect current={payable ? { id: payable.supplierId, name: payable.supplierName } : undefined} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="amount" label={t('应付金额', 'Amount')} rules={[amountRule]}>
              <Input inputMode="decimal" prefix="¥" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="dueDate" label={t('到期日', 'Due date')} rules={[{ required: true, message: t('请选择到期日', 'A due date is required') }]}>
              <DatePicker style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24}>
            <Form.Item name="purpose" label={t('用途', 'Purpose')} rules={[{ required: true, whitespace: true, message: t('请填写用途', 'A purpose is required') }, { max: 200 }]}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="contractId" label={t('关联合同（可空）', 'Contract (optional)')}>
              <ContractSelect />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="ownerId" label={t('负责人（可空）', 'Owner (optional)')}>
              <UserSelect activeOnly />
            </Form.Item>
          </Col>
          <Col xs={24}>
            <Form.Item name="remarks" label={t('备注', 'Remarks')} rules={[{ max: 1000 }]}>
              <Input.TextArea rows={2} />
            </Form.Item>
          </Col>
        </Row>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

export default function Payables() {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const nav = useNavigate();
  const userName = useUserName();
  const { sp, query, set, clear } = useListParams();
  const [creating, setCreating] = useState(false);
  const sort = sp.get('sort') ?? undefined;
  const record = s.isAdmin || s.can('finance.record');
  const link = { textDecoration: 'underline' };
  const columns: ListCol<PayableRow>[] = [
    { key: 'number', title: t('应付单号', 'Number'), render: (r) => <Link to={payablePath(r.id)} style={link}>{r.number}</Link> },
    { key: 'supplierName', title: t('供应商', 'Supplier') },
    { key: 'purpose', title: t('用途', 'Purpose') },
    { key: 'amount', title: t('应付金额', 'Amount'), sort: 'amount', render: (r) => fmtMoney(r.amount) },
    { key: 'paid', title: t('已付', 'Paid'), render: (r) => fmtMoney(r.paid) },
    { key: 'outstanding', title: t('未付', 'Outstanding'), render: (r) => fmtMoney(r.outstanding) },
    { key: 'dueDate', title: t('到期日', 'Due date'), sort: 'dueDate' },
    { key: 'status', title: t('状态', 'Status'), render: (r) => <PayableStatusTag status={r.status} /> },
    { key: 'ownerId', title: t('负责人', 'Owner'), render: (r) => r.ownerName || userName(r.ownerId) },
    { key: 'pending', title: t('审批中', 'Pending'), hidden: true, render: (r) => fmtMoney(r.pending) },
    { key: 'remarks', title: t('备注', 'Remarks'), hidden: true },
  ];
  const range = [sp.get('dueFrom'), sp.get('dueTo')].map((v) => (v ? dayjs(v) : null)) as [Dayjs | null, Dayjs | null];
  return (
    <div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginBottom: 12 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('应付款', 'Payables')}</Typography.Title>
        <div style={{ flex: 1 }} />
        {record && (
          <Button type="primary" icon={<PlusOutlined />} data-testid="payable-new" onClick={() => setCreating(true)}>
            {t('新建应付款', 'New payable')}
          </Button>
        )}
      </div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 12, alignItems: 'center' }}>
        <Input.Search
          data-search
          allowClear
          key={sp.get('q') ?? ''}
          defaultValue={sp.get('q') ?? ''}
          placeholder={t('搜索单号、供应商、用途…（按 / ）', 'Search number, supplier, purpose… (press /)')}
          aria-label={t('搜索应付款', 'Search payables')}
          onSearch={(v) => set({ q: v.trim() })}
          style={{ width: 260 }}
        />
        <SupplierFilter value={sp.get('supplierId') ?? undefined} onChange={(v) => set({ supplierId: v })} />
        <Select
          allowClear
          placeholder={t('状态', 'Status')}
          aria-label={t('按状态筛选', 'Filter by status')}
          value={sp.get('status') ?? undefined}
          onChange={(v?: string) => set({ status: v })}
          style={{ minWidth: 120 }}
          options={Object.keys(payableStatus).map((v) => ({ value: v, label: label(payableStatus, v, lang) }))}
        />
        <DatePicker.RangePicker
          allowEmpty={[true, true]}
          aria-label={t('按到期日筛选', 'Filter by due date')}
          placeholder={[t('到期日 起', 'Due from'), t('止', 'to')]}
          value={range}
          onChange={(d) => set({ dueFrom: d?.[0]?.format('YYYY-MM-DD'), dueTo: d?.[1]?.format('YYYY-MM-DD') })}
        />
        <UserSelect placeholder={t('负责人', 'Owner')} aria-label={t('按负责人筛选', 'Filter by owner')} value={sp.get('ownerId') ?? undefined} onChange={(v) => set({ ownerId: v as string | undefined })} style={{ minWidth: 140 }} />
        <ClearFilters sp={sp} clear={() => clear()} />
      </div>
      <DataList<PayableRow>
        id="payables"
        path="/payables"
        query={query}
        columns={columns}
        sort={sort}
        onSortChange={(v) => set({ sort: v })}
        title={(r) => `${r.number} ${r.supplierName}`}
        onOpen={(r) => nav(payablePath(r.id))}
      />
      {creating && <PayableDialog open onClose={() => setCreating(false)} onDone={(id) => nav(payablePath(id))} />}
    </div>
  );
}
