import { App, type FormInstance } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError, get } from '../api/client';
import { useT } from '../i18n';
import { fieldErrorCode } from '../labels';
import { fmtTime } from '../util';

interface HistoryPage {
  items: { version: number; occurredAt: string; actor: { id: string; name: string }; type: string }[];
}

/** A problem's field path as a form's name path: "lines[0].quantity" → ['lines', 0, 'quantity']. */
export function fieldPath(field: string): (string | number)[] {
  return field.split('.').flatMap((p) => {
    const m = /^([^[]*)((?:\[\d+\])+)$/.exec(p);
    if (!m) return [p];
    const idx = [...m[2].matchAll(/\d+/g)].map((x) => Number(x[0]));
    return m[1] ? [m[1], ...idx] : idx;
  });
}

/**
 * run(fn) runs a command and reports its outcome: problem+json field errors go onto the form's
 * fields, a 412 opens the conflict dialog (who changed the record and when, from the problem document or else its history) with
 * a reload button, anything else is a message. Lists are refreshed after success; reads then wait
 * for the command's position (see api/client.ts).
 */
export function useCommand() {
  const { message, modal } = App.useApp();
  const qc = useQueryClient();
  const t = useT();

  const conflict = async (problem: ApiError['problem'], historyPath: string | undefined, reload: () => void) => {
    let who = '';
    // The 412 names who wrote the current version and when; the history is the fallback for a
    // store that does not know.
    const by = problem?.changedBy;
    if (by && problem?.changedAt) {
      who = t(`${by.name || by.id} 于 ${fmtTime(problem.changedAt)} 修改了此记录（版本 ${problem.currentVersion ?? ''}）。`,
        `${by.name || by.id} changed this record at ${fmtTime(problem.changedAt)} (version ${problem.currentVersion ?? ''}).`);
    } else if (historyPath) {
      try {
        const h = await get<HistoryPage>(historyPath);
        const last = h.items[h.items.length - 1];
        if (last) who = t(`${last.actor.name} 于 ${fmtTime(last.occurredAt)} 修改了此记录（版本 ${last.version}）。`,
          `${last.actor.name} changed this record at ${fmtTime(last.occurredAt)} (version ${last.version}).`);
      } catch {
        /* the dialog still says what happened */
      }
    }
    modal.confirm({
      title: t('记录已被他人修改', 'Someone else changed this record'),
      content: (
        <div data-testid="conflict-dialog">
          <p>{who}</p>
          <p>{t('您的修改未保存。重新加载以查看最新版本，然后再修改。', 'Your change was not saved. Reload to see the current version, then edit again.')}</p>
        </div>
      ),
      okText: t('重新加载', 'Reload'),
      cancelText: t('取消', 'Cancel'),
      onOk: reload,
    });
  };

  async function run<T>(
    fn: () => Promise<T>,
    o: { form?: FormInstance; success?: string; historyPath?: string; reload?: () => void } = {},
  ): Promise<T | undefined> {
    try {
      const r = await fn();
      if (o.success) message.success(o.success);
      await qc.invalidateQueries();
      return r;
    } catch (e) {
      if (e instanceof ApiError) {
        if (e.status === 412) {
          await conflict(e.problem, o.historyPath, () => {
            void qc.invalidateQueries();
            o.reload?.();
          });
          return undefined;
        }
        const fe = e.problem?.errors ?? [];
        if (o.form && fe.length) {
          const known = new Set(Object.keys(o.form.getFieldsValue(true) ?? {}));
          // A field error with a known reason code is told in the page's language.
          const say = (f: (typeof fe)[number]) => (f.code && fieldErrorCode[f.code] ? t(...fieldErrorCode[f.code]) : f.message);
          o.form.setFields(fe.map((f) => ({ name: fieldPath(f.field), errors: [say(f)] })));
          const unplaced = fe.filter((f) => !known.has(String(fieldPath(f.field)[0])));
          if (unplaced.length) message.error(unplaced.map((f) => `${f.field}: ${say(f)}`).join('; '));
          else message.error(t('请更正标出的字段', 'Please correct the marked fields'));
          throw e;
        }
        message.error(e.message || e.code);
      } else message.error(String(e));
      throw e;
    }
  }
  return run;
}
