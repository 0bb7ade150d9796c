import { lazy, Suspense, useState } from 'react';
import { Card, Col, Empty, List, Row, Segmented, Skeleton, Space, Statistic, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import dayjs from 'dayjs';
import { Link } from 'react-router';
import { get, type Schemas } from '../api/client';
import { ErrorState } from '../components/States';
import { useLang, useT, type Lang } from '../i18n';
import { label, leadStatus } from '../labels';
import { useSession } from '../session';
import { fmtTime, userZone } from '../util';

const Chart = lazy(() => import('../components/Chart'));
type Workbench = Schemas['Workbench'];
type Count = Schemas['WorkbenchCount'];
type Activity = Schemas['WorkbenchActivity'];

/** A bounded count as shown: exact, or the bound with a plus (as list totals). */
function shown(c?: Count | null): string {
  if (!c) return '—';
  return c.exact ? String(c.count) : `${c.count.toLocaleString()}+`;
}
/** The sum of two bounded counts (exact only when both are). */
function plus(a?: Count | null, b?: Count | null): Count | null {
  if (!a && !b) return null;
  return { count: (a?.count ?? 0) + (b?.count ?? 0), exact: (a?.exact ?? true) && (b?.exact ?? true) };
}

/** What an event did, by its type (the operation log shows the type itself for the others). */
const eventLabels: Record<string, [string, string]> = {
  'lead.created.v1': ['新建线索', 'Lead created'],
  'lead.updated.v1': ['修改线索', 'Lead changed'],
  'lead.assigned.v1': ['分配线索', 'Lead assigned'],
  'lead.claimed.v1': ['认领线索', 'Lead claimed'],
  'lead.released.v1': ['释放线索', 'Lead released'],
  'lead.followed_up.v1': ['跟进线索', 'Lead followed up'],
  'lead.converted.v1': ['线索转化', 'Lead converted'],
  'lead.deleted.v1': ['删除线索', 'Lead deleted'],
  'customer.created.v1': ['新建客户', 'Customer created'],
  'customer.updated.v1': ['修改客户', 'Customer changed'],
  'customer.assigned.v1': ['分配客户', 'Customer assigned'],
  'customer.claimed.v1': ['认领客户', 'Customer claimed'],
  'customer.released.v1': ['客户退回公海', 'Customer released'],
  'customer.locked.v1': ['锁定客户', 'Customer locked'],
  'customer.unlocked.v1': ['解锁客户', 'Customer unlocked'],
  'customer.followed_up.v1': ['跟进客户', 'Customer followed up'],
  'customer.merged.v1': ['合并客户', 'Customers merged'],
  'customer.absorbed.v1': ['客户被合并', 'Customer merged away'],
  'customer.primary_contact_set.v1': ['设置首要联系人', 'Primary contact set'],
  'customer.deleted.v1': ['删除客户', 'Customer deleted'],
  'contact.created.v1': ['新建联系人', 'Contact created'],
  'contact.updated.v1': ['修改联系人', 'Contact changed'],
  'contact.moved.v1': ['移动联系人', 'Contact moved'],
  'contact.deleted.v1': ['删除联系人', 'Contact deleted'],
  'user.signed_in.v1': ['登录', 'Signed in'],
  'user.sign_in_failed.v1': ['登录失败', 'Sign-in failed'],
  'user.password_changed.v1': ['修改密码', 'Password changed'],
  'user.two_factor_confirmed.v1': ['启用两步验证', 'Two-factor sign-in on'],
  'user.two_factor_disabled.v1': ['关闭两步验证', 'Two-factor sign-in off'],
  'user.created.v1': ['新建用户', 'User created'],
  'user.updated.v1': ['修改用户', 'User changed'],
};
const kindLabels: Record<string, [string, string]> = {
  lead: ['线索', 'Lead'],
  customer: ['客户', 'Customer'],
  contact: ['联系人', 'Contact'],
  user: ['用户', 'User'],
  department: ['部门', 'Department'],
  role: ['角色', 'Role'],
  settings: ['系统设置', 'Settings'],
};
const pick = (d: Record<string, [string, string]>, k: string, lang: Lang) => d[k]?.[lang === 'en' ? 1 : 0] ?? k;

function recordPath(a: Activity): string | null {
  if (!a.record.id) return null;
  if (a.record.kind === 'lead') return `/leads/${a.record.id}`;
  if (a.record.kind === 'customer') return `/customers/${a.record.id}`;
  return null;
}

/** A statistic card that opens a list (a link: keyboard and screen readers reach it). */
function StatCard({ title, value, to, loading, danger, note, testId }: {
  title: string; value: string; to?: string; loading: boolean; danger?: boolean; note?: string; testId: string;
}) {
  const card = (
    <Card hoverable={!!to} size="small" data-testid={testId}>
      <Statistic title={title} value={value} loading={loading} valueStyle={danger ? { color: '#c0392b' } : undefined} />
      {note && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{note}</Typography.Text>}
    </Card>
  );
  return to ? <Link to={to} aria-label={`${title}: ${value}`} style={{ display: 'block' }}>{card}</Link> : card;
}

/** The workbench: the signed-in user's figures from GET /api/v1/workbench (one request). */
export default function Workbench() {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const hasTeam = !!s.user.dataScope && s.user.dataScope !== 'self'; // the widest scope of their roles
  const [scope, setScope] = useState<'mine' | 'team'>('mine');
  const tz = userZone();
  const q = useQuery({
    queryKey: ['/workbench', scope, tz],
    queryFn: () => get<Workbench>('/workbench', { scope, tz }),
  });
  const wb = q.data;
  const loading = q.isLoading;
  const team = scope === 'team';
  const leads = wb?.leads;
  const customers = wb?.customers;
  const dueToday = plus(leads?.dueToday, customers?.dueToday);
  const overdue = plus(leads?.overdue, customers?.overdue);
  const split = (l?: Count | null, c?: Count | null) =>
    [leads ? t(`线索 ${shown(l)}`, `Leads ${shown(l)}`) : '', customers ? t(`客户 ${shown(c)}`, `Customers ${shown(c)}`) : ''].filter(Boolean).join(' · ');

  return (
    <div>
      <Space wrap style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
          {t(`你好，${s.user.displayName}`, `Hello, ${s.user.displayName}`)}
        </Typography.Title>
        {hasTeam && (
          <Segmented
            aria-label={t('统计范围', 'Figures of')}
            value={scope}
            onChange={(v) => setScope(v as 'mine' | 'team')}
            options={[{ value: 'mine', label: t('我的', 'Mine') }, { value: 'team', label: t('团队（数据范围）', 'Team (data scope)') }]}
          />
        )}
      </Space>
      {q.error ? (
        <ErrorState error={q.error} retry={() => void q.refetch()} />
      ) : (
        <Row gutter={[12, 12]}>
          <Col xs={12} md={6}>
            <StatCard testId="stat-leads" title={team ? t('团队线索', 'Team leads') : t('我的线索', 'My leads')} value={leads === null ? '—' : shown(leads?.total)} to={leads ? '/leads' : undefined} loading={loading} />
          </Col>
          <Col xs={12} md={6}>
            <StatCard testId="stat-customers" title={team ? t('团队客户', 'Team customers') : t('我的客户', 'My customers')} value={customers === null ? '—' : shown(customers?.total)} to={customers ? '/customers' : undefined} loading={loading} />
          </Col>
          <Col xs={12} md={6}>
            <StatCard testId="stat-due-today" title={t('今日待跟进', 'Follow-ups due today')} value={shown(dueToday)} loading={loading} note={split(leads?.dueToday, customers?.dueToday)} />
          </Col>
          <Col xs={12} md={6}>
            <StatCard testId="stat-overdue" title={t('已逾期', 'Overdue')} value={shown(overdue)} loading={loading} danger={!!overdue?.count} note={split(leads?.overdue, customers?.overdue)} />
          </Col>
          <Col xs={24} lg={12}>
            <Card title={team ? t('团队线索（按状态）', 'Team leads by status') : t('我的线索（按状态）', 'My leads by status')}>
              {loading ? <Skeleton active /> : !leads ? (
                <Typography.Text type="secondary">{t('无线索权限', 'No access to leads')}</Typography.Text>
              ) : leads.total.count === 0 ? (
                <Empty description={t('暂无线索', 'No leads yet')} />
              ) : (
                <Suspense fallback={<Skeleton active />}>
                  <Chart
                    ariaLabel={t('线索按状态：', 'Leads by status: ') + leads.byStatus.map((x) => `${label(leadStatus, x.status, lang)} ${shown(x)}`).join(', ')}
                    option={{
                      tooltip: {},
                      xAxis: { type: 'category', data: leads.byStatus.map((x) => label(leadStatus, x.status, lang)) },
                      yAxis: { type: 'value', minInterval: 1 },
                      series: [{ type: 'bar', data: leads.byStatus.map((x) => x.count), itemStyle: { color: '#1f5fbf' } }],
                      grid: { left: 40, right: 10, top: 20, bottom: 30 },
                    }}
                  />
                </Suspense>
              )}
            </Card>
          </Col>
          <Col xs={24} lg={12}>
            <Card title={t('每周新增客户（近 12 周）', 'New customers per week (last 12 weeks)')}>
              {loading ? <Skeleton active /> : !customers ? (
                <Typography.Text type="secondary">{t('无客户权限', 'No access to customers')}</Typography.Text>
              ) : customers.newPerWeek.every((w) => w.count === 0) ? (
                <Empty description={t('近 12 周没有新增客户', 'No new customers in the last 12 weeks')} />
              ) : (
                <Suspense fallback={<Skeleton active />}>
                  <Chart
                    ariaLabel={t('每周新增客户：', 'New customers per week: ') + customers.newPerWeek.map((w) => `${w.start} ${shown(w)}`).join(', ')}
                    option={{
                      tooltip: { trigger: 'axis' },
                      xAxis: { type: 'category', data: customers.newPerWeek.map((w) => `${dayjs(w.start).format('MM-DD')}`) },
                      yAxis: { type: 'value', minInterval: 1 },
                      series: [{ type: 'line', name: t('新增客户', 'New customers'), data: customers.newPerWeek.map((w) => w.count), smooth: true, areaStyle: {}, itemStyle: { color: '#2e8b57' } }],
                      grid: { left: 40, right: 10, top: 20, bottom: 30 },
                    }}
                  />
                </Suspense>
              )}
            </Card>
          </Col>
          {customers !== null && (
            <Col xs={24} lg={12}>
              <Card
                title={t('即将退回公海的客户（我的）', 'My customers returning to the pool soon')}
                extra={customers && <Typography.Text type="secondary">{t(`${customers.returningSoon.days} 天内 ${shown(customers.returningSoon.total)} 个`, `${shown(customers.returningSoon.total)} within ${customers.returningSoon.days} days`)}</Typography.Text>}
              >
                <List
                  data-testid="returning-soon"
                  loading={loading}
                  dataSource={customers?.returningSoon.items ?? []}
                  locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t(`${customers?.returningSoon.days ?? 7} 天内没有将退回公海的客户`, `No customers return to the pool within ${customers?.returningSoon.days ?? 7} days`)} /> }}
                  renderItem={(r) => (
                    <List.Item extra={<Tag color={r.daysLeft <= 1 ? 'error' : 'warning'}>{t(`剩 ${r.daysLeft} 天`, `${r.daysLeft} days left`)}</Tag>}>
                      <List.Item.Meta
                        title={<Link to={`/customers/${r.id}`}>{r.name}</Link>}
                        description={`${r.rule === 'no_follow_up' ? t('未跟进', 'No follow-up') : t('未成交', 'No deal')} · ${t('退回时间', 'Returns at')} ${fmtTime(r.returnAt)}`}
                      />
                    </List.Item>
                  )}
                />
              </Card>
            </Col>
          )}
          <Col xs={24} lg={customers === null ? 24 : 12}>
            <Card title={t('最近活动', 'Recent activity')}>
              <List
                data-testid="recent-activity"
                loading={loading}
                dataSource={wb?.recentActivity ?? []}
                locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('暂无活动', 'No activity yet')} /> }}
                renderItem={(a) => {
                  const path = recordPath(a);
                  const what = a.record.name || pick(kindLabels, a.record.kind, lang);
                  return (
                    <List.Item extra={<Typography.Text type="secondary">{fmtTime(a.occurredAt)}</Typography.Text>}>
                      <span>
                        <Tag>{pick(eventLabels, a.type, lang)}</Tag>
                        {path ? <Link to={path}>{what}</Link> : <span>{what}</span>}
                        {!a.byMe && <Typography.Text type="secondary">{t(` · ${a.actor.name}`, ` · by ${a.actor.name}`)}</Typography.Text>}
                      </span>
                    </List.Item>
                  );
                }}
              />
            </Card>
          </Col>
        </Row>
      )}
    </div>
  );
}
