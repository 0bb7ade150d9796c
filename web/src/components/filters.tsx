import { useCallback, useMemo } from 'react';
import { Button, DatePicker, Input, InputNumber, Select, Space } from 'antd';
import dayjs from 'dayjs';
import { useSearchParams } from 'react-router';
import type { Query, Schemas } from '../api/client';
import { useT } from '../i18n';

export type CustomField = Schemas['CustomField'];

/** A change to a list's filters: a name set to a value, a list (the parameter repeated), or removed
 * (undefined, null, '' or []). */
export type Patch = Record<string, string | string[] | number | null | undefined>;

/** The list query held in a URL's search parameters: every parameter, a repeated one as a list. */
export function queryOf(sp: URLSearchParams): Query {
  const out: Query = {};
  for (const k of new Set(sp.keys())) {
    const all = sp.getAll(k).filter((v) => v !== '');
    if (all.length > 1) out[k] = all;
    else if (all.length === 1) out[k] = all[0];
  }
  return out;
}

/** sp with patch applied (a new object; sp is left alone). */
export function patchParams(sp: URLSearchParams, patch: Patch): URLSearchParams {
  const next = new URLSearchParams(sp);
  for (const [k, v] of Object.entries(patch)) {
    next.delete(k);
    if (Array.isArray(v)) {
      for (const one of v) if (one !== '') next.append(k, one);
    } else if (v !== undefined && v !== null && v !== '') next.set(k, String(v));
  }
  return next;
}

/** The filter of one custom field as a control holds it: text, the chosen options, or a range. */
export type CustomFilterValue = string | string[] | { min?: string | number | null; max?: string | number | null } | undefined;

/** The parameters of one custom field's filter, by the field's type (see GET /api/v1/customers):
 * text `custom.<key>=part`, option `custom.<key>=a&custom.<key>=b` (one of them), multi_option
 * the same (all of them), number and date `custom.<key>.min` / `.max` (inclusive). */
export function customFilterPatch(def: CustomField, value: CustomFilterValue): Patch {
  const k = 'custom.' + def.key;
  switch (def.type) {
    case 'number':
    case 'date': {
      const r = value && typeof value === 'object' && !Array.isArray(value) ? value : {};
      const s = (v: string | number | null | undefined) => (v === null || v === undefined || v === '' ? undefined : String(v));
      return { [k]: undefined, [k + '.min']: s(r.min), [k + '.max']: s(r.max) };
    }
    case 'option':
    case 'multi_option':
      return { [k]: Array.isArray(value) ? value : typeof value === 'string' && value ? [value] : undefined };
    default:
      return { [k]: typeof value === 'string' ? value.trim() : undefined };
  }
}

/** The filter of one custom field as the URL holds it (the inverse of customFilterPatch). */
export function customFilterValue(sp: URLSearchParams, def: CustomField): CustomFilterValue {
  const k = 'custom.' + def.key;
  switch (def.type) {
    case 'number':
    case 'date': {
      const min = sp.get(k + '.min') ?? undefined;
      const max = sp.get(k + '.max') ?? undefined;
      return min || max ? { min, max } : undefined;
    }
    case 'option':
    case 'multi_option':
      return sp.getAll(k);
    default:
      return sp.get(k) ?? undefined;
  }
}

/** How many filters are set (sorting and the keyword search are not filters). */
export function activeFilterCount(sp: URLSearchParams, ignore: string[] = ['q', 'sort']): number {
  const names = new Set<string>();
  for (const [k, v] of sp) if (v !== '' && !ignore.includes(k)) names.add(k.replace(/\.(min|max)$/, ''));
  return names.size;
}

/** A list's filters, kept in the URL's query string so that a reload, a shared link and Back keep them. */
export function useListParams() {
  const [sp, setSp] = useSearchParams();
  const set = useCallback((patch: Patch) => setSp((prev) => patchParams(prev, patch), { replace: true }), [setSp]);
  const clear = useCallback((keep: string[] = ['q', 'sort']) => setSp((prev) => {
    const next = new URLSearchParams();
    for (const [k, v] of prev) if (keep.includes(k)) next.append(k, v);
    return next;
  }, { replace: true }), [setSp]);
  const query = useMemo(() => queryOf(sp), [sp]);
  return { sp, query, set, clear };
}

/** A text filter that applies on Enter or when it loses focus, and clears at once. */
export function TextFilter({ name, label, sp, set, width = 120 }: { name: string; label: string; sp: URLSearchParams; set: (p: Patch) => void; width?: number }) {
  const t = useT();
  const current = sp.get(name) ?? '';
  const apply = (v: string) => {
    if (v.trim() !== current) set({ [name]: v.trim() });
  };
  return (
    <Input
      key={current}
      allowClear
      defaultValue={current}
      placeholder={label}
      aria-label={t(`按${label}筛选`, `Filter by ${label.toLowerCase()}`)}
      onPressEnter={(e) => apply((e.target as HTMLInputElement).value)}
      onBlur={(e) => apply(e.target.value)}
      onChange={(e) => {
        if (e.target.value === '' && current) set({ [name]: undefined });
      }}
      style={{ width }}
    />
  );
}

/** The filter control of one custom field, by its type: text, one of the options, all of the
 * chosen options, a number range or a date range. */
export function CustomFieldFilter({ def, sp, set }: { def: CustomField; sp: URLSearchParams; set: (p: Patch) => void }) {
  const t = useT();
  const value = customFilterValue(sp, def);
  const put = (v: CustomFilterValue) => set(customFilterPatch(def, v));
  const options = (def.options ?? []).map((o) => ({ value: o, label: o }));
  switch (def.type) {
    case 'option':
    case 'multi_option':
      return (
        <Select
          mode="multiple"
          allowClear
          maxTagCount="responsive"
          placeholder={def.type === 'option' ? def.label : t(`${def.label}（全部包含）`, `${def.label} (has all)`)}
          aria-label={t(`按${def.label}筛选`, `Filter by ${def.label}`)}
          value={value as string[]}
          onChange={(v: string[]) => put(v)}
          options={options}
          style={{ minWidth: 160 }}
          data-testid={`filter-custom-${def.key}`}
        />
      );
    case 'number': {
      const r = (value ?? {}) as { min?: string; max?: string };
      const num = (s?: string) => (s === undefined || s === '' ? undefined : Number(s));
      return (
        <Space.Compact data-testid={`filter-custom-${def.key}`}>
          <InputNumber
            key={'min' + (r.min ?? '')}
            placeholder={t(`${def.label} 最小`, `${def.label} min`)}
            aria-label={t(`${def.label}最小值`, `${def.label} from`)}
            defaultValue={num(r.min)}
            onBlur={(e) => put({ ...r, min: e.target.value })}
            onPressEnter={(e) => put({ ...r, min: (e.target as HTMLInputElement).value })}
            style={{ width: 110 }}
          />
          <InputNumber
            key={'max' + (r.max ?? '')}
            placeholder={t('最大', 'max')}
            aria-label={t(`${def.label}最大值`, `${def.label} to`)}
            defaultValue={num(r.max)}
            onBlur={(e) => put({ ...r, max: e.target.value })}
            onPressEnter={(e) => put({ ...r, max: (e.target as HTMLInputElement).value })}
            style={{ width: 90 }}
          />
        </Space.Compact>
      );
    }
    case 'date': {
      const r = (value ?? {}) as { min?: string; max?: string };
      return (
        <span data-testid={`filter-custom-${def.key}`}>
          <DatePicker.RangePicker
            allowEmpty={[true, true]}
            aria-label={t(`按${def.label}筛选`, `Filter by ${def.label}`)}
            placeholder={[t(`${def.label} 起`, `${def.label} from`), t('止', 'to')]}
            value={[r.min ? dayjs(r.min) : null, r.max ? dayjs(r.max) : null]}
            onChange={(d) => put({ min: d?.[0]?.format('YYYY-MM-DD'), max: d?.[1]?.format('YYYY-MM-DD') })}
          />
        </span>
      );
    }
    default:
      return <TextFilter name={'custom.' + def.key} label={def.label} sp={sp} set={set} width={140} />;
  }
}

/** "Clear filters (n)": shown while any filter is set. */
export function ClearFilters({ sp, clear }: { sp: URLSearchParams; clear: () => void }) {
  const t = useT();
  const n = activeFilterCount(sp);
  if (!n) return null;
  return (
    <Button onClick={clear} data-testid="clear-filters">
      {t(`清除筛选（${n}）`, `Clear filters (${n})`)}
    </Button>
  );
}
