import { useState } from 'react';
import { App, Button, Space } from 'antd';
import { ApiError, call, type Schemas } from '../api/client';
import { useT } from '../i18n';
import { ErasedTag, isErased } from './privacy';

/** What a record view says of its contact details: which are masked for the reader, and whether
 * the reader may reveal them (POST …/{id}/reveal). */
export type Masked = { maskedFields?: string[]; revealable?: boolean };

/**
 * A contact detail (phone, mobile, e-mail…) shown as the API answered it. A masked value
 * (138****8000) gets a small "显示 / Reveal" button when the reader may reveal it: the button asks
 * `POST {path}/reveal` for this field (the server records who revealed what, and limits how
 * often) and shows the value in full.
 */
export function ContactValue({ path, record, field, value }: { path: string; record: Masked; field: string; value: string | undefined | null }) {
  const t = useT();
  const { message } = App.useApp();
  const [full, setFull] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (isErased(value)) return <ErasedTag />; // erased: nothing to reveal
  if (full !== null) return <span data-testid={`revealed-${field}`}>{full || '—'}</span>;
  if (!value || !record.maskedFields?.includes(field) || !record.revealable) return <>{value}</>;
  const reveal = async () => {
    setBusy(true);
    try {
      const r = await call<Schemas['RevealedContactDetails']>('POST', `${path}/reveal`, { body: { fields: [field] } });
      setFull(r.data.fields[field] ?? '');
    } catch (e) {
      if (e instanceof ApiError && e.status === 429) message.error(t('查看次数过多，请稍后再试', 'Too many reveals; try again later'));
      else message.error(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Space size={4}>
      <span>{value}</span>
      <Button size="small" type="link" loading={busy} onClick={(e) => {
          e.stopPropagation(); // a list row's own click opens the record
          void reveal();
        }} aria-label={t(`显示完整的${field}`, `Reveal the full ${field}`)} data-testid={`reveal-${field}`}>
        {t('显示', 'Reveal')}
      </Button>
    </Space>
  );
}
