// The contract form: a new contract (by hand or from a won opportunity), the edit of a draft
// (PATCH of the changed fields at its version) and the amendment of an approved or executing one
// (POST …/amend {changes, reason}: the changed fields go through approval again).
import { useEffect, useState } from 'react';
import { Col, DatePicker, Divider, Form, Input, Modal, Row, Select, Typography, type FormInstance } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import dayjs, { type Dayjs } from 'dayjs';
import { ApiError, call, get, type Page, type Schemas } from '../api/client';
import { fieldPath, useCommand } from '../components/commands';
import { UserSelect } from '../components/common';
import { DictSelect } from '../components/dict';
import { useT } from '../i18n';
import { isMoney, linesSum } from '../money';
import { CustomerSelect } from './CustomerSelect';
import { formLines, LineEditor, linesBody, linesValue, type LineValue } from './OpportunityLines';
import type { Opportunity } from './opportunityCommon';
import { numberPreview, today } from './contractCommon';
import type { Contract, ContractChanges, ContractInput, ContractNumbering } from './contractTypes';

interface Values {
  number?: string;
  name: string;
  customerId?: string;
  opportunityId?: string;
  type?: string;
  signedOn?: Dayjs | null;
  startsOn?: Dayjs | null;
  endsOn?: Dayjs | null;
  amount?: string;
  lines?: LineValue[];
  customerSignatoryId?: string;
  ourSignatoryId?: string;
  paymentTerms?: string;
  remarks?: string;
  ownerId?: string;
  reason?: string;
}

type Ref = { id: string; name: string };

const dateText = (d: Dayjs | null | undefined) => (d && d.isValid() ? d.format('YYYY-MM-DD') : '');
const dateValue = (s: string | null | undefined) => (s ? dayjs(s) : null);

/** Won opportunities to make a contract from, searched by name (of the chosen customer when there is one). */
function OpportunitySelect({ customerId, current, enabled, ...rest }: React.ComponentProps<typeof Select> & { customerId?: string; current?: Ref; enabled: boolean }) {
  const t = useT();
  const [q, setQ] = useState('');
  const r = useQuery({
    queryKey: ['/opportunities', 'pick', 'won', q, customerId],
    queryFn: () => get<Page<Opportunity>>('/opportunities', { status: 'won', q, customerId, limit: 20 }),
    enabled,
  });
  const found: Ref[] = (r.data?.items ?? []).map((o) => ({ id: o.id, name: `${o.name} · ${o.customerName}` }));
  if (current && !found.some((o) => o.id === current.id)) found.unshift(current);
  return (
    <Select
      showSearch={{ filterOption: false, onSearch: setQ }}
      allowClear
      placeholder={t('输入名称搜索赢单商机', 'Search won opportunities')}
      loading={r.isFetching}
      options={found.map((o) => ({ value: o.id, label: o.name }))}
      {...rest}
    />
  );
}

/** The contacts of a customer (the customer's signatory is one of them). */
function ContactSelect({ customerId, ...rest }: React.ComponentProps<typeof Select> & { customerId?: string }) {
  const t = useT();
  const r = useQuery({
    queryKey: ['/contacts', customerId],
    queryFn: () => get<Page<Schemas['Contact']>>('/contacts', { customerId, limit: 200 }),
    enabled: !!customerId,
  });
  return (
    <Select
      allowClear
      showSearch={{ optionFilterProp: 'label' }}
      disabled={!customerId}
      placeholder={customerId ? undefined : t('先选择客户', 'Choose the customer first')}
      loading={r.isFetching}
      options={(r.data?.items ?? []).map((c) => ({ value: c.id, label: c.title ? `${c.name}（${c.title}）` : c.name }))}
      {...rest}
    />
  );
}

/** The pattern new numbers follow, for the hint under the number (nothing when it cannot be read). */
function useNumbering(enabled: boolean) {
  return useQuery({ queryKey: ['/contract-numbering'], queryFn: () => get<ContractNumbering>('/contract-numbering'), enabled, retry: false, staleTime: 60_000 });
}

/** The form's fields as the contract holds them. */
function valuesOf(c: Contract): Values {
  return {
    number: c.number,
    name: c.name,
    customerId: c.customerId,
    opportunityId: c.opportunityId ?? undefined,
    type: c.type || undefined,
    signedOn: dateValue(c.signedOn),
    startsOn: dateValue(c.startsOn),
    endsOn: dateValue(c.endsOn),
    amount: c.amount,
    lines: linesValue(c.lines),
    customerSignatoryId: c.customerSignatoryId ?? undefined,
    ourSignatoryId: c.ourSignatoryId ?? undefined,
    paymentTerms: c.paymentTerms ?? '',
    remarks: c.remarks ?? '',
    ownerId: c.ownerId ?? undefined,
  };
}

/** The fields the form edits, as PATCH and amendments take them: an emptied date, type or
 * signatory is sent as "" (the number and the owner are set when a contract is drafted). */
function changesOf(v: Values, lines: LineValue[]): ContractChanges {
  const out: ContractChanges = {
    name: (v.name ?? '').trim(),
    customerId: v.customerId,
    type: v.type ?? '',
    signedOn: dateText(v.signedOn),
    startsOn: dateText(v.startsOn),
    endsOn: dateText(v.endsOn),
    customerSignatoryId: v.customerSignatoryId || '',
    ourSignatoryId: v.ourSignatoryId || '',
    paymentTerms: (v.paymentTerms ?? '').trim(),
    remarks: (v.remarks ?? '').trim(),
    lines: linesBody(lines),
  };
  if (!lines.length) out.amount = (v.amount ?? '').trim();
  return out;
}

export function ContractForm({
  open,
  contract,
  amend,
  opportunityId,
  customer,
  onClose,
  onSaved,
}: {
  open: boolean;
  /** the contract to edit (a draft) or amend (approved or executing) */
  contract?: Contract | null;
  /** propose the changes as an amendment with a reason */
  amend?: boolean;
  /** start from this (won) opportunity: its customer, name and lines */
  opportunityId?: string;
  /** a customer to start with */
  customer?: Ref;
  onClose: () => void;
  /** called instead of onClose once saved (to go to the contract) */
  onSaved?: (id: string) => void;
}) {
  const t = useT();
  const run = useCommand();
  const qc = useQueryClient();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const [picked, setPicked] = useState<{ customer?: Ref; opportunity?: Ref }>({});
  const editing = !!contract;
  const customerId = Form.useWatch('customerId', form) as string | undefined;
  const chosenOpportunity = Form.useWatch('opportunityId', form) as string | undefined;
  const lines = (Form.useWatch('lines', form) ?? []) as LineValue[];
  const hasLines = lines.length > 0;
  const sum = linesSum(lines);
  const numbering = useNumbering(open && !editing);
  const preview = numbering.data ? numberPreview(numbering.data.pattern, today()) : null;
  const fromOpp = useQuery({
    queryKey: ['/opportunities', opportunityId],
    queryFn: () => get<Opportunity>(`/opportunities/${opportunityId}`),
    enabled: open && !editing && !!opportunityId,
  });

  /** Takes the opportunity's customer, its lines (or its won amount) and, when none was typed, its name. */
  const prefill = (o: Opportunity) => {
    const ls = linesValue(o.lines);
    form.setFieldsValue({
      opportunityId: o.id,
      customerId: o.customerId,
      lines: ls,
      ...(ls.length ? {} : { amount: o.wonAmount || o.amount }),
      ...((form.getFieldValue('name') ?? '').trim() ? {} : { name: o.name }),
    });
    if (o.customerId !== form.getFieldValue('customerId')) form.setFieldsValue({ customerSignatoryId: undefined });
    setPicked({ customer: { id: o.customerId, name: o.customerName }, opportunity: { id: o.id, name: `${o.name} · ${o.customerName}` } });
  };

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setPicked({});
    if (contract) form.setFieldsValue(valuesOf(contract));
    else if (customer) form.setFieldsValue({ customerId: customer.id });
  }, [open, contract, customer, form]);

  useEffect(() => {
    if (open && !editing && fromOpp.data) prefill(fromOpp.data);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, editing, fromOpp.data]);

  // With lines the amount is their exact sum, shown as it changes.
  useEffect(() => {
    if (open && hasLines) form.setFieldValue('amount', sum);
  }, [open, hasLines, sum, form]);

  const pickOpportunity = async (id: string | undefined) => {
    if (!id) return;
    try {
      prefill(await qc.fetchQuery({ queryKey: ['/opportunities', id], queryFn: () => get<Opportunity>(`/opportunities/${id}`) }));
    } catch {
      /* the select keeps the choice; the server checks it */
    }
  };

  /** Puts a refusal's field errors on the fields (an amendment's are named changes.<field>) and a
   * duplicate number on the number. */
  const place = (e: unknown) => {
    if (!(e instanceof ApiError)) return;
    if (e.code === 'duplicate_number') form.setFields([{ name: 'number', errors: [t('编号已被其他合同使用', 'Another contract has this number')] }]);
    const fe = (e.problem?.errors ?? []).filter((f) => f.field.startsWith('changes.'));
    if (fe.length) (form as FormInstance).setFields(fe.map((f) => ({ name: fieldPath(f.field.slice('changes.'.length)), errors: [f.message] })));
  };

  const save = async (v: Values) => {
    const ls = formLines(form);
    setBusy(true);
    try {
      if (contract) {
        const now = changesOf(v, ls);
        const was = changesOf(valuesOf(contract), linesValue(contract.lines));
        const changed: ContractChanges = {};
        for (const k of Object.keys(now) as (keyof ContractChanges)[])
          if (JSON.stringify(now[k] ?? '') !== JSON.stringify(was[k] ?? '')) (changed as Record<string, unknown>)[k] = now[k] ?? '';
        if (changed.amount === '') delete changed.amount;
        if (Object.keys(changed).length === 0) {
          onClose();
          return;
        }
        const history = `/contracts/${contract.id}/history`;
        const r = amend
          ? await run(() => call('POST', `/contracts/${contract.id}/amend`, { body: { changes: changed, reason: (v.reason ?? '').trim() }, ifMatch: contract.version }), {
              form,
              success: t('变更已提交审批', 'The amendment went for approval'),
              historyPath: history,
              reload: onClose,
            })
          : await run(() => call('PATCH', `/contracts/${contract.id}`, { body: changed, ifMatch: contract.version }), {
              form,
              success: t('已保存', 'Saved'),
              historyPath: history,
              reload: onClose,
            });
        if (r !== undefined) {
          if (onSaved) onSaved(contract.id);
          else onClose();
        }
      } else {
        const body: ContractInput = { name: v.name.trim(), customerId: v.customerId ?? '' };
        if ((v.number ?? '').trim()) body.number = v.number!.trim();
        if (v.opportunityId) body.opportunityId = v.opportunityId;
        if (v.type) body.type = v.type;
        for (const k of ['signedOn', 'startsOn', 'endsOn'] as const) if (dateText(v[k])) body[k] = dateText(v[k]);
        if (ls.length) body.lines = linesBody(ls);
        else if ((v.amount ?? '').trim()) body.amount = v.amount!.trim();
        if (v.customerSignatoryId) body.customerSignatoryId = v.customerSignatoryId;
        if (v.ourSignatoryId) body.ourSignatoryId = v.ourSignatoryId;
        for (const k of ['paymentTerms', 'remarks'] as const) if ((v[k] ?? '').trim()) body[k] = v[k]!.trim();
        if (v.ownerId) body.ownerId = v.ownerId;
        const r = await run(() => call<Schemas['CommandAck'] | Contract>('POST', '/contracts', { body }), { form, success: t('合同已创建', 'Contract created') });
        if (r) {
          if (onSaved) onSaved(r.data.id);
          else onClose();
        }
      }
    } catch (e) {
      place(e);
    } finally {
      setBusy(false);
    }
  };

  const money = { validator: (_: unknown, val?: string) => (!val || !val.trim() || isMoney(val) ? Promise.resolve() : Promise.reject(new Error(t('金额最多 2 位小数', 'An amount with at most 2 decimals')))) };
  const numberHint = preview?.number
    ? t(`留空则按规则 ${numbering.data!.pattern} 自动生成，如 ${preview.number}`, `Empty: generated by the pattern ${numbering.data!.pattern}, e.g. ${preview.number}`)
    : t('留空则自动生成', 'Empty: generated');
  const oppRef: Ref | undefined = picked.opportunity ?? (contract?.opportunityId ? { id: contract.opportunityId, name: contract.opportunityName } : undefined);
  const custRef: Ref | undefined = picked.customer ?? (contract ? { id: contract.customerId, name: contract.customerName } : customer);
  const title = amend ? t(`变更合同 ${contract?.number ?? ''}`, `Amend contract ${contract?.number ?? ''}`) : editing ? t('编辑合同', 'Edit contract') : t('新建合同', 'New contract');
  return (
    <Modal
      open={open}
      title={title}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={amend ? t('提交变更审批', 'Submit the amendment') : t('保存', 'Save')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy }}
      width={960}
      destroyOnHidden
      forceRender
    >
      {amend && (
        <Typography.Paragraph type="secondary">
          {t('变更经审批通过后生效；驳回或撤回则作废。', 'The changes apply once approved; a rejection or a withdrawal drops them.')}
        </Typography.Paragraph>
      )}
      <Form form={form} name={amend ? 'contractAmend' : editing ? 'contractEdit' : 'contractNew'} layout="vertical" onFinish={save} data-testid="contract-form">
        <Row gutter={12}>
          {!amend && (
            <Col xs={24} sm={8}>
              <Form.Item name="number" label={t('合同编号', 'Number')} extra={editing ? undefined : numberHint} rules={[{ max: 50 }]}>
                <Input placeholder={editing ? undefined : preview?.number} disabled={editing} />
              </Form.Item>
            </Col>
          )}
          <Col xs={24} sm={amend ? 12 : 16}>
            <Form.Item name="name" label={t('合同名称', 'Contract name')} rules={[{ required: true, whitespace: true, message: t('请输入合同名称', 'A name is required') }, { max: 200 }]}>
              <Input autoFocus />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="opportunityId" label={t('商机（可空）', 'Opportunity (optional)')} extra={editing ? t('创建后不能更改', 'Fixed once created') : t('选择赢单商机将带入其客户和产品明细', 'A won opportunity brings its customer and lines')}>
              <OpportunitySelect enabled={open && !editing} disabled={editing} current={oppRef} customerId={chosenOpportunity ? undefined : customerId} onChange={(id) => void pickOpportunity(id as string | undefined)} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item
              name="customerId"
              label={t('客户', 'Customer')}
              extra={chosenOpportunity ? t('取自商机', "The opportunity's") : undefined}
              rules={[{ required: true, message: t('请选择客户', 'Choose a customer') }]}
            >
              <CustomerSelect current={custRef} disabled={!!chosenOpportunity} onChange={() => form.setFieldsValue({ customerSignatoryId: undefined })} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="type" label={t('合同类型', 'Type')}>
              <DictSelect kind="contract_type" />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="signedOn" label={t('签订日期', 'Signed on')}>
              <DatePicker style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="startsOn" label={t('开始日期', 'Starts on')}>
              <DatePicker style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item
              name="endsOn"
              label={t('结束日期', 'Ends on')}
              dependencies={['startsOn']}
              rules={[
                ({ getFieldValue }) => ({
                  validator: (_, d?: Dayjs | null) => {
                    const s = getFieldValue('startsOn') as Dayjs | null | undefined;
                    return d && s && d.isBefore(s, 'day') ? Promise.reject(new Error(t('结束日期不能早于开始日期', 'May not precede the start date'))) : Promise.resolve();
                  },
                }),
              ]}
            >
              <DatePicker style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="amount" label={t('合同金额', 'Amount')} extra={hasLines ? t('有明细时金额为明细合计', 'With line items the amount is their sum') : undefined} rules={[money]}>
              <Input inputMode="decimal" disabled={hasLines} prefix="¥" data-testid="contract-amount" />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="customerSignatoryId" label={t('客户签约人', 'Customer signatory')}>
              <ContactSelect customerId={customerId} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="ourSignatoryId" label={t('我方签约人', 'Our signatory')}>
              <UserSelect activeOnly />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="ownerId" label={t('负责人', 'Owner')} extra={editing ? undefined : t('留空则为自己', 'Empty: yourself')}>
              <UserSelect activeOnly allowClear={!editing} disabled={editing} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="paymentTerms" label={t('付款条件', 'Payment terms')} rules={[{ max: 2000 }]}>
              <Input.TextArea rows={2} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="remarks" label={t('备注', 'Remarks')} rules={[{ max: 5000 }]}>
              <Input.TextArea rows={2} />
            </Form.Item>
          </Col>
        </Row>
        <Divider titlePlacement="start" plain>{t('产品明细', 'Line items')}</Divider>
        <LineEditor form={form} />
        {amend && (
          <Form.Item
            name="reason"
            label={t('变更原因', 'Reason for the amendment')}
            style={{ marginTop: 16 }}
            rules={[{ required: true, whitespace: true, message: t('请填写变更原因', 'A reason is required') }, { max: 1000 }]}
          >
            <Input.TextArea rows={2} />
          </Form.Item>
        )}
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}
