import { useEffect, useState } from 'react';
import { Col, DatePicker, Divider, Form, Input, InputNumber, Modal, Row, Select } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { call, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { UserSelect } from '../components/common';
import { useLang, useT } from '../i18n';
import { isMoney } from '../money';
import { useSession } from '../session';
import { CustomerSelect } from './CustomerSelect';
import { LineEditor, linesBody, type LineValue } from './OpportunityLines';
import { DictSelect, stageName, usePipelines, type Opportunity } from './opportunityCommon';

interface Values {
  name: string;
  customerId: string;
  pipelineId?: string;
  stage?: string;
  amount?: string;
  expectedCloseDate?: Dayjs | null;
  source?: string;
  probability?: number | null;
  summary?: string;
  description?: string;
  nextStep?: string;
  teamIds?: string[];
  ownerId?: string;
  lines?: LineValue[];
}

const dateText = (d: Dayjs | null | undefined) => (d && d.isValid() ? d.format('YYYY-MM-DD') : '');

/** Create an opportunity (with its line items) or edit its fields (PATCH of the changed ones at its
 * version; its lines change on the detail page). Server field errors show on their fields, lines' too. */
export function OpportunityForm({
  open,
  opportunity,
  customer,
  onClose,
  onSaved,
}: {
  open: boolean;
  opportunity?: Opportunity | null;
  /** a customer to start with (creating from a customer's page) */
  customer?: { id: string; name: string };
  onClose: () => void;
  onSaved?: (id: string) => void;
}) {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const run = useCommand();
  const pipelines = usePipelines();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const editing = !!opportunity;
  const pipelineId = Form.useWatch('pipelineId', form);
  const lines = (Form.useWatch('lines', form) ?? []) as LineValue[];
  const hasLines = editing ? (opportunity?.lines?.length ?? 0) > 0 : lines.length > 0;
  const pipeline = pipelines.data?.find((p) => p.id === (pipelineId ?? opportunity?.pipelineId)) ?? pipelines.data?.[0];

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    if (opportunity)
      form.setFieldsValue({
        name: opportunity.name,
        customerId: opportunity.customerId,
        pipelineId: opportunity.pipelineId,
        stage: opportunity.stage,
        amount: opportunity.amount,
        expectedCloseDate: opportunity.expectedCloseDate ? dayjs(opportunity.expectedCloseDate) : null,
        source: opportunity.source || undefined,
        probability: opportunity.probabilityOverride ?? null,
        summary: opportunity.summary ?? '',
        description: opportunity.description ?? '',
        nextStep: opportunity.nextStep ?? '',
        teamIds: opportunity.teamIds ?? [],
      });
    else if (customer) form.setFieldsValue({ customerId: customer.id });
  }, [open, opportunity, customer, form]);

  // A new opportunity starts in the default pipeline.
  useEffect(() => {
    if (open && !editing && !form.getFieldValue('pipelineId') && pipelines.data?.length) {
      const def = pipelines.data.find((p) => p.default && !p.disabled) ?? pipelines.data.find((p) => !p.disabled);
      if (def) form.setFieldsValue({ pipelineId: def.id });
    }
  }, [open, editing, pipelines.data, form]);

  const save = async (v: Values) => {
    setBusy(true);
    try {
      if (opportunity) {
        const now: Record<string, unknown> = {
          name: v.name.trim(),
          customerId: v.customerId,
          expectedCloseDate: dateText(v.expectedCloseDate),
          source: v.source ?? '',
          summary: v.summary ?? '',
          description: v.description ?? '',
          nextStep: v.nextStep ?? '',
          teamIds: v.teamIds ?? [],
        };
        if (!hasLines) now.amount = (v.amount ?? '').trim();
        const was: Record<string, unknown> = {
          name: opportunity.name,
          customerId: opportunity.customerId,
          expectedCloseDate: opportunity.expectedCloseDate ?? '',
          source: opportunity.source ?? '',
          summary: opportunity.summary ?? '',
          description: opportunity.description ?? '',
          nextStep: opportunity.nextStep ?? '',
          teamIds: opportunity.teamIds ?? [],
          amount: opportunity.amount,
        };
        const changed: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(now)) if (JSON.stringify(val) !== JSON.stringify(was[k])) changed[k] = val;
        if (changed.amount === '') delete changed.amount;
        const p = v.probability ?? null;
        if (p !== (opportunity.probabilityOverride ?? null)) changed.probability = p === null ? -1 : p;
        if (Object.keys(changed).length === 0) {
          onClose();
          return;
        }
        const r = await run(() => call('PATCH', `/opportunities/${opportunity.id}`, { body: changed, ifMatch: opportunity.version }), {
          form,
          success: t('已保存', 'Saved'),
          historyPath: `/opportunities/${opportunity.id}/history`,
          reload: onClose,
        });
        if (r !== undefined) {
          onSaved?.(opportunity.id);
          onClose();
        }
      } else {
        const body: Record<string, unknown> = { name: v.name.trim(), customerId: v.customerId };
        if (v.pipelineId) body.pipelineId = v.pipelineId;
        if (v.stage) body.stage = v.stage;
        const d = dateText(v.expectedCloseDate);
        if (d) body.expectedCloseDate = d;
        if (v.source) body.source = v.source;
        if (v.probability !== null && v.probability !== undefined) body.probability = v.probability;
        for (const k of ['summary', 'description', 'nextStep'] as const) if ((v[k] ?? '').trim()) body[k] = v[k]!.trim();
        if (v.teamIds?.length) body.teamIds = v.teamIds;
        if (v.ownerId) body.ownerId = v.ownerId;
        if (v.lines?.length) body.lines = linesBody(v.lines);
        else if ((v.amount ?? '').trim()) body.amount = v.amount!.trim();
        const r = await run(() => call<Schemas['CommandAck'] | Opportunity>('POST', '/opportunities', { body }), { form, success: t('商机已创建', 'Opportunity created') });
        if (r) {
          onSaved?.(r.data.id);
          onClose();
        }
      }
    } catch {
      /* shown on the fields or as a message */
    } finally {
      setBusy(false);
    }
  };

  const stages = (pipeline?.stages ?? []).filter((x) => !x.disabled);
  return (
    <Modal
      open={open}
      title={editing ? t('编辑商机', 'Edit opportunity') : t('新建商机', 'New opportunity')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('保存', 'Save')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy }}
      width={900}
      destroyOnHidden
      forceRender
    >
      <Form form={form} name={editing ? 'opportunityEdit' : 'opportunityNew'} layout="vertical" onFinish={save} data-testid="opportunity-form">
        <Row gutter={12}>
          <Col xs={24} sm={12}>
            <Form.Item name="name" label={t('商机名称', 'Opportunity name')} rules={[{ required: true, whitespace: true, message: t('请输入商机名称', 'A name is required') }, { max: 200 }]}>
              <Input autoFocus />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="customerId" label={t('客户', 'Customer')} rules={[{ required: true, message: t('请选择客户', 'Choose a customer') }]}>
              <CustomerSelect current={opportunity ? { id: opportunity.customerId, name: opportunity.customerName } : customer} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="pipelineId" label={t('销售流程', 'Pipeline')} extra={editing ? t('创建后不能更改', 'Fixed once created') : undefined}>
              <Select
                disabled={editing}
                loading={pipelines.isLoading}
                options={(pipelines.data ?? []).filter((p) => !p.disabled || p.id === opportunity?.pipelineId).map((p) => ({ value: p.id, label: p.name }))}
                onChange={() => form.setFieldsValue({ stage: undefined })}
              />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="stage" label={t('阶段', 'Stage')} extra={editing ? t('在详情页推进或回退', 'Move it on the detail page') : t('默认第一个阶段', 'Default: the first stage')}>
              <Select
                allowClear
                disabled={editing}
                options={(editing ? (pipeline?.stages ?? []) : stages).map((x) => ({ value: x.key, label: `${stageName(x, x.key, lang)} (${x.probability}%)` }))}
              />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item
              name="amount"
              label={t('金额', 'Amount')}
              extra={hasLines ? t('有明细时金额为明细合计', 'With line items the amount is their sum') : undefined}
              rules={[{ validator: (_, val?: string) => (!val || !val.trim() || isMoney(val) ? Promise.resolve() : Promise.reject(new Error(t('金额最多 2 位小数', 'An amount with at most 2 decimals')))) }]}
            >
              <Input inputMode="decimal" disabled={hasLines} prefix="¥" />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="expectedCloseDate" label={t('预计成交日期', 'Expected close')}>
              <DatePicker style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="source" label={t('商机来源', 'Source')}>
              <DictSelect kind="opportunity_source" />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="probability" label={t('赢率覆盖 %', 'Probability override %')} extra={t('留空则按阶段', 'Empty: the stage’s')}>
              <InputNumber min={0} max={100} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="teamIds" label={t('团队成员', 'Team members')}>
              <UserSelect mode="multiple" activeOnly />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="summary" label={t('概要', 'Summary')} rules={[{ max: 500 }]}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="nextStep" label={t('下一步', 'Next step')} rules={[{ max: 500 }]}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24}>
            <Form.Item name="description" label={t('描述', 'Description')} rules={[{ max: 5000 }]}>
              <Input.TextArea rows={2} />
            </Form.Item>
          </Col>
          {!editing && (s.isAdmin || s.can('opportunities.assign')) && (
            <Col xs={24} sm={12}>
              <Form.Item name="ownerId" label={t('负责人', 'Owner')} extra={t('留空则为自己', 'Empty: yourself')}>
                <UserSelect activeOnly />
              </Form.Item>
            </Col>
          )}
        </Row>
        {!editing && (
          <>
            <Divider titlePlacement="start" plain>{t('产品明细', 'Line items')}</Divider>
            <LineEditor form={form} />
          </>
        )}
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}
