import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Button, Card, Checkbox, Dropdown, Empty, Grid, List, Pagination, Space, Table, Typography } from 'antd';
import type { TableProps } from 'antd';
import { SettingOutlined } from '@ant-design/icons';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { get, type Page, type Query } from '../api/client';
import { useT } from '../i18n';
import { ErrorState } from './States';
import { ErasedTag, isErased } from './privacy';

/** A column's value shown as it is, or as the erased tag when a person's data was erased. */
function plain(v: unknown): React.ReactNode {
  return isErased(v) ? <ErasedTag /> : String(v ?? '');
}

export interface Col<T> {
  key: string;
  title: string;
  render?: (row: T) => React.ReactNode;
  /** the API's sort field, when the column sorts */
  sort?: string;
  hidden?: boolean;
  width?: number;
}

interface Props<T> {
  id: string; // remembers the chosen columns
  path: string;
  query: Query;
  columns: Col<T>[];
  title: (row: T) => React.ReactNode;
  onOpen?: (row: T) => void;
  rowSelection?: TableProps<T>['rowSelection'];
  actions?: (row: T) => React.ReactNode;
  onSortChange?: (sort: string | undefined) => void;
  sort?: string;
  /** a row's key, for rows without an `id` */
  rowKey?: (row: T) => string;
}

declare global {
  interface Window {
    __chronicleListTiming?: { rows: number; responseAt: number; renderedAt: number }[];
  }
}

function loadCols(id: string): string[] | null {
  try {
    const v = localStorage.getItem('chronicle.cols.' + id);
    return v ? (JSON.parse(v) as string[]) : null;
  } catch {
    return null;
  }
}

/** A server-paged list: a table on wide screens, cards below 768 px; column chooser, sorting, total. */
export function DataList<T extends object>(p: Props<T>) {
  const t = useT();
  const screens = Grid.useBreakpoint();
  const mobile = screens.md === false;
  const [limit, setLimit] = useState(50);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState(0);
  const [shown, setShown] = useState<string[]>(
    () => loadCols(p.id) ?? p.columns.filter((c) => !c.hidden).map((c) => c.key),
  );
  const queryKey = JSON.stringify(p.query);
  useEffect(() => {
    setCursors([undefined]);
    setPage(0);
  }, [queryKey, limit]);
  const responseAt = useRef(0);
  const q = useQuery({
    queryKey: [p.path, 'list', p.query, limit, cursors[page]],
    queryFn: async ({ signal }) => {
      const r = await get<Page<T>>(p.path, { ...p.query, limit, cursor: cursors[page] }, signal);
      responseAt.current = performance.now();
      return r;
    },
    placeholderData: keepPreviousData,
  });
  useEffect(() => {
    const next = q.data?.nextCursor;
    if (next && cursors.length === page + 1) setCursors((c) => [...c, next]);
  }, [q.data, page, cursors.length]);
  useLayoutEffect(() => {
    if (!q.data || q.isPlaceholderData) return;
    const at = responseAt.current;
    requestAnimationFrame(() => {
      (window.__chronicleListTiming ??= []).push({ rows: q.data.items.length, responseAt: at, renderedAt: performance.now() });
    });
  }, [q.data, q.isPlaceholderData]);

  const rowKey = p.rowKey ?? ((row: T) => String((row as { id?: unknown }).id));
  const cols = p.columns.filter((c) => shown.includes(c.key));
  const setCols = (keys: string[]) => {
    setShown(keys);
    try {
      localStorage.setItem('chronicle.cols.' + p.id, JSON.stringify(keys));
    } catch {
      /* ignore */
    }
  };
  const total = q.data?.total;
  const exact = q.data?.totalExact !== false;
  const sortState = (c: Col<T>) =>
    !c.sort || !p.sort ? null : p.sort === c.sort ? 'ascend' : p.sort === '-' + c.sort ? 'descend' : null;

  const tableCols = useMemo<NonNullable<TableProps<T>['columns']>>(
    () => [
      ...cols.map((c) => ({
        key: c.key,
        dataIndex: c.key,
        title: c.title,
        width: c.width,
        sorter: !!c.sort,
        sortOrder: sortState(c) as 'ascend' | 'descend' | null,
        render: (_: unknown, row: T) => (c.render ? c.render(row) : plain((row as Record<string, unknown>)[c.key])),
      })),
      ...(p.actions ? [{ key: '_actions', title: t('操作', 'Actions'), render: (_: unknown, row: T) => p.actions!(row) }] : []),
    ],
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [cols, p.sort, p.actions, t],
  );

  if (q.error && !q.data) return <ErrorState error={q.error} retry={() => void q.refetch()} />;

  const chooser = (
    <Dropdown
      trigger={['click']}
      popupRender={() => (
        <Card size="small" style={{ minWidth: 180 }}>
          <Checkbox.Group value={shown} onChange={(v) => setCols(v as string[])} style={{ display: 'grid', gap: 4 }}>
            {p.columns.map((c) => (
              <Checkbox key={c.key} value={c.key}>
                {c.title}
              </Checkbox>
            ))}
          </Checkbox.Group>
        </Card>
      )}
    >
      <Button icon={<SettingOutlined />} aria-label={t('选择列', 'Choose columns')}>
        {!mobile && t('列', 'Columns')}
      </Button>
    </Dropdown>
  );

  const pager = (
    <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', marginTop: 12, flexWrap: 'wrap', gap: 8 }}>
      <Typography.Text type="secondary" data-testid="list-total">
        {total !== undefined && (exact ? t(`共 ${total} 条`, `${total} in total`) : t(`共 ${total.toLocaleString('en-US')}+ 条`, `${total.toLocaleString('en-US')}+ in total`))}
      </Typography.Text>
      <Space>
        <Pagination
          simple
          current={page + 1}
          pageSize={limit}
          total={exact && total !== undefined ? total : (cursors.length + (q.data?.nextCursor ? 1 : 0)) * limit}
          onChange={(n) => {
            if (n - 1 < cursors.length) setPage(n - 1);
          }}
        />
        <select
          aria-label={t('每页条数', 'Rows per page')}
          value={limit}
          onChange={(e) => setLimit(Number(e.target.value))}
          style={{ height: 28 }}
        >
          {[20, 50, 100, 200].map((n) => (
            <option key={n} value={n}>
              {n} / {t('页', 'page')}
            </option>
          ))}
        </select>
      </Space>
    </div>
  );

  return (
    <div>
      <div style={{ display: 'flex', justifyContent: 'flex-end', marginBottom: 8 }}>{chooser}</div>
      {mobile ? (
        <List
          loading={q.isLoading}
          rowKey={rowKey}
          dataSource={q.data?.items ?? []}
          locale={{ emptyText: <Empty description={t('没有记录', 'No records')} /> }}
          renderItem={(row) => (
            <List.Item style={{ display: 'block', padding: 0, border: 0 }}>
            <Card
              size="small"
              style={{ marginBottom: 8, cursor: p.onOpen ? 'pointer' : undefined }}
              title={p.title(row)}
              onClick={() => p.onOpen?.(row)}
              data-testid="list-card"
            >
              {cols.slice(1).map((c) => (
                <div key={c.key} style={{ display: 'flex', gap: 8, fontSize: 13 }}>
                  <span style={{ color: '#666', minWidth: 80 }}>{c.title}</span>
                  <span>{c.render ? c.render(row) : plain((row as Record<string, unknown>)[c.key])}</span>
                </div>
              ))}
              {p.actions && (
                <div style={{ marginTop: 8 }} onClick={(e) => e.stopPropagation()}>
                  {p.actions(row)}
                </div>
              )}
            </Card>
            </List.Item>
          )}
        />
      ) : (
        <Table<T>
          rowKey={rowKey}
          size="middle"
          loading={q.isFetching && !q.data ? true : q.isFetching ? { delay: 300 } : false}
          columns={tableCols}
          dataSource={q.data?.items ?? []}
          pagination={false}
          rowSelection={p.rowSelection}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: <Empty description={t('没有记录', 'No records')} /> }}
          onChange={(_, __, sorter) => {
            const s = Array.isArray(sorter) ? sorter[0] : sorter;
            const col = p.columns.find((c) => c.key === s?.columnKey);
            if (!col?.sort || !s.order) p.onSortChange?.(undefined);
            else p.onSortChange?.(s.order === 'ascend' ? col.sort : '-' + col.sort);
          }}
          onRow={(row) => ({
            onClick: (e) => {
              if ((e.target as HTMLElement).closest('button,a,input,label,.ant-checkbox-wrapper')) return;
              p.onOpen?.(row);
            },
            style: { cursor: p.onOpen ? 'pointer' : undefined },
          })}
        />
      )}
      {pager}
    </div>
  );
}
