// What the work log (日志) pages share: the kind's and status's tags, the period as people say it
// ("2026-12-01", "2026 第 49 周", "2026-12"), the writer's form (kind, a period picker matching the
// kind, work done, plan, problems, linked records, extra recipients) and the command runner that
// words the module's refusals.
import { useEffect, useState } from 'react';
import { Button, Col, DatePicker, Form, Input, Modal, Row, Select, Space, Tag } from 'antd';
import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import isoWeek from 'dayjs/plugin/isoWeek';
import { ApiError, call } from '../api/client';
import type { WorkLog, WorkLogInput, WorkLogKind, WorkLogLinkKind } from '../api/worklogs';
import { UserSelect } from '../components/common';
import { useCommand } from '../components/commands';
import { useLang, useT } from '../i18n';
import { label, taskRelatedKind, workLogKind, workLogProblem, workLogStatus } from '../labels';
import { CustomerSelect } from './CustomerSelect';

dayjs.extend(isoWeek);

export function WorkLogKindTag({ kind }: { kind: string }) {
  const { lang } = useLang();
  return <Tag color={kind === 'daily' ? 'blue' : kind === 'weekly' ? 'purple' : 'gold'}>{label(workLogKind, kind, lang)}</Tag>;
}

export function WorkLogStatusTag({ status }: { status: string }) {
  const { lang } = useLang();
  return <Tag color={status === 'submitted' ? 'green' : 'default'}>{label(workLogStatus, status, lang)}</Tag>;
}

/** The period as people say it: the day, the ISO week ("2026 第 49 周" / "2026 week 49"), the month. */
export function periodText(kind: string, period: string, en: boolean): string {
  const d = dayjs(period);
  if (!d.isValid()) return period;
  if (kind === 'weekly') return en ? `${d.isoWeekYear()} week ${d.isoWeek()} (from ${period})` : `${d.isoWeekYear()} 第 ${d.isoWeek()} 周（${period} 起）`;
  if (kind === 'monthly') return d.format('YYYY-MM');
  return period;
}

/** Runs a work log command, wording the module's refusals in the page's language. */
export function useWorkLogCommand() {
  const run = useCommand();
  const t = useT();
  return <T,>(fn: () => Promise<T>, o: Parameters<typeof run>[1] = {}) =>
    run(async () => {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof ApiError && workLogProblem[e.code] && !(e.problem?.errors ?? []).length) e.message = t(...workLogProblem[e.code]);
        throw e;
      }
    }, o);
}

interface Values {
  kind: WorkLogKind;
  period?: Dayjs | null;
  workDone: string;
  plan?: string;
  problems?: string;
  links?: { kind?: WorkLogLinkKind; id?: string }[];
  extraRecipients?: string[];
}

/** The writer's form: a new log (saved as a draft or submitted at once), or the edit of one. */
export function WorkLogForm({ open, log, onClose, onSaved }: { open: boolean; log?: WorkLog; onClose: () => void; onSaved?: (id: string) => void }) {
  const t = useT();
  const { lang } = useLang();
  const run = useWorkLogCommand();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const editing = !!log;
  const kind = (Form.useWatch('kind', form) ?? 'daily') as WorkLogKind;

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    if (log)
      form.setFieldsValue({
        kind: log.kind, period: dayjs(log.period), workDone: log.workDone, plan: log.plan, problems: log.problems,
        links: log.links.map((l) => ({ kind: l.kind, id: l.id })), extraRecipients: log.extraRecipients,
      });
    else form.setFieldsValue({ kind: 'daily', period: dayjs(), links: [] });
  }, [open, log, form]);

  const save = async (submit: boolean) => {
    let v: Values;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setBusy(true);
    const links = (v.links ?? []).filter((l) => l.kind && l.id?.trim()).map((l) => ({ kind: l.kind!, id: l.id!.trim() }));
    try {
      if (log) {
        const now: Record<string, unknown> = { workDone: v.workDone.trim(), plan: (v.plan ?? '').trim(), problems: (v.problems ?? '').trim(), links };
        const was: Record<string, unknown> = { workDone: log.workDone, plan: log.plan, problems: log.problems, links: log.links.map((l) => ({ kind: l.kind, id: l.id })) };
        if (log.status === 'draft') {
          now.extraRecipients = v.extraRecipients ?? [];
          was.extraRecipients = log.extraRecipients;
        }
        const changed: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(now)) if (JSON.stringify(val) !== JSON.stringify(was[k])) changed[k] = val;
        if (Object.keys(changed).length === 0) {
          onClose();
          return;
        }
        const r = await run(() => call<WorkLog>('PATCH', `/worklogs/${log.id}`, { body: changed, ifMatch: log.version }), {
          form, success: t('已保存', 'Saved'), historyPath: `/worklogs/${log.id}/history`, reload: onClose,
        });
        if (r !== undefined) (onSaved ?? (() => onClose()))(log.id);
      } else {
        const body: WorkLogInput = { kind: v.kind, period: (v.period ?? dayjs()).format('YYYY-MM-DD'), workDone: v.workDone.trim() };
        if ((v.plan ?? '').trim()) body.plan = v.plan!.trim();
        if ((v.problems ?? '').trim()) body.problems = v.problems!.trim();
        if (links.length) body.links = links;
        if (v.extraRecipients?.length) body.extraRecipients = v.extraRecipients;
        if (submit) body.submit = true;
        const r = await run(() => call<WorkLog>('POST', '/worklogs', { body }), { form, success: submit ? t('日志已提交', 'Log submitted') : t('草稿已保存', 'Draft saved') });
        if (r) (onSaved ?? (() => onClose()))(r.data.id);
      }
    } catch {
      /* shown on the fields or as a message */
    } finally {
      setBusy(false);
    }
  };

  const kinds = Object.keys(taskRelatedKind).map((k) => ({ value: k, label: label(taskRelatedKind, k, lang) }));
  const picker = kind === 'weekly' ? 'week' : kind === 'monthly' ? 'month' : 'date';
  return (
    <Modal
      open={open}
      title={editing ? t('编辑日志', 'Edit log') : t('写日志', 'Write a log')}
      onCancel={onClose}
      width={760}
      destroyOnHidden
      forceRender
      footer={
        <Space>
          <Button onClick={onClose}>{t('取消', 'Cancel')}</Button>
          <Button onClick={() => void save(false)} loading={busy} data-testid="worklog-save">
            {editing ? t('保存', 'Save') : t('保存草稿', 'Save draft')}
          </Button>
          {!editing && (
            <Button type="primary" onClick={() => void save(true)} loading={busy} data-testid="worklog-submit">
              {t('提交', 'Submit')}
            </Button>
          )}
        </Space>
      }
    >
      <Form form={form} name={editing ? 'worklogEdit' : 'worklogNew'} layout="vertical" data-testid="worklog-form">
        <Row gutter={12}>
          <Col xs={12} sm={8}>
            <Form.Item name="kind" label={t('类型', 'Kind')}>
              <Select disabled={editing} options={Object.keys(workLogKind).map((k) => ({ value: k, label: label(workLogKind, k, lang) }))} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8}>
            <Form.Item name="period" label={t('周期', 'Period')} rules={[{ required: true, message: t('请选择周期', 'Choose the period') }]}>
              <DatePicker picker={picker} disabled={editing} style={{ width: '100%' }} disabledDate={(d) => d.isAfter(dayjs(), 'day')} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="workDone" label={t('工作内容', 'Work done')} rules={[{ required: true, whitespace: true, message: t('请填写工作内容', 'Work done is required') }, { max: 5000 }]}>
          <Input.TextArea rows={4} />
        </Form.Item>
        <Form.Item name="plan" label={t('工作计划', 'Plan')} rules={[{ max: 5000 }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
        <Form.Item name="problems" label={t('问题与困难', 'Problems')} rules={[{ max: 5000 }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
        <Form.List name="links">
          {(fields, { add, remove }) => (
            <Form.Item label={t('关联记录', 'Linked records')}>
              {fields.map((f) => (
                <LinkRow key={f.key} name={f.name} kinds={kinds} onRemove={() => remove(f.name)} />
              ))}
              {fields.length < 20 && (
                <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ kind: 'customer' })} data-testid="worklog-add-link">
                  {t('添加关联记录', 'Link a record')}
                </Button>
              )}
            </Form.Item>
          )}
        </Form.List>
        {(!editing || log?.status === 'draft') && (
          <Form.Item name="extraRecipients" label={t('同时提交给', 'Also send to')} extra={t('日志会提交给你的上级和部门负责人', 'The log goes to your superior and your department head')}>
            <UserSelect mode="multiple" activeOnly />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}

function LinkRow({ name, kinds, onRemove }: { name: number; kinds: { value: string; label: string }[]; onRemove: () => void }) {
  const t = useT();
  const form = Form.useFormInstance();
  const kind = Form.useWatch(['links', name, 'kind'], form) as string | undefined;
  return (
    <Space align="baseline" style={{ display: 'flex' }}>
      <Form.Item name={[name, 'kind']} style={{ width: 120 }}>
        <Select options={kinds} aria-label={t('关联类型', 'Record kind')} onChange={() => form.setFieldValue(['links', name, 'id'], undefined)} />
      </Form.Item>
      <Form.Item name={[name, 'id']} style={{ width: 360 }} rules={[{ required: true, whitespace: true, message: t('请选择记录', 'Choose the record') }]}>
        {kind === 'customer' ? <CustomerSelect /> : <Input placeholder={t('记录编号（ID）', 'The record’s id')} aria-label={t('记录编号', 'Record id')} />}
      </Form.Item>
      <MinusCircleOutlined onClick={onRemove} aria-label={t('移除', 'Remove')} />
    </Space>
  );
}
