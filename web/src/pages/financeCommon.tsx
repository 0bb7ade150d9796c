// What the finance screens share: status tags, where a contract's receivables are shown, who may
// decide a receipt now, the receipt entry dialog, the submit / approve / reject and reverse dialogs
// (the contract's receivables tab and the approval inbox use the same ones), and how a refused
// command is told. Money stays decimal text; sums and comparisons are exact (BigInt fen).
import { useState } from 'react';
import { Alert, Button, Col, DatePicker, Dropdown, Form, Input, Modal, Row, Select, Tag, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { ApiError, call, exportUrl, get, type Query } from '../api/client';
import type { Installment, InstallmentStatus, Ledger, Payable, PaymentVoucher, PaymentVoucherInput, PaymentVoucherRow, Receipt, ReceiptApproval, ReceiptInput, ReceiptRow, ReceiptStatus } from '../api/finance';
import { useCommand } from '../components/commands';
import { UserSelect } from '../components/common';
import { DictSelect } from '../components/dict';
import { useLang, useT } from '../i18n';
import { financeProblem, installmentStatus, label, payableStatus, receiptStatus } from '../labels';
import { cmpMoney, fmtMoney, fromFen, isMoney, toFen } from '../money';
import { today } from './contractCommon';

/** Where a contract's receivables are shown: the contract page's 回款 tab. */
export const receivablesPath = (contractId: string) => `/contracts/${contractId}?tab=receivables`;

/** CSV / XLSX of a finance list with its current filters (GET /<collection>/export?format=…); the
 * server adds an exact totals row. */
export function ExportButton({ collection, query, testId }: { collection: 'receipts' | 'installments'; query: Query; testId: string }) {
  const t = useT();
  return (
    <Dropdown
      menu={{
        items: (['xlsx', 'csv'] as const).map((f) => ({
          key: f,
          // a plain link: the download goes with the session cookie
          label: (
            <a href={exportUrl(collection, f, query)} download data-testid={`${testId}-${f}`}>
              {f === 'xlsx' ? 'Excel (.xlsx)' : 'CSV'}
            </a>
          ),
        })),
      }}
    >
      <Button icon={<DownloadOutlined />} data-testid={testId}>{t('导出', 'Export')}</Button>
    </Dropdown>
  );
}

/** ¥ and thousands separators ("-¥0.01" below zero); a dash for nothing. */
export const yuan = (v: string | null | undefined) => {
  if (v === null || v === undefined || v === '') return '—';
  const s = v.trim();
  return s.startsWith('-') ? `-¥${fmtMoney(s.slice(1))}` : `¥${fmtMoney(s)}`;
};

const installmentColor: Record<InstallmentStatus, string> = { planned: 'default', partly_received: 'processing', received: 'success', overdue: 'error' };
const receiptColor: Record<ReceiptStatus, string> = { draft: 'default', pending: 'warning', confirmed: 'success', reversed: 'error' };

export function InstallmentStatusTag({ status }: { status: InstallmentStatus }) {
  const { lang } = useLang();
  return <Tag color={installmentColor[status] ?? 'default'} data-testid="installment-status">{label(installmentStatus, status, lang)}</Tag>;
}

export function ReceiptStatusTag({ status }: { status: ReceiptStatus }) {
  const { lang } = useLang();
  return <Tag color={receiptColor[status] ?? 'default'} data-testid="receipt-status">{label(receiptStatus, status, lang)}</Tag>;
}

/** A payment voucher's state: the same lifecycle (and words) as a receipt's. */
export function VoucherStatusTag({ status }: { status: ReceiptStatus }) {
  const { lang } = useLang();
  return <Tag color={receiptColor[status] ?? 'default'} data-testid="voucher-status">{label(receiptStatus, status, lang)}</Tag>;
}

export function PayableStatusTag({ status }: { status: 'open' | 'paid' }) {
  const { lang } = useLang();
  return <Tag color={status === 'paid' ? 'success' : 'processing'} data-testid="payable-status">{label(payableStatus, status, lang)}</Tag>;
}

/** Where a payable is shown. */
export const payablePath = (payableId: string) => `/payables/${payableId}`;

/** The approval a receipt or a payment voucher carries (the same shape: its steps and who waits). */
type DocApproval = Pick<ReceiptApproval, 'status' | 'current' | 'submitterId'> & { steps: { approverIds: string[] }[] };

/** Whether the user may decide the document's approval now: it waits, and they are one of its current step's approvers. */
export function isReceiptApprover(a: DocApproval | null | undefined, userId: string): boolean {
  if (!a || a.status !== 'pending' || a.current < 0) return false;
  return (a.steps[a.current]?.approverIds ?? []).includes(userId);
}

/** A refused finance command in the page's language: the code's text, and the server's detail when it says more. */
export function useFinanceProblem() {
  const t = useT();
  return (e: ApiError): { title: string; detail?: string } => {
    // a refusal told as a field error (422 validation_failed: amount over_payment) is named by the field's code
    const code = financeProblem[e.code] ? e.code : (e.problem?.errors ?? []).map((f) => f.code ?? '').find((c) => c && financeProblem[c]);
    const known = code ? financeProblem[code] : undefined;
    const detail = e.problem?.detail || undefined;
    if (known) return { title: t(...known), detail: detail && detail !== known[0] && detail !== known[1] ? detail : undefined };
    return { title: e.message || e.code || String(e.status) };
  };
}

/** The refusal of the last try, shown in the dialog until the next one (the field errors are on their fields). */
export function ProblemAlert({ error }: { error: ApiError | null }) {
  const say = useFinanceProblem();
  if (!error || error.status === 412) return null;
  const p = say(error);
  return <Alert type="error" showIcon style={{ marginBottom: 12 }} data-testid="finance-problem" title={p.title} description={p.detail} />;
}

const dateText = (d: Dayjs | null | undefined) => (d && d.isValid() ? d.format('YYYY-MM-DD') : '');

interface ReceiptFormValues {
  amount?: string;
  date?: Dayjs | null;
  method?: string;
  payerAccount?: string;
  remarks?: string;
  installments?: number[];
  ownerId?: string;
}

/** The body of a receipt's create or edit: the typed texts trimmed, as they are; empty ones left out. */
export function receiptBody(v: ReceiptFormValues): ReceiptInput {
  const out: ReceiptInput = { amount: (v.amount ?? '').trim(), date: dateText(v.date) };
  const method = (v.method ?? '').trim();
  const payer = (v.payerAccount ?? '').trim();
  const remarks = (v.remarks ?? '').trim();
  if (method) out.method = method;
  if (payer) out.payerAccount = payer;
  if (remarks) out.remarks = remarks;
  if (v.installments && v.installments.length) out.installments = [...v.installments].sort((a, b) => a - b);
  if (v.ownerId) out.ownerId = v.ownerId;
  return out;
}

/** An installment as an option: "第 1 期 · 2026-12-31 · 未回款 ¥20,000.00". */
function useInstallmentLabel() {
  const t = useT();
  return (i: Installment) => t(`第 ${i.seq} 期 · ${i.dueDate} · 未回款 ${yuan(i.outstanding)}`, `#${i.seq} · ${i.dueDate} · ${yuan(i.outstanding)} left`);
}

/**
 * Records a receipt against a contract (POST …/receipts) or edits a draft (PUT …/receipts/{id}):
 * amount, date, payment method (the `payment_method` dictionary), payer account, the installments it
 * pays (optional; without them it is allocated by the plan's order) and the owner. It warns before
 * sending when the date falls in a closed month or the amount is more than is left; the server's
 * refusal (over_receipt, month_closed, …) stays in the dialog.
 */
export function ReceiptDialog({ open, ledger, receipt, onClose }: { open: boolean; ledger: Ledger; receipt?: Receipt | null; onClose: () => void }) {
  const t = useT();
  const run = useCommand();
  const instLabel = useInstallmentLabel();
  const [form] = Form.useForm<ReceiptFormValues>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const amount = (Form.useWatch('amount', form) ?? '') as string;
  const date = Form.useWatch('date', form) as Dayjs | null | undefined;
  const chosen = (Form.useWatch('installments', form) ?? []) as number[];
  const editing = !!receipt;
  const month = date && date.isValid() ? date.format('YYYY-MM') : '';
  const closedMonth = month && ledger.closedMonths.includes(month);
  // what is left: of the chosen installments, else of the contract (less what waits for approval)
  const left = chosen.length
    ? fromFen(ledger.installments.filter((i) => chosen.includes(i.seq)).reduce((s, i) => s + (toFen(i.outstanding) ?? 0n), 0n))
    : fromFen((toFen(ledger.totals.outstanding) ?? 0n) - (toFen(ledger.totals.pending) ?? 0n));
  const over = isMoney(amount.trim()) && cmpMoney(amount.trim(), left) > 0 && !editing;
  const initial: ReceiptFormValues = receipt
    ? {
        amount: receipt.amount,
        date: receipt.date ? dayjs(receipt.date) : null,
        method: receipt.method || undefined,
        payerAccount: receipt.payerAccount,
        remarks: receipt.remarks,
        installments: receipt.installments ?? [],
        ownerId: receipt.ownerId || undefined,
      }
    : { date: today(), installments: [] };
  const options = ledger.installments
    .filter((i) => cmpMoney(i.outstanding, '0') > 0 || (receipt?.installments ?? []).includes(i.seq))
    .map((i) => ({ value: i.seq, label: instLabel(i) }));
  const submit = async (v: ReceiptFormValues) => {
    setBusy(true);
    setError(null);
    const body = receiptBody(v);
    const base = `/contracts/${ledger.contractId}/receipts`;
    try {
      const r = await run(
        () => (receipt ? call('PUT', `${base}/${receipt.id}`, { body, ifMatch: ledger.version || undefined }) : call('POST', base, { body, ifMatch: ledger.version || undefined })),
        { form, success: receipt ? t('回款单已保存', 'Receipt saved') : t('已登记回款', 'Receipt recorded'), historyPath: `/contracts/${ledger.contractId}/receivables/history` },
      );
      if (r !== undefined) onClose();
    } catch (e) {
      if (e instanceof ApiError) setError(e);
    } finally {
      setBusy(false);
    }
  };
  const amountRule = {
    validator: (_: unknown, v: string | undefined) => {
      const s = (v ?? '').trim();
      if (!s) return Promise.reject(new Error(t('请填写回款金额', 'An amount is required')));
      if (!isMoney(s)) return Promise.reject(new Error(t('金额，最多 2 位小数', 'An amount, at most 2 decimals')));
      if (cmpMoney(s, '0') <= 0) return Promise.reject(new Error(t('金额必须大于 0', 'The amount must be more than 0')));
      return Promise.resolve();
    },
  };
  return (
    <Modal
      open={open}
      title={receipt ? t(`编辑回款单 ${receipt.number}`, `Edit receipt ${receipt.number}`) : t(`登记回款：${ledger.contractNumber}`, `Record a receipt: ${ledger.contractNumber}`)}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('保存', 'Save')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy }}
      destroyOnHidden
      width={640}
    >
      <ProblemAlert error={error} />
      <Form form={form} name="receipt" layout="vertical" preserve={false} initialValues={initial} onFinish={submit} data-testid="receipt-form">
        <Row gutter={12}>
          <Col xs={24} sm={12}>
            <Form.Item name="amount" label={t('回款金额', 'Amount')} rules={[amountRule]} extra={t(`未回款 ${yuan(left)}`, `${yuan(left)} left`)}>
              <Input inputMode="decimal" prefix="¥" autoFocus />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="date" label={t('回款日期', 'Date received')} rules={[{ required: true, message: t('请选择回款日期', 'A date is required') }]}>
              <DatePicker style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="method" label={t('付款方式', 'Payment method')}>
              <DictSelect kind="payment_method" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="payerAccount" label={t('付款账户', 'Payer account')} rules={[{ max: 200 }]}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24}>
            <Form.Item name="installments" label={t('对应期次（可空，按计划顺序分配）', 'Installments (optional; else by the plan’s order)')}>
              <Select mode="multiple" allowClear options={options} placeholder={t('按计划顺序分配', 'By the plan’s order')} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="ownerId" label={t('负责人（可空）', 'Owner (optional)')}>
              <UserSelect activeOnly />
            </Form.Item>
          </Col>
          <Col xs={24}>
            <Form.Item name="remarks" label={t('备注', 'Remarks')} rules={[{ max: 1000 }]}>
              <Input.TextArea rows={2} />
            </Form.Item>
          </Col>
        </Row>
        {closedMonth && (
          <Alert type="warning" showIcon data-testid="receipt-closed-month" title={t(`${month} 已结账，不能在该月登记回款`, `${month} is closed; nothing can be recorded in it`)} />
        )}
        {over && (
          <Alert type="warning" showIcon style={{ marginTop: 8 }} data-testid="receipt-over" title={t(`金额超过未回款金额 ${yuan(left)}`, `More than the ${yuan(left)} left`)} />
        )}
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

/** What a comment dialog does with a receipt. */
export type ReceiptStep = 'submit' | 'approve' | 'reject';

export interface ReceiptTarget {
  /** a receipt (回款单, the default) or a payment voucher (付款单) */
  kind?: 'receipt' | 'payment';
  /** the receipt's or the voucher's id */
  receiptId: string;
  /** a voucher's payable; left out (the inbox), it is read first (GET /payment-vouchers/{id}) */
  payableId?: string;
  number: string;
  /** left out (the inbox), the receipt is read first (GET /receipts/{id}) to learn it */
  contractId?: string;
  /** the ledger's version the command is sent at (If-Match); the inbox sends none */
  version?: number;
  step: ReceiptStep;
}

/** Where a receipt's or a voucher's commands go, and the history a conflict is explained from. */
async function documentBase(target: Pick<ReceiptTarget, 'kind' | 'receiptId' | 'contractId' | 'payableId'>) {
  if (target.kind === 'payment') {
    const payableId = target.payableId ?? (await get<PaymentVoucherRow>(`/payment-vouchers/${target.receiptId}`)).payableId;
    return { base: `/payables/${payableId}/vouchers/${target.receiptId}`, history: `/payables/${payableId}/history` };
  }
  const contractId = target.contractId ?? (await get<ReceiptRow>(`/receipts/${target.receiptId}`)).contractId;
  return { base: `/contracts/${contractId}/receipts/${target.receiptId}`, history: `/contracts/${contractId}/receivables/history` };
}

/** Submits (an optional comment), approves (an optional comment) or rejects (a comment is required) a receipt or a payment voucher. */
export function ReceiptStepDialog({ target, onClose, onDone }: { target: ReceiptTarget | null; onClose: () => void; onDone?: () => void }) {
  const t = useT();
  const run = useCommand();
  const [form] = Form.useForm<{ comment?: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const step = target?.step;
  const reject = step === 'reject';
  const payment = target?.kind === 'payment';
  const titles: Record<ReceiptStep, [string, string, string]> = {
    submit: ['提交审批', 'Submit for approval', t('提交', 'Submit')],
    approve: payment ? ['同意付款单', 'Approve payment voucher', t('同意', 'Approve')] : ['同意回款单', 'Approve receipt', t('同意', 'Approve')],
    reject: payment ? ['驳回付款单', 'Reject payment voucher', t('驳回', 'Reject')] : ['驳回回款单', 'Reject receipt', t('驳回', 'Reject')],
  };
  const submit = async (v: { comment?: string }) => {
    if (!target) return;
    setBusy(true);
    setError(null);
    try {
      const comment = (v.comment ?? '').trim();
      const { base, history } = await documentBase(target);
      const r = await run(
        () =>
          call('POST', `${base}/${target.step}`, {
            body: reject || comment ? { comment } : {},
            ifMatch: target.version || undefined,
          }),
        {
          form,
          success: step === 'submit' ? t('已提交审批', 'Submitted for approval') : reject ? t('已驳回', 'Rejected') : t('已同意', 'Approved'),
          historyPath: history,
          reload: onClose,
        },
      );
      if (r !== undefined) {
        onDone?.();
        onClose();
      }
    } catch (e) {
      if (e instanceof ApiError) setError(e);
    } finally {
      setBusy(false);
    }
  };
  const [zh, en, ok] = step ? titles[step] : ['', '', ''];
  return (
    <Modal
      open={!!target}
      title={target ? t(`${zh} ${target.number}`, `${en} ${target.number}`) : ''}
      onCancel={() => {
        setError(null);
        onClose();
      }}
      onOk={() => form.submit()}
      okText={ok}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy, danger: reject }}
      destroyOnHidden
    >
      <ProblemAlert error={error} />
      {step === 'submit' && (
        <Typography.Paragraph type="secondary">
          {payment
            ? t('提交后按付款审批流程审批；审批通过后付款单确认，计入已付款。', 'It goes through the payment approval flow; once approved it is confirmed and counts as paid.')
            : t('提交后按回款审批流程审批；审批通过后回款单确认，计入已回款。', 'It goes through the receipt approval flow; once approved it is confirmed and counts as received.')}
        </Typography.Paragraph>
      )}
      <Form form={form} name="receipt-step" layout="vertical" onFinish={submit} preserve={false} data-testid="receipt-step-form">
        <Form.Item
          name="comment"
          label={reject ? t('驳回意见', 'Reason for rejecting') : step === 'submit' ? t('说明（可空）', 'Comment (optional)') : t('审批意见（可空）', 'Comment (optional)')}
          rules={[...(reject ? [{ required: true, whitespace: true, message: t('驳回时必须填写意见', 'A rejection needs a comment') }] : []), { max: 1000 }]}
        >
          <Input.TextArea rows={3} autoFocus />
        </Form.Item>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

/** What is reversed: a confirmed receipt of a ledger or a confirmed voucher of a payable. */
export interface ReverseTarget {
  kind: 'receipt' | 'payment';
  number: string;
  amount: string;
  /** POST here: …/receipts/{id}/reverse or …/vouchers/{id}/reverse */
  path: string;
  version: number;
  closedMonths: string[];
  historyPath: string;
}

/** Reverses (冲销) a confirmed receipt of a contract's ledger. */
export function ReverseDialog({ ledger, receipt, onClose }: { ledger: Ledger; receipt: Receipt | null; onClose: () => void }) {
  const target: ReverseTarget | null = receipt
    ? {
        kind: 'receipt',
        number: receipt.number,
        amount: receipt.amount,
        path: `/contracts/${ledger.contractId}/receipts/${receipt.id}/reverse`,
        version: ledger.version,
        closedMonths: ledger.closedMonths,
        historyPath: `/contracts/${ledger.contractId}/receivables/history`,
      }
    : null;
  return <DocReverseDialog target={target} onClose={onClose} />;
}

/** Reverses (冲销) a confirmed receipt or payment voucher: a reason (required) and the reversal's date (today unless changed). */
export function DocReverseDialog({ target, onClose }: { target: ReverseTarget | null; onClose: () => void }) {
  const t = useT();
  const run = useCommand();
  const [form] = Form.useForm<{ reason?: string; date?: Dayjs | null }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const date = Form.useWatch('date', form) as Dayjs | null | undefined;
  const month = date && date.isValid() ? date.format('YYYY-MM') : '';
  const payment = target?.kind === 'payment';
  const submit = async (v: { reason?: string; date?: Dayjs | null }) => {
    if (!target) return;
    setBusy(true);
    setError(null);
    try {
      const body: { reason: string; date?: string } = { reason: (v.reason ?? '').trim() };
      if (dateText(v.date)) body.date = dateText(v.date);
      const r = await run(() => call('POST', target.path, { body, ifMatch: target.version || undefined }), {
        form,
        success: t('已冲销', 'Reversed'),
        historyPath: target.historyPath,
        reload: onClose,
      });
      if (r !== undefined) onClose();
    } catch (e) {
      if (e instanceof ApiError) setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={!!target}
      title={target ? (payment ? t(`冲销付款单 ${target.number}`, `Reverse payment voucher ${target.number}`) : t(`冲销回款单 ${target.number}`, `Reverse receipt ${target.number}`)) : ''}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('冲销', 'Reverse')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy, danger: true }}
      destroyOnHidden
    >
      <ProblemAlert error={error} />
      {target && (
        <Typography.Paragraph>
          {payment
            ? t(`冲销后 ${yuan(target.amount)} 不再计入已付款，付款单保留为“已冲销”。`, `${yuan(target.amount)} no longer counts as paid; the voucher stays, reversed.`)
            : t(`冲销后 ${yuan(target.amount)} 不再计入已回款，回款单保留为“已冲销”。`, `${yuan(target.amount)} no longer counts as received; the receipt stays, reversed.`)}
        </Typography.Paragraph>
      )}
      <Form form={form} name="reverse" layout="vertical" preserve={false} initialValues={{ date: today() }} onFinish={submit} data-testid="reverse-form">
        <Form.Item name="reason" label={t('冲销原因', 'Reason')} rules={[{ required: true, whitespace: true, message: t('请填写冲销原因', 'A reason is required') }, { max: 1000 }]}>
          <Input.TextArea rows={2} autoFocus />
        </Form.Item>
        <Form.Item name="date" label={t('冲销日期', 'Reversal date')}>
          <DatePicker style={{ width: '100%' }} />
        </Form.Item>
        {month && target?.closedMonths.includes(month) && <Alert type="warning" showIcon title={t(`${month} 已结账`, `${month} is closed`)} />}
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

interface VoucherFormValues {
  amount?: string;
  date?: Dayjs | null;
  method?: string;
  payeeAccount?: string;
  remarks?: string;
}

/** The body of a voucher's create or edit: the typed texts trimmed, as they are; empty ones left out. */
export function voucherBody(v: VoucherFormValues): PaymentVoucherInput {
  const out: PaymentVoucherInput = { amount: (v.amount ?? '').trim(), date: dateText(v.date) };
  const method = (v.method ?? '').trim();
  const payee = (v.payeeAccount ?? '').trim();
  const remarks = (v.remarks ?? '').trim();
  if (method) out.method = method;
  if (payee) out.payeeAccount = payee;
  if (remarks) out.remarks = remarks;
  return out;
}

/**
 * Drafts a payment voucher against a payable (POST …/vouchers) or edits a draft (PUT …/vouchers/{id}):
 * amount, date, payment method, payee account, remarks; sent at the payable's version. It warns
 * before sending when the date falls in a closed month or the amount is more than is left (less what
 * waits for approval); the server's refusal (over_payment, month_closed, …) stays in the dialog.
 */
export function VoucherDialog({ open, payable, voucher, onClose }: { open: boolean; payable: Payable; voucher?: PaymentVoucher | null; onClose: () => void }) {
  const t = useT();
  const run = useCommand();
  const [form] = Form.useForm<VoucherFormValues>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const amount = (Form.useWatch('amount', form) ?? '') as string;
  const date = Form.useWatch('date', form) as Dayjs | null | undefined;
  const month = date && date.isValid() ? date.format('YYYY-MM') : '';
  const closedMonth = month && payable.closedMonths.includes(month);
  const left = fromFen((toFen(payable.outstanding) ?? 0n) - (toFen(payable.pending) ?? 0n));
  const over = !voucher && isMoney(amount.trim()) && cmpMoney(amount.trim(), left) > 0;
  const initial: VoucherFormValues = voucher
    ? { amount: voucher.amount, date: voucher.date ? dayjs(voucher.date) : null, method: voucher.method || undefined, payeeAccount: voucher.payeeAccount, remarks: voucher.remarks }
    : { date: today() };
  const submit = async (v: VoucherFormValues) => {
    setBusy(true);
    setError(null);
    const body = voucherBody(v);
    const base = `/payables/${payable.id}/vouchers`;
    try {
      const r = await run(
        () => (voucher ? call('PUT', `${base}/${voucher.id}`, { body, ifMatch: payable.version }) : call('POST', base, { body, ifMatch: payable.version })),
        { form, success: voucher ? t('付款单已保存', 'Voucher saved') : t('已登记付款单', 'Voucher recorded'), historyPath: `/payables/${payable.id}/history` },
      );
      if (r !== undefined) onClose();
    } catch (e) {
      if (e instanceof ApiError) setError(e);
    } finally {
      setBusy(false);
    }
  };
  const amountRule = {
    validator: (_: unknown, v: string | undefined) => {
      const s = (v ?? '').trim();
      if (!s) return Promise.reject(new Error(t('请填写付款金额', 'An amount is required')));
      if (!isMoney(s)) return Promise.reject(new Error(t('金额，最多 2 位小数', 'An amount, at most 2 decimals')));
      if (cmpMoney(s, '0') <= 0) return Promise.reject(new Error(t('金额必须大于 0', 'The amount must be more than 0')));
      return Promise.resolve();
    },
  };
  return (
    <Modal
      open={open}
      title={voucher ? t(`编辑付款单 ${voucher.number}`, `Edit payment voucher ${voucher.number}`) : t(`登记付款：${payable.number}`, `Record a payment: ${payable.number}`)}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('保存', 'Save')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy }}
      destroyOnHidden
      width={640}
    >
      <ProblemAlert error={error} />
      <Form form={form} name="voucher" layout="vertical" preserve={false} initialValues={initial} onFinish={submit} data-testid="voucher-form">
        <Row gutter={12}>
          <Col xs={24} sm={12}>
            <Form.Item name="amount" label={t('付款金额', 'Amount')} rules={[amountRule]} extra={t(`可付 ${yuan(left)}`, `${yuan(left)} left`)}>
              <Input inputMode="decimal" prefix="¥" autoFocus />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="date" label={t('付款日期', 'Date paid')} rules={[{ required: true, message: t('请选择付款日期', 'A date is required') }]}>
              <DatePicker style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="method" label={t('付款方式', 'Payment method')}>
              <DictSelect kind="payment_method" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="payeeAccount" label={t('收款账户', 'Payee account')} rules={[{ max: 200 }]}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24}>
            <Form.Item name="remarks" label={t('备注', 'Remarks')} rules={[{ max: 1000 }]}>
              <Input.TextArea rows={2} />
            </Form.Item>
          </Col>
        </Row>
        {closedMonth && (
          <Alert type="warning" showIcon data-testid="voucher-closed-month" title={t(`${month} 已结账，不能在该月登记付款`, `${month} is closed; nothing can be recorded in it`)} />
        )}
        {over && <Alert type="warning" showIcon style={{ marginTop: 8 }} data-testid="voucher-over" title={t(`金额超过可付金额 ${yuan(left)}`, `More than the ${yuan(left)} left`)} />}
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}
