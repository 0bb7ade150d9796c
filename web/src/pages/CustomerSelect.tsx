import { useState } from 'react';
import { Select } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { get, type Page, type Schemas } from '../api/client';
import { useT } from '../i18n';

/** Searches customers by keyword as the user types. */
/** `current` is the chosen customer's name, shown while the search has not found it (an edit form). */
export function CustomerSelect(props: React.ComponentProps<typeof Select> & { exclude?: string; current?: { id: string; name: string } }) {
  const t = useT();
  const [q, setQ] = useState('');
  const { exclude, current, ...rest } = props;
  const r = useQuery({
    queryKey: ['/customers', 'pick', q],
    queryFn: () => get<Page<Schemas['Customer']>>('/customers', { q, limit: 20 }),
  });
  const found = (r.data?.items ?? []).filter((c) => c.id !== exclude).map((c) => ({ id: c.id, name: c.name }));
  if (current && !found.some((c) => c.id === current.id)) found.unshift(current);
  return (
    <Select
      showSearch={{ filterOption: false, onSearch: setQ }}
      allowClear
      placeholder={t('输入名称搜索', 'Type to search')}
      loading={r.isFetching}
      options={found.map((c) => ({ value: c.id, label: c.name }))}
      {...rest}
    />
  );
}

/** The customer filter: the chosen customer's name is read once (the URL holds its id). */
export function CustomerFilter({ value, onChange }: { value?: string; onChange: (id: string | undefined) => void }) {
  const t = useT();
  const c = useQuery({ queryKey: ['/customers', value], queryFn: () => get<Schemas['Customer']>(`/customers/${value}`), enabled: !!value, retry: false });
  return (
    <CustomerSelect
      placeholder={t('客户', 'Customer')}
      aria-label={t('按客户筛选', 'Filter by customer')}
      value={value}
      current={value && c.data ? { id: value, name: c.data.name } : undefined}
      onChange={(v) => onChange(v as string | undefined)}
      style={{ width: 180 }}
    />
  );
}
