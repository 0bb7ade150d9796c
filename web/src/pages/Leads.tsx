import { useEffect, useState } from 'react';
import { App, Button, Dropdown, Input, Select, Space, Tag, Typography } from 'antd';
import { DownloadOutlined, PlusOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router';
import { call, exportUrl, type Schemas } from '../api/client';
import { DataList, type Col } from '../components/DataList';
import { AssignDialog, ReasonDialog, UserSelect, useUserName } from '../components/common';
import { ClearFilters, useListParams } from '../components/filters';
import { useCommand } from '../components/commands';
import { useLang, useT } from '../i18n';
import { DictFilter, useDictLabel } from '../components/dict';
import { label, leadStatus } from '../labels';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { LeadForm } from './LeadForm';
import { ContactValue, type Masked } from '../components/reveal';
import { Erasable } from '../components/privacy';

type Lead = Schemas['Lead'];

export default function Leads({ pool }: { pool: boolean }) {
  const t = useT();
  const { lang } = useLang();
  const dl = useDictLabel();
  const s = useSession();
  const nav = useNavigate();
  const run = useCommand();
  const { modal } = App.useApp();
  const userName = useUserName();
  // The filters live in the URL (a reload, a shared link and Back keep them).
  const { sp, query: filters, set, clear } = useListParams();
  const sort = sp.get('sort') ?? undefined;
  const [creating, setCreating] = useState(false);
  const [assign, setAssign] = useState<Lead | null>(null);
  const [release, setRelease] = useState<Lead | null>(null);

  useEffect(() => {
    const onNew = () => s.can('leads.create') && setCreating(true);
    window.addEventListener('chronicle:new', onNew);
    return () => window.removeEventListener('chronicle:new', onNew);
  }, [s]);

  const query = { ...filters, pool: pool ? true : undefined };

  const claim = (l: Lead) =>
    modal.confirm({
      title: t('认领线索', 'Claim lead'),
      content: t(`确定认领“${l.name}”吗？`, `Claim “${l.name}”?`),
      okText: t('认领', 'Claim'),
      onOk: () =>
        run(() => call('POST', `/leads/${l.id}/claim`), { success: t('已认领', 'Claimed') }).catch(() => undefined),
    });

  const columns: Col<Lead>[] = [
    { key: 'name', title: t('姓名', 'Name'), sort: 'name' },
    { key: 'company', title: t('公司', 'Company') },
    { key: 'phone', title: t('电话', 'Phone'), render: (r) => <ContactValue path={`/leads/${r.id}`} record={r as Masked} field="phone" value={r.phone} /> },
    { key: 'mobile', title: t('手机', 'Mobile'), hidden: true, render: (r) => <ContactValue path={`/leads/${r.id}`} record={r as Masked} field="mobile" value={r.mobile} /> },
    { key: 'email', title: t('邮箱', 'E-mail'), hidden: true, render: (r) => <ContactValue path={`/leads/${r.id}`} record={r as Masked} field="email" value={r.email} /> },
    { key: 'source', title: t('来源', 'Source'), render: (r) => dl('lead_source', r.source) },
    { key: 'industry', title: t('行业', 'Industry'), hidden: true, render: (r) => dl('industry', r.industry) },
    { key: 'level', title: t('级别', 'Level'), hidden: true, render: (r) => dl('customer_level', r.level) },
    {
      key: 'status',
      title: t('状态', 'Status'),
      render: (r) => <Tag color={r.status === 'converted' ? 'success' : r.status === 'invalid' ? 'default' : 'blue'}>{label(leadStatus, r.status, lang)}</Tag>,
    },
    { key: 'ownerId', title: t('负责人', 'Owner'), render: (r) => (r.inPool ? <Tag>{t('线索池', 'Pool')}</Tag> : (r.ownerName ?? userName(r.ownerId))) },
    { key: 'nextFollowUpAt', title: t('下次跟进', 'Next follow-up'), sort: 'nextFollowUpAt', render: (r) => fmtTime(r.nextFollowUpAt) },
    { key: 'createdAt', title: t('创建时间', 'Created'), sort: 'createdAt', render: (r) => fmtTime(r.createdAt) },
    { key: 'updatedAt', title: t('更新时间', 'Updated'), sort: 'updatedAt', render: (r) => fmtTime(r.updatedAt), hidden: true },
  ];

  const actions = (r: Lead) => (
    <Space size={4} wrap>
      {r.inPool && s.can('leads.pool') && (
        <Button size="small" type="primary" onClick={() => claim(r)}>
          {t('认领', 'Claim')}
        </Button>
      )}
      {s.can('leads.assign') && r.status !== 'converted' && (
        <Button size="small" onClick={() => setAssign(r)}>
          {t('分配', 'Assign')}
        </Button>
      )}
      {!r.inPool && s.can('leads.release') && r.status !== 'converted' && (
        <Button size="small" onClick={() => setRelease(r)}>
          {t('释放', 'Release')}
        </Button>
      )}
    </Space>
  );

  return (
    <div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 12, alignItems: 'center' }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0, marginRight: 12 }}>
          {pool ? t('线索池', 'Lead pool') : t('线索', 'Leads')}
        </Typography.Title>
        <Input.Search
          data-search
          allowClear
          placeholder={t('搜索姓名、公司、电话…（按 / ）', 'Search name, company, phone… (press /)')}
          aria-label={t('搜索线索', 'Search leads')}
          key={sp.get('q') ?? ''}
          defaultValue={sp.get('q') ?? ''}
          onSearch={(v) => set({ q: v.trim() })}
          style={{ width: 280 }}
        />
        <Select
          mode="multiple"
          allowClear
          placeholder={t('状态', 'Status')}
          aria-label={t('按状态筛选', 'Filter by status')}
          value={sp.getAll('status')}
          onChange={(v: string[]) => set({ status: v })}
          style={{ minWidth: 140 }}
          options={Object.keys(leadStatus).map((v) => ({ value: v, label: label(leadStatus, v, lang) }))}
        />
        <DictFilter kind="lead_source" name="source" label={t('来源', 'Source')} sp={sp} set={set} />
        <DictFilter kind="industry" name="industry" label={t('行业', 'Industry')} sp={sp} set={set} />
        {!pool && (
          <UserSelect
            placeholder={t('负责人', 'Owner')}
            aria-label={t('按负责人筛选', 'Filter by owner')}
            value={sp.get('ownerId') ?? undefined}
            onChange={(v) => set({ ownerId: v as string | undefined })}
            style={{ minWidth: 150 }}
          />
        )}
        <ClearFilters sp={sp} clear={() => clear()} />
        <div style={{ flex: 1 }} />
        {s.can('leads.export') && (
          <Dropdown
            menu={{
              items: [
                { key: 'xlsx', label: 'Excel (.xlsx)' },
                { key: 'csv', label: 'CSV' },
              ],
              onClick: (e) => {
                window.location.href = exportUrl('leads', e.key as 'csv' | 'xlsx', query);
              },
            }}
          >
            <Button icon={<DownloadOutlined />}>{t('导出', 'Export')}</Button>
          </Dropdown>
        )}
        {s.can('leads.create') && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="new-lead">
            {t('新建线索', 'New lead')}
          </Button>
        )}
      </div>
      <DataList<Lead>
        id={pool ? 'leadpool' : 'leads'}
        path="/leads"
        query={query}
        columns={columns}
        sort={sort}
        onSortChange={(v) => set({ sort: v })}
        title={(r) => (
          <span>
            <Erasable value={r.name} /> <Typography.Text type="secondary">{r.company}</Typography.Text>
          </span>
        )}
        onOpen={(r) => nav(`/leads/${r.id}`)}
        actions={actions}
      />
      <LeadForm open={creating} pool={pool} onClose={() => setCreating(false)} />
      <AssignDialog
        open={!!assign}
        onClose={() => setAssign(null)}
        onAssign={(ownerId) => run(() => call('POST', `/leads/${assign!.id}/assign`, { body: { ownerId } }), { success: t('已分配', 'Assigned') })}
      />
      <ReasonDialog
        open={!!release}
        title={t('释放到线索池', 'Release to the pool')}
        onClose={() => setRelease(null)}
        onOk={(reason) => run(() => call('POST', `/leads/${release!.id}/release`, { body: { reason } }), { success: t('已释放', 'Released') })}
      />
    </div>
  );
}
