import { ErasedTag, isErased } from '../components/privacy';
import { useState } from 'react';
import { App, Button, Form, Modal, Radio, Space, Table, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { call, get, type Page, type Schemas } from '../api/client';
import { AssignDialog, ReasonDialog, TimelineView, useUserName } from '../components/common';
import { useCommand } from '../components/commands';
import { DeleteButton, DetailHeader, RecordFields, RecordState, RecordTabs, useRecord, type FieldItem } from '../components/detail';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { useDictLabel } from '../components/dict';
import { customerSize, customerStatus, customerType, label } from '../labels';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { ContactForm } from './ContactForm';
import { CustomerForm, useSettings } from './CustomerForm';
import { CustomerSelect } from './CustomerSelect';
import { CustomerOpportunities } from './CustomerOpportunities';
import { FollowUpForm } from './LeadDetail';
import { ContactValue, type Masked } from '../components/reveal';

type Customer = Schemas['Customer'];
type Contact = Schemas['Contact'];

export function ContactsTable({ customerId, canEdit }: { customerId: string; canEdit: boolean }) {
  const t = useT();
  const run = useCommand();
  const [editing, setEditing] = useState<Contact | null | 'new'>(null);
  const q = useQuery({ queryKey: ['/contacts', customerId], queryFn: () => get<Page<Contact>>('/contacts', { customerId, limit: 200 }) });
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  return (
    <div>
      {canEdit && (
        <Button style={{ marginBottom: 8 }} onClick={() => setEditing('new')}>
          {t('添加联系人', 'Add contact')}
        </Button>
      )}
      <Table<Contact>
        size="small"
        rowKey="id"
        loading={q.isLoading}
        dataSource={q.data?.items ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('暂无联系人', 'No contacts yet') }}
        columns={[
          { key: 'name', title: t('姓名', 'Name'), render: (_, c) => <span><Link to={`/contacts/${c.id}`} style={{ textDecoration: 'underline' }}>{c.name}</Link> {c.primary && <Tag color="warning">{t('主联系人', 'Primary')}</Tag>}</span> },
          { key: 'title', title: t('职务', 'Title'), dataIndex: 'title' },
          { key: 'mobile', title: t('手机', 'Mobile'), render: (_, r) => <ContactValue path={`/contacts/${r.id}`} record={r as Masked} field="mobile" value={r.mobile} /> },
          { key: 'officePhone', title: t('办公电话', 'Office phone'), render: (_, r) => <ContactValue path={`/contacts/${r.id}`} record={r as Masked} field="officePhone" value={r.officePhone} /> },
          { key: 'email', title: t('邮箱', 'E-mail'), render: (_, r) => <ContactValue path={`/contacts/${r.id}`} record={r as Masked} field="email" value={r.email} /> },
          {
            key: 'a',
            title: t('操作', 'Actions'),
            render: (_, c) =>
              canEdit && (
                <Space size={4}>
                  <Button size="small" onClick={() => setEditing(c)}>{t('编辑', 'Edit')}</Button>
                  {!c.primary && (
                    <Button size="small" onClick={() => run(() => call('POST', `/customers/${customerId}/primary-contact`, { body: { contactId: c.id } }), { success: t('已设为主联系人', 'Primary contact set') }).catch(() => undefined)}>
                      {t('设为主联系人', 'Make primary')}
                    </Button>
                  )}
                </Space>
              ),
          },
        ]}
      />
      <ContactForm open={editing !== null} contact={editing === 'new' ? null : editing} customerId={customerId} onClose={() => setEditing(null)} />
    </div>
  );
}

export default function CustomerDetail() {
  const { id } = useParams();
  const t = useT();
  const { lang } = useLang();
  const dl = useDictLabel();
  const s = useSession();
  const nav = useNavigate();
  const run = useCommand();
  const { modal } = App.useApp();
  const userName = useUserName();
  const settings = useSettings();
  const [editing, setEditing] = useState(false);
  const [assign, setAssign] = useState(false);
  const [release, setRelease] = useState(false);
  const [merging, setMerging] = useState(false);
  const [mform] = Form.useForm();
  const record = useRecord<Customer>('/customers', id);
  const q = record.current;
  if (!q.data) return <RecordState q={q} />;
  const c = q.data;
  const shown = record.asOf ? record.past.data : c;
  const canEdit = s.isAdmin || s.can('customers.update');
  const defs = settings.data?.customerFields ?? [];
  const cmd = (path: string, ok: string, body?: unknown) => run(() => call('POST', `/customers/${c.id}/${path}`, { body }), { success: ok }).catch(() => undefined);

  const merge = async (v: { otherId: string; survivor: 'this' | 'other' }) => {
    const [survivor, source] = v.survivor === 'this' ? [c.id, v.otherId] : [v.otherId, c.id];
    try {
      await run(() => call('POST', `/customers/${survivor}/merge`, { body: { sourceId: source } }), { form: mform, success: t('已合并', 'Merged') });
      setMerging(false);
      nav(`/customers/${survivor}`);
    } catch {
      /* shown */
    }
  };

  return (
    <div>
      <DetailHeader title={c.name}>
        <Tag color="blue">{label(customerStatus, c.status, lang)}</Tag>
        {c.inPool && <Tag>{t('公海', 'Pool')}</Tag>}
        {c.locked && <Tag color="error">{t('已锁定', 'Locked')}</Tag>}
      </DetailHeader>
      <div style={{ marginBottom: 12 }}>
        <Space wrap>
          {canEdit && !c.inPool && <Button type="primary" onClick={() => setEditing(true)}>{t('编辑', 'Edit')}</Button>}
          {c.inPool && (s.isAdmin || s.can('customers.pool')) && (
            <Button onClick={() => modal.confirm({ title: t('认领客户', 'Claim customer'), content: c.name, onOk: () => cmd('claim', t('已认领', 'Claimed')) })}>{t('认领', 'Claim')}</Button>
          )}
          {(s.isAdmin || s.can('customers.assign')) && <Button onClick={() => setAssign(true)}>{t('分配', 'Assign')}</Button>}
          {!c.inPool && !c.locked && (s.isAdmin || s.can('customers.release')) && <Button onClick={() => setRelease(true)}>{t('释放', 'Release')}</Button>}
          {(s.isAdmin || s.can('customers.lock')) &&
            (c.locked ? (
              <Button onClick={() => modal.confirm({ title: t('解锁客户', 'Unlock customer'), content: t('解锁后客户可能按规则退回公海。', 'Once unlocked the pool rules may return it.'), onOk: () => cmd('unlock', t('已解锁', 'Unlocked')) })}>{t('解锁', 'Unlock')}</Button>
            ) : (
              <Button onClick={() => modal.confirm({ title: t('锁定客户', 'Lock customer'), content: t('锁定的客户不会退回公海。', 'A locked customer never returns to the pool.'), onOk: () => cmd('lock', t('已锁定', 'Locked')) })}>{t('锁定', 'Lock')}</Button>
            ))}
          {canEdit && <Button onClick={() => setMerging(true)}>{t('合并重复客户', 'Merge duplicate')}</Button>}
          {(s.isAdmin || s.can('tasks.create')) && (
            <Button onClick={() => nav('/tasks/new?' + new URLSearchParams({ relatedKind: 'customer', relatedId: c.id, relatedName: c.name }).toString())} data-testid="customer-new-task">
              {t('新建任务', 'New task')}
            </Button>
          )}
          {(s.isAdmin || s.can('customers.delete')) && (
            <DeleteButton path={`/customers/${c.id}`} version={c.version} title={t('删除客户', 'Delete customer')} content={t('删除后客户及其联系人离开列表，历史仍保留。', 'The customer and its contacts leave the lists; histories stay.')} after="/customers" />
          )}
        </Space>
      </div>
      <RecordFields
        record={record}
        what={['该客户', 'the customer']}
        testId="customer-fields"
        fields={
          shown
            ? ([
                [t('客户名称', 'Name'), shown.name],
                [t('级别', 'Level'), dl('customer_level', shown.level)],
                [t('行业', 'Industry'), [dl('industry', shown.industry), dl('industry', shown.subIndustry)].filter(Boolean).join(' / ')],
                [t('来源', 'Source'), dl('lead_source', shown.source)],
                [t('分类', 'Classification'), dl('customer_class', shown.classification)],
                [t('企业性质', 'Nature'), dl('business_nature', shown.nature)],
                [t('类型', 'Type'), label(customerType, shown.type, lang)],
                [t('规模', 'Size'), label(customerSize, shown.size, lang)],
                [t('电话', 'Phone'), <ContactValue path={`/customers/${c.id}`} record={shown as Masked} field="phone" value={shown.phone} />],
                [t('邮箱', 'E-mail'), <ContactValue path={`/customers/${c.id}`} record={shown as Masked} field="email" value={shown.email} />],
                [t('网站', 'Website'), shown.website],
                [t('地址', 'Address'), isErased(shown.address)
                  ? <>{[shown.country, shown.province, shown.city, shown.district].filter(Boolean).join(' ')} <ErasedTag /></>
                  : [shown.country, shown.province, shown.city, shown.district, shown.address].filter(Boolean).join(' ')],
                // a snapshot has the owner's id only; the name shown is today's
                [t('负责人', 'Owner'), shown.inPool ? t('公海', 'Pool') : shown.ownerName || userName(shown.ownerId)],
                [t('最近跟进', 'Last follow-up'), fmtTime(shown.lastFollowUpAt)],
                [t('下次跟进', 'Next follow-up'), fmtTime(shown.nextFollowUpAt)],
                [t('满意度 / 信用', 'Satisfaction / credit'), `${shown.satisfaction ?? '—'} / ${shown.credit ?? '—'}`],
                [t('版本', 'Version'), String(shown.version)],
                [t('备注', 'Remark'), shown.remarkHidden ? t('（前负责人的备注，已隐藏）', "(the previous owner's remark, hidden)") : shown.remark],
                ...defs.map((d) => [d.label, (() => { const v = (shown.custom as Record<string, unknown> | undefined)?.[d.key]; return Array.isArray(v) ? v.join(', ') : v == null ? '' : String(v); })()]),
              ].map(([l, v], i) => [String(i), l, v]) as FieldItem[])
            : null
        }
      />
      <RecordTabs
        historyPath={`/customers/${c.id}/history`}
        items={[
          { key: 'contacts', label: t('联系人', 'Contacts'), children: <ContactsTable customerId={c.id} canEdit={canEdit && !c.inPool} /> },
          ...(s.isAdmin || s.can('opportunities.read') ? [{ key: 'opportunities', label: t('商机', 'Opportunities'), children: <CustomerOpportunities customer={c} /> }] : []),
          {
            key: 'timeline',
            label: t('跟进', 'Follow-ups'),
            children: (
              <div>
                {canEdit && !c.inPool && <FollowUpForm subject={`customer:${c.id}`} />}
                <div style={{ marginTop: 16 }}><TimelineView path={`/customers/${c.id}/timeline`} /></div>
              </div>
            ),
          },
        ]}
      />
      <CustomerForm open={editing} customer={c} onClose={() => setEditing(false)} />
      <AssignDialog open={assign} onClose={() => setAssign(false)} onAssign={(ownerId) => run(() => call('POST', `/customers/${c.id}/assign`, { body: { ownerId } }), { success: t('已分配', 'Assigned') })} />
      <ReasonDialog open={release} title={t('释放到公海', 'Release to the pool')} onClose={() => setRelease(false)} onOk={(reason) => run(() => call('POST', `/customers/${c.id}/release`, { body: { reason } }), { success: t('已释放', 'Released') })} />
      <Modal open={merging} title={t('合并重复客户', 'Merge a duplicate customer')} onCancel={() => setMerging(false)} onOk={() => mform.submit()} okText={t('合并', 'Merge')} okButtonProps={{ danger: true }} destroyOnHidden>
        <Form form={mform} layout="vertical" onFinish={merge} initialValues={{ survivor: 'this' }}>
          <Form.Item name="otherId" label={t('另一个客户', 'The other customer')} rules={[{ required: true }]}>
            <CustomerSelect exclude={c.id} />
          </Form.Item>
          <Form.Item name="survivor" label={t('保留哪一个？', 'Which one survives?')}>
            <Radio.Group options={[{ value: 'this', label: t(`保留“${c.name}”`, `Keep “${c.name}”`) }, { value: 'other', label: t('保留另一个', 'Keep the other one') }]} />
          </Form.Item>
          <Typography.Paragraph type="secondary">{t('被合并的客户离开列表，其联系人和跟进转入保留的客户；两者的历史都保留。', 'The merged one leaves the lists; its contacts and follow-ups move to the survivor; both histories stay.')}</Typography.Paragraph>
        </Form>
      </Modal>
    </div>
  );
}
