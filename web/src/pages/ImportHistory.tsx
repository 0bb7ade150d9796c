import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Button, Checkbox, Progress, Select, Space, Tag, Tooltip, Typography } from 'antd';
import { ImportOutlined, ReloadOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { get, type Page, type Query, type Schemas } from '../api/client';
import { DataList, type Col } from '../components/DataList';
import { useLang, useT } from '../i18n';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { ReportLinks } from './importReport';

type ImportSummary = Schemas['ImportSummary'];

const kinds: Record<string, [string, string]> = {
  leads: ['线索', 'Leads'],
  customers: ['客户', 'Customers'],
  contacts: ['联系人', 'Contacts'],
  products: ['产品', 'Products'],
};
const states: Record<string, [string, string, string]> = {
  queued: ['排队中', 'Queued', 'default'],
  running: ['进行中', 'Running', 'processing'],
  done: ['已完成', 'Done', 'success'],
  failed: ['失败', 'Failed', 'error'],
};
const active = (s: string) => s === 'queued' || s === 'running';

/** How far an import has got: the rows handled of the rows counted. */
export function percent(i: ImportSummary): number {
  if (!active(i.state)) return 100;
  return i.total > 0 ? Math.min(99, Math.round(((i.imported + i.skipped + i.failed) / i.total) * 100)) : 0;
}

/** The import history: the imports the user may read (their own; with audit.read their data scope's), newest first. */
export default function ImportHistory() {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const nav = useNavigate();
  const qc = useQueryClient();
  const [kind, setKind] = useState<string | undefined>();
  const [status, setStatus] = useState<string | undefined>();
  const [mine, setMine] = useState(false);
  const wide = s.isAdmin || s.can('audit.read');
  const query: Query = { kind, status, by: wide && mine ? s.user.id : undefined };

  // While imports run, the list is refreshed every 2 s (their counts grow every 500 rows), and once more when they end.
  const running = useQuery({
    queryKey: ['/imports', 'running', query.by],
    queryFn: () => get<Page<ImportSummary>>('/imports', { status: 'queued,running', by: query.by, limit: 1 }),
    refetchInterval: (q) => ((q.state.data?.total ?? 0) > 0 ? 2000 : 10000),
  });
  const busy = (running.data?.total ?? 0) > 0;
  const wasBusy = useRef(false);
  useEffect(() => {
    if (busy || wasBusy.current) void qc.invalidateQueries({ queryKey: ['/imports', 'list'] });
    wasBusy.current = busy;
  }, [running.dataUpdatedAt, busy, qc]);

  const L = (d: Record<string, [string, string, ...string[]]>, v: string) => (d[v] ? (lang === 'en' ? d[v][1] : d[v][0]) : v);
  const columns = useMemo<Col<ImportSummary>[]>(
    () => [
      { key: 'fileName', title: t('文件', 'File'), render: (i) => i.fileName || <Typography.Text type="secondary">{i.id.slice(0, 8)}</Typography.Text> },
      { key: 'createdAt', title: t('开始时间', 'Started'), sort: 'createdAt', render: (i) => fmtTime(i.createdAt) },
      {
        key: 'type',
        title: t('类型', 'Kind'),
        render: (i) => (
          <Space size={4}>
            {L(kinds, i.type)}
            {i.dryRun && <Tag>{t('试运行', 'Dry run')}</Tag>}
          </Space>
        ),
      },
      { key: 'by', title: t('发起人', 'By'), render: (i) => i.by.name || i.by.id.slice(0, 8) },
      {
        key: 'state',
        title: t('状态', 'Status'),
        render: (i) => (
          <div style={{ minWidth: 120 }}>
            {i.detail ? (
              <Tooltip title={i.detail}>
                <Tag color={states[i.state]?.[2]}>{L(states, i.state)}</Tag>
              </Tooltip>
            ) : (
              <Tag color={states[i.state]?.[2]}>{L(states, i.state)}</Tag>
            )}
            {active(i.state) && <Progress size="small" percent={percent(i)} status="active" aria-label={t('进度', 'Progress')} />}
          </div>
        ),
      },
      {
        key: 'counts',
        title: t('行数（总/导入/跳过/错误）', 'Rows (total/imported/skipped/failed)'),
        render: (i) => (
          <span data-testid="import-counts">
            {i.total} / {i.imported} / {i.skipped} /{' '}
            <Typography.Text type={i.failed ? 'danger' : undefined}>{i.failed}</Typography.Text>
          </span>
        ),
      },
      { key: 'finishedAt', title: t('结束时间', 'Finished'), hidden: true, render: (i) => fmtTime(i.finishedAt) },
    ],
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [t, lang],
  );

  return (
    <div>
      <div style={{ display: 'flex', alignItems: 'center', gap: 12, flexWrap: 'wrap', marginBottom: 12 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
          {t('导入记录', 'Import history')}
        </Typography.Title>
        <div style={{ flex: 1 }} />
        <Button icon={<ReloadOutlined />} onClick={() => void qc.invalidateQueries({ queryKey: ['/imports'] })}>
          {t('刷新', 'Refresh')}
        </Button>
        {(s.isAdmin || s.can('leads.import') || s.can('customers.import')) && (
          <Button type="primary" icon={<ImportOutlined />} onClick={() => nav('/import')}>
            {t('导入文件', 'Import a file')}
          </Button>
        )}
      </div>
      <Space wrap style={{ marginBottom: 8 }}>
        <Select
          allowClear
          style={{ width: 140 }}
          aria-label={t('类型', 'Kind')}
          placeholder={t('全部类型', 'All kinds')}
          value={kind}
          onChange={setKind}
          options={Object.entries(kinds).map(([v]) => ({ value: v, label: L(kinds, v) }))}
        />
        <Select
          allowClear
          style={{ width: 140 }}
          aria-label={t('状态', 'Status')}
          placeholder={t('全部状态', 'All statuses')}
          value={status}
          onChange={setStatus}
          options={[
            { value: 'queued,running', label: t('进行中', 'In progress') },
            { value: 'done', label: L(states, 'done') },
            { value: 'failed', label: L(states, 'failed') },
          ]}
        />
        {wide && (
          <Checkbox checked={mine} onChange={(e) => setMine(e.target.checked)}>
            {t('只看我发起的', 'Only mine')}
          </Checkbox>
        )}
      </Space>
      {busy && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 8 }}
          title={t('有导入正在进行，列表每 2 秒刷新。', 'Imports are running; the list refreshes every 2 seconds.')}
        />
      )}
      <DataList<ImportSummary>
        id="imports"
        path="/imports"
        query={query}
        columns={columns}
        title={(i) => (
          <Space size={4} wrap>
            <span>{i.fileName || i.id.slice(0, 8)}</span>
            <Tag color={states[i.state]?.[2]}>{L(states, i.state)}</Tag>
          </Space>
        )}
        actions={(i) =>
          i.failed > 0 || i.state === 'failed' ? <ReportLinks id={i.id} /> : <Typography.Text type="secondary">{t('无错误', 'No errors')}</Typography.Text>
        }
      />
    </div>
  );
}
