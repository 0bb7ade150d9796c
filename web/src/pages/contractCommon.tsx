// What the contract and approval screens share: status tags, the approval's steps, who may decide
// now, the approve / reject dialog (the inbox and the contract page use the same one) and the
// numbering pattern's preview.
import { useState } from 'react';
import { Empty, Form, Input, Modal, Space, Steps, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { call } from '../api/client';
import { useCommand } from '../components/commands';
import { useUserName } from '../components/common';
import { useLang, useT } from '../i18n';
import { approvalDecision, approvalPurpose, approvalStatus, approvalStepKind, contractStatus, label } from '../labels';
import { fmtTime, userZone } from '../util';
import type { Approval, ApprovalStatus, Contract, ContractStatus } from './contractTypes';

const contractColor: Record<ContractStatus, string> = {
  draft: 'default',
  pending: 'warning',
  approved: 'geekblue',
  executing: 'processing',
  completed: 'success',
  terminated: 'error',
};
const approvalColor: Record<ApprovalStatus, string> = { pending: 'warning', approved: 'success', rejected: 'error', withdrawn: 'default' };

export function ContractStatusTag({ status }: { status: ContractStatus }) {
  const { lang } = useLang();
  return <Tag color={contractColor[status]} data-testid="contract-status">{label(contractStatus, status, lang)}</Tag>;
}

export function ApprovalStatusTag({ status }: { status: ApprovalStatus }) {
  const { lang } = useLang();
  return <Tag color={approvalColor[status]}>{label(approvalStatus, status, lang)}</Tag>;
}

/** Whether the user may decide the approval now: it waits, and they are one of its current step's approvers. */
export function isCurrentApprover(a: Approval | null | undefined, userId: string): boolean {
  if (!a || a.status !== 'pending' || a.current < 0) return false;
  return (a.steps[a.current]?.approverIds ?? []).includes(userId);
}

/** The approval's steps top to bottom: who may decide each, what was decided, by whom, when, with what comment. */
export function ApprovalSteps({ approval }: { approval: Approval }) {
  const t = useT();
  const { lang } = useLang();
  const userName = useUserName();
  const names = (ids: string[]) => ids.map((id) => userName(id)).join('、');
  return (
    <div data-testid="approval-panel">
      <Space wrap style={{ marginBottom: 12 }}>
        <Tag>{label(approvalPurpose, approval.purpose, lang)}</Tag>
        <ApprovalStatusTag status={approval.status} />
        <Typography.Text type="secondary">
          {t(`${userName(approval.submitterId)} 于 ${fmtTime(approval.submittedAt)} 提交`, `Submitted by ${userName(approval.submitterId)} at ${fmtTime(approval.submittedAt)}`)}
        </Typography.Text>
      </Space>
      {approval.steps.length === 0 ? (
        <Empty description={t('没有审批步骤', 'No steps')} />
      ) : (
        <Steps
          orientation="vertical"
          size="small"
          items={approval.steps.map((s, i) => {
            const waiting = approval.status === 'pending' && i === approval.current;
            return {
              key: i,
              title: s.name || label(approvalStepKind, s.kind, lang),
              subTitle: s.decision ? label(approvalDecision, s.decision, lang) : waiting ? t('审批中', 'Waiting') : undefined,
              status: s.decision === 'approved' ? 'finish' : s.decision === 'rejected' ? 'error' : waiting ? 'process' : 'wait',
              content: (
                <div data-testid={`approval-step-${i}`} style={{ fontSize: 13 }}>
                  <div>
                    {t('审批人：', 'Approvers: ')}
                    {names(s.approverIds) || '—'}
                  </div>
                  {s.by && (
                    <div>
                      {t(`${userName(s.by)} 于 ${fmtTime(s.at)} ${label(approvalDecision, s.decision, lang)}`, `${label(approvalDecision, s.decision, lang)} by ${userName(s.by)} at ${fmtTime(s.at)}`)}
                    </div>
                  )}
                  {s.comment && <div>“{s.comment}”</div>}
                </div>
              ),
            };
          })}
        />
      )}
    </div>
  );
}

export interface DecisionTarget {
  /** the contract */
  id: string;
  number: string;
  /** the version the decision is made at; left out, the contract is read first (the inbox) */
  version?: number;
  decision: 'approve' | 'reject';
}

/** Approve (an optional comment) or reject (a comment is required) the waiting step of a contract's
 * approval, at the contract's version (If-Match). */
export function DecisionDialog({ target, onClose, onDone }: { target: DecisionTarget | null; onClose: () => void; onDone?: () => void }) {
  const t = useT();
  const run = useCommand();
  const [form] = Form.useForm<{ comment?: string }>();
  const [busy, setBusy] = useState(false);
  const reject = target?.decision === 'reject';
  const submit = async (v: { comment?: string }) => {
    if (!target) return;
    setBusy(true);
    try {
      const comment = (v.comment ?? '').trim();
      const history = `/contracts/${target.id}/history`;
      let version = target.version;
      if (version === undefined) {
        const r = await call<Contract>('GET', `/contracts/${target.id}`);
        version = r.data?.version ?? Number((r.headers.get('ETag') ?? '').replace(/\D/g, ''));
      }
      const r = await run(() => call('POST', `/contracts/${target.id}/${target.decision}`, { body: reject || comment ? { comment } : {}, ifMatch: version }), {
        form,
        success: reject ? t('已驳回', 'Rejected') : t('已同意', 'Approved'),
        historyPath: history,
        reload: onClose,
      });
      if (r !== undefined) {
        onDone?.();
        onClose();
      }
    } catch {
      /* reported */
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={!!target}
      title={target ? (reject ? t(`驳回合同 ${target.number}`, `Reject contract ${target.number}`) : t(`同意合同 ${target.number}`, `Approve contract ${target.number}`)) : ''}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={reject ? t('驳回', 'Reject') : t('同意', 'Approve')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy, danger: reject }}
      destroyOnHidden
    >
      <Form form={form} name="decision" layout="vertical" onFinish={submit} preserve={false} data-testid="decision-form">
        <Form.Item
          name="comment"
          label={reject ? t('驳回意见', 'Reason for rejecting') : t('审批意见（可空）', 'Comment (optional)')}
          rules={[...(reject ? [{ required: true, whitespace: true, message: t('驳回时必须填写意见', 'A rejection needs a comment') }] : []), { max: 1000 }]}
        >
          <Input.TextArea rows={3} autoFocus />
        </Form.Item>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

/** What is wrong with a numbering pattern, if anything. */
export type PatternProblem = { code: 'empty' } | { code: 'no_seq' } | { code: 'several_seq' } | { code: 'bad_seq'; token: string } | { code: 'unknown_token'; token: string };

/**
 * The number a pattern gives on `day` with sequence `seq` (the first of its period by default):
 * literal text and {yyyy} {yy} {mm} {dd}, and exactly one {seq:N} (N = 1…9 digits, zero-padded).
 * The server decides the real sequence; this is a preview.
 */
export function numberPreview(pattern: string, day: Dayjs, seq = 1): { number: string; problem?: undefined } | { number?: undefined; problem: PatternProblem } {
  if (!pattern.trim()) return { problem: { code: 'empty' } };
  let seqs = 0;
  let problem: PatternProblem | undefined;
  const number = pattern.replace(/\{([^{}]*)\}/g, (whole, token: string) => {
    switch (token) {
      case 'yyyy':
        return day.format('YYYY');
      case 'yy':
        return day.format('YY');
      case 'mm':
        return day.format('MM');
      case 'dd':
        return day.format('DD');
    }
    if (token.startsWith('seq')) {
      const m = /^seq:([1-9])$/.exec(token);
      if (!m) {
        problem ??= { code: 'bad_seq', token: whole };
        return whole;
      }
      seqs++;
      return String(seq).padStart(Number(m[1]), '0');
    }
    problem ??= { code: 'unknown_token', token: whole };
    return whole;
  });
  if (problem) return { problem };
  if (seqs === 0) return { problem: { code: 'no_seq' } };
  if (seqs > 1) return { problem: { code: 'several_seq' } };
  return { number };
}

/** Today in the user's time zone (the server numbers by its default zone's date; the preview by the user's). */
export const today = () => dayjs(dayjs().tz(userZone()).format('YYYY-MM-DD'));

/** A pattern problem in the page's language. */
export function usePatternProblem() {
  const t = useT();
  return (p: PatternProblem): string => {
    switch (p.code) {
      case 'empty':
        return t('请输入编号规则', 'A pattern is required');
      case 'no_seq':
        return t('规则必须包含一个 {seq:N} 序号', 'The pattern needs one {seq:N}');
      case 'several_seq':
        return t('规则只能包含一个 {seq:N} 序号', 'The pattern may hold only one {seq:N}');
      case 'bad_seq':
        return t(`序号 ${p.token} 的位数应为 1–9，如 {seq:4}`, `${p.token}: the sequence has 1–9 digits, as in {seq:4}`);
      case 'unknown_token':
        return t(`未知的占位符 ${p.token}（可用 {yyyy} {yy} {mm} {dd} {seq:N}）`, `Unknown token ${p.token} (use {yyyy} {yy} {mm} {dd} {seq:N})`);
    }
  };
}
