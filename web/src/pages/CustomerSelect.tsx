import { useState } from 'react';
import { Select } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { get, type Page, type Schemas } from '../api/client';
import { useT } from '../i18n';

/** Searches customers by keyword as the user types. */
export function CustomerSelect(props: React.ComponentProps<typeof Select> & { exclude?: string }) {
  const t = useT();
  const [q, setQ] = useState('');
  const { exclude, ...rest } = props;
  const r = useQuery({
    queryKey: ['/customers', 'pick', q],
    queryFn: () => get<Page<Schemas['Customer']>>('/customers', { q, limit: 20 }),
  });
  return (
    <Select
      showSearch={{ filterOption: false, onSearch: setQ }}
      allowClear
      placeholder={t('输入名称搜索', 'Type to search')}
      loading={r.isFetching}
      options={(r.data?.items ?? []).filter((c) => c.id !== exclude).map((c) => ({ value: c.id, label: c.name }))}
      {...rest}
    />
  );
}
