import { lazy, Suspense, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { App, Button, Drawer, Dropdown, Grid, Layout, Menu, Modal, Result, Segmented, Space, Spin, Tag, Typography } from 'antd';
import {
  AuditOutlined,
  BarChartOutlined,
  ContactsOutlined,
  DashboardOutlined,
  ImportOutlined,
  MenuOutlined,
  SettingOutlined,
  TeamOutlined,
  UserOutlined,
  ApartmentOutlined,
  FundOutlined,
  ShoppingOutlined,
  FileProtectOutlined,
  CarryOutOutlined,
  AccountBookOutlined,
  CheckSquareOutlined,
  NotificationOutlined,
  FileTextOutlined,
  ScheduleOutlined,
  SafetyCertificateOutlined,
} from '@ant-design/icons';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { call } from './api/client';
import { SessionContext, useMe, useSavePreferences, type SessionInfo } from './session';
import { useLang, useT, type Lang } from './i18n';
import { ErrorState } from './components/States';
import { PendingBadge } from './pages/PendingBadge';
import { Bell, useNotificationStream } from './pages/notifyCommon';

const Workbench = lazy(() => import('./pages/Workbench'));
const Leads = lazy(() => import('./pages/Leads'));
const LeadDetail = lazy(() => import('./pages/LeadDetail'));
const Customers = lazy(() => import('./pages/Customers'));
const CustomerDetail = lazy(() => import('./pages/CustomerDetail'));
const Contacts = lazy(() => import('./pages/Contacts'));
const ContactDetail = lazy(() => import('./pages/ContactDetail'));
const Opportunities = lazy(() => import('./pages/Opportunities'));
const OpportunityDetail = lazy(() => import('./pages/OpportunityDetail'));
const Contracts = lazy(() => import('./pages/Contracts'));
const ContractDetail = lazy(() => import('./pages/ContractDetail'));
const Approvals = lazy(() => import('./pages/Approvals'));
const Tasks = lazy(() => import('./pages/Tasks'));
const WorkLogs = lazy(() => import('./pages/WorkLogs'));
const WorkLogDetail = lazy(() => import('./pages/WorkLogDetail'));
const TaskDetail = lazy(() => import('./pages/TaskDetail'));
const Schedules = lazy(() => import('./pages/Schedules'));
const FinanceDashboard = lazy(() => import('./pages/FinanceDashboard'));
const Receipts = lazy(() => import('./pages/Receipts'));
const Suppliers = lazy(() => import('./pages/Suppliers'));
const Payables = lazy(() => import('./pages/Payables'));
const PayableDetail = lazy(() => import('./pages/PayableDetail'));
const PaymentVouchers = lazy(() => import('./pages/PaymentVouchers'));
const Installments = lazy(() => import('./pages/Installments'));
const MonthClose = lazy(() => import('./pages/MonthClose'));
const Products = lazy(() => import('./pages/Products'));
const ProductDetail = lazy(() => import('./pages/ProductDetail'));
const ImportWizard = lazy(() => import('./pages/ImportWizard'));
const ImportHistory = lazy(() => import('./pages/ImportHistory'));
const Org = lazy(() => import('./pages/Org'));
const Account = lazy(() => import('./pages/Account'));
const Audit = lazy(() => import('./pages/Audit'));
const Operations = lazy(() => import('./pages/Operations'));
const Compliance = lazy(() => import('./pages/Compliance'));
const Notifications = lazy(() => import('./pages/Notifications'));
const Announcements = lazy(() => import('./pages/Announcements'));

interface Item {
  key: string;
  zh: string;
  en: string;
  icon?: React.ReactNode;
  show: (s: SessionInfo) => boolean;
  children?: Item[];
  /** shown after the label (a count) */
  badge?: React.ReactNode;
}

const always = () => true;
const menu: Item[] = [
  { key: '/', zh: '工作台', en: 'Workbench', icon: <DashboardOutlined />, show: always },
  {
    key: 'leads',
    zh: '线索',
    en: 'Leads',
    icon: <BarChartOutlined />,
    show: (s) => s.can('leads.read') || s.can('leads.create') || s.can('leads.pool'),
    children: [
      { key: '/leads', zh: '我的线索', en: 'Leads', show: always },
      { key: '/leads/pool', zh: '线索池', en: 'Lead pool', show: (s) => s.can('leads.pool') || s.can('leads.assign') },
    ],
  },
  {
    key: 'customers',
    zh: '客户',
    en: 'Customers',
    icon: <ContactsOutlined />,
    show: (s) => s.can('customers.read') || s.can('customers.create'),
    children: [
      { key: '/customers', zh: '客户', en: 'Customers', show: always },
      { key: '/customers/pool', zh: '公海', en: 'Customer pool', show: (s) => s.can('customers.pool') || s.can('customers.assign') },
      { key: '/contacts', zh: '联系人', en: 'Contacts', show: always },
    ],
  },
  { key: '/opportunities', zh: '商机', en: 'Opportunities', icon: <FundOutlined />, show: (s) => s.can('opportunities.read') },
  { key: '/contracts', zh: '合同', en: 'Contracts', icon: <FileProtectOutlined />, show: (s) => s.can('contracts.read') },
  {
    key: 'finance',
    zh: '财务',
    en: 'Finance',
    icon: <AccountBookOutlined />,
    show: (s) => s.can('finance.read'),
    children: [
      { key: '/finance', zh: '回款看板', en: 'Dashboard', show: always },
      { key: '/receipts', zh: '回款单', en: 'Receipts', show: always },
      { key: '/installments', zh: '逾期回款', en: 'Overdue', show: always },
      { key: '/payables', zh: '应付款', en: 'Payables', show: always },
      { key: '/payment-vouchers', zh: '付款单', en: 'Payment vouchers', show: always },
      { key: '/suppliers', zh: '供应商', en: 'Suppliers', show: always },
      { key: '/finance/months', zh: '月结', en: 'Month close', show: (s) => s.can('finance.close') || s.can('settings.manage') },
    ],
  },
  // everyone: any user may be an approver (a superior, a department head, a role's holder)
  { key: '/approvals', zh: '审批', en: 'Approvals', icon: <CarryOutOutlined />, show: always, badge: <PendingBadge /> },
  // everyone: each user sees the tasks they are involved in (assigned, created, participating)
  { key: '/tasks', zh: '任务', en: 'Tasks', icon: <CheckSquareOutlined />, show: always },
  // everyone: each user reads the announcements addressed to them
  { key: '/announcements', zh: '公告', en: 'Announcements', icon: <NotificationOutlined />, show: always },
  // everyone: each user writes work logs and reads those submitted to them
  { key: '/worklogs', zh: '日志', en: 'Work logs', icon: <FileTextOutlined />, show: always },
  // everyone: each user has a calendar (the entries they own, created or take part in)
  { key: '/schedules', zh: '日程', en: 'Schedules', icon: <ScheduleOutlined />, show: always },
  { key: '/products', zh: '产品', en: 'Products', icon: <ShoppingOutlined />, show: always },
  {
    key: 'import',
    zh: '导入',
    en: 'Import',
    icon: <ImportOutlined />,
    show: (s) => s.can('leads.import') || s.can('customers.import') || s.can('products.manage'),
    children: [
      { key: '/import', zh: '导入文件', en: 'Import a file', show: always },
      { key: '/imports', zh: '导入记录', en: 'Import history', show: always },
    ],
  },
  {
    key: 'org',
    zh: '组织',
    en: 'Organisation',
    icon: <ApartmentOutlined />,
    show: (s) => s.can('users.manage') || s.can('departments.manage') || s.can('roles.manage') || s.can('settings.manage'),
    children: [
      { key: '/org/departments', zh: '部门', en: 'Departments', show: always },
      { key: '/org/users', zh: '用户', en: 'Users', show: always },
      { key: '/org/roles', zh: '角色与权限', en: 'Roles', show: always },
      { key: '/org/settings', zh: '系统设置', en: 'Settings', show: (s) => s.can('settings.manage') },
      { key: '/org/dictionaries', zh: '数据字典', en: 'Dictionaries', show: (s) => s.can('settings.manage') },
      { key: '/org/pipelines', zh: '销售流程', en: 'Pipelines', show: (s) => s.can('settings.manage') },
      { key: '/org/approval-flows', zh: '审批流程', en: 'Approval flows', show: (s) => s.can('settings.manage') },
    ],
  },
  { key: '/audit', zh: '审计', en: 'Audit', icon: <AuditOutlined />, show: (s) => s.can('audit.read') },
  {
    key: '/operations',
    zh: '运维',
    en: 'Operations',
    icon: <SettingOutlined />,
    show: (s) => s.can('projections.manage') || s.can('audit.read'), // GET /projections allows either
  },
  // the audit chain (audit.read) and, for administrators (settings.manage), verifying, anchoring and the backups
  { key: '/compliance', zh: '合规', en: 'Compliance', icon: <SafetyCertificateOutlined />, show: (s) => s.can('audit.read') || s.can('settings.manage') || s.can('privacy.erase') },
  { key: '/account', zh: '我的账户', en: 'My account', icon: <UserOutlined />, show: always },
];

function flatten(items: Item[]): Item[] {
  return items.flatMap((i) => (i.children ? [i, ...flatten(i.children)] : [i]));
}

export const shortcuts: [string, string, string][] = [
  ['/', '搜索', 'Search'],
  ['n', '新建记录', 'New record'],
  ['g l', '转到线索', 'Go to leads'],
  ['g c', '转到客户', 'Go to customers'],
  ['?', '显示快捷键', 'Show shortcuts'],
  ['Esc', '关闭对话框', 'Close dialogs'],
  ['Enter', '提交表单', 'Submit forms'],
];

/** Keyboard shortcuts of every page: / n g-l g-c ?. */
function useShortcuts(showHelp: () => void) {
  const nav = useNavigate();
  const pendingG = useRef(0);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName))) return;
      if (document.querySelector('.ant-modal-wrap:not([style*="display: none"]) .ant-modal')) return;
      const now = Date.now();
      if (pendingG.current && now - pendingG.current < 1200) {
        pendingG.current = 0;
        if (e.key === 'l') return nav('/leads');
        if (e.key === 'c') return nav('/customers');
      }
      if (e.key === 'g') {
        pendingG.current = now;
      } else if (e.key === '/') {
        const s = document.querySelector<HTMLInputElement>('[data-search] input, input[data-search]');
        if (s) {
          e.preventDefault();
          s.focus();
        }
      } else if (e.key === 'n') {
        window.dispatchEvent(new CustomEvent('chronicle:new'));
      } else if (e.key === '?') {
        showHelp();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [nav, showHelp]);
}

function ShellInner({ session }: { session: SessionInfo }) {
  const t = useT();
  const { lang, setLang } = useLang();
  const nav = useNavigate();
  const loc = useLocation();
  const qc = useQueryClient();
  const screens = Grid.useBreakpoint();
  const mobile = screens.md === false;
  const [drawer, setDrawer] = useState(false);
  const [help, setHelp] = useState(false);
  useShortcuts(useMemo(() => () => setHelp(true), []));
  // one live stream of notifications while signed in (closed when the shell goes, as on sign-out)
  const notificationsLive = useNotificationStream();

  // Signed in, the language is the user's own preference (kept on the server, so it follows them to
  // every browser); until they choose one, the language chosen on the sign-in page stays.
  const prefs = session.user.preferences;
  useLayoutEffect(() => {
    if (prefs.languageChosen && prefs.language !== lang) setLang(prefs.language);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [prefs.language, prefs.languageChosen]);
  const savePrefs = useSavePreferences();
  const { message } = App.useApp();
  const chooseLang = async (l: Lang) => {
    const before = lang;
    setLang(l);
    try {
      await savePrefs({ language: l });
    } catch (e) {
      setLang(before);
      message.error((l === 'en' ? 'Could not save the language: ' : '未能保存语言：') + (e instanceof Error ? e.message : String(e)));
    }
  };

  const visible = (items: Item[]): Item[] =>
    items
      .filter((i) => i.show(session))
      .map((i) => ({ ...i, children: i.children ? visible(i.children) : undefined }))
      .filter((i) => !i.children || i.children.length > 0);
  const items = visible(menu);
  const all = flatten(items).filter((i) => i.key.startsWith('/'));
  // the notifications page has no menu entry (the bell leads to it)
  const onNotifications = loc.pathname === '/notifications' || loc.pathname.startsWith('/notifications/');
  const current = onNotifications
    ? undefined
    : all
      .filter((i) => (i.key === '/' ? loc.pathname === '/' : loc.pathname === i.key || loc.pathname.startsWith(i.key + '/')))
      .sort((a, b) => b.key.length - a.key.length)[0] ?? all[0];
  const toMenu = (is: Item[]): NonNullable<React.ComponentProps<typeof Menu>['items']> =>
    is.map((i) => ({
      key: i.key,
      icon: i.icon,
      label: i.badge ? (
        <span>
          {lang === 'en' ? i.en : i.zh}
          {i.badge}
        </span>
      ) : lang === 'en' ? i.en : i.zh,
      children: i.children ? toMenu(i.children) : undefined,
    }));
  const parents = items.filter((i) => i.children?.some((c) => c.key === current?.key)).map((i) => i.key);
  const menuEl = (
    <Menu
      mode="inline"
      theme="dark"
      selectedKeys={current ? [current.key] : []}
      defaultOpenKeys={['leads', 'customers', 'finance', 'import', 'org', ...parents]}
      items={toMenu(items)}
      onClick={(e) => {
        nav(e.key);
        setDrawer(false);
      }}
    />
  );

  const signOut = async () => {
    try {
      await call('POST', '/auth/logout', { quiet401: true });
    } catch {
      /* already signed out */
    }
    qc.clear();
    nav('/login', { replace: true });
  };

  const roleNames = session.roles.map((r) => r.displayName || r.name).join(', ') || session.user.roles.join(', ');
  const Brand = (
    <div style={{ color: '#fff', fontWeight: 600, fontSize: 17, padding: '16px 20px', whiteSpace: 'nowrap' }}>
      Chronicle CRM
    </div>
  );

  return (
    <SessionContext.Provider value={session}>
      <Layout style={{ minHeight: '100vh' }}>
        {!mobile && (
          <Layout.Sider width={216} breakpoint="lg" collapsedWidth={64} style={{ position: 'sticky', top: 0, height: '100vh', overflow: 'auto' }}>
            <nav aria-label={t('主菜单', 'Main menu')}>
              {Brand}
              {menuEl}
            </nav>
          </Layout.Sider>
        )}
        {mobile && (
          <Drawer
            placement="left"
            open={drawer}
            onClose={() => setDrawer(false)}
            size={260}
            styles={{ body: { padding: 0, background: '#001529' }, header: { display: 'none' } }}
          >
            <nav aria-label={t('主菜单', 'Main menu')}>
              {Brand}
              {menuEl}
            </nav>
          </Drawer>
        )}
        <Layout>
          <Layout.Header
            style={{
              background: '#fff',
              padding: mobile ? '0 8px' : '0 20px',
              display: 'flex',
              alignItems: 'center',
              gap: 12,
              borderBottom: '1px solid #e5e8ef',
              position: 'sticky',
              top: 0,
              zIndex: 10,
            }}
          >
            {mobile && <Button aria-label={t('打开菜单', 'Open menu')} icon={<MenuOutlined />} onClick={() => setDrawer(true)} />}
            <Typography.Text strong style={{ fontSize: 16 }} data-testid="current-module">
              {current ? (lang === 'en' ? current.en : current.zh) : onNotifications ? t('通知', 'Notifications') : ''}
            </Typography.Text>
            <div style={{ flex: 1 }} />
            <Segmented
              size="small"
              aria-label={t('语言', 'Language')}
              value={lang}
              onChange={(v) => void chooseLang(v as Lang)}
              options={[
                { label: '中文', value: 'zh-CN' },
                { label: 'EN', value: 'en' },
              ]}
            />
            <Bell live={notificationsLive} />
            <Dropdown
              trigger={['click']}
              menu={{
                items: [
                  { key: 'account', label: t('我的账户', 'My account') },
                  { key: 'shortcuts', label: t('快捷键', 'Keyboard shortcuts') },
                  { type: 'divider' },
                  { key: 'logout', label: t('退出登录', 'Sign out'), danger: true },
                ],
                onClick: (e) => {
                  if (e.key === 'logout') void signOut();
                  if (e.key === 'account') nav('/account');
                  if (e.key === 'shortcuts') setHelp(true);
                },
              }}
            >
              <Button type="text" title={t('用户菜单', 'User menu')} data-testid="user-menu">
                <Space size={6}>
                  <UserOutlined />
                  <span>{session.user.displayName}</span>
                  {!mobile && <Tag color="blue">{roleNames}</Tag>}
                  {!mobile && session.user.departmentName && <Tag data-testid="user-department">{session.user.departmentName}</Tag>}
                </Space>
              </Button>
            </Dropdown>
          </Layout.Header>
          <Layout.Content style={{ padding: mobile ? 8 : 20 }}>
              <Suspense fallback={<Spin style={{ display: 'block', margin: 48 }} />}>
                <Routes>
                  <Route index element={<Workbench />} />
                  <Route path="leads" element={<Leads pool={false} />} />
                  <Route path="leads/pool" element={<Leads pool />} />
                  <Route path="leads/:id" element={<LeadDetail />} />
                  <Route path="customers" element={<Customers pool={false} />} />
                  <Route path="customers/pool" element={<Customers pool />} />
                  <Route path="customers/:id" element={<CustomerDetail />} />
                  <Route path="contacts" element={<Contacts />} />
                  <Route path="contacts/:id" element={<ContactDetail />} />
                  <Route path="opportunities" element={<Opportunities />} />
                  <Route path="opportunities/:id" element={<OpportunityDetail />} />
                  <Route path="contracts" element={<Contracts />} />
                  <Route path="contracts/new" element={<Contracts />} />
                  <Route path="contracts/:id" element={<ContractDetail />} />
                  <Route path="approvals" element={<Approvals />} />
                  <Route path="tasks" element={<Tasks />} />
                  <Route path="tasks/new" element={<Tasks />} />
                  <Route path="tasks/:id" element={<TaskDetail />} />
                  <Route path="worklogs" element={<WorkLogs />} />
                  <Route path="worklogs/new" element={<WorkLogs />} />
                  <Route path="worklogs/stats" element={<WorkLogs />} />
                  <Route path="worklogs/:id" element={<WorkLogDetail />} />
                  <Route path="schedules" element={<Schedules />} />
                  <Route path="schedules/:id" element={<Schedules />} />
                  <Route path="finance" element={<FinanceDashboard />} />
                  <Route path="finance/months" element={<MonthClose />} />
                  <Route path="receipts" element={<Receipts />} />
                  <Route path="installments" element={<Installments />} />
                  <Route path="suppliers" element={<Suppliers />} />
                  <Route path="payables" element={<Payables />} />
                  <Route path="payables/:id" element={<PayableDetail />} />
                  <Route path="payment-vouchers" element={<PaymentVouchers />} />
                  <Route path="products" element={<Products />} />
                  <Route path="products/:id" element={<ProductDetail />} />
                  <Route path="import" element={<ImportWizard />} />
                  <Route path="imports" element={<ImportHistory />} />
                  <Route path="org/*" element={<Org />} />
                  <Route path="account" element={<Account />} />
                  <Route path="audit" element={<Audit />} />
                  <Route path="operations" element={<Operations />} />
                  <Route path="compliance" element={<Compliance />} />
                  <Route path="notifications" element={<Notifications />} />
                  <Route path="announcements" element={<Announcements />} />
                  <Route path="announcements/:id" element={<Announcements />} />
                  <Route path="*" element={<Result status="404" title="404" subTitle={t('页面不存在', 'No such page')} />} />
                </Routes>
              </Suspense>
          </Layout.Content>
        </Layout>
      </Layout>
      <Modal open={help} onCancel={() => setHelp(false)} footer={null} title={t('快捷键', 'Keyboard shortcuts')}>
        <table style={{ width: '100%' }}>
          <tbody>
            {shortcuts.map(([k, zh, en]) => (
              <tr key={k}>
                <td style={{ padding: 4 }}>
                  <kbd>{k}</kbd>
                </td>
                <td>{lang === 'en' ? en : zh}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Modal>
    </SessionContext.Provider>
  );
}

export default function Shell() {
  const { info, error, loading } = useMe();
  const loc = useLocation();
  if (loading) return <Spin size="large" style={{ display: 'block', marginTop: '40vh' }} />;
  if (error || !info) {
    const status = (error as { status?: number } | null)?.status;
    if (!error || status === 401)
      return <Navigate to={'/login?next=' + encodeURIComponent(loc.pathname + loc.search)} replace />;
    return <ErrorState error={error} />;
  }
  return <ShellInner session={info} />;
}
