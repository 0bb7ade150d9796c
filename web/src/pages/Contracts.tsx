// The contracts (合同) list: search, filters and sort in the URL, CSV/XLSX export of the filtered
// list, and the new-contract form at /contracts/new (?opportunityId= starts it from a won opportunity).
import { useEffect, useMemo } from 'react';
import { Button, DatePicker, Dropdown, Input, Select, Typography } from 'antd';
import { DownloadOutlined, PlusOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { useLocation, useNavigate } from 'react-router';
import { exportUrl } from '../api/client';
import { DataList, type Col } from '../components/DataList';
import { UserSelect, useUserName } from '../components/common';
import { useDictLabel } from '../components/dict';
import { ClearFilters, TextFilter, useListParams } from '../components/filters';
import { useLang, useT } from '../i18n';
import { contractStatus, label } from '../labels';
import { fmtMoney } from '../money';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { ContractForm } from './ContractForm';
import { CustomerFilter } from './CustomerSelect';
import { ContractStatusTag } from './contractCommon';
import type { Contract } from './contractTypes';

export default function Contracts() {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const nav = useNavigate();
  const loc = useLocation();
  const userName = useUserName();
  const typeLabel = useDictLabel();
  const { sp, query, set, clear } = useListParams();
  const creating = loc.pathname.replace(/\/$/, '').endsWith('/contracts/new');
  const fromOpportunity = creating ? (sp.get('opportunityId') ?? undefined) : undefined;
  // on /contracts/new the opportunity is the form's, not a filter of the list behind it
  const filters = useMemo(() => {
    if (!creating) return query;
    const { opportunityId: _o, ...rest } = query;
    void _o;
    return rest;
  }, [query, creating]);
  const sort = sp.get('sort') ?? undefined;
  const can = (p: string) => s.isAdmin || s.can(p);
  useEffect(() => {
    const onNew = () => nav('/contracts/new');
    window.addEventListener('chronicle:new', onNew);
    return () => window.removeEventListener('chronicle:new', onNew);
  }, [nav]);

  const columns: Col<Contract>[] = [
    { key: 'number', title: t('合同编号', 'Number'), sort: 'number' },
    { key: 'name', title: t('合同名称', 'Name') },
    { key: 'customerName', title: t('客户', 'Customer') },
    { key: 'type', title: t('类型', 'Type'), render: (r) => typeLabel('contract_type', r.type) },
    { key: 'amount', title: t('金额', 'Amount'), sort: 'amount', render: (r) => fmtMoney(r.amount) },
    { key: 'signedOn', title: t('签订日期', 'Signed on'), sort: 'signedOn', render: (r) => r.signedOn ?? '' },
    { key: 'status', title: t('状态', 'Status'), render: (r) => <ContractStatusTag status={r.status} /> },
    { key: 'ownerId', title: t('负责人', 'Owner'), render: (r) => userName(r.ownerId) },
    { key: 'endsOn', title: t('结束日期', 'Ends on'), hidden: true, render: (r) => r.endsOn ?? '' },
    { key: 'createdAt', title: t('创建时间', 'Created'), sort: 'createdAt', hidden: true, render: (r) => fmtTime(r.createdAt) },
    { key: 'updatedAt', title: t('更新时间', 'Updated'), sort: 'updatedAt', hidden: true, render: (r) => fmtTime(r.updatedAt) },
  ];
  const range = [sp.get('signedFrom'), sp.get('signedTo')].map((v) => (v ? dayjs(v) : null)) as [dayjs.Dayjs | null, dayjs.Dayjs | null];

  return (
    <div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginBottom: 12 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('合同', 'Contracts')}</Typography.Title>
        <div style={{ flex: 1 }} />
        {can('contracts.export') && (
          <Dropdown
            menu={{
              items: [
                { key: 'xlsx', label: 'Excel (.xlsx)' },
                { key: 'csv', label: 'CSV' },
              ],
              onClick: (e) => {
                window.location.href = exportUrl('contracts', e.key as 'csv' | 'xlsx', filters);
              },
            }}
          >
            <Button icon={<DownloadOutlined />} data-testid="contract-export">{t('导出', 'Export')}</Button>
          </Dropdown>
        )}
        {can('contracts.create') && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => nav('/contracts/new' + (sp.toString() ? '?' + sp.toString() : ''))}>
            {t('新建合同', 'New contract')}
          </Button>
        )}
      </div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 12, alignItems: 'center' }}>
        <Input.Search
          data-search
          allowClear
          key={sp.get('q') ?? ''}
          defaultValue={sp.get('q') ?? ''}
          placeholder={t('搜索编号、名称、客户…（按 / ）', 'Search number, name, customer… (press /)')}
          aria-label={t('搜索合同', 'Search contracts')}
          onSearch={(v) => set({ q: v.trim() })}
          style={{ width: 260 }}
        />
        <Select
          allowClear
          mode="multiple"
          maxTagCount="responsive"
          placeholder={t('状态', 'Status')}
          aria-label={t('按状态筛选', 'Filter by status')}
          value={sp.getAll('status')}
          onChange={(v: string[]) => set({ status: v })}
          style={{ minWidth: 140 }}
          options={Object.keys(contractStatus).map((v) => ({ value: v, label: label(contractStatus, v, lang) }))}
        />
        <CustomerFilter value={sp.get('customerId') ?? undefined} onChange={(v) => set({ customerId: v })} />
        <UserSelect placeholder={t('负责人', 'Owner')} aria-label={t('按负责人筛选', 'Filter by owner')} value={sp.get('ownerId') ?? undefined} onChange={(v) => set({ ownerId: v as string | undefined })} style={{ minWidth: 140 }} />
        <DatePicker.RangePicker
          allowEmpty={[true, true]}
          aria-label={t('按签订日期筛选', 'Filter by signing date')}
          placeholder={[t('签订日期 起', 'Signed from'), t('止', 'to')]}
          value={range}
          onChange={(d) => set({ signedFrom: d?.[0]?.format('YYYY-MM-DD'), signedTo: d?.[1]?.format('YYYY-MM-DD') })}
        />
        <TextFilter name="amountMin" label={t('最低金额', 'Min amount')} sp={sp} set={set} width={110} />
        <TextFilter name="amountMax" label={t('最高金额', 'Max amount')} sp={sp} set={set} width={110} />
        <ClearFilters sp={creating ? new URLSearchParams([...sp].filter(([k]) => k !== 'opportunityId')) : sp} clear={() => clear(creating ? ['q', 'sort', 'opportunityId'] : undefined)} />
      </div>
      <DataList<Contract>
        id="contracts"
        path="/contracts"
        query={filters}
        columns={columns}
        sort={sort}
        onSortChange={(v) => set({ sort: v })}
        title={(r) => `${r.number} ${r.name}`}
        onOpen={(r) => nav(`/contracts/${r.id}`)}
      />
      <ContractForm
        open={creating}
        opportunityId={fromOpportunity}
        onClose={() => {
          const rest = new URLSearchParams([...sp].filter(([k]) => k !== 'opportunityId')).toString();
          nav('/contracts' + (rest ? '?' + rest : ''), { replace: true });
        }}
        onSaved={(id) => nav(`/contracts/${id}`, { replace: true })}
      />
    </div>
  );
}
