import { useState } from 'react';
import { App, Button, DatePicker, Form, Input, Modal, Select, Space, Tag, Typography } from 'antd';
import { useNavigate, useParams } from 'react-router';
import type { Dayjs } from 'dayjs';
import { call, type Schemas } from '../api/client';
import { AssignDialog, ReasonDialog, TimelineView, useUserName } from '../components/common';
import { useCommand } from '../components/commands';
import { DeleteButton, DetailHeader, RecordFields, RecordState, RecordTabs, useRecord } from '../components/detail';
import { useLang, useT } from '../i18n';
import { useDictLabel } from '../components/dict';
import { followUpType, label, leadStatus } from '../labels';
import { useSession } from '../session';
import { fmtTime, fromPicker } from '../util';
import { LeadForm } from './LeadForm';
import { ContactValue, type Masked } from '../components/reveal';
import { EraseDialog, Erasable, ErasedTag, isErased } from '../components/privacy';

type Lead = Schemas['Lead'];

export function FollowUpForm({ subject }: { subject: string }) {
  const t = useT();
  const { lang } = useLang();
  const run = useCommand();
  const [form] = Form.useForm();
  return (
    <Form
      form={form}
      layout="vertical"
      initialValues={{ type: 'call' }}
      onFinish={async (v) => {
        try {
          await run(
            () =>
              call('POST', '/followups', {
                body: {
                  subject,
                  type: v.type,
                  content: v.content,
                  nextFollowUpAt: fromPicker(v.nextFollowUpAt as Dayjs | null) ?? undefined,
                },
              }),
            { form, success: t('已记录跟进', 'Follow-up recorded') },
          );
          form.resetFields();
        } catch {
          /* shown */
        }
      }}
    >
      <Space wrap align="start">
        <Form.Item name="type" label={t('方式', 'Type')}>
          <Select style={{ width: 110 }} options={Object.keys(followUpType).map((v) => ({ value: v, label: label(followUpType, v, lang) }))} />
        </Form.Item>
        <Form.Item name="nextFollowUpAt" label={t('下次跟进', 'Next follow-up')}>
          <DatePicker showTime />
        </Form.Item>
      </Space>
      <Form.Item name="content" label={t('内容', 'Content')} rules={[{ required: true, message: t('请填写内容', 'Content is required') }]}>
        <Input.TextArea rows={2} />
      </Form.Item>
      <Button htmlType="submit" type="primary">
        {t('记录跟进', 'Record follow-up')}
      </Button>
    </Form>
  );
}

export default function LeadDetail() {
  const { id } = useParams();
  const t = useT();
  const { lang } = useLang();
  const dl = useDictLabel();
  const s = useSession();
  const nav = useNavigate();
  const run = useCommand();
  const { modal } = App.useApp();
  const userName = useUserName();
  const [editing, setEditing] = useState(false);
  const [assign, setAssign] = useState(false);
  const [release, setRelease] = useState(false);
  const [converting, setConverting] = useState(false);
  const [erasing, setErasing] = useState(false);
  const [cform] = Form.useForm();
  const record = useRecord<Lead, Schemas['LeadSnapshot']>('/leads', id);
  const q = record.current;
  if (!q.data) return <RecordState q={q} />;
  const lead = q.data;
  const shown = record.asOf ? record.past.data : lead;

  const claim = () =>
    modal.confirm({
      title: t('认领线索', 'Claim lead'),
      content: t(`确定认领“${lead.name}”吗？`, `Claim “${lead.name}”?`),
      onOk: () => run(() => call('POST', `/leads/${lead.id}/claim`), { success: t('已认领', 'Claimed') }).catch(() => undefined),
    });

  const convert = async (v: Record<string, string>) => {
    const contact = v.contactName ? { name: v.contactName, title: v.title || undefined, mobile: v.mobile || undefined } : undefined;
    // optionally an opportunity for the new customer (its amount as typed: exact decimal text)
    const opportunity = (v.oppName ?? '').trim() ? { name: v.oppName.trim(), amount: (v.oppAmount ?? '').trim() || undefined } : undefined;
    const body: Schemas['LeadConvertRequest'] = {};
    if (contact) body.contact = contact;
    if (opportunity) body.opportunity = opportunity;
    try {
      const r = await run(() => call<Schemas['LeadConvertResult']>('POST', `/leads/${lead.id}/convert`, { body }), {
        form: cform,
        success: t('已转化为客户', 'Converted into a customer'),
      });
      setConverting(false);
      if (r) nav(`/customers/${r.data.customerId}`);
    } catch {
      /* shown */
    }
  };

  const open = lead.status !== 'converted';
  return (
    <div>
      <DetailHeader title={isErased(lead.name) ? <ErasedTag /> : lead.name}>
        <Tag color="blue">{label(leadStatus, lead.status, lang)}</Tag>
        {lead.inPool && <Tag>{t('线索池', 'Pool')}</Tag>}
      </DetailHeader>
      <div style={{ marginBottom: 12 }}>
        <Space wrap>
          {s.can('leads.update') && open && !lead.inPool && (
            <Button type="primary" onClick={() => setEditing(true)}>
              {t('编辑', 'Edit')}
            </Button>
          )}
          {lead.inPool && s.can('leads.pool') && <Button onClick={claim}>{t('认领', 'Claim')}</Button>}
          {s.can('leads.assign') && open && <Button onClick={() => setAssign(true)}>{t('分配', 'Assign')}</Button>}
          {!lead.inPool && open && s.can('leads.release') && <Button onClick={() => setRelease(true)}>{t('释放', 'Release')}</Button>}
          {open && (s.can('leads.convert') || s.isAdmin || s.can('customers.create')) && (
            <Button onClick={() => setConverting(true)}>{t('转化为客户', 'Convert to customer')}</Button>
          )}
          {s.can('leads.delete') && (
            <DeleteButton
              path={`/leads/${lead.id}`}
              version={lead.version}
              title={t('删除线索', 'Delete lead')}
              content={t('删除后线索离开列表，历史仍保留。', 'The lead leaves the lists; its history stays.')}
              after="/leads"
            />
          )}
          {s.can('privacy.erase') && !isErased(lead.name) && (
            <Button danger onClick={() => setErasing(true)} data-testid="erase-personal-data">
              {t('删除个人信息', 'Erase personal data')}
            </Button>
          )}
        </Space>
      </div>
      <RecordFields
        record={record}
        what={['该线索', 'the lead']}
        testId="lead-fields"
        fields={
          shown
            ? [
                ['name', t('姓名', 'Name'), <Erasable value={shown.name} />],
                ['company', t('公司', 'Company'), shown.company],
                ['phone', t('电话', 'Phone'), <ContactValue path={`/leads/${lead.id}`} record={shown as Masked} field="phone" value={shown.phone} />],
                ['mobile', t('手机', 'Mobile'), <ContactValue path={`/leads/${lead.id}`} record={shown as Masked} field="mobile" value={shown.mobile} />],
                ['email', t('邮箱', 'E-mail'), <ContactValue path={`/leads/${lead.id}`} record={shown as Masked} field="email" value={shown.email} />],
                ['source', t('来源', 'Source'), dl('lead_source', shown.source)],
                ['industry', t('行业', 'Industry'), dl('industry', shown.industry)],
                ['level', t('级别', 'Level'), dl('customer_level', shown.level)],
                ['status', t('状态', 'Status'), label(leadStatus, shown.status, lang)],
                // a snapshot has the owner's id only; the name shown is today's
                ['owner', t('负责人', 'Owner'), shown.inPool ? t('线索池', 'Pool') : ('ownerName' in shown && shown.ownerName) || userName(shown.ownerId)],
                ['next', t('下次跟进', 'Next follow-up'), fmtTime(shown.nextFollowUpAt)],
                ['version', t('版本', 'Version'), String(shown.version)],
                ['address', t('地址', 'Address'), <Erasable value={shown.address} />],
                ['remark', t('备注', 'Remark'), shown.remarkHidden ? t('（前负责人的备注，已隐藏）', "(the previous owner's remark, hidden)") : shown.remark],
              ]
            : null
        }
      />
      <RecordTabs
        historyPath={`/leads/${lead.id}/history`}
        items={[
          {
            key: 'timeline',
            label: t('跟进', 'Follow-ups'),
            children: (
              <div>
                {s.can('leads.update') && open && <FollowUpForm subject={`lead:${lead.id}`} />}
                <div style={{ marginTop: 16 }}>
                  <TimelineView path={`/leads/${lead.id}/timeline`} />
                </div>
              </div>
            ),
          },
        ]}
      />
      <LeadForm open={editing} lead={lead} onClose={() => setEditing(false)} />
      <EraseDialog open={erasing} kind="lead" id={lead.id} name={lead.name} record={lead as unknown as Record<string, unknown>} onClose={() => setErasing(false)} />
      <AssignDialog
        open={assign}
        onClose={() => setAssign(false)}
        onAssign={(ownerId) => run(() => call('POST', `/leads/${lead.id}/assign`, { body: { ownerId } }), { success: t('已分配', 'Assigned') })}
      />
      <ReasonDialog
        open={release}
        title={t('释放到线索池', 'Release to the pool')}
        onClose={() => setRelease(false)}
        onOk={(reason) => run(() => call('POST', `/leads/${lead.id}/release`, { body: { reason } }), { success: t('已释放', 'Released') })}
      />
      <Modal
        open={converting}
        title={t('转化为客户', 'Convert to customer')}
        onCancel={() => setConverting(false)}
        onOk={() => cform.submit()}
        okText={t('转化', 'Convert')}
        destroyOnHidden
      >
        <Typography.Paragraph>
          {t(`将以公司“${lead.company || lead.name}”创建客户，可同时创建联系人。`, `A customer “${lead.company || lead.name}” is created; optionally with a contact.`)}
        </Typography.Paragraph>
        <Form form={cform} layout="vertical" onFinish={convert} initialValues={{ contactName: isErased(lead.name) ? undefined : lead.name, mobile: (lead as Masked).maskedFields?.includes('mobile') || isErased(lead.mobile) ? undefined : lead.mobile }}>
          <Form.Item name="contactName" label={t('联系人姓名（可选）', 'Contact name (optional)')}>
            <Input />
          </Form.Item>
          <Form.Item name="title" label={t('职务', 'Title')}>
            <Input />
          </Form.Item>
          <Form.Item
            name="mobile"
            label={t('手机', 'Mobile')}
            extra={(lead as Masked).maskedFields?.includes('mobile') ? t('线索的手机号对您脱敏显示，未带入；可填写，或转化后由负责人补充', "The lead's mobile is masked for you and not copied; enter it, or its owner adds it after the conversion") : undefined}
          >
            <Input />
          </Form.Item>
          {s.can('opportunities.create') && (
            <>
              <Form.Item name="oppName" label={t('同时创建商机（名称，可选）', 'Also open an opportunity (name, optional)')} rules={[{ max: 200 }]}>
                <Input placeholder={t(`如：${lead.company || lead.name} 采购项目`, `e.g. ${lead.company || lead.name} purchase`)} />
              </Form.Item>
              <Form.Item
                name="oppAmount"
                label={t('商机金额', 'Opportunity amount')}
                rules={[{ pattern: /^\d+(\.\d{1,2})?$/, message: t('金额最多两位小数', 'An amount with at most two decimals') }]}
              >
                <Input inputMode="decimal" placeholder="0.00" />
              </Form.Item>
            </>
          )}
          <button type="submit" hidden />
        </Form>
      </Modal>
    </div>
  );
}
