import { useState } from 'react';
import { Alert, App, Button, Card, Descriptions, Form, Modal, Space, Spin, Tabs, Typography } from 'antd';
import type { FormInstance, TabsProps } from 'antd';
import { useQuery, type UseQueryResult } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { call, get } from '../api/client';
import { useT } from '../i18n';
import { fmtTime } from '../util';
import { useCommand } from './commands';
import { AsOfPicker, HistoryView } from './common';
import { ErrorState } from './States';

/**
 * A record's detail: the current read view (GET <collection>/{id}) and, once a time is picked, the
 * record as it was then (GET <collection>/{id}/snapshot?asOf=). Lead, customer and contact pages
 * share it.
 */
export function useRecord<T, S = T>(collection: string, id: string | undefined) {
  const [asOf, setAsOf] = useState<string | null>(null); // an RFC 3339 instant
  const current = useQuery({ queryKey: [collection, id], queryFn: () => get<T>(`${collection}/${id}`), enabled: !!id });
  const past = useQuery({
    queryKey: [collection, id, 'asOf', asOf],
    queryFn: () => get<S>(`${collection}/${id}/snapshot`, { asOf: asOf! }),
    enabled: !!id && !!asOf,
  });
  return { current, past, asOf, setAsOf };
}

/** The loading and error states of a detail page; null once the record is there. */
export function RecordState({ q }: { q: UseQueryResult<unknown> }) {
  if (q.isLoading) return <Spin style={{ display: 'block', margin: 48 }} />;
  if (q.error || !q.data) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  return null;
}

/** The page's heading: back, the record's name and its tags. */
export function DetailHeader({ title, children }: { title: React.ReactNode; children?: React.ReactNode }) {
  const t = useT();
  const nav = useNavigate();
  return (
    <Space style={{ marginBottom: 12 }} wrap>
      <Button onClick={() => nav(-1)}>{t('返回', 'Back')}</Button>
      <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
        {title}
      </Typography.Title>
      {children}
    </Space>
  );
}

export type FieldItem = [key: string, label: string, value: React.ReactNode];

/**
 * The record's fields, now or as of a picked time: the picker, a note saying which time is shown,
 * the snapshot's loading and error states, and the fields (a dash for an empty one).
 */
export function RecordFields({
  record,
  fields,
  what,
  testId,
}: {
  record: { asOf: string | null; setAsOf: (at: string | null) => void; past: UseQueryResult<unknown> };
  fields: FieldItem[] | null;
  /** what the record is, for the note: "该线索" / "the lead" */
  what: [zh: string, en: string];
  testId?: string;
}) {
  const t = useT();
  const { asOf, setAsOf, past } = record;
  return (
    <Card>
      <AsOfPicker value={asOf} onChange={setAsOf} />
      {asOf && (
        <Alert
          style={{ margin: '12px 0' }}
          type="info"
          showIcon
          title={t(`这是${what[0]}在 ${fmtTime(asOf)} 时的状态`, `This is ${what[1]} as it was at ${fmtTime(asOf)}`)}
        />
      )}
      {asOf && past.isLoading && <Spin />}
      {asOf && past.error && <ErrorState error={past.error} retry={() => void past.refetch()} />}
      {fields && (
        <Descriptions
          style={{ marginTop: 12 }}
          column={{ xs: 1, sm: 2, lg: 3 }}
          size="small"
          data-testid={testId}
          items={fields.map(([key, label, v]) => ({ key, label, children: v === '' || v === null || v === undefined ? '—' : v }))}
        />
      )}
    </Card>
  );
}

/** The tabs under a record: its own ones, then its history. A page that links to a tab passes the
 * active one (and follows the changes). */
export function RecordTabs({ items, historyPath, activeKey, onChange }: { items: NonNullable<TabsProps['items']>; historyPath: string; activeKey?: string; onChange?: (key: string) => void }) {
  const t = useT();
  return (
    <Card style={{ marginTop: 12 }}>
      <Tabs activeKey={activeKey} onChange={onChange} items={[...items, { key: 'history', label: t('历史', 'History'), children: <HistoryView path={historyPath} /> }]} />
    </Card>
  );
}

/** A delete button that asks first, deletes at the version shown (If-Match: someone else's change
 * in between opens the conflict dialog) and then goes to `after`. */
export function DeleteButton({ path, version, title, content, after, testId }: { path: string; version: number; title: string; content: string; after: string; testId?: string }) {
  const t = useT();
  const nav = useNavigate();
  const run = useCommand();
  const { modal } = App.useApp();
  return (
    <Button
      danger
      data-testid={testId}
      onClick={() =>
        modal.confirm({
          title,
          content,
          okText: t('删除', 'Delete'),
          okButtonProps: { danger: true },
          onOk: () =>
            run(() => call('DELETE', path, { ifMatch: version }), { success: t('已删除', 'Deleted'), historyPath: `${path}/history` })
              .then((r) => {
                if (r !== undefined) nav(after);
              })
              .catch(() => undefined),
        })
      }
    >
      {t('删除', 'Delete')}
    </Button>
  );
}

/** A dialog holding a form; `submit` runs the command (field errors land on the form) and the dialog closes when it succeeds. */
export function FormDialog({
  open,
  title,
  okText,
  onClose,
  submit,
  children,
  width,
  testId,
  danger,
  name,
}: {
  open: boolean;
  title: string;
  okText?: string;
  onClose: () => void;
  submit: (v: Record<string, unknown>, form: FormInstance) => Promise<unknown>;
  children: React.ReactNode;
  width?: number;
  testId?: string;
  danger?: boolean;
  /** the form's name: its fields' ids start with it (several dialogs live in the page) */
  name: string;
}) {
  const t = useT();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  return (
    <Modal
      open={open}
      title={title}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={okText ?? t('确定', 'OK')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy, danger }}
      destroyOnHidden
      width={width}
    >
      <Form
        form={form}
        name={name}
        layout="vertical"
        preserve={false}
        data-testid={testId}
        onFinish={async (v) => {
          setBusy(true);
          try {
            const r = await submit(v, form);
            if (r !== undefined) onClose();
          } catch {
            /* reported */
          } finally {
            setBusy(false);
          }
        }}
      >
        {children}
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}
