// A payable (应付款): its supplier, amount and the exact totals (paid, pending, outstanding), edit
// and delete at its version; its payment vouchers (付款单) with what the signed-in user may do with
// each now (by its state, their permissions and whether they are the current approver or the
// submitter — the same rules as a contract's receipts), a new voucher; and its history. Every command
// is sent at the payable's version (If-Match). Money is exact (decimal text, BigInt fen).
import { useState } from 'react';
import { App, Button, Card, Col, Descriptions, Empty, Row, Space, Statistic, Table, Tabs } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { call, get } from '../api/client';
import type { Payable, PaymentVoucher } from '../api/finance';
import { useCommand } from '../components/commands';
import { HistoryView, useUserName } from '../components/common';
import { DetailHeader, RecordState } from '../components/detail';
import { useDictLabel } from '../components/dict';
import { useT } from '../i18n';
import { cmpMoney, fmtMoney } from '../money';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { ApprovalSteps } from './contractCommon';
import type { Approval } from './contractTypes';
import { PayableDialog } from './Payables';
import {
  DocReverseDialog,
  PayableStatusTag,
  ReceiptStepDialog,
  VoucherDialog,
  VoucherStatusTag,
  isReceiptApprover,
  yuan,
  type ReceiptTarget,
  type ReverseTarget,
} from './financeCommon';

type Dialog = null | { kind: 'edit' } | { kind: 'voucher'; voucher?: PaymentVoucher };

/** The vouchers of a payable and what may be done with each. */
export function Vouchers({ payable: p }: { payable: Payable }) {
  const t = useT();
  const s = useSession();
  const run = useCommand();
  const { modal } = App.useApp();
  const userName = useUserName();
  const dictLabel = useDictLabel();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [step, setStep] = useState<ReceiptTarget | null>(null);
  const [reverse, setReverse] = useState<ReverseTarget | null>(null);
  const me = s.user.id;
  const can = (x: string) => s.isAdmin || s.can(x);
  const record = can('finance.record');
  const history = `/payables/${p.id}/history`;
  const base = `/payables/${p.id}/vouchers`;
  const target = (v: PaymentVoucher, st: ReceiptTarget['step']): ReceiptTarget => ({ kind: 'payment', receiptId: v.id, payableId: p.id, number: v.number, version: p.version, step: st });
  const confirm = (title: string, content: string, danger: boolean, testId: string, fn: () => Promise<unknown>, ok: string) =>
    modal.confirm({
      title,
      content,
      okText: t('确定', 'OK'),
      cancelText: t('取消', 'Cancel'),
      okButtonProps: { danger, ...({ 'data-testid': `${testId}-ok` } as Record<string, string>) },
      onOk: () => run(fn, { success: ok, historyPath: history }).catch(() => undefined),
    });
  const actions = (v: PaymentVoucher) => {
    const a = v.approval;
    const out: React.ReactNode[] = [];
    const btn = (key: string, text: string, onClick: () => void, o: { primary?: boolean; danger?: boolean } = {}) => (
      <Button key={key} size="small" type={o.primary ? 'primary' : 'default'} danger={o.danger} data-testid={`voucher-${key}-${v.number}`} onClick={onClick}>
        {text}
      </Button>
    );
    if (v.status === 'draft' && record) {
      out.push(btn('submit', t('提交', 'Submit'), () => setStep(target(v, 'submit')), { primary: true }));
      out.push(btn('edit', t('编辑', 'Edit'), () => setDialog({ kind: 'voucher', voucher: v })));
      out.push(
        btn('delete', t('删除', 'Delete'), () =>
          confirm(t(`删除付款单 ${v.number}`, `Delete voucher ${v.number}`), t('草稿删除后不可恢复。', 'The draft is removed.'), true, 'voucher-delete', () => call('DELETE', `${base}/${v.id}`, { ifMatch: p.version }), t('已删除', 'Deleted')),
        { danger: true }),
      );
    }
    if (v.status === 'pending' && isReceiptApprover(a, me)) {
      out.push(btn('approve', t('同意', 'Approve'), () => setStep(target(v, 'approve')), { primary: true }));
      out.push(btn('reject', t('驳回', 'Reject'), () => setStep(target(v, 'reject')), { danger: true }));
    }
    if (v.status === 'pending' && a?.status === 'pending' && a.submitterId === me) {
      out.push(
        btn('withdraw', t('撤回', 'Withdraw'), () =>
          confirm(t(`撤回付款单 ${v.number}`, `Withdraw voucher ${v.number}`), t('撤回后付款单回到草稿。', 'The voucher returns to draft.'), false, 'voucher-withdraw', () => call('POST', `${base}/${v.id}/withdraw`, { ifMatch: p.version }), t('已撤回', 'Withdrawn')),
        ),
      );
    }
    if (v.status === 'confirmed' && can('finance.reverse'))
      out.push(
        btn('reverse', t('冲销', 'Reverse'), () =>
          setReverse({ kind: 'payment', number: v.number, amount: v.amount, path: `${base}/${v.id}/reverse`, version: p.version, closedMonths: p.closedMonths, historyPath: history }),
        { danger: true }),
      );
    return out.length ? <Space size={4} wrap>{out}</Space> : null;
  };
  return (
    <div>
      <div style={{ display: 'flex', justifyContent: 'flex-end', marginBottom: 8 }}>
        {record && p.status === 'open' && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setDialog({ kind: 'voucher' })} data-testid="voucher-new">
            {t('登记付款', 'Record a payment')}
          </Button>
        )}
      </div>
      <Table<PaymentVoucher>
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={p.vouchers}
        scroll={{ x: 'max-content' }}
        data-testid="vouchers"
        locale={{ emptyText: <Empty description={t('没有付款单', 'No payment vouchers')} /> }}
        expandable={{
          expandedRowRender: (v) => (
            <div>
              <Descriptions
                size="small"
                column={{ xs: 1, sm: 2 }}
                items={(
                  [
                    [t('备注', 'Remarks'), v.remarks || '—'],
                    [t('登记人', 'Recorded by'), `${userName(v.createdBy)} ${fmtTime(v.createdAt)}`],
                    [t('确认时间', 'Confirmed'), fmtTime(v.confirmedAt) || '—'],
                    ...(v.reversal
                      ? ([[t('冲销', 'Reversal'), t(`${v.reversal.date}，${userName(v.reversal.by)}：${v.reversal.reason}`, `${v.reversal.date}, ${userName(v.reversal.by)}: ${v.reversal.reason}`)]] as [string, string][])
                      : []),
                  ] as [string, React.ReactNode][]
                ).map(([k, x], i) => ({ key: String(i), label: k, children: x }))}
              />
              {v.approval && <ApprovalSteps approval={v.approval as unknown as Approval} />}
            </div>
          ),
        }}
        columns={[
          { key: 'number', title: t('编号', 'Number'), dataIndex: 'number' },
          { key: 'date', title: t('付款日期', 'Date'), dataIndex: 'date' },
          { key: 'amount', title: t('金额', 'Amount'), align: 'right', render: (_, v) => (v.status === 'reversed' ? <s>{fmtMoney(v.amount)}</s> : fmtMoney(v.amount)) },
          { key: 'method', title: t('付款方式', 'Method'), render: (_, v) => dictLabel('payment_method', v.method) },
          { key: 'payeeAccount', title: t('收款账户', 'Payee account'), dataIndex: 'payeeAccount' },
          { key: 'status', title: t('状态', 'Status'), render: (_, v) => <VoucherStatusTag status={v.status} /> },
          { key: 'actions', title: t('操作', 'Actions'), render: (_, v) => actions(v) },
        ]}
      />
      {dialog?.kind === 'voucher' && <VoucherDialog payable={p} voucher={dialog.voucher} open onClose={() => setDialog(null)} />}
      <DocReverseDialog target={reverse} onClose={() => setReverse(null)} />
      <ReceiptStepDialog target={step} onClose={() => setStep(null)} />
    </div>
  );
}

export default function PayableDetail() {
  const t = useT();
  const { id } = useParams();
  const s = useSession();
  const run = useCommand();
  const nav = useNavigate();
  const { modal } = App.useApp();
  const userName = useUserName();
  const q = useQuery({ queryKey: ['/payables', id], queryFn: () => get<Payable>(`/payables/${id}`), enabled: !!id });
  const [editing, setEditing] = useState(false);
  const state = RecordState({ q });
  if (state || !q.data) return state;
  const p = q.data;
  const record = s.isAdmin || s.can('finance.record');
  // only a payable nothing was paid or claimed on may go; a paid one is not changed
  const untouched = p.vouchers.every((v) => v.status === 'draft');
  const remove = () =>
    modal.confirm({
      title: t(`删除应付款 ${p.number}`, `Delete payable ${p.number}`),
      content: t('删除后不可恢复。', 'It is removed.'),
      okText: t('删除', 'Delete'),
      cancelText: t('取消', 'Cancel'),
      okButtonProps: { danger: true, ...({ 'data-testid': 'payable-delete-ok' } as Record<string, string>) },
      onOk: () =>
        run(() => call('DELETE', `/payables/${p.id}`, { ifMatch: p.version }), { success: t('已删除', 'Deleted'), historyPath: `/payables/${p.id}/history` })
          .then((r) => {
            if (r !== undefined) nav('/payables');
          })
          .catch(() => undefined),
    });
  const totals: [string, string, string, boolean?][] = [
    ['amount', t('应付金额', 'Amount'), p.amount],
    ['paid', t('已付', 'Paid'), p.paid],
    ['pending', t('审批中', 'Pending'), p.pending],
    ['outstanding', t('未付', 'Outstanding'), p.outstanding, cmpMoney(p.outstanding, '0') > 0],
  ];
  return (
    <div data-testid="payable">
      <DetailHeader title={`${p.number} ${p.purpose}`}>
        <PayableStatusTag status={p.status} />
        {record && p.status === 'open' && (
          <Button data-testid="payable-edit" onClick={() => setEditing(true)}>{t('编辑', 'Edit')}</Button>
        )}
        {record && p.status === 'open' && untouched && (
          <Button danger data-testid="payable-delete" onClick={remove}>{t('删除', 'Delete')}</Button>
        )}
      </DetailHeader>
      <Card size="small">
        <Row gutter={[16, 12]} data-testid="payable-totals">
          {totals.map(([k, name, v, warn]) => (
            <Col key={k} xs={12} sm={6}>
              <Statistic title={name} value={yuan(v)} valueStyle={warn ? { color: '#cf1322' } : undefined} data-testid={`payable-${k}`} />
            </Col>
          ))}
        </Row>
        <Descriptions
          size="small"
          style={{ marginTop: 12 }}
          column={{ xs: 1, sm: 2 }}
          items={(
            [
              [t('供应商', 'Supplier'), <span data-testid="payable-supplier">{p.supplierName}</span>],
              [t('到期日', 'Due date'), p.dueDate],
              [t('关联合同', 'Contract'), p.contractId ? <Link to={`/contracts/${p.contractId}`}>{t('查看合同', 'Open the contract')}</Link> : '—'],
              [t('负责人', 'Owner'), userName(p.ownerId)],
              [t('最近付款', 'Last paid'), p.lastPaidDate || '—'],
              [t('备注', 'Remarks'), p.remarks || '—'],
            ] as [string, React.ReactNode][]
          ).map(([k, v], i) => ({ key: String(i), label: k, children: v }))}
        />
      </Card>
      <Card style={{ marginTop: 12 }}>
        <Tabs
          items={[
            { key: 'vouchers', label: t('付款单', 'Payment vouchers'), children: <Vouchers payable={p} /> },
            { key: 'history', label: t('历史', 'History'), children: <HistoryView path={`/payables/${p.id}/history`} /> },
          ]}
        />
      </Card>
      {editing && <PayableDialog open payable={p} onClose={() => setEditing(false)} />}
    </div>
  );
}
