// The suppliers (供应商) payables are owed to: search, create and edit in a dialog (field errors of a
// 422 land on their fields, a duplicate name's 409 on the name), delete after asking (a supplier with
// open payables is refused: supplier_in_use). Edits and deletes are sent at the supplier's version,
// read fresh when the dialog opens.
import { useState } from 'react';
import { Alert, App, Button, Col, Form, Input, Modal, Row, Space, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { ApiError, call, get } from '../api/client';
import type { Supplier, SupplierRow } from '../api/finance';
import { DataList, type Col as ListCol } from '../components/DataList';
import { useCommand } from '../components/commands';
import { ClearFilters, useListParams } from '../components/filters';
import { useT } from '../i18n';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { ProblemAlert, useFinanceProblem } from './financeCommon';

const fields = ['name', 'contact', 'phone', 'bank', 'account', 'remarks'] as const;
type SupplierValues = Partial<Record<(typeof fields)[number], string>>;

/** The body of a supplier's create (every field, trimmed) or edit (only the changed fields). */
export function supplierBody(v: SupplierValues, was?: Supplier): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const now = (v[f] ?? '').trim();
    if (was ? now !== (was[f] ?? '') : now) out[f] = now;
  }
  return out;
}

/** Creates a supplier (no id) or edits one (read first for its fields and version). */
export function SupplierDialog({ id, open, onClose }: { id?: string; open: boolean; onClose: () => void }) {
  const t = useT();
  const run = useCommand();
  const say = useFinanceProblem();
  const [form] = Form.useForm<SupplierValues>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const q = useQuery({ queryKey: ['/suppliers', id], queryFn: () => get<Supplier>(`/suppliers/${id}`), enabled: !!id && open });
  const was = q.data;
  const submit = async (v: SupplierValues) => {
    setBusy(true);
    setError(null);
    try {
      const body = supplierBody(v, was);
      const r = await run(() => (was ? call('PATCH', `/suppliers/${was.id}`, { body, ifMatch: was.version }) : call('POST', '/suppliers', { body })), {
        form,
        success: was ? t('供应商已保存', 'Supplier saved') : t('已新建供应商', 'Supplier created'),
        historyPath: undefined,
        reload: onClose,
      });
      if (r !== undefined) onClose();
    } catch (e) {
      if (e instanceof ApiError) {
        if (e.status === 409 && e.code === 'duplicate_supplier') form.setFields([{ name: 'name', errors: [say(e).title] }]);
        else if (!(e.problem?.errors ?? []).length) setError(e);
      }
    } finally {
      setBusy(false);
    }
  };
  const label: Record<(typeof fields)[number], string> = {
    name: t('名称', 'Name'),
    contact: t('联系人', 'Contact'),
    phone: t('电话', 'Phone'),
    bank: t('开户行', 'Bank'),
    account: t('银行账号', 'Account'),
    remarks: t('备注', 'Remarks'),
  };
  const ready = !id || !!was;
  return (
    <Modal
      open={open}
      title={id ? t(`编辑供应商 ${was?.name ?? ''}`, `Edit supplier ${was?.name ?? ''}`) : t('新建供应商', 'New supplier')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('保存', 'Save')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy, disabled: !ready }}
      destroyOnHidden
      width={640}
    >
      <ProblemAlert error={error} />
      {ready && (
        <Form form={form} name="supplier" layout="vertical" preserve={false} initialValues={was ?? {}} onFinish={submit} data-testid="supplier-form">
          <Row gutter={12}>
            {fields.map((f) => (
              <Col key={f} xs={24} sm={f === 'remarks' || f === 'name' ? 24 : 12}>
                <Form.Item
                  name={f}
                  label={label[f]}
                  rules={f === 'name' ? [{ required: true, whitespace: true, message: t('请填写名称', 'A name is required') }, { max: 200 }] : [{ max: f === 'remarks' ? 1000 : 200 }]}
                >
                  {f === 'remarks' ? <Input.TextArea rows={2} /> : <Input autoFocus={f === 'name'} />}
                </Form.Item>
              </Col>
            ))}
          </Row>
          <button type="submit" hidden />
        </Form>
      )}
    </Modal>
  );
}

export default function Suppliers() {
  const t = useT();
  const s = useSession();
  const run = useCommand();
  const say = useFinanceProblem();
  const { modal } = App.useApp();
  const { sp, query, set, clear } = useListParams();
  const [dialog, setDialog] = useState<null | { id?: string }>(null);
  const [refused, setRefused] = useState<ApiError | null>(null);
  const record = s.isAdmin || s.can('finance.record');
  const remove = (r: SupplierRow) =>
    modal.confirm({
      title: t(`删除供应商 ${r.name}`, `Delete supplier ${r.name}`),
      content: t('删除后不可恢复；还有未付清应付款的供应商不能删除。', 'It is removed; a supplier with open payables cannot be.'),
      okText: t('删除', 'Delete'),
      cancelText: t('取消', 'Cancel'),
      okButtonProps: { danger: true, ...({ 'data-testid': 'supplier-delete-ok' } as Record<string, string>) },
      onOk: async () => {
        setRefused(null);
        try {
          const cur = await get<Supplier>(`/suppliers/${r.id}`);
          await run(() => call('DELETE', `/suppliers/${r.id}`, { ifMatch: cur.version }), { success: t('已删除', 'Deleted') });
        } catch (e) {
          if (e instanceof ApiError && e.status !== 412) setRefused(e);
        }
      },
    });
  const columns: ListCol<SupplierRow>[] = [
    { key: 'name', title: t('名称', 'Name') },
    { key: 'contact', title: t('联系人', 'Contact') },
    { key: 'phone', title: t('电话', 'Phone') },
    { key: 'bank', title: t('开户行', 'Bank') },
    { key: 'account', title: t('银行账号', 'Account') },
    { key: 'remarks', title: t('备注', 'Remarks'), hidden: true },
    { key: 'updatedAt', title: t('更新时间', 'Updated'), hidden: true, render: (r) => fmtTime(r.updatedAt) },
  ];
  const problem = refused ? say(refused) : null;
  return (
    <div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginBottom: 12 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('供应商', 'Suppliers')}</Typography.Title>
        <div style={{ flex: 1 }} />
        {record && (
          <Button type="primary" icon={<PlusOutlined />} data-testid="supplier-new" onClick={() => setDialog({})}>
            {t('新建供应商', 'New supplier')}
          </Button>
        )}
      </div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 12, alignItems: 'center' }}>
        <Input.Search
          data-search
          allowClear
          key={sp.get('q') ?? ''}
          defaultValue={sp.get('q') ?? ''}
          placeholder={t('搜索名称、联系人…（按 / ）', 'Search name, contact… (press /)')}
          aria-label={t('搜索供应商', 'Search suppliers')}
          onSearch={(v) => set({ q: v.trim() })}
          style={{ width: 260 }}
        />
        <ClearFilters sp={sp} clear={() => clear()} />
      </div>
      {problem && <Alert type="error" showIcon closable onClose={() => setRefused(null)} style={{ marginBottom: 12 }} data-testid="finance-problem" title={problem.title} description={problem.detail} />}
      <DataList<SupplierRow>
        id="suppliers"
        path="/suppliers"
        query={query}
        columns={columns}
        title={(r) => r.name}
        onOpen={record ? (r) => setDialog({ id: r.id }) : undefined}
        actions={
          record
            ? (r) => (
                <Space size={4}>
                  <Button size="small" data-testid={`supplier-edit-${r.name}`} onClick={() => setDialog({ id: r.id })}>{t('编辑', 'Edit')}</Button>
                  <Button size="small" danger data-testid={`supplier-delete-${r.name}`} onClick={() => remove(r)}>{t('删除', 'Delete')}</Button>
                </Space>
              )
            : undefined
        }
      />
      {dialog && <SupplierDialog id={dialog.id} open onClose={() => setDialog(null)} />}
    </div>
  );
}
