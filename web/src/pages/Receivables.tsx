// A contract's receivables (回款), the contract page's tab: the totals, the plan of installments
// (期次) and its editor, and the receipts (回款单) with what the signed-in user may do with each now
// (by its state, their permissions and whether they are the current approver or the submitter).
// Every command is sent at the ledger's version (If-Match). Money is exact: sums in BigInt fen.
import { useState } from 'react';
import { Alert, App, Button, Card, Col, DatePicker, Descriptions, Empty, Form, Input, Modal, Row, Space, Spin, Statistic, Table, Tooltip, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import dayjs, { type Dayjs } from 'dayjs';
import { ApiError, call, get } from '../api/client';
import type { Installment, Ledger, PlanInput, Receipt } from '../api/finance';
import { useCommand } from '../components/commands';
import { useUserName } from '../components/common';
import { useDictLabel } from '../components/dict';
import { ErrorState } from '../components/States';
import { useT } from '../i18n';
import { cmpMoney, fmtMoney, fromFen, isMoney, subMoney, sumMoney, toFen } from '../money';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { ApprovalSteps, today } from './contractCommon';
import type { Approval } from './contractTypes';
import {
  InstallmentStatusTag,
  ProblemAlert,
  ReceiptDialog,
  ReceiptStatusTag,
  ReceiptStepDialog,
  ReverseDialog,
  isReceiptApprover,
  yuan,
  type ReceiptTarget,
} from './financeCommon';

/** An installment as the plan editor holds it. */
export interface PlanRow {
  seq?: number;
  dueDate?: Dayjs | null;
  amount?: string;
  note?: string;
  /** shown, not sent */
  received?: string;
}

/** The plan's exact sum (rows whose amount is not money count nothing), what it leaves of the
 * contract's amount, and whether it is more than the contract's amount. */
export function planTotals(rows: PlanRow[], contractAmount: string) {
  let s = 0n;
  for (const r of rows) {
    const f = toFen(r?.amount);
    if (f !== null && f >= 0n) s += f;
  }
  const planned = fromFen(s);
  const unplanned = subMoney(contractAmount, planned);
  return { planned, unplanned, over: cmpMoney(planned, contractAmount) > 0 };
}

/** The body of PUT …/receivables/plan: the rows in their order, a kept installment with its seq. */
export function planBody(rows: PlanRow[]): PlanInput {
  return {
    installments: rows.map((r) => ({
      ...(r.seq ? { seq: r.seq } : {}),
      dueDate: r.dueDate && r.dueDate.isValid() ? r.dueDate.format('YYYY-MM-DD') : '',
      amount: (r.amount ?? '').trim(),
      note: (r.note ?? '').trim(),
    })),
  };
}

const rowsOf = (l: Ledger): PlanRow[] => l.installments.map((i) => ({ seq: i.seq, dueDate: dayjs(i.dueDate), amount: i.amount, note: i.note, received: i.received }));

/** Edits the plan: rows added and removed, each with its due date, amount and note; the exact sum
 * live, and a warning once it is more than the contract's amount. Field errors of the server's
 * answer land on their rows (installments[1].amount). */
export function PlanEditor({ ledger, open, onClose }: { ledger: Ledger; open: boolean; onClose: () => void }) {
  const t = useT();
  const run = useCommand();
  const [form] = Form.useForm<{ installments: PlanRow[] }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  // the whole store (preserve): a row's seq and received have no input
  const rows = (Form.useWatch('installments', { form, preserve: true }) ?? []) as PlanRow[];
  const sums = planTotals(rows, ledger.contractAmount);
  const money = (v: string) => isMoney(v) && cmpMoney(v, '0') > 0;
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      // the form's store: onFinish's values lack the keys that have no input (a row's seq)
      const body = planBody((form.getFieldValue('installments') ?? []) as PlanRow[]);
      const r = await run(() => call('PUT', `/contracts/${ledger.contractId}/receivables/plan`, { body, ifMatch: ledger.version || undefined }), {
        form,
        success: t('回款计划已保存', 'Plan saved'),
        historyPath: `/contracts/${ledger.contractId}/receivables/history`,
        reload: onClose,
      });
      if (r !== undefined) onClose();
    } catch (e) {
      if (e instanceof ApiError && !(e.problem?.errors ?? []).length) setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={open}
      title={t(`编辑回款计划：${ledger.contractNumber}`, `Edit the plan: ${ledger.contractNumber}`)}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('保存', 'Save')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy }}
      destroyOnHidden
      width={900}
    >
      <ProblemAlert error={error} />
      <Form form={form} name="plan" preserve={false} initialValues={{ installments: rowsOf(ledger) }} onFinish={submit} data-testid="plan-form">
        <Form.List name="installments">
          {(fields, { add, remove }) => (
            <div data-testid="plan-editor">
              <Table
                size="small"
                pagination={false}
                rowKey="key"
                dataSource={fields}
                scroll={{ x: 'max-content' }}
                locale={{ emptyText: t('没有期次', 'No installments') }}
                columns={[
                  { key: 'seq', title: t('期次', 'No.'), render: (_, f, i) => rows[f.name]?.seq ?? t(`新（${i + 1}）`, `new (${i + 1})`) },
                  {
                    key: 'dueDate',
                    title: t('到期日', 'Due date'),
                    render: (_, f, i) => (
                      <Form.Item name={[f.name, 'dueDate']} style={{ margin: 0 }} rules={[{ required: true, message: t('请选择到期日', 'A due date is required') }]}>
                        <DatePicker aria-label={t(`第 ${i + 1} 期到期日`, `Installment ${i + 1} due date`)} style={{ width: 140 }} />
                      </Form.Item>
                    ),
                  },
                  {
                    key: 'amount',
                    title: t('金额', 'Amount'),
                    render: (_, f, i) => (
                      <Form.Item
                        name={[f.name, 'amount']}
                        style={{ margin: 0 }}
                        rules={[{ validator: (_r: unknown, v: string | undefined) => (money((v ?? '').trim()) ? Promise.resolve() : Promise.reject(new Error(t('大于 0 的金额，最多 2 位小数', 'More than 0, at most 2 decimals')))) }]}
                      >
                        <Input inputMode="decimal" prefix="¥" aria-label={t(`第 ${i + 1} 期金额`, `Installment ${i + 1} amount`)} style={{ width: 150 }} />
                      </Form.Item>
                    ),
                  },
                  {
                    key: 'note',
                    title: t('说明', 'Note'),
                    render: (_, f, i) => (
                      <Form.Item name={[f.name, 'note']} style={{ margin: 0 }} rules={[{ max: 200 }]}>
                        <Input aria-label={t(`第 ${i + 1} 期说明`, `Installment ${i + 1} note`)} style={{ width: 180 }} />
                      </Form.Item>
                    ),
                  },
                  { key: 'received', title: t('已回款', 'Received'), align: 'right', render: (_, f) => (rows[f.name]?.received ? fmtMoney(rows[f.name].received) : '—') },
                  {
                    key: 'x',
                    title: t('操作', 'Actions'),
                    render: (_, f, i) => {
                      const got = cmpMoney(rows[f.name]?.received ?? '0', '0') > 0;
                      const btn = (
                        <Button
                          size="small"
                          type="text"
                          danger
                          icon={<DeleteOutlined />}
                          disabled={got}
                          aria-label={t(`删除第 ${i + 1} 期`, `Remove installment ${i + 1}`)}
                          onClick={() => remove(f.name)}
                        />
                      );
                      return got ? <Tooltip title={t('已有回款的期次不能删除', 'An installment that has received money cannot be removed')}>{btn}</Tooltip> : btn;
                    },
                  },
                ]}
              />
              <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', marginTop: 8, flexWrap: 'wrap', gap: 8 }}>
                <Button
                  icon={<PlusOutlined />}
                  data-testid="plan-add"
                  onClick={() => {
                    const now = (form.getFieldValue('installments') ?? []) as PlanRow[];
                    const last = now[now.length - 1]?.dueDate;
                    const left = planTotals(now, ledger.contractAmount).unplanned;
                    add({ dueDate: last && last.isValid() ? last.add(1, 'month') : today(), amount: cmpMoney(left, '0') > 0 ? left : '', note: '' });
                  }}
                >
                  {t('添加期次', 'Add installment')}
                </Button>
                <Typography.Text strong data-testid="plan-sum">
                  {t(`计划合计 ${yuan(sums.planned)}，合同金额 ${yuan(ledger.contractAmount)}，未计划 ${yuan(sums.unplanned)}`, `Planned ${yuan(sums.planned)} of ${yuan(ledger.contractAmount)}; unplanned ${yuan(sums.unplanned)}`)}
                </Typography.Text>
              </div>
              {sums.over && (
                <Alert
                  type="warning"
                  showIcon
                  style={{ marginTop: 8 }}
                  data-testid="plan-over"
                  title={t(`计划合计超过合同金额 ${yuan(subMoney(sums.planned, ledger.contractAmount))}，服务器将拒绝保存`, `The plan is ${yuan(subMoney(sums.planned, ledger.contractAmount))} more than the contract amount; it will be refused`)}
                />
              )}
            </div>
          )}
        </Form.List>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

/** The receipt's allocation over the installments: "第 1 期 ¥30,000.00；计划外 ¥500.00". */
function useAllocationText() {
  const t = useT();
  return (r: Receipt) =>
    (r.allocation ?? [])
      .map((a) => (a.seq === 0 ? t(`计划外 ${yuan(a.amount)}`, `beyond the plan ${yuan(a.amount)}`) : t(`第 ${a.seq} 期 ${yuan(a.amount)}`, `#${a.seq} ${yuan(a.amount)}`)))
      .join(t('；', '; '));
}

type Dialog = null | { kind: 'plan' } | { kind: 'receipt'; receipt?: Receipt } | { kind: 'reverse'; receipt: Receipt };

export function Receivables({ contractId }: { contractId: string }) {
  const t = useT();
  const s = useSession();
  const run = useCommand();
  const { modal } = App.useApp();
  const userName = useUserName();
  const dictLabel = useDictLabel();
  const allocation = useAllocationText();
  const q = useQuery({ queryKey: ['/contracts', contractId, 'receivables'], queryFn: () => get<Ledger>(`/contracts/${contractId}/receivables`) });
  const [dialog, setDialog] = useState<Dialog>(null);
  const [step, setStep] = useState<ReceiptTarget | null>(null);
  if (q.isLoading) return <Spin style={{ display: 'block', margin: 24 }} />;
  if (q.error || !q.data) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  const l = q.data;
  const me = s.user.id;
  const can = (p: string) => s.isAdmin || s.can(p);
  const live = l.contractStatus === 'approved' || l.contractStatus === 'executing';
  const record = can('finance.record');
  const close = () => setDialog(null);
  const history = `/contracts/${l.contractId}/receivables/history`;
  const base = `/contracts/${l.contractId}/receipts`;
  const confirm = (title: string, content: string, danger: boolean, testId: string, fn: () => Promise<unknown>, ok: string) =>
    modal.confirm({
      title,
      content,
      okText: t('确定', 'OK'),
      cancelText: t('取消', 'Cancel'),
      okButtonProps: { danger, ...({ 'data-testid': `${testId}-ok` } as Record<string, string>) },
      onOk: () => run(fn, { success: ok, historyPath: history }).catch(() => undefined),
    });

  const actions = (r: Receipt) => {
    const a = r.approval;
    const out: React.ReactNode[] = [];
    const btn = (key: string, text: string, onClick: () => void, o: { primary?: boolean; danger?: boolean } = {}) => (
      <Button key={key} size="small" type={o.primary ? 'primary' : 'default'} danger={o.danger} data-testid={`receipt-${key}-${r.number}`} onClick={onClick}>
        {text}
      </Button>
    );
    if (r.status === 'draft' && record) {
      out.push(btn('submit', t('提交', 'Submit'), () => setStep({ receiptId: r.id, number: r.number, contractId: l.contractId, version: l.version, step: 'submit' }), { primary: true }));
      out.push(btn('edit', t('编辑', 'Edit'), () => setDialog({ kind: 'receipt', receipt: r })));
      out.push(
        btn('delete', t('删除', 'Delete'), () =>
          confirm(t(`删除回款单 ${r.number}`, `Delete receipt ${r.number}`), t('草稿删除后不可恢复。', 'The draft is removed.'), true, 'receipt-delete', () => call('DELETE', `${base}/${r.id}`, { ifMatch: l.version || undefined }), t('已删除', 'Deleted')),
        { danger: true }),
      );
    }
    if (r.status === 'pending' && isReceiptApprover(a, me)) {
      out.push(btn('approve', t('同意', 'Approve'), () => setStep({ receiptId: r.id, number: r.number, contractId: l.contractId, version: l.version, step: 'approve' }), { primary: true }));
      out.push(btn('reject', t('驳回', 'Reject'), () => setStep({ receiptId: r.id, number: r.number, contractId: l.contractId, version: l.version, step: 'reject' }), { danger: true }));
    }
    if (r.status === 'pending' && a?.status === 'pending' && a.submitterId === me) {
      out.push(
        btn('withdraw', t('撤回', 'Withdraw'), () =>
          confirm(t(`撤回回款单 ${r.number}`, `Withdraw receipt ${r.number}`), t('撤回后回款单回到草稿。', 'The receipt returns to draft.'), false, 'receipt-withdraw', () => call('POST', `${base}/${r.id}/withdraw`, { body: {}, ifMatch: l.version || undefined }), t('已撤回', 'Withdrawn')),
        ),
      );
    }
    if (r.status === 'confirmed' && can('finance.reverse')) out.push(btn('reverse', t('冲销', 'Reverse'), () => setDialog({ kind: 'reverse', receipt: r }), { danger: true }));
    return out.length ? <Space size={4} wrap>{out}</Space> : null;
  };

  const totals: [string, string, string, boolean?][] = [
    ['contractAmount', t('合同金额', 'Contract amount'), l.contractAmount],
    ['planned', t('计划回款', 'Planned'), l.totals.planned],
    ['unplanned', t('未计划', 'Unplanned'), l.totals.unplanned],
    ['received', t('已回款', 'Received'), l.totals.received],
    ['pending', t('审批中', 'Pending'), l.totals.pending],
    ['outstanding', t('未回款', 'Outstanding'), l.totals.outstanding],
    ['overdue', t('逾期', 'Overdue'), l.totals.overdue, cmpMoney(l.totals.overdue, '0') > 0],
  ];
  const inst = l.installments;

  return (
    <div data-testid="receivables">
      <Row gutter={[16, 12]} style={{ marginBottom: 12 }} data-testid="receivable-totals">
        {totals.map(([k, title, v, red]) => (
          <Col key={k} xs={12} sm={8} md={6} lg={3}>
            <div data-testid={`total-${k}`}>
              <Statistic title={title} value={yuan(v)} formatter={() => yuan(v)} styles={{ content: { fontSize: 18, color: red ? '#c4302b' : undefined } }} />
            </div>
          </Col>
        ))}
        <Col xs={12} sm={8} md={6} lg={3}>
          <Statistic title={t('最近回款', 'Last receipt')} value={l.totals.lastReceiptDate || '—'} styles={{ content: { fontSize: 18 } }} />
        </Col>
      </Row>
      {!live && (
        <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('合同审批通过后才能编制回款计划和登记回款。', 'A plan and receipts need an approved contract.')} />
      )}
      {l.closedMonths.length > 0 && (
        <Typography.Paragraph type="secondary">{t(`已结账月份：${l.closedMonths.join('、')}`, `Closed months: ${l.closedMonths.join(', ')}`)}</Typography.Paragraph>
      )}

      <Card
        size="small"
        title={t('回款计划', 'Plan of installments')}
        extra={live && record && <Button onClick={() => setDialog({ kind: 'plan' })} data-testid="plan-edit">{t('编辑计划', 'Edit plan')}</Button>}
      >
        <Table<Installment>
          size="small"
          rowKey="seq"
          pagination={false}
          dataSource={inst}
          scroll={{ x: 'max-content' }}
          data-testid="installments"
          locale={{ emptyText: <Empty description={t('尚未编制回款计划', 'No plan yet')} /> }}
          rowClassName={(i) => (i.status === 'overdue' ? 'row-overdue' : '')}
          columns={[
            { key: 'seq', title: t('期次', 'No.'), render: (_, i) => t(`第 ${i.seq} 期`, `#${i.seq}`) },
            { key: 'dueDate', title: t('到期日', 'Due date'), dataIndex: 'dueDate' },
            { key: 'amount', title: t('金额', 'Amount'), align: 'right', render: (_, i) => fmtMoney(i.amount) },
            { key: 'received', title: t('已回款', 'Received'), align: 'right', render: (_, i) => fmtMoney(i.received) },
            { key: 'outstanding', title: t('未回款', 'Outstanding'), align: 'right', render: (_, i) => <span style={{ color: i.status === 'overdue' ? '#c4302b' : undefined }}>{fmtMoney(i.outstanding)}</span> },
            {
              key: 'status',
              title: t('状态', 'Status'),
              render: (_, i) => (
                <Space size={4}>
                  <InstallmentStatusTag status={i.status} />
                  {i.overdueSince && <Typography.Text type="danger" style={{ fontSize: 12 }}>{t(`自 ${i.overdueSince}`, `since ${i.overdueSince}`)}</Typography.Text>}
                </Space>
              ),
            },
            { key: 'note', title: t('说明', 'Note'), dataIndex: 'note' },
          ]}
          summary={() =>
            inst.length > 0 ? (
              <Table.Summary.Row>
                <Table.Summary.Cell index={0} colSpan={2}>{t('合计', 'Total')}</Table.Summary.Cell>
                <Table.Summary.Cell index={1} align="right"><b data-testid="installments-sum-amount">{fmtMoney(sumMoney(inst.map((i) => i.amount)))}</b></Table.Summary.Cell>
                <Table.Summary.Cell index={2} align="right"><b data-testid="installments-sum-received">{fmtMoney(sumMoney(inst.map((i) => i.received)))}</b></Table.Summary.Cell>
                <Table.Summary.Cell index={3} align="right"><b data-testid="installments-sum-outstanding">{fmtMoney(sumMoney(inst.map((i) => i.outstanding)))}</b></Table.Summary.Cell>
                <Table.Summary.Cell index={4} colSpan={2} />
              </Table.Summary.Row>
            ) : null
          }
        />
      </Card>

      <Card
        size="small"
        style={{ marginTop: 12 }}
        title={t('回款记录', 'Receipts')}
        extra={live && record && <Button type="primary" icon={<PlusOutlined />} onClick={() => setDialog({ kind: 'receipt' })} data-testid="receipt-new">{t('登记回款', 'Record a receipt')}</Button>}
      >
        <Table<Receipt>
          size="small"
          rowKey="id"
          pagination={false}
          dataSource={l.receipts}
          scroll={{ x: 'max-content' }}
          data-testid="receipts"
          locale={{ emptyText: <Empty description={t('没有回款单', 'No receipts')} /> }}
          expandable={{
            expandedRowRender: (r) => (
              <div>
                <Descriptions
                  size="small"
                  column={{ xs: 1, sm: 2 }}
                  items={(
                    [
                      [t('分配', 'Allocation'), allocation(r) || '—'],
                      [t('备注', 'Remarks'), r.remarks || '—'],
                      [t('登记人', 'Recorded by'), `${userName(r.createdBy)} ${fmtTime(r.createdAt)}`],
                      [t('确认时间', 'Confirmed'), fmtTime(r.confirmedAt) || '—'],
                      ...(r.reversal
                        ? ([[t('冲销', 'Reversal'), t(`${r.reversal.date}，${userName(r.reversal.by)}：${r.reversal.reason}`, `${r.reversal.date}, ${userName(r.reversal.by)}: ${r.reversal.reason}`)]] as [string, string][])
                        : []),
                    ] as [string, React.ReactNode][]
                  ).map(([k, v], i) => ({ key: String(i), label: k, children: v }))}
                />
                {r.approval && <ApprovalSteps approval={r.approval as unknown as Approval} />}
              </div>
            ),
          }}
          columns={[
            { key: 'number', title: t('编号', 'Number'), dataIndex: 'number' },
            { key: 'date', title: t('回款日期', 'Date'), dataIndex: 'date' },
            { key: 'amount', title: t('金额', 'Amount'), align: 'right', render: (_, r) => (r.status === 'reversed' ? <s>{fmtMoney(r.amount)}</s> : fmtMoney(r.amount)) },
            { key: 'method', title: t('付款方式', 'Method'), render: (_, r) => dictLabel('payment_method', r.method) },
            { key: 'payerAccount', title: t('付款账户', 'Payer account'), dataIndex: 'payerAccount' },
            { key: 'installments', title: t('期次', 'Installments'), render: (_, r) => (r.installments ?? []).map((n) => t(`第${n}期`, `#${n}`)).join('、') },
            { key: 'ownerId', title: t('负责人', 'Owner'), render: (_, r) => userName(r.ownerId) },
            { key: 'status', title: t('状态', 'Status'), render: (_, r) => <ReceiptStatusTag status={r.status} /> },
            { key: 'actions', title: t('操作', 'Actions'), render: (_, r) => actions(r) },
          ]}
        />
      </Card>

      {dialog?.kind === 'plan' && <PlanEditor ledger={l} open onClose={close} />}
      {dialog?.kind === 'receipt' && <ReceiptDialog ledger={l} receipt={dialog.receipt} open onClose={close} />}
      <ReverseDialog ledger={l} receipt={dialog?.kind === 'reverse' ? dialog.receipt : null} onClose={close} />
      <ReceiptStepDialog target={step} onClose={() => setStep(null)} />
    </div>
  );
}
