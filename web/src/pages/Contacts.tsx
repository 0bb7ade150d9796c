import { useEffect, useState } from 'react';
import { Button, Dropdown, Input, Space, Tag, Typography } from 'antd';
import { Link } from 'react-router';
import { DownloadOutlined, PlusOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router';
import { exportUrl, type Schemas } from '../api/client';
import { DataList, type Col } from '../components/DataList';
import { useListParams } from '../components/filters';
import { useT } from '../i18n';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { ContactForm } from './ContactForm';
import { ContactValue, type Masked } from '../components/reveal';
import { Erasable } from '../components/privacy';

type Contact = Schemas['Contact'];

export default function Contacts() {
  const t = useT();
  const s = useSession();
  const nav = useNavigate();
  const { sp, query, set } = useListParams();
  const sort = sp.get('sort') ?? undefined;
  const [editing, setEditing] = useState<Contact | null | 'new'>(null);
  useEffect(() => {
    const onNew = () => setEditing('new');
    window.addEventListener('chronicle:new', onNew);
    return () => window.removeEventListener('chronicle:new', onNew);
  }, []);
  const columns: Col<Contact>[] = [
    { key: 'name', title: t('姓名', 'Name'), sort: 'name', render: (c) => <span><Erasable value={c.name} /> {c.primary && <Tag color="warning">{t('主联系人', 'Primary')}</Tag>}</span> },
    {
      key: 'customerName',
      title: t('客户', 'Customer'),
      render: (c) => (
        <Link to={`/customers/${c.customerId}`} onClick={(e) => e.stopPropagation()}>
          {c.customerName}
        </Link>
      ),
    },
    { key: 'title', title: t('职务', 'Title') },
    { key: 'mobile', title: t('手机', 'Mobile'), render: (c) => <ContactValue path={`/contacts/${c.id}`} record={c as Masked} field="mobile" value={c.mobile} /> },
    { key: 'officePhone', title: t('办公电话', 'Office phone'), render: (c) => <ContactValue path={`/contacts/${c.id}`} record={c as Masked} field="officePhone" value={c.officePhone} /> },
    { key: 'email', title: t('邮箱', 'E-mail'), render: (c) => <ContactValue path={`/contacts/${c.id}`} record={c as Masked} field="email" value={c.email} /> },
    { key: 'ownerName', title: t('负责人', 'Owner'), render: (c) => (c.inPool ? <Tag>{t('公海', 'Pool')}</Tag> : c.ownerName) },
    { key: 'createdAt', title: t('创建时间', 'Created'), sort: 'createdAt', render: (c) => fmtTime(c.createdAt) },
  ];
  return (
    <div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 12, alignItems: 'center' }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0, marginRight: 12 }}>{t('联系人', 'Contacts')}</Typography.Title>
        <Input.Search data-search allowClear placeholder={t('搜索姓名、电话、邮箱…', 'Search name, phone, e-mail…')} aria-label={t('搜索联系人', 'Search contacts')} key={sp.get('q') ?? ''} defaultValue={sp.get('q') ?? ''} onSearch={(v) => set({ q: v.trim() })} style={{ width: 260 }} />
        <div style={{ flex: 1 }} />
        <Space>
          <Dropdown menu={{ items: [{ key: 'xlsx', label: 'Excel (.xlsx)' }, { key: 'csv', label: 'CSV' }], onClick: (e) => { window.location.href = exportUrl('contacts', e.key as 'csv' | 'xlsx', query); } }}>
            <Button icon={<DownloadOutlined />}>{t('导出', 'Export')}</Button>
          </Dropdown>
          {(s.isAdmin || s.can('customers.update')) && <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>{t('新建联系人', 'New contact')}</Button>}
        </Space>
      </div>
      <DataList<Contact> id="contacts" path="/contacts" query={query} columns={columns} sort={sort} onSortChange={(v) => set({ sort: v })} title={(c) => <Erasable value={c.name} />} onOpen={(c) => nav(`/contacts/${c.id}`)} actions={(c) => <Button size="small" onClick={() => setEditing(c)}>{t('编辑', 'Edit')}</Button>} />
      <ContactForm open={editing !== null} contact={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
    </div>
  );
}
