import { useEffect, useState } from 'react';
import { App, Button, Dropdown, Input, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { DownloadOutlined, LockOutlined, PlusOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { call, exportUrl, get, type Page, type Schemas } from '../api/client';
import { DataList, type Col } from '../components/DataList';
import { AssignDialog, ReasonDialog, UserSelect, useUserName } from '../components/common';
import { ClearFilters, CustomFieldFilter, useListParams } from '../components/filters';
import { useCommand } from '../components/commands';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { DictFilter, useDictLabel } from '../components/dict';
import { customerStatus, label } from '../labels';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { CustomerForm, useSettings } from './CustomerForm';
import { ContactValue, type Masked } from '../components/reveal';

type Customer = Schemas['Customer'];
type Returning = Schemas['ReturningCustomer'];

export function ReturningSoon({ days = 7 }: { days?: number }) {
  const t = useT();
  const nav = useNavigate();
  const q = useQuery({ queryKey: ['/pool/returning', days], queryFn: () => get<Page<Returning>>('/pool/returning', { days }) });
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  return (
    <Table<Returning>
      size="small"
      rowKey={(r) => r.customer.id}
      loading={q.isLoading}
      dataSource={q.data?.items ?? []}
      pagination={false}
      locale={{ emptyText: t(`${days} 天内没有将退回公海的客户`, `No customers return to the pool within ${days} days`) }}
      onRow={(r) => ({ onClick: () => nav(`/customers/${r.customer.id}`), style: { cursor: 'pointer' } })}
      columns={[
        { key: 'n', title: t('客户', 'Customer'), render: (_, r) => r.customer.name },
        { key: 'r', title: t('规则', 'Rule'), render: (_, r) => (r.rule === 'no_follow_up' ? t('未跟进', 'No follow-up') : t('未成交', 'No deal')) },
        { key: 'a', title: t('退回时间', 'Returns at'), render: (_, r) => fmtTime(r.returnAt) },
        { key: 'd', title: t('剩余天数', 'Days left'), render: (_, r) => <Tag color={r.daysLeft <= 1 ? 'error' : 'warning'}>{r.daysLeft}</Tag> },
      ]}
    />
  );
}

export default function Customers({ pool }: { pool: boolean }) {
  const t = useT();
  const { lang } = useLang();
  const dl = useDictLabel();
  const s = useSession();
  const nav = useNavigate();
  const run = useCommand();
  const { modal } = App.useApp();
  const userName = useUserName();
  // The filters live in the URL (a reload, a shared link and Back keep them); the export sends them too.
  const { sp, query: filters, set, clear } = useListParams();
  const sort = sp.get('sort') ?? undefined;
  const defs = useSettings().data?.customerFields ?? [];
  const advanced = ['level', 'industry', 'source', 'classification'];
  const advancedSet = [...sp.keys()].some((k) => advanced.includes(k) || k.startsWith('custom.'));
  const [more, setMore] = useState(false);
  const showMore = more || advancedSet;
  const [creating, setCreating] = useState(false);
  const [assign, setAssign] = useState<Customer | null>(null);
  const [release, setRelease] = useState<Customer | null>(null);
  useEffect(() => {
    const onNew = () => setCreating(true);
    window.addEventListener('chronicle:new', onNew);
    return () => window.removeEventListener('chronicle:new', onNew);
  }, []);
  const query = { ...filters, pool: pool ? true : undefined };

  const columns: Col<Customer>[] = [
    { key: 'name', title: t('客户名称', 'Name'), sort: 'name', render: (r) => <span>{r.locked && <LockOutlined aria-label={t('已锁定', 'Locked')} />} {r.name}</span> },
    { key: 'status', title: t('状态', 'Status'), render: (r) => <Tag>{label(customerStatus, r.status, lang)}</Tag> },
    { key: 'level', title: t('级别', 'Level'), render: (r) => dl('customer_level', r.level) },
    { key: 'industry', title: t('行业', 'Industry'), render: (r) => [dl('industry', r.industry), dl('industry', r.subIndustry)].filter(Boolean).join(' / ') },
    { key: 'phone', title: t('电话', 'Phone'), render: (r) => <ContactValue path={`/customers/${r.id}`} record={r as Masked} field="phone" value={r.phone} /> },
    { key: 'city', title: t('城市', 'City'), hidden: true },
    { key: 'source', title: t('来源', 'Source'), hidden: true, render: (r) => dl('lead_source', r.source) },
    { key: 'ownerId', title: t('负责人', 'Owner'), render: (r) => (r.inPool ? <Tag>{t('公海', 'Pool')}</Tag> : (r.ownerName ?? userName(r.ownerId))) },
    { key: 'classification', title: t('分类', 'Classification'), hidden: true, render: (r) => dl('customer_class', r.classification) },
    { key: 'lastFollowUpAt', title: t('最近跟进', 'Last follow-up'), sort: 'lastFollowUpAt', render: (r) => fmtTime(r.lastFollowUpAt) },
    { key: 'nextFollowUpAt', title: t('下次跟进', 'Next follow-up'), sort: 'nextFollowUpAt', render: (r) => fmtTime(r.nextFollowUpAt), hidden: true },
    { key: 'createdAt', title: t('创建时间', 'Created'), sort: 'createdAt', render: (r) => fmtTime(r.createdAt) },
  ];
  const actions = (r: Customer) => (
    <Space size={4} wrap>
      {r.inPool && s.can('customers.pool') && (
        <Button
          size="small"
          type="primary"
          onClick={() =>
            modal.confirm({
              title: t('认领客户', 'Claim customer'),
              content: t(`确定认领“${r.name}”吗？`, `Claim “${r.name}”?`),
              onOk: () => run(() => call('POST', `/customers/${r.id}/claim`), { success: t('已认领', 'Claimed') }).catch(() => undefined),
            })
          }
        >
          {t('认领', 'Claim')}
        </Button>
      )}
      {s.can('customers.assign') && <Button size="small" onClick={() => setAssign(r)}>{t('分配', 'Assign')}</Button>}
      {!r.inPool && !r.locked && s.can('customers.release') && <Button size="small" onClick={() => setRelease(r)}>{t('释放', 'Release')}</Button>}
    </Space>
  );

  const list = (
    <>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 12, alignItems: 'center' }}>
        <Input.Search data-search allowClear key={sp.get('q') ?? ''} defaultValue={sp.get('q') ?? ''} placeholder={t('搜索名称、电话…（按 / ）', 'Search name, phone… (press /)')} aria-label={t('搜索客户', 'Search customers')} onSearch={(v) => set({ q: v.trim() })} style={{ width: 260 }} />
        <Select allowClear placeholder={t('状态', 'Status')} aria-label={t('按状态筛选', 'Filter by status')} value={sp.get('status') ?? undefined} onChange={(v) => set({ status: v })} style={{ width: 120 }} options={Object.keys(customerStatus).map((v) => ({ value: v, label: label(customerStatus, v, lang) }))} />
        {!pool && <UserSelect placeholder={t('负责人', 'Owner')} aria-label={t('按负责人筛选', 'Filter by owner')} value={sp.get('ownerId') ?? undefined} onChange={(v) => set({ ownerId: v as string | undefined })} style={{ minWidth: 140 }} />}
        {!pool && (
          <Select allowClear placeholder={t('锁定', 'Locked')} aria-label={t('按锁定筛选', 'Filter by lock')} value={sp.get('locked') ?? undefined} onChange={(v) => set({ locked: v })} style={{ width: 100 }} options={[{ value: 'true', label: t('已锁定', 'Locked') }, { value: 'false', label: t('未锁定', 'Unlocked') }]} />
        )}
        {!advancedSet && (
          <Button onClick={() => setMore(!showMore)} aria-expanded={showMore} aria-controls="customer-more-filters" data-testid="more-filters">
            {showMore ? t('收起筛选', 'Fewer filters') : t('更多筛选', 'More filters')}
          </Button>
        )}
        <ClearFilters sp={sp} clear={() => { clear(); setMore(false); }} />
        <div style={{ flex: 1 }} />
        {(s.can('customers.export') || s.isAdmin) && (
          <Dropdown menu={{ items: [{ key: 'xlsx', label: 'Excel (.xlsx)' }, { key: 'csv', label: 'CSV' }], onClick: (e) => { window.location.href = exportUrl('customers', e.key as 'csv' | 'xlsx', query); } }}>
            <Button icon={<DownloadOutlined />}>{t('导出', 'Export')}</Button>
          </Dropdown>
        )}
        {(s.can('customers.create') || s.isAdmin) && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t('新建客户', 'New customer')}
          </Button>
        )}
      </div>
      {showMore && (
        <div id="customer-more-filters" role="group" aria-label={t('更多筛选', 'More filters')} style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 12, alignItems: 'center' }}>
          <DictFilter kind="customer_level" name="level" label={t('级别', 'Level')} sp={sp} set={set} width={110} />
          <DictFilter kind="industry" parent="" name="industry" label={t('行业', 'Industry')} sp={sp} set={set} />
          <DictFilter kind="lead_source" name="source" label={t('来源', 'Source')} sp={sp} set={set} />
          <DictFilter kind="customer_class" name="classification" label={t('分类', 'Classification')} sp={sp} set={set} width={130} />
          {defs.map((d) => (
            <CustomFieldFilter key={d.key} def={d} sp={sp} set={set} />
          ))}
        </div>
      )}
      <DataList<Customer> id={pool ? 'custpool' : 'customers'} path="/customers" query={query} columns={columns} sort={sort} onSortChange={(v) => set({ sort: v })} title={(r) => r.name} onOpen={(r) => nav(`/customers/${r.id}`)} actions={actions} />
    </>
  );

  return (
    <div>
      <Typography.Title level={1} style={{ fontSize: 20, marginTop: 0 }}>
        {pool ? t('公海', 'Customer pool') : t('客户', 'Customers')}
      </Typography.Title>
      {pool ? (
        <Tabs items={[{ key: 'pool', label: t('公海客户', 'In the pool'), children: list }, { key: 'returning', label: t('即将退回（我的）', 'Returning soon (mine)'), children: <ReturningSoon days={14} /> }]} />
      ) : (
        list
      )}
      <CustomerForm open={creating} onClose={() => setCreating(false)} onSaved={(id) => nav(`/customers/${id}`)} />
      <AssignDialog open={!!assign} onClose={() => setAssign(null)} onAssign={(ownerId) => run(() => call('POST', `/customers/${assign!.id}/assign`, { body: { ownerId } }), { success: t('已分配', 'Assigned') })} />
      <ReasonDialog open={!!release} title={t('释放到公海', 'Release to the pool')} onClose={() => setRelease(null)} onOk={(reason) => run(() => call('POST', `/customers/${release!.id}/release`, { body: { reason } }), { success: t('已释放', 'Released') })} />
    </div>
  );
}
