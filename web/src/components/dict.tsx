import { useCallback } from 'react';
import { Select } from 'antd';
import type { Schemas } from '../api/client';
import { useLang, useT } from '../i18n';
import { itemLabel, useDictionaries } from '../pages/Dictionaries';
import type { Patch } from './filters';

type Item = Schemas['DictionaryItem'];

/** The kinds of the data dictionary that records' coded fields use. */
export type Kind = 'lead_source' | 'industry' | 'customer_level' | 'customer_class' | 'business_nature' | 'contract_type' | 'payment_method';

/** The items of one list (the dictionaries are fetched once and cached by react-query). */
export function useDictItems(kind: Kind): Item[] {
  const q = useDictionaries();
  return q.data?.items.find((l) => l.kind === kind)?.items ?? [];
}

/** How a coded field's value shows: the label of the item with that code in the user's language;
 * any other value (stored before the dictionary existed) as stored. */
export function useDictLabel() {
  const { lang } = useLang();
  const q = useDictionaries();
  const lists = q.data?.items;
  return useCallback(
    (kind: Kind, value: string | null | undefined): string => {
      if (!value) return '';
      const it = lists?.find((l) => l.kind === kind)?.items.find((x) => x.code === value);
      return it ? itemLabel(it, lang) : value;
    },
    [lists, lang],
  );
}

/** A code is offered for a new value: enabled, and so is its sector. */
function usable(items: Item[], it: Item): boolean {
  if (!it.enabled) return false;
  if (!it.parent) return true;
  const p = items.find((x) => x.code === it.parent);
  return !!p && usable(items, p);
}

type Option = { value: string; label: string; disabled?: boolean };

/** The options of a pick list: the usable items (of parent, when given: a sector's branches; of
 * the top level, when parent is ''; all levels when undefined, branches indented), plus the
 * current value when it is not one of them (a disabled item, or a legacy text shown as stored). */
export function dictOptions(items: Item[], lang: string, current: string | undefined, parent?: string, notUsable = ''): Option[] {
  const offered = items.filter((it) => usable(items, it) && (parent === undefined || (it.parent ?? '') === parent));
  const opts: Option[] = offered.map((it) => ({
    value: it.code,
    label: (parent === undefined && it.parent ? '\u3000' : '') + itemLabel(it, lang),
  }));
  if (current && !offered.some((it) => it.code === current)) {
    const it = items.find((x) => x.code === current);
    opts.unshift({ value: current, label: (it ? itemLabel(it, lang) : current) + notUsable, disabled: true });
  }
  return opts;
}

/** A pick list of one dictionary list for a form field (value: the code). */
export function DictSelect({
  kind,
  value,
  onChange,
  parent,
  id,
  placeholder,
  'aria-label': ariaLabel,
  disabled,
}: {
  kind: Kind;
  value?: string;
  onChange?: (v: string | undefined) => void;
  parent?: string;
  id?: string;
  placeholder?: string;
  'aria-label'?: string;
  disabled?: boolean;
}) {
  const { lang } = useLang();
  const t = useT();
  const items = useDictItems(kind);
  return (
    <Select
      id={id}
      allowClear
      showSearch={{ optionFilterProp: 'label' }}
      value={value || undefined}
      onChange={(v) => onChange?.((v as string | undefined) ?? '')}
      placeholder={placeholder}
      aria-label={ariaLabel}
      disabled={disabled}
      options={dictOptions(items, lang, value, parent, t('（已停用或旧值）', ' (disabled or legacy)'))}
    />
  );
}

/** A list filter on a coded field: the parameter name=code, chosen from the list (the URL keeps
 * the code). */
export function DictFilter({ kind, name, label, sp, set, parent, width = 140 }: {
  kind: Kind;
  name: string;
  label: string;
  sp: URLSearchParams;
  set: (p: Patch) => void;
  parent?: string;
  width?: number;
}) {
  const t = useT();
  const { lang } = useLang();
  const items = useDictItems(kind);
  const current = sp.get(name) ?? undefined;
  const opts = items
    .filter((it) => parent === undefined || (it.parent ?? '') === parent)
    .map((it) => ({ value: it.code, label: (parent === undefined && it.parent ? '\u3000' : '') + itemLabel(it, lang) }));
  if (current && !opts.some((o) => o.value === current)) opts.unshift({ value: current, label: current });
  return (
    <Select
      allowClear
      showSearch={{ optionFilterProp: 'label' }}
      placeholder={label}
      aria-label={t(`按${label}筛选`, `Filter by ${label.toLowerCase()}`)}
      value={current}
      onChange={(v) => set({ [name]: (v as string | undefined) ?? undefined })}
      options={opts}
      style={{ minWidth: width }}
    />
  );
}
