// The month close (月结): the closed months, and the last 24 months with a close button for each that
// has ended (finance.close); a closed month is reopened with a reason by an administrator
// (settings.manage). Once closed, no receipt may be recorded, changed or reversed on a date in it.
import { useState } from 'react';
import { App, Button, Form, Input, Modal, Space, Spin, Table, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import dayjs from 'dayjs';
import { ApiError, call, get } from '../api/client';
import type { ClosedMonths } from '../api/finance';
import { useCommand } from '../components/commands';
import { ErrorState } from '../components/States';
import { useT } from '../i18n';
import { useSession } from '../session';
import { userZone } from '../util';
import { ProblemAlert } from './financeCommon';

/** The months shown: the last `n` months up to this one (newest first), and any older closed month. */
export function monthsShown(closed: string[], thisMonth: string, n = 24): string[] {
  const out: string[] = [];
  const m = dayjs(thisMonth + '-01');
  for (let i = 0; i < n; i++) out.push(m.subtract(i, 'month').format('YYYY-MM'));
  for (const c of closed) if (!out.includes(c)) out.push(c);
  return out.sort().reverse();
}

interface Row {
  month: string;
  closed: boolean;
  ended: boolean;
}

function ReopenDialog({ month, version, onClose }: { month: string | null; version?: number; onClose: () => void }) {
  const t = useT();
  const run = useCommand();
  const [form] = Form.useForm<{ reason?: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  return (
    <Modal
      open={!!month}
      title={t(`反结账 ${month ?? ''}`, `Reopen ${month ?? ''}`)}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('反结账', 'Reopen')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy, danger: true }}
      destroyOnHidden
    >
      <ProblemAlert error={error} />
      <Typography.Paragraph>{t('反结账后，该月的回款可以再次登记、修改和冲销。', 'Once reopened, receipts dated in the month may again be recorded, changed and reversed.')}</Typography.Paragraph>
      <Form
        form={form}
        name="reopen"
        layout="vertical"
        preserve={false}
        data-testid="reopen-form"
        onFinish={async (v) => {
          setBusy(true);
          setError(null);
          try {
            const r = await run(() => call('POST', `/finance/months/${month}/reopen`, { body: { reason: (v.reason ?? '').trim() }, ifMatch: version }), {
              form,
              success: t('已反结账', 'Reopened'),
            });
            if (r !== undefined) onClose();
          } catch (e) {
            if (e instanceof ApiError) setError(e);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Form.Item name="reason" label={t('反结账原因', 'Reason')} rules={[{ required: true, whitespace: true, message: t('请填写原因', 'A reason is required') }, { max: 1000 }]}>
          <Input.TextArea rows={2} autoFocus />
        </Form.Item>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

export default function MonthClose() {
  const t = useT();
  const s = useSession();
  const run = useCommand();
  const { modal } = App.useApp();
  const can = (p: string) => s.isAdmin || s.can(p);
  const q = useQuery({ queryKey: ['/finance/months'], queryFn: () => get<ClosedMonths>('/finance/months') });
  const [reopen, setReopen] = useState<string | null>(null);
  if (q.isLoading) return <Spin style={{ display: 'block', margin: 48 }} />;
  if (q.error || !q.data) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  const data = q.data;
  const thisMonth = dayjs().tz(userZone()).format('YYYY-MM');
  const rows: Row[] = monthsShown(data.closed, thisMonth).map((m) => ({ month: m, closed: data.closed.includes(m), ended: m < thisMonth }));
  const close = (m: string) =>
    modal.confirm({
      title: t(`结账 ${m}`, `Close ${m}`),
      content: t(`结账后，回款日期在 ${m} 的回款不能再登记、修改或冲销；如需更改须由管理员反结账。`, `Once closed, no receipt dated in ${m} may be recorded, changed or reversed until an administrator reopens it.`),
      okText: t('结账', 'Close the month'),
      cancelText: t('取消', 'Cancel'),
      okButtonProps: { 'data-testid': 'month-close-ok' } as Record<string, string>,
      onOk: () => run(() => call('POST', `/finance/months/${m}/close`, { ifMatch: data.version }), { success: t(`${m} 已结账`, `${m} closed`) }).catch(() => undefined),
    });
  return (
    <div>
      <Typography.Title level={1} style={{ fontSize: 20, marginTop: 0 }}>{t('月结', 'Month close')}</Typography.Title>
      <Typography.Paragraph type="secondary">
        {data.closed.length ? t(`已结账月份：${data.closed.join('、')}`, `Closed months: ${data.closed.join(', ')}`) : t('尚无已结账月份。', 'No month is closed yet.')}
      </Typography.Paragraph>
      <Table<Row>
        size="small"
        rowKey="month"
        pagination={false}
        dataSource={rows}
        data-testid="months-table"
        columns={[
          { key: 'month', title: t('月份', 'Month'), dataIndex: 'month' },
          {
            key: 'state',
            title: t('状态', 'Status'),
            render: (_, r) => (r.closed ? <Tag color="success">{t('已结账', 'Closed')}</Tag> : r.ended ? <Tag>{t('未结账', 'Open')}</Tag> : <Tag color="processing">{t('本月', 'This month')}</Tag>),
          },
          {
            key: 'actions',
            title: t('操作', 'Actions'),
            render: (_, r) => (
              <Space size={4}>
                {!r.closed && r.ended && can('finance.close') && (
                  <Button size="small" type="primary" data-testid={`month-close-${r.month}`} onClick={() => close(r.month)}>
                    {t('结账', 'Close')}
                  </Button>
                )}
                {r.closed && can('settings.manage') && (
                  <Button size="small" danger data-testid={`month-reopen-${r.month}`} onClick={() => setReopen(r.month)}>
                    {t('反结账', 'Reopen')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <ReopenDialog month={reopen} version={data.version} onClose={() => setReopen(null)} />
    </div>
  );
}
