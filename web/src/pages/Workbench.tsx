import { lazy, Suspense } from 'react';
import { Card, Col, List, Row, Skeleton, Statistic, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import dayjs from 'dayjs';
import { useNavigate } from 'react-router';
import { get, type Page, type Schemas } from '../api/client';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { label, leadStatus } from '../labels';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { ReturningSoon } from './Customers';

const Chart = lazy(() => import('../components/Chart'));
type Lead = Schemas['Lead'];
type Customer = Schemas['Customer'];

/**
 * The API has no statistics endpoint yet: counts come from list totals; the charts from my
 * leads per status (totals of filtered searches) and my customers' createdAt (the newest 500).
 */
export default function Workbench() {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const nav = useNavigate();
  const me = s.user.id;
  const canCustomers = s.isAdmin || s.can('customers.read') || s.can('customers.create');
  const statuses = ['new', 'following', 'converted', 'invalid'];
  const leads = useQuery({
    queryKey: ['/leads', 'workbench', me],
    queryFn: async () => {
      const all = await Promise.all(statuses.map((st) => get<Page<Lead>>('/leads', { ownerId: me, status: st, limit: 1 })));
      return statuses.map((st, i) => ({ status: st, total: all[i].total ?? all[i].items.length }));
    },
  });
  const due = useQuery({
    queryKey: ['/leads', 'due', me],
    queryFn: () => get<Page<Lead>>('/leads', { ownerId: me, status: ['new', 'following'], sort: 'nextFollowUpAt', limit: 200 }),
  });
  const customers = useQuery({
    queryKey: ['/customers', 'workbench', me],
    queryFn: () => get<Page<Customer>>('/customers', { ownerId: me, sort: '-createdAt', limit: 500 }),
    enabled: canCustomers,
  });
  const dueCustomers = useQuery({
    queryKey: ['/customers', 'due', me],
    queryFn: () => get<Page<Customer>>('/customers', { ownerId: me, sort: 'nextFollowUpAt', limit: 200 }),
    enabled: canCustomers,
  });
  const recent = useQuery({
    queryKey: ['/audit/events', 'mine', me],
    queryFn: () => get<Page<Schemas['AuditEvent']>>('/audit/events', { actor: me, order: 'desc', limit: 8 }),
    enabled: s.can('audit.read'),
  });
  const endOfToday = dayjs().endOf('day');
  const startOfToday = dayjs().startOf('day');
  type Due = { id: string; name: string; sub: string; at: string; path: string };
  const dueItems: Due[] = [
    ...(due.data?.items ?? []).map((l) => ({ id: l.id, name: l.name, sub: l.company, at: l.nextFollowUpAt ?? '', path: `/leads/${l.id}` })),
    ...(dueCustomers.data?.items ?? []).map((c) => ({ id: c.id, name: c.name, sub: '', at: c.nextFollowUpAt ?? '', path: `/customers/${c.id}` })),
  ]
    .filter((x) => x.at && dayjs(x.at).isBefore(endOfToday))
    .sort((a, b) => a.at.localeCompare(b.at));
  const overdue = dueItems.filter((l) => dayjs(l.at).isBefore(startOfToday));
  const today = dueItems.filter((l) => !dayjs(l.at).isBefore(startOfToday));
  const myLeads = leads.data?.reduce((a, b) => a + b.total, 0);

  const weeks: { week: string; n: number }[] = [];
  for (let i = 7; i >= 0; i--) weeks.push({ week: dayjs().startOf('week').subtract(i, 'week').format('MM-DD'), n: 0 });
  for (const c of customers.data?.items ?? []) {
    const w = dayjs(c.createdAt).startOf('week').format('MM-DD');
    const b = weeks.find((x) => x.week === w);
    if (b) b.n++;
  }

  return (
    <div>
      <Typography.Title level={1} style={{ fontSize: 20, marginTop: 0 }}>
        {t(`你好，${s.user.displayName}`, `Hello, ${s.user.displayName}`)}
      </Typography.Title>
      <Row gutter={[12, 12]}>
        <Col xs={12} md={6}>
          <Card><Statistic title={t('我的线索', 'My leads')} value={myLeads ?? '—'} loading={leads.isLoading} /></Card>
        </Col>
        <Col xs={12} md={6}>
          <Card><Statistic title={t('我的客户', 'My customers')} value={canCustomers ? (customers.data?.total ?? '—') : '—'} loading={customers.isLoading && canCustomers} /></Card>
        </Col>
        <Col xs={12} md={6}>
          <Card><Statistic title={t('今日待跟进', 'Follow-ups due today')} value={today.length} loading={due.isLoading} /></Card>
        </Col>
        <Col xs={12} md={6}>
          <Card><Statistic title={t('已逾期', 'Overdue')} value={overdue.length} loading={due.isLoading} valueStyle={{ color: overdue.length ? '#c0392b' : undefined }} /></Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t('我的线索（按状态）', 'My leads by status')}>
            {leads.error ? <ErrorState error={leads.error} /> : (
              <Suspense fallback={<Skeleton active />}>
                <Chart
                  ariaLabel={t('我的线索按状态', 'My leads by status')}
                  option={{
                    tooltip: {},
                    xAxis: { type: 'category', data: (leads.data ?? []).map((x) => label(leadStatus, x.status, lang)) },
                    yAxis: { type: 'value', minInterval: 1 },
                    series: [{ type: 'bar', data: (leads.data ?? []).map((x) => x.total), itemStyle: { color: '#1f5fbf' } }],
                    grid: { left: 40, right: 10, top: 20, bottom: 30 },
                  }}
                />
              </Suspense>
            )}
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t('每周新增客户', 'New customers per week')}>
            {!canCustomers ? <Typography.Text type="secondary">{t('无客户权限', 'No access to customers')}</Typography.Text> : customers.error ? <ErrorState error={customers.error} /> : (
              <Suspense fallback={<Skeleton active />}>
                <Chart
                  ariaLabel={t('每周新增客户', 'New customers per week')}
                  option={{
                    tooltip: {},
                    xAxis: { type: 'category', data: weeks.map((w) => w.week) },
                    yAxis: { type: 'value', minInterval: 1 },
                    series: [{ type: 'line', data: weeks.map((w) => w.n), smooth: true, areaStyle: {}, itemStyle: { color: '#2e8b57' } }],
                    grid: { left: 40, right: 10, top: 20, bottom: 30 },
                  }}
                />
              </Suspense>
            )}
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t('待跟进（线索与客户）', 'Follow-ups due (leads and customers)')}>
            <List
              loading={due.isLoading}
              dataSource={dueItems.slice(0, 10)}
              locale={{ emptyText: t('今天没有待跟进的记录', 'Nothing due today') }}
              renderItem={(l) => (
                <List.Item onClick={() => nav(l.path)} style={{ cursor: 'pointer' }}>
                  <span>{l.name}{l.sub ? ` · ${l.sub}` : ''}</span>
                  <Tag color={dayjs(l.at).isBefore(startOfToday) ? 'error' : 'warning'}>{fmtTime(l.at)}</Tag>
                </List.Item>
              )}
            />
          </Card>
        </Col>
        {canCustomers && (
          <Col xs={24} lg={12}>
            <Card title={t('即将退回公海的客户', 'Customers returning to the pool soon')}>
              <ReturningSoon />
            </Card>
          </Col>
        )}
        {s.can('audit.read') && (
          <Col xs={24}>
            <Card title={t('最近活动', 'Recent activity')}>
              <List
                loading={recent.isLoading}
                dataSource={recent.data?.items ?? []}
                locale={{ emptyText: t('暂无活动', 'No activity yet') }}
                renderItem={(e) => (
                  <List.Item>
                    <span><Tag>{e.type}</Tag>{e.streamId}</span>
                    <Typography.Text type="secondary">{fmtTime(e.occurredAt)}</Typography.Text>
                  </List.Item>
                )}
              />
            </Card>
          </Col>
        )}
      </Row>
    </div>
  );
}
