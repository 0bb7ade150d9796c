import { useState } from 'react';
import { Alert, Form, Input, Modal, Tag, Typography } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { call, type Schemas } from '../api/client';
import { useCommand } from './commands';
import { useT } from '../i18n';

/** The value a personal field reads as once its data subject's personal data was erased (the
 * server's privacy.Erased). */
export const ERASED = '已删除';

/** Whether a value is the erased marker. */
export const isErased = (v: unknown) => v === ERASED;

/** The tag an erased value shows as, in the reader's language. */
export function ErasedTag() {
  const t = useT();
  return (
    <Tag color="default" data-testid="erased" title={t('该个人信息已依法删除，无法恢复', 'This personal data was erased for good')}>
      {t('已删除', 'Erased')}
    </Tag>
  );
}

/** A field's value, or the erased tag when it was erased. */
export function Erasable({ value }: { value: string | null | undefined }) {
  if (isErased(value)) return <ErasedTag />;
  return <>{value}</>;
}

export type SubjectKind = 'lead' | 'contact';

/** The personal fields of a subject kind, as the server's registry names them, with their labels. */
export const personalFields: Record<SubjectKind, [string, string, string][]> = {
  lead: [
    ['name', '姓名', 'Name'],
    ['phone', '电话', 'Phone'],
    ['mobile', '手机', 'Mobile'],
    ['email', '邮箱', 'E-mail'],
    ['address', '地址', 'Address'],
  ],
  contact: [
    ['name', '姓名', 'Name'],
    ['officePhone', '办公电话', 'Office phone'],
    ['mobile', '手机', 'Mobile'],
    ['email', '邮箱', 'E-mail'],
    ['fax', '传真', 'Fax'],
    ['birthday', '生日', 'Birthday'],
  ],
};

/**
 * The confirmation of an erasure: it names the record and the fields that will be lost (with
 * their values as shown, when the record has them), asks for the reason and then posts
 * POST /privacy/erasures. An erasure cannot be undone, so the button says so.
 */
export function EraseDialog({ open, kind, id, name, record, onClose }: {
  open: boolean;
  kind: SubjectKind;
  id: string;
  name: string;
  record?: Record<string, unknown>;
  onClose: () => void;
}) {
  const t = useT();
  const run = useCommand();
  const qc = useQueryClient();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const fields = personalFields[kind].filter(([f]) => !record || (record[f] !== '' && record[f] != null && !isErased(record[f])));
  const submit = async (v: { reason: string }) => {
    setBusy(true);
    try {
      await run(
        () => call<Schemas['Erasure']>('POST', '/privacy/erasures', { body: { subject: { kind, id }, reason: v.reason.trim() } }),
        { form, success: t('个人信息已删除', 'Personal data erased') },
      );
      await qc.invalidateQueries();
      onClose();
    } catch {
      /* shown */
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={open}
      title={t('删除个人信息', 'Erase personal data')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('永久删除', 'Erase for good')}
      okButtonProps={{ danger: true, loading: busy, 'data-testid': 'erase-confirm' }}
      destroyOnHidden
    >
      <Alert
        type="warning"
        showIcon
        style={{ marginBottom: 12 }}
        title={t(`将永久删除“${name}”的以下个人信息，无法恢复：`, `The following personal data of “${name}” will be erased for good; it cannot be recovered:`)}
        description={
          <ul data-testid="erase-fields" style={{ margin: 0, paddingInlineStart: 20 }}>
            {fields.map(([f, zh, en]) => (
              <li key={f}>{t(zh, en)}</li>
            ))}
          </ul>
        }
      />
      <Typography.Paragraph type="secondary">
        {t(
          '记录本身、其他字段和操作日志保留；这些字段在记录、列表、搜索、历史和导出中显示为“已删除”，之后也不能再填写。',
          'The record, its other fields and the operation log stay; these fields show as “erased” in the record, lists, search, history and exports, and cannot be filled in again.',
        )}
      </Typography.Paragraph>
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item
          name="reason"
          label={t('原因（记入操作日志，请勿写入个人信息）', 'Reason (kept in the operation log; do not repeat the personal data)')}
          rules={[{ required: true, whitespace: true, message: t('请填写原因', 'A reason is required') }, { max: 500 }]}
        >
          <Input.TextArea rows={2} data-testid="erase-reason" />
        </Form.Item>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}
