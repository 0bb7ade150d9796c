// The approval inbox (审批): what waits for the signed-in user, what they submitted, what they
// decided. Each row leads to its subject; a waiting one is approved or rejected from here (the
// subject is read first for the version the decision is sent at). A receipt (回款单) leads to its
// contract's receivables tab (GET /receipts/{id} tells the contract) and is decided through the
// receipt's own endpoints. A payment voucher (付款单) likewise leads to its payable (GET
// /payment-vouchers/{id} tells the payable) and is decided through the voucher's endpoints.
import { useState } from 'react';
import { Button, Space, Tabs, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { get } from '../api/client';
import type { PaymentVoucherRow, ReceiptRow } from '../api/finance';
import { DataList, type Col } from '../components/DataList';
import { useUserName } from '../components/common';
import { useListParams } from '../components/filters';
import { useLang, useT } from '../i18n';
import { approvalKind, label } from '../labels';
import { fmtMoney } from '../money';
import { fmtTime } from '../util';
import { ApprovalStatusTag, DecisionDialog, type DecisionTarget } from './contractCommon';
import type { ApprovalItem, InboxView } from './contractTypes';
import { ReceiptStepDialog, payablePath, receivablesPath, type ReceiptTarget } from './financeCommon';

/** Where a subject of an approval is shown (a receipt's is its contract's, see receiptPath). */
export const subjectPath = (it: Pick<ApprovalItem, 'kind' | 'subjectId'>) => `/${it.kind}s/${it.subjectId}`;

const readReceipt = (id: string) => get<ReceiptRow>(`/receipts/${id}`);
/** Where a receipt is shown: its contract's receivables tab. */
export const receiptPath = async (id: string) => receivablesPath((await readReceipt(id)).contractId);

const readVoucher = (id: string) => get<PaymentVoucherRow>(`/payment-vouchers/${id}`);
/** Where a payment voucher is shown: its payable. */
export const voucherPath = async (id: string) => payablePath((await readVoucher(id)).payableId);

/** A payment voucher's number as a link once its payable is known. */
function VoucherLink({ item }: { item: ApprovalItem }) {
  const v = useQuery({ queryKey: ['/payment-vouchers', item.subjectId], queryFn: () => readVoucher(item.subjectId), staleTime: 60_000 });
  if (!v.data) return <span>{item.number}</span>;
  return <Link to={payablePath(v.data.payableId)} style={{ textDecoration: 'underline' }} data-testid="inbox-payment-link">{item.number}</Link>;
}

/** The subject's number as a link; a receipt's once its contract is known, a voucher's once its payable is. */
function SubjectLink({ item }: { item: ApprovalItem }) {
  const receipt = item.kind === 'receipt';
  const r = useQuery({ queryKey: ['/receipts', item.subjectId], queryFn: () => readReceipt(item.subjectId), enabled: receipt, staleTime: 60_000 });
  if (item.kind === 'payment') return <VoucherLink item={item} />;
  if (!receipt) return <Link to={subjectPath(item)} style={{ textDecoration: 'underline' }}>{item.number}</Link>;
  if (!r.data) return <span>{item.number}</span>;
  return <Link to={receivablesPath(r.data.contractId)} style={{ textDecoration: 'underline' }} data-testid="inbox-receipt-link">{item.number}</Link>;
}

export default function Approvals() {
  const t = useT();
  const { lang } = useLang();
  const nav = useNavigate();
  const userName = useUserName();
  const { sp, set } = useListParams();
  const view = (sp.get('view') as InboxView | null) ?? 'pending';
  const [decision, setDecision] = useState<DecisionTarget | null>(null);
  const [receiptStep, setReceiptStep] = useState<ReceiptTarget | null>(null);
  const decide = (r: ApprovalItem, d: 'approve' | 'reject') =>
    r.kind === 'receipt' || r.kind === 'payment'
      ? setReceiptStep({ kind: r.kind, receiptId: r.subjectId, number: r.number, step: d })
      : setDecision({ id: r.subjectId, number: r.number, decision: d });
  const open = (r: ApprovalItem) => {
    if (r.kind === 'receipt') void receiptPath(r.subjectId).then((p) => nav(p), () => undefined);
    else if (r.kind === 'payment') void voucherPath(r.subjectId).then((p) => nav(p), () => undefined);
    else nav(subjectPath(r));
  };
  const stepOf = (r: ApprovalItem) => {
    const n = typeof r.steps === 'number' ? r.steps : r.steps.length;
    if (r.step < 0) return '—';
    return `${r.step + 1}/${n}${r.stepName ? ' ' + r.stepName : ''}`;
  };
  const columns: Col<ApprovalItem>[] = [
    { key: 'number', title: t('编号', 'Number'), render: (r) => <SubjectLink item={r} /> },
    { key: 'kind', title: t('类型', 'Kind'), render: (r) => <Tag data-testid="inbox-kind">{label(approvalKind, r.kind, lang)}</Tag> },
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
      onOpen={open}
      actions={
        view === 'pending'
          ? (r) =>
              r.status === 'pending' && (
                <Space size={4}>
                  <Button size="small" type="primary" data-testid="inbox-approve" onClick={() => decide(r, 'approve')}>
                    {t('同意', 'Approve')}
                  </Button>
                  <Button size="small" danger data-testid="inbox-reject" onClick={() => decide(r, 'reject')}>
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
      <ReceiptStepDialog target={receiptStep} onClose={() => setReceiptStep(null)} />
    </div>
  );
}
