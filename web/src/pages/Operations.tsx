import { App, Button, Progress, Space, Table, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { call, get, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { label, projectionState } from '../labels';
import { useSession } from '../session';

type P = Schemas['ProjectionStatus'];

export default function Operations() {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const run = useCommand();
  const { modal } = App.useApp();
  const q = useQuery({
    queryKey: ['/projections'],
    queryFn: () => get<{ items: P[] }>('/projections'),
    refetchInterval: (query) => (query.state.data?.items.some((p) => p.state !== 'live' && p.state !== 'standby') ? 1000 : 5000),
  });
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  const admin = s.isAdmin;
  return (
    <div>
      <Typography.Title level={1} style={{ fontSize: 20, marginTop: 0 }}>{t('运维：投影', 'Operations: projections')}</Typography.Title>
      <Table<P>
        rowKey={(p) => `${p.name}-${p.generation}`}
        size="middle"
        loading={q.isLoading}
        dataSource={q.data?.items ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        columns={[
          { key: 'n', title: t('名称', 'Name'), render: (_, p) => <span>{p.name} {!p.serving && <Tag>{t('新一代', 'next generation')}</Tag>}</span> },
          { key: 'g', title: t('代', 'Generation'), dataIndex: 'generation' },
          { key: 's', title: t('状态', 'State'), render: (_, p) => <Tag color={p.state === 'live' ? 'success' : p.state === 'parked' ? 'error' : 'processing'} data-testid={`state-${p.name}`}>{label(projectionState, p.state, lang)}</Tag> },
          { key: 'pos', title: t('位置 / 最新', 'Position / head'), render: (_, p) => `${p.position} / ${p.head}` },
          { key: 'prog', title: t('进度', 'Progress'), render: (_, p) => <Progress size="small" aria-label={t(`${p.name} 进度`, `${p.name} progress`)} style={{ width: 140 }} percent={p.head ? Math.floor((p.position / p.head) * 100) : 100} status={p.state === 'parked' ? 'exception' : p.state === 'live' ? 'success' : 'active'} /> },
          { key: 'lag', title: t('延迟', 'Lag'), render: (_, p) => t(`${p.lagEvents} 个事件 / ${p.lagSeconds.toFixed(1)} 秒`, `${p.lagEvents} events / ${p.lagSeconds.toFixed(1)} s`) },
          { key: 'e', title: t('最近错误', 'Last error'), render: (_, p) => p.lastError && <Typography.Text type="danger" style={{ fontSize: 12 }}>{p.lastError}</Typography.Text> },
          {
            key: 'a',
            title: t('操作', 'Actions'),
            render: (_, p) =>
              admin && p.serving && (
                <Space>
                  <Button size="small" data-testid={`rebuild-${p.name}`} onClick={() => modal.confirm({ title: t(`重建投影 ${p.name}？`, `Rebuild ${p.name}?`), content: t('重建期间读取不受影响，追上后自动切换。', 'Reads keep working; it switches over when caught up.'), onOk: () => run(() => call('POST', `/projections/${p.name}/rebuild`), { success: t('已开始重建', 'Rebuild started') }).catch(() => undefined) })}>{t('重建', 'Rebuild')}</Button>
                  {p.state === 'parked' && <Button size="small" onClick={() => run(() => call('POST', `/projections/${p.name}/resume`), { success: t('已恢复', 'Resumed') }).catch(() => undefined)}>{t('恢复', 'Resume')}</Button>}
                </Space>
              ),
          },
        ]}
      />
    </div>
  );
}
