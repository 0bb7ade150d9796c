import { useState } from 'react';
import { Button, Table } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { get, type Page } from '../api/client';
import { ErrorState } from '../components/States';
import { useT } from '../i18n';
import { fmtMoney } from '../money';
import { useSession } from '../session';
import { OpportunityForm } from './OpportunityForm';
import { StatusTag, useStageLabel, type Opportunity } from './opportunityCommon';

/** A customer's opportunities (a tab of the customer's page), and a new one for it. */
export function CustomerOpportunities({ customer }: { customer: { id: string; name: string } }) {
  const t = useT();
  const s = useSession();
  const nav = useNavigate();
  const stageLabel = useStageLabel();
  const [creating, setCreating] = useState(false);
  const q = useQuery({ queryKey: ['/opportunities', 'customer', customer.id], queryFn: () => get<Page<Opportunity>>('/opportunities', { customerId: customer.id, limit: 100 }) });
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  return (
    <div>
      {(s.isAdmin || s.can('opportunities.create')) && (
        <Button style={{ marginBottom: 8 }} icon={<PlusOutlined />} onClick={() => setCreating(true)}>
          {t('新建商机', 'New opportunity')}
        </Button>
      )}
      <Table<Opportunity>
        size="small"
        rowKey="id"
        loading={q.isLoading}
        dataSource={q.data?.items ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('暂无商机', 'No opportunities yet') }}
        columns={[
          { key: 'name', title: t('商机名称', 'Name'), render: (_, o) => <Link to={`/opportunities/${o.id}`} style={{ textDecoration: 'underline' }}>{o.name}</Link> },
          { key: 'stage', title: t('阶段', 'Stage'), render: (_, o) => stageLabel(o.pipelineId, o.stage) },
          { key: 'amount', title: t('金额', 'Amount'), align: 'right', render: (_, o) => fmtMoney(o.amount) },
          { key: 'close', title: t('预计成交', 'Expected close'), dataIndex: 'expectedCloseDate' },
          { key: 'status', title: t('状态', 'Status'), render: (_, o) => <StatusTag status={o.status} /> },
        ]}
      />
      <OpportunityForm open={creating} customer={customer} onClose={() => setCreating(false)} onSaved={(id) => nav(`/opportunities/${id}`)} />
    </div>
  );
}
