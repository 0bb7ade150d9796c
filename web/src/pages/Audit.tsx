import { useState } from 'react';
import { Button, DatePicker, Empty, Form, Input, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { Dayjs } from 'dayjs';
import { get, type Page, type Query, type Schemas } from '../api/client';
import { HistoryView, UserSelect } from '../components/common';
import { ErrorState } from '../components/States';
import { useT } from '../i18n';
import { fmtTime, fromPicker } from '../util';

type AuditEvent = Schemas['AuditEvent'];
type LoginEvent = Schemas['LoginEvent'];

function useCursorList<T>(path: string, query: Query) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState(0);
  const key = JSON.stringify(query);
  const [lastKey, setLastKey] = useState(key);
  if (key !== lastKey) {
    setLastKey(key);
    setCursors([undefined]);
    setPage(0);
  }
  const q = useQuery({
    queryKey: [path, query, cursors[page]],
    queryFn: () => get<Page<T>>(path, { ...query, limit: 50, cursor: cursors[page] }),
    placeholderData: keepPreviousData,
  });
  const next = () => {
    const c = q.data?.nextCursor;
    if (!c) return;
    if (cursors.length === page + 1) setCursors([...cursors, c]);
    setPage(page + 1);
  };
  return { q, page, next, prev: () => setPage(Math.max(0, page - 1)), hasNext: !!q.data?.nextCursor };
}

function Pager({ l }: { l: { page: number; next: () => void; prev: () => void; hasNext: boolean } }) {
  const t = useT();
  return (
    <Space style={{ marginTop: 8 }}>
      <Button disabled={l.page === 0} onClick={l.prev}>{t('上一页', 'Previous')}</Button>
      <span>{t(`第 ${l.page + 1} 页`, `Page ${l.page + 1}`)}</span>
      <Button disabled={!l.hasNext} onClick={l.next}>{t('下一页', 'Next')}</Button>
    </Space>
  );
}

const iso = (d?: Dayjs | null) => fromPicker(d) ?? undefined; // the pickers show the user's zone

function Operations() {
  const t = useT();
  const [f, setF] = useState<Query>({ order: 'desc' });
  const l = useCursorList<AuditEvent>('/audit/events', f);
  return (
    <div>
      <Form layout="inline" onFinish={(v) => setF({ order: 'desc', actor: v.actor, type: v.type, stream: v.stream, from: iso(v.range?.[0]), to: iso(v.range?.[1]) })} style={{ marginBottom: 12, rowGap: 8 }}>
        <Form.Item name="actor"><UserSelect placeholder={t('操作人', 'Actor')} aria-label={t('操作人', 'Actor')} style={{ width: 160 }} /></Form.Item>
        <Form.Item name="type"><Input placeholder={t('事件类型（如 lead.）', 'Event type (e.g. lead.)')} aria-label={t('事件类型', 'Event type')} /></Form.Item>
        <Form.Item name="stream"><Input placeholder={t('记录流（如 lead-…）', 'Stream (e.g. lead-…)')} aria-label={t('记录流', 'Stream')} /></Form.Item>
        <Form.Item name="range"><DatePicker.RangePicker showTime aria-label={t('时间范围', 'Time range')} /></Form.Item>
        <Button htmlType="submit" type="primary">{t('筛选', 'Filter')}</Button>
      </Form>
      {l.q.error ? <ErrorState error={l.q.error} retry={() => void l.q.refetch()} /> : (
        <Table<AuditEvent>
          size="small"
          rowKey="position"
          loading={l.q.isFetching}
          dataSource={l.q.data?.items ?? []}
          pagination={false}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: <Empty description={t('没有记录', 'No records')} /> }}
          expandable={{ expandedRowRender: (e) => <pre style={{ margin: 0, fontSize: 12, whiteSpace: 'pre-wrap' }}>{JSON.stringify({ data: e.data, metadata: e.metadata }, null, 2)}</pre> }}
          columns={[
            { key: 'p', title: '#', dataIndex: 'position', width: 70 },
            { key: 'at', title: t('时间', 'When'), render: (_, e) => fmtTime(e.occurredAt) },
            { key: 'who', title: t('操作人', 'Who'), render: (_, e) => e.actor?.name },
            { key: 'type', title: t('事件', 'Event'), render: (_, e) => <Tag>{e.type}</Tag> },
            { key: 's', title: t('记录', 'Record'), dataIndex: 'streamId' },
          ]}
        />
      )}
      <Pager l={l} />
    </div>
  );
}

function Logins() {
  const t = useT();
  const [f, setF] = useState<Query>({});
  const l = useCursorList<LoginEvent>('/audit/logins', f);
  return (
    <div>
      <Form layout="inline" onFinish={(v) => setF({ user: v.user, address: v.address, outcome: v.outcome, from: iso(v.range?.[0]), to: iso(v.range?.[1]) })} style={{ marginBottom: 12, rowGap: 8 }}>
        <Form.Item name="user"><Input placeholder={t('用户名', 'Username')} aria-label={t('用户名', 'Username')} /></Form.Item>
        <Form.Item name="address"><Input placeholder={t('地址', 'Address')} aria-label={t('地址', 'Address')} /></Form.Item>
        <Form.Item name="outcome"><Select allowClear placeholder={t('结果', 'Outcome')} aria-label={t('结果', 'Outcome')} style={{ width: 130 }} options={['succeeded', 'failed', 'locked', 'unlocked', 'throttled'].map((v) => ({ value: v, label: v }))} /></Form.Item>
        <Form.Item name="range"><DatePicker.RangePicker showTime /></Form.Item>
        <Button htmlType="submit" type="primary">{t('筛选', 'Filter')}</Button>
      </Form>
      {l.q.error ? <ErrorState error={l.q.error} retry={() => void l.q.refetch()} /> : (
        <Table<LoginEvent>
          size="small"
          rowKey="position"
          loading={l.q.isFetching}
          dataSource={l.q.data?.items ?? []}
          pagination={false}
          scroll={{ x: 'max-content' }}
          columns={[
            { key: 'at', title: t('时间', 'When'), render: (_, e) => fmtTime(e.occurredAt) },
            { key: 'u', title: t('用户', 'User'), dataIndex: 'username' },
            { key: 'a', title: t('地址', 'Address'), dataIndex: 'address' },
            { key: 'o', title: t('结果', 'Outcome'), render: (_, e) => (
                <Tag color={e.outcome === 'succeeded' ? 'success' : 'error'}>
                  {e.outcome}
                  {e.count > 1 ? ` ×${e.count}` : ''}
                  {e.lockedUntil ? ` → ${fmtTime(e.lockedUntil)}` : ''}
                </Tag>
              ) },
            { key: 'r', title: t('原因 / 方式', 'Reason / method'), render: (_, e) => e.reason ?? e.method ?? '' },
          ]}
        />
      )}
      <Pager l={l} />
    </div>
  );
}

function RecordHistory() {
  const t = useT();
  const [kind, setKind] = useState('leads');
  const [id, setId] = useState('');
  return (
    <div>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select value={kind} onChange={setKind} aria-label={t('记录类型', 'Record type')} style={{ width: 120 }} options={[{ value: 'leads', label: t('线索', 'Lead') }, { value: 'customers', label: t('客户', 'Customer') }, { value: 'contacts', label: t('联系人', 'Contact') }]} />
        <Input.Search placeholder={t('记录 ID', 'Record id')} aria-label={t('记录 ID', 'Record id')} style={{ width: 360 }} onSearch={(v) => setId(v.trim().replace(/^(lead|customer|contact)-/, ''))} />
      </Space>
      {id ? <HistoryView path={`/${kind}/${id}/history`} /> : <Typography.Text type="secondary">{t('输入记录 ID 查看其完整历史。', 'Enter a record id to see its full history.')}</Typography.Text>}
    </div>
  );
}

export default function Audit() {
  const t = useT();
  return (
    <div>
      <Typography.Title level={1} style={{ fontSize: 20, marginTop: 0 }}>{t('审计', 'Audit')}</Typography.Title>
      <Tabs items={[
        { key: 'ops', label: t('操作日志', 'Operation log'), children: <Operations /> },
        { key: 'logins', label: t('登录日志', 'Sign-in log'), children: <Logins /> },
        { key: 'history', label: t('记录历史', 'Record history'), children: <RecordHistory /> },
      ]} />
    </div>
  );
}
