// What the opportunity screens share: pipelines and their stage labels, the status tag, dictionary
// selects, and the dialog that moves an opportunity to another stage with a note.
import { useEffect, useState } from 'react';
import { Form, Input, Modal, Select, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { call, get, type Page, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { useLang, useT, type Lang } from '../i18n';
import { itemLabel, useDictionaries } from './Dictionaries';

export type Opportunity = Schemas['Opportunity'];
export type Pipeline = Schemas['Pipeline'];
export type Stage = Schemas['PipelineStage'];

export const opportunityStatus: Record<string, [string, string]> = {
  open: ['进行中', 'Open'],
  won: ['赢单', 'Won'],
  lost: ['输单', 'Lost'],
};
const statusColor: Record<string, string> = { open: 'processing', won: 'success', lost: 'error' };

export function StatusTag({ status }: { status: string }) {
  const t = useT();
  const l = opportunityStatus[status];
  return <Tag color={statusColor[status]}>{l ? t(...l) : status}</Tag>;
}

/** Every pipeline (GET /pipelines), the default first. */
export function usePipelines() {
  return useQuery({
    queryKey: ['/pipelines'],
    queryFn: () => get<Page<Pipeline>>('/pipelines'),
    staleTime: 30_000,
    select: (p) => [...p.items].sort((a, b) => Number(b.default) - Number(a.default)),
  });
}

export const stageName = (s: Stage | undefined, key: string, lang: Lang) => (s ? (lang === 'en' && s.nameEn ? s.nameEn : s.name) : key);

/** A stage's label in the user's language, from the pipeline (its key while the pipelines load). */
export function useStageLabel() {
  const { lang } = useLang();
  const p = usePipelines();
  return (pipelineId: string | undefined, key: string) => {
    const pl = p.data?.find((x) => x.id === pipelineId);
    return stageName(pl?.stages.find((s) => s.key === key), key, lang);
  };
}

/** A select over a dictionary list's enabled items (the value is the item's code). A code no
 * longer offered still shows its label. */
export function DictSelect({ kind, value, ...rest }: { kind: string } & React.ComponentProps<typeof Select>) {
  const { lang } = useLang();
  const d = useDictionaries();
  const list = d.data?.items.find((l) => l.kind === kind);
  const options = (list?.items ?? []).filter((i) => i.enabled || i.code === value).map((i) => ({ value: i.code, label: itemLabel(i, lang) }));
  return <Select allowClear showSearch={{ optionFilterProp: 'label' }} loading={d.isLoading} options={options} value={value} {...rest} />;
}

/** A dictionary code's label in the user's language (the code itself when unknown). */
export function useDictLabel(kind: string) {
  const { lang } = useLang();
  const d = useDictionaries();
  return (code: string | undefined | null) => {
    if (!code) return '';
    const it = d.data?.items.find((l) => l.kind === kind)?.items.find((i) => i.code === code);
    return it ? itemLabel(it, lang) : code;
  };
}

export interface MoveTarget {
  opportunity: Pick<Opportunity, 'id' | 'name' | 'version' | 'stage'>;
  stage: string;
  stageLabel: string;
}

/** Asks for a note and moves the opportunity to the target stage (POST …/stage at its version). A
 * refusal (a closed opportunity, a disabled stage, a version conflict) is reported by the command
 * runner; the dialog then stays open for another try or a cancel. */
export function MoveStageDialog({ target, onClose, onMoved }: { target: MoveTarget | null; onClose: () => void; onMoved?: () => void }) {
  const t = useT();
  const run = useCommand();
  const [form] = Form.useForm<{ note?: string }>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (target) form.resetFields();
  }, [target, form]);
  const submit = async (v: { note?: string }) => {
    if (!target) return;
    setBusy(true);
    try {
      const r = await run(
        () => call('POST', `/opportunities/${target.opportunity.id}/stage`, { body: { stage: target.stage, note: (v.note ?? '').trim() }, ifMatch: target.opportunity.version }),
        { form, success: t('阶段已变更', 'Stage changed'), historyPath: `/opportunities/${target.opportunity.id}/history`, reload: onClose },
      );
      if (r !== undefined) {
        onMoved?.();
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
      title={target ? t(`移动到“${target.stageLabel}”`, `Move to “${target.stageLabel}”`) : ''}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('移动', 'Move')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy }}
      destroyOnHidden
      forceRender
    >
      {target && <Typography.Paragraph>{target.opportunity.name}</Typography.Paragraph>}
      <Form form={form} name="moveStage" layout="vertical" onFinish={submit} data-testid="move-stage-form">
        <Form.Item name="note" label={t('备注', 'Note')} rules={[{ max: 1000 }]}>
          <Input.TextArea rows={3} autoFocus />
        </Form.Item>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

/** A random UUID (for hand-entered products until the product catalogue exists). */
export function newId(): string {
  const c = globalThis.crypto as Crypto & { randomUUID?: () => string };
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
