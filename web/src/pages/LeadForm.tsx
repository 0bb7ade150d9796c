import { useEffect, useState } from 'react';
import { Col, DatePicker, Form, Input, Modal, Row, Select, Switch } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { call, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { UserSelect } from '../components/common';
import { DictSelect } from '../components/dict';
import { useLang, useT } from '../i18n';
import { label, leadStatus } from '../labels';
import { useSession } from '../session';
import { fromPicker, toPicker } from '../util';

type Lead = Schemas['Lead'];

/** Create or edit a lead; server field errors land on their fields; edits send If-Match. */
export function LeadForm({
  open,
  lead,
  onClose,
  onSaved,
  pool,
}: {
  open: boolean;
  lead?: Lead | null;
  onClose: () => void;
  onSaved?: (id: string) => void;
  pool?: boolean;
}) {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const run = useCommand();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!open) return;
    form.resetFields();
    if (lead) form.setFieldsValue({ ...lead, nextFollowUpAt: toPicker(lead.nextFollowUpAt) });
    else form.setFieldsValue({ pool: !!pool });
  }, [open, lead, form, pool]);

  const save = async (v: Record<string, unknown>) => {
    const body: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) {
      if (k === 'nextFollowUpAt') body[k] = fromPicker(val as Dayjs | null); // the picker shows the user's zone
      else if (val !== undefined) body[k] = val;
    }
    setBusy(true);
    try {
      if (lead) {
        const changed: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(body)) {
          const old = (lead as Record<string, unknown>)[k];
          if (k === 'nextFollowUpAt' ? (old ?? null) !== (val ?? null) && !(old && val && dayjs(old as string).isSame(val as string)) : (old ?? '') !== (val ?? ''))
            changed[k] = val === '' && old ? null : val;
        }
        await run(() => call('PATCH', `/leads/${lead.id}`, { body: changed, ifMatch: lead.version }), {
          form,
          success: t('已保存', 'Saved'),
          historyPath: `/leads/${lead.id}/history`,
          reload: onClose,
        });
        onSaved?.(lead.id);
        onClose();
      } else {
        for (const k of Object.keys(body)) if (body[k] === '' || body[k] === null) delete body[k];
        if (!body.ownerId) delete body.ownerId;
        const r = await run(() => call<Schemas['CommandAck']>('POST', '/leads', { body }), {
          form,
          success: t('线索已创建', 'Lead created'),
        });
        if (r) {
          onSaved?.(r.data.id);
          onClose();
        }
      }
    } catch {
      /* shown on the form */
    } finally {
      setBusy(false);
    }
  };

  const phoneRule = { pattern: /^[0-9 +()#转-]*$/, message: t('只能包含数字、空格和 +()#-', 'Digits, spaces and +()#- only') };
  return (
    <Modal
      open={open}
      title={lead ? t('编辑线索', 'Edit lead') : t('新建线索', 'New lead')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('保存', 'Save')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy }}
      width={720}
      destroyOnHidden
      forceRender
    >
      <Form form={form} layout="vertical" onFinish={save} data-testid="lead-form">
        <Row gutter={12}>
          <Col xs={24} sm={12}>
            <Form.Item name="name" label={t('姓名', 'Name')} rules={[{ required: true, message: t('请输入姓名', 'A name is required') }]}>
              <Input autoFocus />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="company" label={t('公司', 'Company')}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="phone" label={t('电话', 'Phone')} rules={[phoneRule]}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="mobile" label={t('手机', 'Mobile')} rules={[phoneRule]}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="email" label={t('邮箱', 'E-mail')}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="source" label={t('来源', 'Source')}>
              <DictSelect kind="lead_source" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="industry" label={t('行业', 'Industry')}>
              <DictSelect kind="industry" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="level" label={t('级别', 'Level')}>
              <DictSelect kind="customer_level" />
            </Form.Item>
          </Col>
          {lead && (
            <Col xs={24} sm={12}>
              <Form.Item name="status" label={t('状态', 'Status')}>
                <Select
                  options={['new', 'following', 'invalid'].map((v) => ({ value: v, label: label(leadStatus, v, lang) }))}
                />
              </Form.Item>
            </Col>
          )}
          <Col xs={24} sm={12}>
            <Form.Item name="nextFollowUpAt" label={t('下次跟进', 'Next follow-up')}>
              <DatePicker showTime style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={24}>
            <Form.Item name="address" label={t('地址', 'Address')}>
              <Input />
            </Form.Item>
          </Col>
          <Col span={24}>
            <Form.Item name="remark" label={t('备注', 'Remark')}>
              <Input.TextArea rows={2} />
            </Form.Item>
          </Col>
          {!lead && (
            <>
              <Col xs={24} sm={12}>
                <Form.Item name="pool" label={t('放入线索池', 'Put into the pool')} valuePropName="checked">
                  <Switch />
                </Form.Item>
              </Col>
              {s.can('leads.assign') && (
                <Col xs={24} sm={12}>
                  <Form.Item name="ownerId" label={t('负责人', 'Owner')}>
                    <UserSelect activeOnly />
                  </Form.Item>
                </Col>
              )}
            </>
          )}
        </Row>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}
