// A contract: its fields and lines, its approval step by step, and what the signed-in user may do
// with it now (by its state, their permissions and whether they are the current approver or the
// submitter). Every command is sent at the version shown (If-Match).
import { useState } from 'react';
import { Alert, App, Button, Card, Col, Descriptions, Form, Input, Row, Space, Spin, Statistic, Typography, type FormInstance } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import { call, get, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { HistoryView, useUserName } from '../components/common';
import { useDictLabel } from '../components/dict';
import { DeleteButton, DetailHeader, FormDialog, RecordTabs } from '../components/detail';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { fieldNames, label } from '../labels';
import { fmtMoney } from '../money';
import { useSession } from '../session';
import { fmtTime, short } from '../util';
import { ContractForm } from './ContractForm';
import { LinesTable } from './OpportunityLines';
import { Receivables } from './Receivables';
import { ApprovalSteps, ContractStatusTag, DecisionDialog, isCurrentApprover, type DecisionTarget } from './contractCommon';
import type { Contract, ContractChanges } from './contractTypes';

/** The changes an amendment proposes, field by field. */
function AmendmentChanges({ changes }: { changes: NonNullable<Contract['amendment']>['changes'] }) {
  const { lang } = useLang();
  const t = useT();
  const userName = useUserName();
  const typeLabel = useDictLabel();
  const show = (k: keyof ContractChanges, v: unknown): string => {
    if (v === null || v === undefined || v === '') return '—';
    switch (k) {
      case 'amount':
        return '¥' + fmtMoney(String(v));
      case 'lines': {
        const ls = Array.isArray(v) ? (v as { productName?: string; quantity?: string }[]) : [];
        return ls.length ? ls.map((l) => `${l.productName ?? ''} × ${l.quantity ?? ''}`).join('；') : t('（无明细）', '(no lines)');
      }
      case 'ourSignatoryId':
        return userName(String(v));
      case 'type':
        return typeLabel('contract_type', String(v));
      default:
        return short(v);
    }
  };
  return (
    <Descriptions
      size="small"
      column={1}
      data-testid="amendment-changes"
      items={(Object.keys(changes) as (keyof ContractChanges)[]).map((k) => ({ key: k, label: label(fieldNames, k, lang) || k, children: show(k, changes[k]) }))}
    />
  );
}

type Dialog = null | 'edit' | 'amend' | 'submit' | 'terminate';

export default function ContractDetail() {
  const { id } = useParams();
  const t = useT();
  const s = useSession();
  const run = useCommand();
  const { modal } = App.useApp();
  const userName = useUserName();
  const typeLabel = useDictLabel();
  const q = useQuery({ queryKey: ['/contracts', id], queryFn: () => get<Contract>(`/contracts/${id}`), enabled: !!id });
  const signatoryId = q.data?.customerSignatoryId;
  const signatory = useQuery({ queryKey: ['/contacts', 'one', signatoryId], queryFn: () => get<Schemas['Contact']>(`/contacts/${signatoryId}`), enabled: !!signatoryId, retry: false });
  const [dialog, setDialog] = useState<Dialog>(null);
  const [decision, setDecision] = useState<DecisionTarget | null>(null);
  const [sp, setSp] = useSearchParams();
  if (q.isLoading) return <Spin style={{ display: 'block', margin: 48 }} />;
  if (q.error || !q.data) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  const c = q.data;
  const me = s.user.id;
  const can = (p: string) => s.isAdmin || s.can(p);
  const close = () => setDialog(null);
  const history = `/contracts/${c.id}/history`;
  const a = c.approval;
  const pending = a?.status === 'pending';
  const amending = pending && a?.purpose === 'amendment';
  const decides = isCurrentApprover(a, me);
  const live = c.status === 'approved' || c.status === 'executing';
  // the receivables (回款) are the finance module's: shown to holders of finance.read; ?tab= opens one
  const tab = sp.get('tab') ?? 'lines';
  const tabs = [
    { key: 'lines', label: t('产品明细', 'Line items'), children: <LinesTable lines={c.lines ?? []} amount={c.amount} testId="contract-lines" /> },
    ...(can('finance.read') ? [{ key: 'receivables', label: t('回款', 'Receivables'), children: <Receivables contractId={c.id} /> }] : []),
    ...(can('finance.read') ? [{ key: 'receivables-history', label: t('回款历史', 'Receivables history'), children: <HistoryView path={`/contracts/${c.id}/receivables/history`} /> }] : []),
  ];
  const cmd = (path: string, body: unknown, ok: string, form?: FormInstance) =>
    run(() => call('POST', `/contracts/${c.id}/${path}`, { body, ifMatch: c.version }), { form, success: ok, historyPath: history, reload: close });
  const confirm = (title: string, content: string, path: string, ok: string, testId: string) =>
    modal.confirm({
      title,
      content,
      okText: t('确定', 'OK'),
      cancelText: t('取消', 'Cancel'),
      okButtonProps: { 'data-testid': `${testId}-ok` } as Record<string, string>,
      onOk: () => cmd(path, {}, ok).catch(() => undefined),
    });

  return (
    <div>
      <DetailHeader title={c.number}>
        <Typography.Text>{c.name}</Typography.Text>
        <ContractStatusTag status={c.status} />
        <Typography.Text strong data-testid="contract-header-amount">¥{fmtMoney(c.amount)}</Typography.Text>
      </DetailHeader>
      <div style={{ marginBottom: 12 }}>
        <Space wrap>
          {c.status === 'draft' && can('contracts.update') && (
            <Button type="primary" onClick={() => setDialog('submit')} data-testid="contract-submit">{t('提交审批', 'Submit for approval')}</Button>
          )}
          {c.status === 'draft' && can('contracts.update') && (
            <Button onClick={() => setDialog('edit')} data-testid="contract-edit">{t('编辑', 'Edit')}</Button>
          )}
          {decides && (
            <Button type="primary" onClick={() => setDecision({ id: c.id, number: c.number, version: c.version, decision: 'approve' })} data-testid="contract-approve">
              {t('同意', 'Approve')}
            </Button>
          )}
          {decides && (
            <Button danger onClick={() => setDecision({ id: c.id, number: c.number, version: c.version, decision: 'reject' })} data-testid="contract-reject">
              {t('驳回', 'Reject')}
            </Button>
          )}
          {pending && a?.submitterId === me && (
            <Button
              onClick={() => confirm(t('撤回审批', 'Withdraw the approval'), amending ? t('撤回后变更作废。', 'The amendment is dropped.') : t('撤回后合同回到草稿。', 'The contract returns to draft.'), 'withdraw', t('已撤回', 'Withdrawn'), 'contract-withdraw')}
              data-testid="contract-withdraw"
            >
              {t('撤回', 'Withdraw')}
            </Button>
          )}
          {live && !pending && can('contracts.update') && (
            <Button onClick={() => setDialog('amend')} data-testid="contract-amend">{t('变更', 'Amend')}</Button>
          )}
          {c.status === 'approved' && can('contracts.update') && (
            <Button onClick={() => confirm(t('开始执行', 'Start execution'), t('合同将进入执行中。', 'The contract becomes executing.'), 'start', t('已开始执行', 'Executing'), 'contract-start')} data-testid="contract-start">
              {t('开始执行', 'Start execution')}
            </Button>
          )}
          {c.status === 'executing' && can('contracts.update') && (
            <Button onClick={() => confirm(t('完成合同', 'Complete the contract'), t('合同将标记为已完成。', 'The contract is marked completed.'), 'complete', t('已完成', 'Completed'), 'contract-complete')} data-testid="contract-complete">
              {t('完成', 'Complete')}
            </Button>
          )}
          {live && can('contracts.terminate') && (
            <Button danger onClick={() => setDialog('terminate')} data-testid="contract-terminate">{t('终止', 'Terminate')}</Button>
          )}
          {c.status === 'draft' && can('contracts.delete') && (
            <DeleteButton path={`/contracts/${c.id}`} version={c.version} title={t('删除合同', 'Delete contract')} content={t('删除后合同离开列表，历史仍保留。', 'It leaves the lists; its history stays.')} after="/contracts" testId="contract-delete" />
          )}
        </Space>
      </div>
      {c.status === 'terminated' && (
        <Alert type="error" showIcon style={{ marginBottom: 12 }} title={t(`终止原因：${c.terminationReason || '—'}`, `Terminated: ${c.terminationReason || '—'}`)} />
      )}
      {c.amendment && amending && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          data-testid="amendment"
          title={t(`变更审批中：${c.amendment.reason}`, `Amendment waiting for approval: ${c.amendment.reason}`)}
          description={<AmendmentChanges changes={c.amendment.changes} />}
        />
      )}
      <Card>
        <Row gutter={16} style={{ marginBottom: 12 }}>
          <Col xs={12} sm={6}><Statistic title={t('合同金额', 'Amount')} value={fmtMoney(c.amount)} prefix="¥" /></Col>
          <Col xs={12} sm={6}><Statistic title={t('签订日期', 'Signed on')} value={c.signedOn || '—'} /></Col>
          <Col xs={12} sm={6}><Statistic title={t('开始日期', 'Starts on')} value={c.startsOn || '—'} /></Col>
          <Col xs={12} sm={6}><Statistic title={t('结束日期', 'Ends on')} value={c.endsOn || '—'} /></Col>
        </Row>
        <Descriptions
          size="small"
          column={{ xs: 1, sm: 2, lg: 3 }}
          data-testid="contract-fields"
          items={(
            [
              [t('合同名称', 'Name'), c.name],
              [t('客户', 'Customer'), <Link to={`/customers/${c.customerId}`} style={{ textDecoration: 'underline' }}>{c.customerName}</Link>],
              [t('商机', 'Opportunity'), c.opportunityId ? <Link to={`/opportunities/${c.opportunityId}`} style={{ textDecoration: 'underline' }}>{c.opportunityName || c.opportunityId}</Link> : ''],
              [t('合同类型', 'Type'), typeLabel('contract_type', c.type)],
              [t('客户签约人', 'Customer signatory'), c.customerSignatoryId ? (signatory.data?.name ?? c.customerSignatoryId.slice(0, 8)) : ''],
              [t('我方签约人', 'Our signatory'), userName(c.ourSignatoryId)],
              [t('负责人', 'Owner'), userName(c.ownerId)],
              [t('付款条件', 'Payment terms'), c.paymentTerms],
              [t('备注', 'Remarks'), c.remarks],
              [t('创建时间', 'Created'), fmtTime(c.createdAt)],
              [t('更新时间', 'Updated'), fmtTime(c.updatedAt)],
              [t('版本', 'Version'), String(c.version)],
            ] as [string, React.ReactNode][]
          ).map(([l, v], i) => ({ key: String(i), label: l, children: v === '' || v === undefined || v === null ? '—' : v }))}
        />
      </Card>
      {a && (
        <Card title={t('审批', 'Approval')} style={{ marginTop: 12 }}>
          <ApprovalSteps approval={a} />
        </Card>
      )}
      <RecordTabs
        historyPath={history}
        activeKey={tabs.some((x) => x.key === tab) ? tab : 'lines'}
        onChange={(k) => setSp((prev) => {
          const next = new URLSearchParams(prev);
          if (k === 'lines') next.delete('tab');
          else next.set('tab', k);
          return next;
        }, { replace: true })}
        items={tabs}
      />
      {/* mounted while asked for only: each form reads customers, opportunities and contacts */}
      {dialog === 'edit' && <ContractForm open contract={c} onClose={close} />}
      {dialog === 'amend' && <ContractForm open contract={c} amend onClose={close} />}
      <DecisionDialog target={decision} onClose={() => setDecision(null)} />
      <FormDialog
        open={dialog === 'submit'}
        title={t('提交审批', 'Submit for approval')}
        okText={t('提交', 'Submit')}
        onClose={close}
        testId="submit-form"
        name="submit"
        submit={(v, form) => {
          const comment = String(v.comment ?? '').trim();
          return cmd('submit', comment ? { comment } : {}, t('已提交审批', 'Submitted for approval'), form);
        }}
      >
        <Typography.Paragraph type="secondary">{t('提交后按合同审批流程逐级审批；审批中的合同不能编辑。', 'It goes through the contract approval flow step by step; a pending contract cannot be edited.')}</Typography.Paragraph>
        <Form.Item name="comment" label={t('说明（可空）', 'Comment (optional)')} rules={[{ max: 1000 }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
      </FormDialog>
      <FormDialog
        open={dialog === 'terminate'}
        title={t('终止合同', 'Terminate the contract')}
        okText={t('终止', 'Terminate')}
        danger
        onClose={close}
        testId="terminate-form"
        name="terminate"
        submit={(v, form) => cmd('terminate', { reason: String(v.reason ?? '').trim() }, t('合同已终止', 'Terminated'), form)}
      >
        <Form.Item name="reason" label={t('终止原因', 'Reason')} rules={[{ required: true, whitespace: true, message: t('请填写终止原因', 'A reason is required') }, { max: 1000 }]}>
          <Input.TextArea rows={3} />
        </Form.Item>
      </FormDialog>
    </div>
  );
}
