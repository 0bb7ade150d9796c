import { useState } from 'react';
import { Button, Space, Tag } from 'antd';
import { Link, useParams } from 'react-router';
import { call, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { DeleteButton, DetailHeader, RecordFields, RecordState, RecordTabs, useRecord } from '../components/detail';
import { useT } from '../i18n';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { ContactForm } from './ContactForm';
import { ContactValue, type Masked } from '../components/reveal';
import { EraseDialog, Erasable, ErasedTag, isErased } from '../components/privacy';

type Contact = Schemas['Contact'];
type Snapshot = Schemas['ContactSnapshot'];

/** A contact: its fields (now or as of a time), its customer, its owner (the customer's), its
 * history; edit (at the version shown) and delete. */
export default function ContactDetail() {
  const { id } = useParams();
  const t = useT();
  const s = useSession();
  const run = useCommand();
  const [editing, setEditing] = useState(false);
  const [erasing, setErasing] = useState(false);
  const record = useRecord<Contact, Snapshot>('/contacts', id);
  const q = record.current;
  if (!q.data) return <RecordState q={q} />;
  const c = q.data;
  const shown: (Contact | Snapshot) | undefined = record.asOf ? record.past.data : c;
  const canEdit = s.isAdmin || s.can('customers.update');
  const gender = (g?: string) => (g === 'male' ? t('男', 'Male') : g === 'female' ? t('女', 'Female') : '');
  const customer = (
    <Link to={`/customers/${c.customerId}`} data-testid="contact-customer">
      {c.customerName || c.customerId.slice(0, 8)}
    </Link>
  );

  return (
    <div>
      <DetailHeader title={isErased(c.name) ? <ErasedTag /> : c.name}>
        {c.primary && <Tag color="warning">{t('主联系人', 'Primary')}</Tag>}
        {c.inPool && <Tag>{t('公海', 'Pool')}</Tag>}
      </DetailHeader>
      <div style={{ marginBottom: 12 }}>
        <Space wrap>
          {canEdit && (
            <Button type="primary" onClick={() => setEditing(true)} data-testid="edit-contact">
              {t('编辑', 'Edit')}
            </Button>
          )}
          {canEdit && !c.primary && (
            <Button
              onClick={() =>
                run(() => call('POST', `/customers/${c.customerId}/primary-contact`, { body: { contactId: c.id } }), {
                  success: t('已设为主联系人', 'Primary contact set'),
                }).catch(() => undefined)
              }
            >
              {t('设为主联系人', 'Make primary')}
            </Button>
          )}
          {canEdit && (
            <DeleteButton
              path={`/contacts/${c.id}`}
              version={c.version}
              title={t('删除联系人', 'Delete contact')}
              content={t(`删除“${c.name}”后其离开列表，历史仍保留。`, `“${c.name}” leaves the lists; its history stays.`)}
              after="/contacts"
            />
          )}
          {s.can('privacy.erase') && !isErased(c.name) && (
            <Button danger onClick={() => setErasing(true)} data-testid="erase-personal-data">
              {t('删除个人信息', 'Erase personal data')}
            </Button>
          )}
        </Space>
      </div>
      <RecordFields
        record={record}
        what={['该联系人', 'the contact']}
        testId="contact-fields"
        fields={
          shown
            ? [
                ['name', t('姓名', 'Name'), <Erasable value={shown.name} />],
                // the customer it belonged to then, by name when it is the same one as now
                ['customer', t('客户', 'Customer'), shown.customerId === c.customerId ? customer : <Link to={`/customers/${shown.customerId}`}>{shown.customerId.slice(0, 8)}</Link>],
                ['owner', t('负责人', 'Owner'), c.inPool ? t('公海', 'Pool') : c.ownerName],
                ['title', t('职务', 'Title'), shown.title],
                ['gender', t('性别', 'Gender'), gender(shown.gender)],
                ['mobile', t('手机', 'Mobile'), <ContactValue path={`/contacts/${c.id}`} record={shown as Masked} field="mobile" value={shown.mobile} />],
                ['officePhone', t('办公电话', 'Office phone'), <ContactValue path={`/contacts/${c.id}`} record={shown as Masked} field="officePhone" value={shown.officePhone} />],
                ['email', t('邮箱', 'E-mail'), <ContactValue path={`/contacts/${c.id}`} record={shown as Masked} field="email" value={shown.email} />],
                ['fax', t('传真', 'Fax'), <ContactValue path={`/contacts/${c.id}`} record={shown as Masked} field="fax" value={shown.fax} />],
                ['birthday', t('生日', 'Birthday'), <Erasable value={shown.birthday} />],
                ['version', t('版本', 'Version'), String(shown.version)],
                ['updated', t('更新时间', 'Updated'), 'updatedAt' in shown ? fmtTime(shown.updatedAt) : ''],
                ['remark', t('备注', 'Remark'), shown.remark],
              ]
            : null
        }
      />
      <RecordTabs historyPath={`/contacts/${c.id}/history`} items={[]} />
      <ContactForm open={editing} contact={c} onClose={() => setEditing(false)} />
      <EraseDialog open={erasing} kind="contact" id={c.id} name={c.name} record={c as unknown as Record<string, unknown>} onClose={() => setErasing(false)} />
    </div>
  );
}
