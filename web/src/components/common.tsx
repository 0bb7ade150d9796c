import { useState } from 'react';
import { Button, DatePicker, Empty, Form, Input, Modal, Select, Space, Table, Tag, Timeline, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import dayjs, { type Dayjs } from 'dayjs';
import { get, type Page, type Schemas } from '../api/client';
import { useLang, useT } from '../i18n';
import { fieldNames, label } from '../labels';
import { fmtTime, fromPicker, pickerNow, short, toPicker } from '../util';
import { ErrorState } from './States';

export type User = Schemas['User'];

export function useUsers() {
  return useQuery({
    queryKey: ['users', 'all'],
    queryFn: () => get<Page<User>>('/users', { limit: 500 }),
    staleTime: 30_000,
  });
}
export function useUserName() {
  const u = useUsers();
  return (id?: string | null) => (id ? (u.data?.items.find((x) => x.id === id)?.displayName ?? id.slice(0, 8)) : '');
}

export function UserSelect(props: React.ComponentProps<typeof Select> & { activeOnly?: boolean }) {
  const u = useUsers();
  const { activeOnly, ...rest } = props;
  return (
    <Select
      showSearch={{ optionFilterProp: 'label' }}
      allowClear
      loading={u.isLoading}
      options={(u.data?.items ?? [])
        .filter((x) => !activeOnly || !x.disabled)
        .map((x) => ({ value: x.id, label: x.username ? `${x.displayName} (${x.username})` : x.displayName }))}
      {...rest}
    />
  );
}

/** Asks for a user and resolves with their id (assign dialogs). */
export function AssignDialog({
  open,
  onClose,
  onAssign,
}: {
  open: boolean;
  onClose: () => void;
  onAssign: (ownerId: string) => Promise<unknown>;
}) {
  const t = useT();
  const [form] = Form.useForm<{ ownerId: string }>();
  const [busy, setBusy] = useState(false);
  return (
    <Modal
      open={open}
      title={t('分配', 'Assign')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okButtonProps={{ loading: busy }}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        onFinish={async (v) => {
          setBusy(true);
          try {
            await onAssign(v.ownerId);
            onClose();
          } catch {
            /* reported */
          } finally {
            setBusy(false);
          }
        }}
      >
        <Form.Item name="ownerId" label={t('负责人', 'Owner')} rules={[{ required: true }]}>
          <UserSelect activeOnly />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Asks for a reason (release). */
export function ReasonDialog({
  open,
  title,
  onClose,
  onOk,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  onOk: (reason: string) => Promise<unknown>;
}) {
  const t = useT();
  const [form] = Form.useForm<{ reason: string }>();
  return (
    <Modal open={open} title={title} onCancel={onClose} onOk={() => form.submit()} destroyOnHidden okText={t('确认', 'Confirm')}>
      <Typography.Paragraph>{t('确定要执行此操作吗？请填写原因。', 'Are you sure? Please give a reason.')}</Typography.Paragraph>
      <Form
        form={form}
        layout="vertical"
        onFinish={async (v) => {
          try {
            await onOk(v.reason);
            onClose();
          } catch {
            /* reported */
          }
        }}
      >
        <Form.Item name="reason" label={t('原因', 'Reason')} rules={[{ required: true, message: t('请填写原因', 'A reason is required') }]}>
          <Input autoFocus />
        </Form.Item>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

type HistoryEntry = Schemas['HistoryEntry'];

/** A record's events with who made them and each field-level change. */
export function HistoryView({ path }: { path: string }) {
  const t = useT();
  const { lang } = useLang();
  const q = useQuery({ queryKey: [path], queryFn: () => get<Page<HistoryEntry>>(path, { limit: 500 }) });
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  return (
    <Table<HistoryEntry>
      rowKey="position"
      size="small"
      loading={q.isLoading}
      dataSource={[...(q.data?.items ?? [])].reverse()}
      pagination={{ pageSize: 20, hideOnSinglePage: true }}
      scroll={{ x: 'max-content' }}
      locale={{ emptyText: <Empty description={t('没有历史', 'No history')} /> }}
      columns={[
        { key: 'v', title: t('版本', 'Version'), dataIndex: 'version', width: 70 },
        { key: 'at', title: t('时间', 'When'), render: (_, r) => fmtTime(r.occurredAt) },
        { key: 'who', title: t('操作人', 'Who'), render: (_, r) => r.actor?.name },
        { key: 'type', title: t('事件', 'Event'), render: (_, r) => <Tag>{r.type}</Tag> },
        {
          key: 'changes',
          title: t('字段变化', 'Changes'),
          render: (_, r) => (
            <div>
              {(r.changes ?? []).map((c) => (
                <div key={c.field} style={{ fontSize: 13 }}>
                  <b>{label(fieldNames, c.field, lang) || c.field}</b>: <s style={{ color: '#a33' }}>{short(c.from)}</s> →{' '}
                  <span style={{ color: '#164' }}>{short(c.to)}</span>
                </div>
              ))}
            </div>
          ),
        },
      ]}
    />
  );
}

type TimelineEntry = Schemas['TimelineEntry'];

export function TimelineView({ path }: { path: string }) {
  const t = useT();
  const q = useQuery({ queryKey: [path], queryFn: () => get<Page<TimelineEntry>>(path, { limit: 200 }) });
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  if (q.isLoading) return <Typography.Text>{t('加载中…', 'Loading…')}</Typography.Text>;
  if (!q.data?.items.length) return <Empty description={t('暂无跟进', 'No follow-ups yet')} />;
  return (
    <Timeline
      items={q.data.items.map((e, i) => {
        const d = (e.entry.data ?? {}) as Record<string, unknown>;
        return {
          key: i,
          color: e.kind === 'followUp' ? 'green' : 'gray',
          content: (
            <div>
              <Typography.Text type="secondary">
                {fmtTime(e.entry.occurredAt)} · {e.entry.actor?.name}
              </Typography.Text>
              <div>
                {e.kind === 'followUp' ? (
                  <>
                    <Tag color="success">{String(d.type ?? t('跟进', 'Follow-up'))}</Tag>
                    {String(d.content ?? '')}
                  </>
                ) : (
                  <>
                    <Tag>{e.entry.type}</Tag>
                    {(e.entry.changes ?? []).map((c) => `${c.field}: ${short(c.to)}`).join('; ')}
                  </>
                )}
              </div>
            </div>
          ),
        };
      })}
    />
  );
}

/** Picks a time (RFC 3339; chosen on the user's zone's clock) to view a record as it was then. */
export function AsOfPicker({ value, onChange }: { value: string | null; onChange: (at: string | null) => void }) {
  const t = useT();
  return (
    <Space wrap>
      <Typography.Text>{t('查看历史时点：', 'View as of:')}</Typography.Text>
      <DatePicker
        showTime
        value={toPicker(value)}
        onChange={(d: Dayjs | null) => onChange(fromPicker(d))}
        aria-label={t('历史时点', 'As of')}
        data-testid="asof-picker"
        disabledDate={(d) => d.isAfter(pickerNow(), 'day')}
      />
      {value && <Button onClick={() => onChange(null)}>{t('返回当前', 'Back to now')}</Button>}
    </Space>
  );
}
