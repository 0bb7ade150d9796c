import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Checkbox, Col, Form, Input, InputNumber, Modal, Row, Select, Space, Switch, Table, Tabs, Tag, Tree, Typography } from 'antd';
import type { TreeDataNode } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { ApiError, call, get, type Page, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { UserSelect, useUserName } from '../components/common';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { dataScope, label } from '../labels';
import { useSession } from '../session';
import { fmtTime, timeZones, zoneOffset } from '../util';
import { useSettings } from './CustomerForm';
import { SmtpCard } from './mailCommon';
import ApprovalFlows from './ApprovalFlows';
import type { DepartmentWithHead } from './contractTypes';
import Dictionaries from './Dictionaries';
import Pipelines from './Pipelines';

type Department = DepartmentWithHead;
type User = Schemas['User'];
type Role = Schemas['Role'];

function useDepartments() {
  return useQuery({ queryKey: ['departments'], queryFn: () => get<Page<Department>>('/departments') });
}

function Departments() {
  const t = useT();
  const s = useSession();
  const run = useCommand();
  const { message } = App.useApp();
  const q = useDepartments();
  const [form] = Form.useForm();
  const [error, setError] = useState('');
  const [collapsed, setCollapsed] = useState<string[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [eform] = Form.useForm();
  const userName = useUserName();
  const canManage = s.can('departments.manage');
  const tree = useMemo(() => {
    const items = q.data?.items ?? [];
    const build = (parent: string | null): TreeDataNode[] =>
      items
        .filter((d) => (d.parentId ?? null) === parent)
        .map((d) => ({
          key: d.id,
          title: (
            <span>
              {d.disabled ? `${d.name} (${t('已停用', 'disabled')})` : d.name}
              {d.headId && (
                <Typography.Text type="secondary" style={{ marginInlineStart: 8 }} data-testid={`department-head-${d.id}`}>
                  {t(`负责人：${userName(d.headId)}`, `Head: ${userName(d.headId)}`)}
                </Typography.Text>
              )}
            </span>
          ),
          children: build(d.id),
        }));
    return build(null);
  }, [q.data, t, userName]);
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  const byId = (id: string) => q.data?.items.find((d) => d.id === id);
  const move = async (id: string, parentId: string | null) => {
    setError('');
    const d = byId(id);
    if (!d) return;
    try {
      await run(() => call('PATCH', `/departments/${id}`, { body: { parentId }, ifMatch: d.version }), { success: t('已移动', 'Moved'), historyPath: undefined });
    } catch (e) {
      if (e instanceof ApiError) setError(e.problem?.errors?.[0]?.message ?? e.message);
    }
  };
  return (
    <Row gutter={16}>
      <Col xs={24} md={14}>
        <Card title={t('部门树（拖动以移动）', 'Department tree (drag to move)')}>
          {error && <Alert type="error" showIcon title={error} role="alert" style={{ marginBottom: 12 }} data-testid="tree-error" />}
          {q.isLoading ? null : tree.length === 0 ? (
            <Typography.Text type="secondary">{t('还没有部门', 'No departments yet')}</Typography.Text>
          ) : (
            <Tree
              treeData={tree}
              expandedKeys={(q.data?.items ?? []).map((d) => d.id).filter((k) => !collapsed.includes(k))}
              onExpand={(keys) => setCollapsed((q.data?.items ?? []).map((d) => d.id).filter((k) => !keys.includes(k)))}
              draggable={canManage ? { icon: false } : false}
              blockNode
              selectedKeys={selected ? [selected] : []}
              onSelect={(keys) => {
                const id = (keys[0] as string) ?? null;
                setSelected(id);
                const d = id ? byId(id) : null;
                if (d) {
                  eform.resetFields();
                  eform.setFieldsValue({ name: d.name, parentId: d.parentId ?? undefined, headId: d.headId ?? undefined, disabled: d.disabled });
                }
              }}
              onDrop={(info) => {
                const dragId = String(info.dragNode.key);
                const target = String(info.node.key);
                if (info.dropToGap) void move(dragId, byId(target)?.parentId ?? null);
                else void move(dragId, target);
              }}
            />
          )}
        </Card>
      </Col>
      {canManage && (
        <Col xs={24} md={10}>
          <Card title={t('新建部门', 'New department')}>
            <Form
              form={form}
              name="deptCreate"
              layout="vertical"
              onFinish={async (v) => {
                try {
                  await run(() => call('POST', '/departments', { body: { name: v.name, parentId: v.parentId || undefined } }), { form, success: t('部门已创建', 'Department created') });
                  form.resetFields();
                  message.destroy();
                } catch {
                  /* shown */
                }
              }}
            >
              <Form.Item name="name" label={t('名称', 'Name')} rules={[{ required: true }]}>
                <Input />
              </Form.Item>
              <Form.Item name="parentId" label={t('上级部门', 'Parent department')}>
                <Select allowClear options={(q.data?.items ?? []).map((d) => ({ value: d.id, label: '\u00a0'.repeat(d.depth * 2) + d.name }))} />
              </Form.Item>
              <Button type="primary" htmlType="submit">{t('创建', 'Create')}</Button>
            </Form>
          </Card>
          {selected && byId(selected) && (
            <Card title={t('编辑部门', 'Edit department')} style={{ marginTop: 16 }} data-testid="department-edit">
              <Form
                form={eform}
                name="deptEdit"
                layout="vertical"
                onFinish={async (v) => {
                  const d = byId(selected)!;
                  const body: Record<string, unknown> = {};
                  if (v.name !== d.name) body.name = v.name;
                  if ((v.parentId ?? null) !== (d.parentId ?? null)) body.parentId = v.parentId ?? null;
                  if (!!v.disabled !== d.disabled) body.disabled = !!v.disabled;
                  if ((v.headId ?? null) !== (d.headId ?? null)) body.headId = v.headId ?? null;
                  try {
                    await run(() => call('PATCH', `/departments/${d.id}`, { body, ifMatch: d.version }), { form: eform, success: t('已保存', 'Saved') });
                  } catch {
                    /* shown on the fields */
                  }
                }}
              >
                <Form.Item name="name" label={t('部门名称', 'Department name')} rules={[{ required: true }]}>
                  <Input />
                </Form.Item>
                <Form.Item name="parentId" label={t('移动到', 'Move under')}>
                  <Select allowClear placeholder={t('（顶层）', '(top level)')} options={(q.data?.items ?? []).filter((d) => d.id !== selected).map((d) => ({ value: d.id, label: '\u00a0'.repeat(d.depth * 2) + d.name }))} />
                </Form.Item>
                <Form.Item name="headId" label={t('部门负责人', 'Department head')} extra={t('审批流程中“部门负责人”步骤由其审批', 'Decides the “department head” steps of approval flows')}>
                  <UserSelect activeOnly placeholder={t('（无）', '(none)')} />
                </Form.Item>
                <Form.Item name="disabled" label={t('停用', 'Disabled')} valuePropName="checked">
                  <Switch />
                </Form.Item>
                <Button type="primary" htmlType="submit">{t('保存', 'Save')}</Button>
              </Form>
            </Card>
          )}
        </Col>
      )}
    </Row>
  );
}

function UserDialog({ user, open, onClose }: { user: User | null; open: boolean; onClose: () => void }) {
  const t = useT();
  const run = useCommand();
  const [form] = Form.useForm();
  const depts = useDepartments();
  const roles = useQuery({ queryKey: ['roles'], queryFn: () => get<{ items: Role[] }>('/roles') });
  useEffect(() => {
    if (!open) return;
    form.resetFields();
    form.setFieldsValue(user ?? { roles: ['sales'] });
  }, [open, user, form]);
  return (
    <Modal open={open} title={user ? t('编辑用户', 'Edit user') : t('新建用户', 'New user')} onCancel={onClose} onOk={() => form.submit()} destroyOnHidden okText={t('保存', 'Save')}>
      <Form
        form={form}
        layout="vertical"
        onFinish={async (v) => {
          try {
            if (user) {
              await run(() => call('PATCH', `/users/${user.id}`, { body: { displayName: v.displayName, roles: v.roles, departmentId: v.departmentId ?? null, superiorId: v.superiorId ?? null, email: (v.email ?? '').trim() }, ifMatch: user.version }), { form, success: t('已保存', 'Saved'), historyPath: undefined, reload: onClose });
            } else {
              const body: Record<string, unknown> = { ...v };
              for (const k of ['departmentId', 'superiorId', 'email']) if (!body[k]) delete body[k];
              await run(() => call('POST', '/users', { body }), { form, success: t('用户已创建', 'User created') });
            }
            onClose();
          } catch {
            /* shown */
          }
        }}
      >
        {!user && (
          <>
            <Form.Item name="username" label={t('用户名', 'Username')} rules={[{ required: true }]}>
              <Input autoComplete="off" />
            </Form.Item>
            <Form.Item name="password" label={t('初始密码（至少 10 位）', 'Initial password (10+ characters)')} rules={[{ required: true, min: 10 }]}>
              <Input.Password autoComplete="new-password" />
            </Form.Item>
          </>
        )}
        <Form.Item name="displayName" label={t('显示名称', 'Display name')} rules={[{ required: true }]}>
          <Input />
        </Form.Item>
        <Form.Item name="roles" label={t('角色', 'Roles')} rules={[{ required: true }]}>
          <Select mode="multiple" options={(roles.data?.items ?? []).map((r) => ({ value: r.name, label: r.displayName || r.name }))} />
        </Form.Item>
        <Form.Item name="departmentId" label={t('部门', 'Department')}>
          <Select allowClear options={(depts.data?.items ?? []).filter((d) => !d.disabled).map((d) => ({ value: d.id, label: '\u00a0'.repeat(d.depth * 2) + d.name }))} />
        </Form.Item>
        <Form.Item name="superiorId" label={t('直属上级', 'Superior')}>
          <UserSelect activeOnly />
        </Form.Item>
        <Form.Item
          name="email"
          label={t('电子邮箱', 'E-mail')}
          extra={t('找回密码链接与邮件通知发往此地址；用户也可在个人设置中修改', 'Password-reset links and e-mailed notifications go here; users may change it in their own settings')}
          rules={[{ type: 'email', message: t('请输入有效的邮箱地址', 'Enter a valid e-mail address') }]}
        >
          <Input type="email" autoComplete="off" />
        </Form.Item>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

function Users() {
  const t = useT();
  const s = useSession();
  const run = useCommand();
  const { modal } = App.useApp();
  const q = useQuery({ queryKey: ['users', 'all'], queryFn: () => get<Page<User>>('/users', { limit: 500 }) });
  const depts = useDepartments();
  const name = useUserName();
  const [editing, setEditing] = useState<User | null | 'new'>(null);
  const [reset, setReset] = useState<User | null>(null);
  const [pform] = Form.useForm();
  const [filter, setFilter] = useState('');
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  const canManage = s.can('users.manage');
  const act = (u: User, path: string, ok: string, title: string) =>
    modal.confirm({ title, content: u.username ? `${u.displayName} (${u.username})` : u.displayName, onOk: () => run(() => call('POST', `/users/${u.id}/${path}`), { success: ok }).catch(() => undefined) });
  const items = (q.data?.items ?? []).filter((u) => !filter || (u.displayName + u.username).toLowerCase().includes(filter.toLowerCase()));
  return (
    <div>
      <Space style={{ marginBottom: 12 }} wrap>
        <Input.Search data-search allowClear placeholder={t('筛选用户', 'Filter users')} aria-label={t('筛选用户', 'Filter users')} onSearch={setFilter} onChange={(e) => setFilter(e.target.value)} />
        {canManage && <Button type="primary" onClick={() => setEditing('new')} data-testid="new-user">{t('新建用户', 'New user')}</Button>}
      </Space>
      <Table<User>
        rowKey="id"
        size="middle"
        loading={q.isLoading}
        dataSource={items}
        scroll={{ x: 'max-content' }}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        columns={[
          { key: 'n', title: t('姓名', 'Name'), render: (_, u) => (
            <span>
              {u.displayName} {u.disabled && <Tag color="error">{t('已停用', 'Disabled')}</Tag>}
              {u.lockedUntil && new Date(u.lockedUntil) > new Date() && (
                <Tag color="warning">{t('锁定至', 'Locked until')} {fmtTime(u.lockedUntil)}</Tag>
              )}
            </span>
          ) },
          { key: 'u', title: t('用户名', 'Username'), dataIndex: 'username' },
          { key: 'r', title: t('角色', 'Roles'), render: (_, u) => u.roles.map((r) => <Tag key={r}>{r}</Tag>) },
          { key: 'd', title: t('部门', 'Department'), render: (_, u) => depts.data?.items.find((d) => d.id === u.departmentId)?.name ?? '—' },
          { key: 's', title: t('上级', 'Superior'), render: (_, u) => name(u.superiorId) || '—' },
          { key: 'c', title: t('创建时间', 'Created'), render: (_, u) => fmtTime(u.createdAt) },
          {
            key: 'a',
            title: t('操作', 'Actions'),
            render: (_, u) =>
              canManage && (
                <Space size={4} wrap>
                  <Button size="small" onClick={() => setEditing(u)}>{t('编辑', 'Edit')}</Button>
                  {u.disabled ? (
                    <Button size="small" onClick={() => act(u, 'enable', t('已启用', 'Enabled'), t('启用用户', 'Enable user'))}>{t('启用', 'Enable')}</Button>
                  ) : (
                    <Button size="small" danger onClick={() => act(u, 'disable', t('已停用', 'Disabled'), t('停用用户（其所有会话将结束）', 'Disable user (all their sessions end)'))}>{t('停用', 'Disable')}</Button>
                  )}
                  <Button size="small" onClick={() => setReset(u)}>{t('重置密码', 'Reset password')}</Button>
                  <Button size="small" onClick={() => act(u, 'reset-2fa', t('已重置两步验证', '2FA reset'), t('重置两步验证', 'Reset two-factor sign-in'))}>{t('重置两步验证', 'Reset 2FA')}</Button>
                  <Button size="small" onClick={() => act(u, 'unlock', t('已解锁', 'Unlocked'), t('解除登录锁定', 'Unlock sign-in'))}>{t('解锁', 'Unlock')}</Button>
                </Space>
              ),
          },
        ]}
      />
      <UserDialog open={editing !== null} user={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      <Modal open={!!reset} title={t('重置密码', 'Reset password')} onCancel={() => setReset(null)} onOk={() => pform.submit()} destroyOnHidden>
        <Form form={pform} layout="vertical" onFinish={async (v) => { try { await run(() => call('POST', `/users/${reset!.id}/reset-password`, { body: { password: v.password } }), { form: pform, success: t('密码已重置', 'Password reset') }); setReset(null); } catch { /* shown */ } }}>
          <Form.Item name="password" label={t('新密码（至少 10 位）', 'New password (10+ characters)')} rules={[{ required: true, min: 10 }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <button type="submit" hidden />
        </Form>
      </Modal>
    </div>
  );
}

function Roles() {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const run = useCommand();
  const q = useQuery({ queryKey: ['roles'], queryFn: () => get<{ items: Role[]; permissions?: string[] }>('/roles') });
  const [creating, setCreating] = useState(false);
  const [form] = Form.useForm();
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  const roles = q.data?.items ?? [];
  const catalogue = q.data?.permissions ?? [...new Set(roles.flatMap((r) => r.permissions as string[]))].sort();
  const canManage = s.can('roles.manage');
  const toggle = (r: Role, p: string, on: boolean) => {
    const perms = on ? [...r.permissions, p] : r.permissions.filter((x) => x !== p);
    void run(() => call('PATCH', `/roles/${r.id}`, { body: { permissions: [...new Set(perms)].sort() }, ifMatch: r.version }), { success: t('已保存', 'Saved') }).catch(() => undefined);
  };
  return (
    <div>
      {canManage && <Button type="primary" style={{ marginBottom: 12 }} onClick={() => setCreating(true)}>{t('新建角色', 'New role')}</Button>}
      <Table
        rowKey="p"
        size="small"
        loading={q.isLoading}
        pagination={false}
        scroll={{ x: 'max-content' }}
        dataSource={[{ p: '__scope' }, { p: '__2fa' }, ...catalogue.map((p) => ({ p }))]}
        columns={[
          { key: 'p', title: t('权限', 'Permission'), fixed: 'left', render: (_, row) => (row.p === '__scope' ? <b>{t('数据范围', 'Data scope')}</b> : row.p === '__2fa' ? <b>{t('要求两步验证', 'Requires 2FA')}</b> : <code>{row.p}</code>) },
          ...roles.map((r) => ({
            key: r.id,
            title: <span>{r.displayName || r.name}{r.builtIn && <Tag style={{ marginLeft: 4 }}>{t('内置', 'built-in')}</Tag>}</span>,
            render: (_: unknown, row: { p: string }) => {
              if (row.p === '__scope')
                return (
                  <Select size="small" disabled={!canManage} value={r.dataScope} style={{ width: 170 }} aria-label={t('数据范围', 'Data scope')}
                    options={Object.keys(dataScope).map((v) => ({ value: v, label: label(dataScope, v, lang) }))}
                    onChange={(v) => void run(() => call('PATCH', `/roles/${r.id}`, { body: { dataScope: v }, ifMatch: r.version }), { success: t('已保存', 'Saved') }).catch(() => undefined)} />
                );
              if (row.p === '__2fa')
                return <Switch size="small" disabled={!canManage} checked={r.require2fa} aria-label={t('要求两步验证', 'Requires 2FA')} onChange={(v) => void run(() => call('PATCH', `/roles/${r.id}`, { body: { require2fa: v }, ifMatch: r.version }), { success: t('已保存', 'Saved') }).catch(() => undefined)} />;
              return <Checkbox aria-label={`${r.name} ${row.p}`} disabled={!canManage} checked={(r.permissions as string[]).includes(row.p)} onChange={(e) => toggle(r, row.p, e.target.checked)} />;
            },
          })),
        ]}
      />
      <Modal open={creating} title={t('新建角色', 'New role')} onCancel={() => setCreating(false)} onOk={() => form.submit()} destroyOnHidden>
        <Form form={form} layout="vertical" initialValues={{ dataScope: 'self', permissions: [] }} onFinish={async (v) => { try { await run(() => call('POST', '/roles', { body: v }), { form, success: t('角色已创建', 'Role created') }); setCreating(false); } catch { /* shown */ } }}>
          <Form.Item name="name" label={t('标识（小写字母）', 'Name (lower case)')} rules={[{ required: true, pattern: /^[a-z][a-z0-9_.-]{1,49}$/ }]}><Input /></Form.Item>
          <Form.Item name="displayName" label={t('显示名称', 'Display name')} rules={[{ required: true }]}><Input /></Form.Item>
          <Form.Item name="dataScope" label={t('数据范围', 'Data scope')}><Select options={Object.keys(dataScope).map((v) => ({ value: v, label: label(dataScope, v, lang) }))} /></Form.Item>
          <Form.Item name="permissions" label={t('权限', 'Permissions')}><Select mode="multiple" options={catalogue.map((p) => ({ value: p, label: p }))} /></Form.Item>
          <button type="submit" hidden />
        </Form>
      </Modal>
    </div>
  );
}

function Settings() {
  const t = useT();
  const s = useSession();
  const run = useCommand();
  const q = useSettings();
  const [form] = Form.useForm();
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  if (!q.data) return null;
  const canManage = s.can('settings.manage');
  return (
    <>
    <Form
      form={form}
      layout="vertical"
      disabled={!canManage}
      initialValues={q.data}
      onFinish={async (v) => {
        const fields = (v.customerFields ?? []).map((f: Schemas['CustomField']) => ({ ...f, options: f.type === 'option' || f.type === 'multi_option' ? f.options ?? [] : undefined }));
        try {
          await run(() => call('PATCH', '/settings', { body: { leadClaimCap: v.leadClaimCap, customerPool: v.customerPool, customerFields: fields, defaultTimeZone: v.defaultTimeZone } }), { form, success: t('设置已保存', 'Settings saved') });
        } catch {
          /* shown */
        }
      }}
    >
      <Row gutter={16}>
        <Col xs={24} lg={12}>
          <Card title={t('公海规则', 'Customer pool rules')} style={{ marginBottom: 16 }}>
            <Form.Item name={['customerPool', 'rules', 'noFollowUpDays']} label={t('未跟进天数后退回（0 = 关闭）', 'Return after N days without follow-up (0 = off)')}><InputNumber min={0} /></Form.Item>
            <Form.Item name={['customerPool', 'rules', 'noDealDays']} label={t('未成交天数后退回（0 = 关闭）', 'Return after N days without a deal (0 = off)')}><InputNumber min={0} /></Form.Item>
            <Form.Item name={['customerPool', 'rules', 'excludeClosedDeal']} label={t('已成交客户不退回', 'Closed deals never return')} valuePropName="checked"><Switch /></Form.Item>
            <Form.Item name={['customerPool', 'rules', 'levels']} label={t('仅这些级别（空 = 全部）', 'Only these levels (empty = all)')}><Select mode="tags" /></Form.Item>
            <Form.Item name={['customerPool', 'hidePreviousOwnerRemarks']} label={t('释放后隐藏前负责人的备注（客户与线索；跟进记录与历史保留）', "Hide previous owners' remarks after a release (customers and leads; follow-ups and history stay)")} valuePropName="checked"><Switch /></Form.Item>
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t('认领限制', 'Claim limits')} style={{ marginBottom: 16 }}>
            <Form.Item name="leadClaimCap" label={t('线索：拥有上限（可继续认领）', 'Leads: most a user may own and still claim')}><InputNumber min={0} /></Form.Item>
            <Form.Item name={['customerPool', 'maxClaimsPerDay']} label={t('客户：每日认领上限（0 = 不限）', 'Customers: claims per day (0 = no limit)')}><InputNumber min={0} /></Form.Item>
            <Form.Item name={['customerPool', 'maxOwned']} label={t('客户：拥有上限（0 = 不限）', 'Customers: most owned (0 = no limit)')}><InputNumber min={0} /></Form.Item>
            <Form.Item name={['customerPool', 'reclaimCooldownDays']} label={t('释放后再次认领等待天数', 'Days before a releaser may reclaim')}><InputNumber min={0} /></Form.Item>
            <Typography.Text type="secondary">{t('按角色要求两步验证：见“角色与权限”。', 'Two-factor sign-in per role: see Roles.')}</Typography.Text>
          </Card>
          <Card title={t('默认时区', 'Default time zone')} style={{ marginBottom: 16 }}>
            <Form.Item name="defaultTimeZone" label={t('未自选时区的用户按此时区显示时间', "Times show in this zone for users who did not choose theirs")} rules={[{ required: true }]}>
              <Select showSearch aria-label={t('默认时区', 'Default time zone')} options={timeZones().map((z) => ({ value: z, label: `${z} (UTC${zoneOffset(z)})` }))} optionFilterProp="label" />
            </Form.Item>
          </Card>
        </Col>
      </Row>
      <Card title={t('客户自定义字段', 'Custom customer fields')}>
        <Form.List name="customerFields">
          {(fields, { add, remove }) => (
            <div>
              {fields.map((f) => (
                <Space key={f.key} wrap align="start" style={{ display: 'flex', marginBottom: 8 }}>
                  <Form.Item name={[f.name, 'key']} rules={[{ required: true, pattern: /^[a-z][a-z0-9_]{0,39}$/ }]}><Input placeholder="key" aria-label="key" style={{ width: 120 }} /></Form.Item>
                  <Form.Item name={[f.name, 'label']} rules={[{ required: true }]}><Input placeholder={t('名称', 'Label')} aria-label={t('名称', 'Label')} style={{ width: 140 }} /></Form.Item>
                  <Form.Item name={[f.name, 'type']} rules={[{ required: true }]}><Select aria-label={t('类型', 'Type')} style={{ width: 130 }} options={['text', 'number', 'date', 'option', 'multi_option'].map((v) => ({ value: v, label: v }))} /></Form.Item>
                  <Form.Item name={[f.name, 'options']}><Select mode="tags" placeholder={t('选项', 'Options')} aria-label={t('选项', 'Options')} style={{ width: 200 }} /></Form.Item>
                  <Form.Item name={[f.name, 'required']} valuePropName="checked"><Checkbox>{t('必填', 'Required')}</Checkbox></Form.Item>
                  <Button onClick={() => remove(f.name)}>{t('删除', 'Remove')}</Button>
                </Space>
              ))}
              <Button onClick={() => add({ type: 'text' })}>{t('添加字段', 'Add field')}</Button>
            </div>
          )}
        </Form.List>
      </Card>
      {canManage && <Button type="primary" htmlType="submit" style={{ marginTop: 16 }}>{t('保存设置', 'Save settings')}</Button>}
    </Form>
    {canManage && <SmtpCard />}
    </>
  );
}

export default function Org() {
  const t = useT();
  const loc = useLocation();
  const nav = useNavigate();
  const tab = loc.pathname.split('/')[2] ?? 'departments';
  return (
    <div>
      <Typography.Title level={1} style={{ fontSize: 20, marginTop: 0 }}>{t('组织', 'Organisation')}</Typography.Title>
      <Tabs
        activeKey={tab}
        onChange={(k) => nav(`/org/${k}`)}
        items={[
          { key: 'departments', label: t('部门', 'Departments') },
          { key: 'users', label: t('用户', 'Users') },
          { key: 'roles', label: t('角色与权限', 'Roles') },
          { key: 'settings', label: t('系统设置', 'Settings') },
          { key: 'dictionaries', label: t('数据字典', 'Dictionaries') },
          { key: 'pipelines', label: t('销售流程', 'Pipelines') },
          { key: 'approval-flows', label: t('审批流程', 'Approval flows') },
        ]}
      />
      <Routes>
        <Route path="departments" element={<Departments />} />
        <Route path="users" element={<Users />} />
        <Route path="roles" element={<Roles />} />
        <Route path="settings" element={<Settings />} />
        <Route path="dictionaries" element={<Dictionaries />} />
        <Route path="pipelines" element={<Pipelines />} />
        <Route path="approval-flows" element={<ApprovalFlows />} />
        <Route path="*" element={<Navigate to="/org/departments" replace />} />
      </Routes>
    </div>
  );
}
