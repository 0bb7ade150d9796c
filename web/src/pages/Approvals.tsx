// The approval inbox (审批): what waits for the signed-in user, what they submitted, what they
// decided. Each row leads to its subject; a waiting one is approved or rejected from here (the
// subject is read first for the version the decision is sent at).
import { useState } from 'react';
import { Button, Space, Tabs, Typography } from 'antd';
import { Link, useNavigate } from 'react-router';
import { DataList, type Col } from '../components/DataList';
import { useUserName } from '../components/common';
import { useListParams } from '../components/filters';
import { useT } from '../i18n';
import { fmtMoney } from '../money';
import { fmtTime } from '../util';
import { ApprovalStatusTag, DecisionDialog, type DecisionTarget } from './contractCommon';
import type { ApprovalItem, InboxView } from './contractTypes';

/** Where a subject of an approval is shown. */
export const subjectPath = (it: Pick<ApprovalItem, 'kind' | 'subjectId'>) => `/${it.kind}s/${it.subjectId}`;

export default function Approvals() {
  const t = useT();
  const nav = useNavigate();
  const userName = useUserName();
  const { sp, set } = useListParams();
  const view = (sp.get('view') as InboxView | null) ?? 'pending';
  const [decision, setDecision] = useState<DecisionTarget | null>(null);
  const stepOf = (r: ApprovalItem) => {
    const n = typeof r.steps === 'number' ? r.steps : r.steps.length;
    if (r.step < 0) return '—';
    return `${r.step + 1}/${n}${r.stepName ? ' ' + r.stepName : ''}`;
  };
  const columns: Col<ApprovalItem>[] = [
    { key: 'number', title: t('编号', 'Number'), render: (r) => <Link to={subjectPath(r)} style={{ textDecoration: 'underline' }}>{r.number}</Link> },
    { key: 'title', title: t('标题', 'Title') },
    { key: 'amount', title: t('金额', 'Amount'), render: (r) => fmtMoney(r.amount) },
    { key: 'submitterId', title: t('提交人', 'Submitted by'), render: (r) => userName(r.submitterId) },
    { key: 'submittedAt', title: t('提交时间', 'Submitted'), render: (r) => fmtTime(r.submittedAt) },
    { key: 'status', title: t('状态', 'Status'), render: (r) => <ApprovalStatusTag status={r.status} /> },
    { key: 'step', title: t('当前步骤', 'Step'), render: stepOf },
    { key: 'approverIds', title: t('当前审批人', 'Deciding'), render: (r) => (r.status === 'pending' ? r.approverIds.map((id) => userName(id)).join('、') : '') },
    { key: 'updatedAt', title: t('更新时间', 'Updated'), hidden: true, render: (r) => fmtTime(r.updatedAt) },
  ];
  const list = (
    <DataList<ApprovalItem>
      key={view}
      id={`approvals-${view}`}
      path="/approvals"
      query={{ view }}
      columns={columns}
      rowKey={(r) => `${r.kind}:${r.subjectId}:${r.submittedAt}`}
      title={(r) => `${r.number} ${r.title}`}
      onOpen={(r) => nav(subjectPath(r))}
      actions={
        view === 'pending'
          ? (r) =>
              r.status === 'pending' && (
                <Space size={4}>
                  <Button size="small" type="primary" data-testid="inbox-approve" onClick={() => setDecision({ id: r.subjectId, number: r.number, decision: 'approve' })}>
                    {t('同意', 'Approve')}
                  </Button>
                  <Button size="small" danger data-testid="inbox-reject" onClick={() => setDecision({ id: r.subjectId, number: r.number, decision: 'reject' })}>
                    {t('驳回', 'Reject')}
                  </Button>
                </Space>
              )
          : undefined
      }
    />
  );
  return (
    <div>
      <Typography.Title level={1} style={{ fontSize: 20, marginTop: 0 }}>{t('审批', 'Approvals')}</Typography.Title>
      <Tabs
        activeKey={view}
        onChange={(k) => set({ view: k === 'pending' ? undefined : k })}
        items={[
          { key: 'pending', label: t('待我审批', 'Waiting for me') },
          { key: 'submitted', label: t('我提交的', 'Submitted by me') },
          { key: 'decided', label: t('我已审批', 'Decided by me') },
        ]}
      />
      {list}
      <DecisionDialog target={decision} onClose={() => setDecision(null)} />
    </div>
  );
}
