import { useState } from 'react';
import { Alert, Button, Card, Checkbox, Form, Input, InputNumber, Select, Space, Table, Tag, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { ApiError, call, get, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { ErrorState } from '../components/States';
import { useT } from '../i18n';
import { fmtTime } from '../util';

type Prefs = Schemas['NotificationPreferences'];
type Smtp = Schemas['SmtpSettings'];
type OutboxItem = Schemas['MailOutboxItem'];

/** The notification kinds as users read them. */
export const mailKindNames: Record<string, [string, string]> = {
  task_assigned: ['任务分配给我', 'A task is assigned to me'],
  task_reminder: ['任务即将到期', 'A task of mine is due soon'],
  task_overdue: ['任务逾期', 'A task is overdue'],
  task_done: ['任务完成', 'A task I gave is done'],
  task_commented: ['任务新评论', 'A comment on a task'],
  record_assigned: ['记录分配给我', 'A record is assigned to me'],
  approval_requested: ['待我审批', 'Waiting for my approval'],
  approval_decided: ['我的提交有审批结果', 'My submission was decided'],
  schedule_assigned: ['日程加入我的日历', 'An entry put in my calendar'],
  schedule_reminder: ['日程即将开始', 'A calendar entry starts soon'],
  announcement_published: ['新公告', 'New announcement'],
  worklog_submitted: ['工作日志提交给我', 'A work log submitted to me'],
  worklog_commented: ['我的日志有新评论', 'A comment on my work log'],
};

/** The forgotten-password request: a username; the answer is the same whether the account exists or not. */
export function ForgotPassword({ onBack }: { onBack: () => void }) {
  const t = useT();
  const [sent, setSent] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  if (sent)
    return (
      <div>
        <Alert
          role="status"
          type="success"
          showIcon
          title={t('如果该账户存在且设置了邮箱，重置链接已发送到邮箱（30 分钟内有效，仅可使用一次）。', 'If the account exists and has an e-mail address, a reset link has been sent to it (valid 30 minutes, once).')}
        />
        <Button type="link" onClick={onBack} style={{ padding: 0, marginTop: 12 }}>{t('返回登录', 'Back to sign-in')}</Button>
      </div>
    );
  return (
    <Form
      layout="vertical"
      requiredMark={false}
      onFinish={async (v: { login: string }) => {
        setBusy(true);
        setError('');
        try {
          await call('POST', '/auth/password-reset', { body: { login: v.login.trim() }, quiet401: true });
          setSent(true);
        } catch (e) {
          setError(e instanceof ApiError && e.status === 429 ? t('请求过于频繁，请稍后再试', 'Too many requests; try again later') : e instanceof Error ? e.message : String(e));
        } finally {
          setBusy(false);
        }
      }}
    >
      <Typography.Paragraph type="secondary">{t('输入用户名，我们会把重置密码的链接发送到账户的邮箱。', "Enter your username: we e-mail a link to reset the password to the account's address.")}</Typography.Paragraph>
      {error && <Alert role="alert" type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Form.Item label={t('用户名', 'Username')} name="login" rules={[{ required: true, whitespace: true, message: t('请输入用户名', 'Enter your username') }]}>
        <Input autoComplete="username" autoFocus />
      </Form.Item>
      <Button type="primary" htmlType="submit" block loading={busy}>{t('发送重置链接', 'Send the reset link')}</Button>
      <Button type="link" onClick={onBack} style={{ padding: 0, marginTop: 12 }}>{t('返回登录', 'Back to sign-in')}</Button>
    </Form>
  );
}

/** The page the e-mailed link opens: a new password for the token of the link. */
export function ResetPassword() {
  const t = useT();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [form] = Form.useForm<{ password: string; confirm: string }>();
  const [done, setDone] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <main style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: 'linear-gradient(135deg,#eef3fb,#dfe8f6)', padding: 16 }}>
      <Card style={{ width: '100%', maxWidth: 400 }}>
        <Typography.Title level={1} style={{ fontSize: 22, marginTop: 0 }}>{t('重置密码', 'Reset your password')}</Typography.Title>
        {done ? (
          <>
            <Alert role="status" type="success" showIcon title={t('密码已重置，所有会话已退出，请用新密码登录。', 'Your password is set and every session ended: sign in with the new password.')} />
            <Link to="/login">{t('去登录', 'Sign in')}</Link>
          </>
        ) : !token ? (
          <Alert role="alert" type="error" showIcon title={t('链接不完整：请打开邮件中的完整链接。', 'The link is incomplete: open the whole link from the e-mail.')} />
        ) : (
          <Form
            form={form}
            layout="vertical"
            requiredMark={false}
            onFinish={async (v) => {
              setBusy(true);
              setError('');
              try {
                await call('POST', '/auth/password-reset/confirm', { body: { token, password: v.password }, quiet401: true });
                setDone(true);
              } catch (e) {
                if (e instanceof ApiError && e.code === 'invalid_reset_token') setError(t('链接无效：已使用、已过期或密码已被修改。请重新申请。', 'The link is not valid: it was used, has expired, or the password changed since. Ask for a new one.'));
                else if (e instanceof ApiError && e.status === 422) form.setFields([{ name: 'password', errors: [e.problem?.errors?.[0]?.message ?? e.message] }]);
                else setError(e instanceof Error ? e.message : String(e));
              } finally {
                setBusy(false);
              }
            }}
          >
            {error && <Alert role="alert" type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
            <Form.Item label={t('新密码', 'New password')} name="password" extra={t('至少 10 个字符，不能是常见密码', 'At least 10 characters, not a common password')} rules={[{ required: true, min: 10, message: t('至少 10 个字符', 'At least 10 characters') }]}>
              <Input.Password autoComplete="new-password" autoFocus />
            </Form.Item>
            <Form.Item
              label={t('确认新密码', 'Confirm the new password')}
              name="confirm"
              dependencies={['password']}
              rules={[{ required: true, message: t('请再次输入', 'Enter it again') }, ({ getFieldValue }) => ({
                validator: (_, v) => (v === getFieldValue('password') ? Promise.resolve() : Promise.reject(new Error(t('两次输入不一致', 'The two do not match')))),
              })]}
            >
              <Input.Password autoComplete="new-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy}>{t('设置新密码', 'Set the new password')}</Button>
          </Form>
        )}
      </Card>
    </main>
  );
}

/** The user's e-mail address and the notifications also sent to it. */
export function MailPreferencesCard() {
  const t = useT();
  const run = useCommand();
  const qc = useQueryClient();
  const [form] = Form.useForm<{ email: string; kinds: string[] }>();
  const q = useQuery({ queryKey: ['/me/notification-preferences'], queryFn: () => get<Prefs>('/me/notification-preferences') });
  return (
    <Card title={t('邮件通知', 'E-mail notifications')} style={{ marginTop: 16 }} data-testid="mail-preferences">
      {q.error ? (
        <ErrorState error={q.error} retry={() => void q.refetch()} />
      ) : !q.data ? null : (
        <Form
          form={form}
          layout="vertical"
          initialValues={{ email: q.data.email ?? '', kinds: q.data.kinds ?? [] }}
          onFinish={async (v) => {
            try {
              const r = await run(() => call<Prefs>('PUT', '/me/notification-preferences', { body: { email: (v.email ?? '').trim(), kinds: v.kinds ?? [] } }), {
                form,
                success: t('邮件通知设置已保存', 'E-mail notifications saved'),
              });
              if (r !== undefined) await qc.invalidateQueries({ queryKey: ['/me/notification-preferences'] });
            } catch {
              /* shown */
            }
          }}
        >
          <Form.Item name="email" label={t('邮箱', 'E-mail address')} extra={t('也用于接收忘记密码的重置链接', 'Also where a forgotten-password link is sent')} rules={[{ type: 'email', message: t('请输入有效的邮箱', 'Enter a valid address') }]}>
            <Input type="email" autoComplete="email" placeholder="name@example.com" />
          </Form.Item>
          <Form.Item name="kinds" label={t('以下通知同时发送邮件（站内通知始终保留）', 'Also e-mail these notifications (the inbox keeps them all)')}>
            <Checkbox.Group>
              <Space orientation="vertical">
                {(q.data.available ?? []).map((k) => (
                  <Checkbox key={k} value={k}>{t(...(mailKindNames[k] ?? [k, k]))}</Checkbox>
                ))}
              </Space>
            </Checkbox.Group>
          </Form.Item>
          <Button type="primary" htmlType="submit">{t('保存邮件通知', 'Save e-mail notifications')}</Button>
        </Form>
      )}
    </Card>
  );
}

/** The administrators' mail server settings, a test message and the outbox. */
export function SmtpCard() {
  const t = useT();
  const run = useCommand();
  const qc = useQueryClient();
  const [form] = Form.useForm();
  const [to, setTo] = useState('');
  const [testResult, setTestResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [status, setStatus] = useState<'failed' | 'pending' | 'sent'>('failed');
  const q = useQuery({ queryKey: ['/settings/smtp'], queryFn: () => get<Smtp>('/settings/smtp') });
  const outbox = useQuery({ queryKey: ['/mail/outbox', status], queryFn: () => get<Schemas['MailOutboxPage']>(`/mail/outbox?status=${status}`) });
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  if (!q.data) return null;
  return (
    <Card title={t('邮件服务器（SMTP）', 'Mail server (SMTP)')} style={{ marginTop: 16 }} data-testid="smtp">
      <Form
        form={form}
        layout="vertical"
        initialValues={{ ...q.data, password: '' }}
        onFinish={async (v) => {
          const body: Record<string, unknown> = { host: (v.host ?? '').trim(), port: v.port, tls: v.tls, username: v.username ?? '', from: v.from ?? '' };
          if (v.password) body.password = v.password; // empty: keep the one set
          try {
            const r = await run(() => call<Smtp>('PUT', '/settings/smtp', { body }), { form, success: t('邮件服务器已保存', 'Mail server saved') });
            if (r !== undefined) {
              form.setFieldValue('password', '');
              await qc.invalidateQueries({ queryKey: ['/settings/smtp'] });
            }
          } catch {
            /* shown */
          }
        }}
      >
        <Space wrap align="start">
          <Form.Item name="host" label={t('服务器', 'Host')} extra={t('留空则不发送邮件', 'Empty: no e-mail is sent')}><Input style={{ width: 220 }} placeholder="smtp.example.com" /></Form.Item>
          <Form.Item name="port" label={t('端口', 'Port')}><InputNumber min={1} max={65535} /></Form.Item>
          <Form.Item name="tls" label={t('加密', 'Encryption')}>
            <Select aria-label={t('加密', 'Encryption')} style={{ width: 180 }} options={[
              { value: 'starttls', label: 'STARTTLS (587)' },
              { value: 'tls', label: 'TLS (465)' },
              { value: 'none', label: t('不加密', 'None') },
            ]} />
          </Form.Item>
        </Space>
        <Space wrap align="start">
          <Form.Item name="username" label={t('用户名', 'Username')}><Input style={{ width: 220 }} autoComplete="off" /></Form.Item>
          <Form.Item name="password" label={t('密码', 'Password')} extra={q.data.passwordSet ? t('已设置；留空则保持不变', 'Set; leave empty to keep it') : t('未设置', 'Not set')}>
            <Input.Password style={{ width: 220 }} autoComplete="new-password" />
          </Form.Item>
          <Form.Item name="from" label={t('发件人', 'From')}><Input style={{ width: 260 }} placeholder="Chronicle CRM <crm@example.com>" /></Form.Item>
        </Space>
        <Button type="primary" htmlType="submit">{t('保存邮件服务器', 'Save mail server')}</Button>
      </Form>
      <Space style={{ marginTop: 16 }} wrap>
        <Input aria-label={t('测试收件人', 'Test recipient')} placeholder="admin@example.com" value={to} onChange={(e) => setTo(e.target.value)} style={{ width: 240 }} />
        <Button
          disabled={!to.trim()}
          onClick={async () => {
            setTestResult(null);
            try {
              await call('POST', '/settings/smtp/test', { body: { to: to.trim() } });
              setTestResult({ ok: true, text: t('测试邮件已发送', 'The test message was sent') });
            } catch (e) {
              setTestResult({ ok: false, text: e instanceof Error ? e.message : String(e) });
            }
          }}
        >
          {t('发送测试邮件', 'Send a test message')}
        </Button>
      </Space>
      {testResult && <Alert role="status" style={{ marginTop: 8 }} type={testResult.ok ? 'success' : 'error'} showIcon title={testResult.text} />}
      <Typography.Title level={2} style={{ fontSize: 16, marginTop: 24 }}>{t('发件箱', 'Outbox')}</Typography.Title>
      <Select
        aria-label={t('状态', 'Status')}
        value={status}
        onChange={setStatus}
        style={{ width: 160, marginBottom: 8 }}
        options={[
          { value: 'failed', label: t('发送失败', 'Failed') },
          { value: 'pending', label: t('待发送/重试', 'Pending') },
          { value: 'sent', label: t('已发送', 'Sent') },
        ]}
      />
      <Table<OutboxItem>
        rowKey="id"
        size="small"
        loading={outbox.isLoading}
        dataSource={outbox.data?.items ?? []}
        pagination={false}
        scroll={{ x: true }}
        columns={[
          { key: 'a', title: t('收件人', 'Recipient'), dataIndex: 'address' },
          { key: 's', title: t('主题', 'Subject'), dataIndex: 'subject' },
          { key: 'n', title: t('尝试次数', 'Attempts'), render: (_, r) => <Tag color={r.status === 'failed' ? 'red' : undefined}>{r.attempts}</Tag> },
          { key: 'e', title: t('最近错误', 'Last error'), dataIndex: 'lastError' },
          { key: 'x', title: t('下次尝试', 'Next attempt'), render: (_, r) => (r.nextAttempt ? fmtTime(r.nextAttempt) : '—') },
          { key: 'c', title: t('创建时间', 'Created'), render: (_, r) => fmtTime(r.createdAt) },
        ]}
      />
    </Card>
  );
}
