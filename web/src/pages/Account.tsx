import { useState } from 'react';
import { Alert, App, Button, Card, Col, Descriptions, Form, Input, Row, Space, Table, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { call, get, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { QrCode } from '../components/QrCode';
import { ErrorState } from '../components/States';
import { useT } from '../i18n';
import { useSession } from '../session';
import { fmtTime, userZone } from '../util';

type Session = Schemas['Session'];

function RecoveryCodes({ codes }: { codes: string[] }) {
  const t = useT();
  return (
    <Alert
      type="warning"
      showIcon
      title={t('恢复码（只显示这一次，请妥善保存）', 'Recovery codes (shown once only: keep them safe)')}
      description={
        <pre data-testid="recovery-codes" style={{ margin: 0, fontSize: 14 }}>
          {codes.join('\n')}
        </pre>
      }
    />
  );
}

export default function Account() {
  const t = useT();
  const s = useSession();
  const run = useCommand();
  const { modal } = App.useApp();
  const [params] = useSearchParams();
  const [pform] = Form.useForm();
  const [cform] = Form.useForm();
  const [rform] = Form.useForm();
  const [dform] = Form.useForm();
  const [enrol, setEnrol] = useState<Schemas['TwoFactorEnrollment'] | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const sessions = useQuery({ queryKey: ['/auth/sessions'], queryFn: () => get<{ items: Session[] }>('/auth/sessions') });
  const twoFactorOn = (s.user as Record<string, unknown>).twoFactorEnabled === true;

  return (
    <div>
      <Typography.Title level={1} style={{ fontSize: 20, marginTop: 0 }}>{t('我的账户', 'My account')}</Typography.Title>
      {params.get('enroll') && (
        <Alert type="warning" showIcon style={{ marginBottom: 12 }} title={t('您的角色要求两步验证：请先完成下方的设置。', 'Your role requires two-factor sign-in: please set it up below first.')} />
      )}
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card title={t('账户信息', 'Account')}>
            <Descriptions column={1} size="small" items={[
              { key: 'u', label: t('用户名', 'Username'), children: s.user.username },
              { key: 'n', label: t('显示名称', 'Display name'), children: s.user.displayName },
              { key: 'r', label: t('角色', 'Roles'), children: s.user.roles.map((r) => <Tag key={r}>{r}</Tag>) },
              { key: 'z', label: t('时区', 'Time zone'), children: userZone() },
            ]} />
          </Card>
          <Card title={t('修改密码', 'Change password')} style={{ marginTop: 16 }}>
            <Form form={pform} name="pform" layout="vertical" onFinish={async (v) => {
              try {
                await run(() => call('POST', '/auth/change-password', { body: { currentPassword: v.currentPassword, newPassword: v.newPassword } }), { form: pform, success: t('密码已修改，其他会话已结束', 'Password changed; your other sessions ended') });
                pform.resetFields();
              } catch { /* shown */ }
            }}>
              <Form.Item name="currentPassword" label={t('当前密码', 'Current password')} rules={[{ required: true }]}><Input.Password autoComplete="current-password" /></Form.Item>
              <Form.Item name="newPassword" label={t('新密码（至少 10 位）', 'New password (10+ characters)')} rules={[{ required: true, min: 10 }]}><Input.Password autoComplete="new-password" /></Form.Item>
              <Form.Item name="confirm" label={t('确认新密码', 'Repeat the new password')} dependencies={['newPassword']} rules={[{ required: true }, ({ getFieldValue }) => ({ validator: (_, v) => (v === getFieldValue('newPassword') ? Promise.resolve() : Promise.reject(new Error(t('两次输入不一致', 'The passwords differ')))) })]}><Input.Password autoComplete="new-password" /></Form.Item>
              <Button type="primary" htmlType="submit">{t('修改密码', 'Change password')}</Button>
            </Form>
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t('两步验证', 'Two-factor sign-in')}>
            {codes && <RecoveryCodes codes={codes} />}
            {!enrol && (
              <Space direction="vertical" style={{ width: '100%', marginTop: codes ? 12 : 0 }}>
                <Typography.Paragraph>{t('使用身份验证器应用（如 Google Authenticator、Microsoft Authenticator）生成一次性验证码。', 'Use an authenticator app (such as Google or Microsoft Authenticator) for one-time codes.')}</Typography.Paragraph>
                <Space wrap>
                  <Button type="primary" data-testid="enroll-2fa" onClick={async () => {
                    try {
                      const r = await run(() => call<Schemas['TwoFactorEnrollment']>('POST', '/auth/2fa/enroll'));
                      if (r) { setEnrol(r.data); setCodes(null); }
                    } catch { /* shown */ }
                  }}>{t('设置两步验证', 'Set up two-factor sign-in')}</Button>
                </Space>
                <Form form={rform} name="rform" layout="inline" onFinish={async (v) => {
                  try {
                    const r = await run(() => call<Schemas['TwoFactorRecoveryCodes']>('POST', '/auth/2fa/recovery-codes', { body: { code: v.code } }), { form: rform, success: t('已生成新的恢复码', 'New recovery codes drawn') });
                    if (r) setCodes(r.data.recoveryCodes);
                    rform.resetFields();
                  } catch { /* shown */ }
                }}>
                  <Form.Item name="code" rules={[{ required: true }]}><Input placeholder={t('当前验证码', 'Current code')} aria-label={t('当前验证码', 'Current code')} inputMode="numeric" style={{ width: 140 }} /></Form.Item>
                  <Button htmlType="submit">{t('生成新的恢复码', 'New recovery codes')}</Button>
                </Form>
                <Form form={dform} name="dform" layout="inline" onFinish={(v) => modal.confirm({ title: t('关闭两步验证？', 'Switch two-factor sign-in off?'), onOk: () => run(() => call('POST', '/auth/2fa/disable', { body: disableBody(v) }), { form: dform, success: t('两步验证已关闭', 'Two-factor sign-in is off') }).catch(() => undefined) })}>
                  <Form.Item name="password" rules={[{ required: true }]}><Input.Password placeholder={t('密码', 'Password')} aria-label={t('用于关闭两步验证的密码', 'Password to switch 2FA off')} style={{ width: 160 }} /></Form.Item>
                  <Form.Item name="code" rules={[{ required: twoFactorOn }]}><Input placeholder={t('验证码或恢复码', 'Code or recovery code')} aria-label={t('用于关闭两步验证的验证码或恢复码', 'Code or recovery code to switch 2FA off')} style={{ width: 180 }} /></Form.Item>
                  <Button danger htmlType="submit">{t('关闭两步验证', 'Switch off')}</Button>
                </Form>
                {twoFactorOn && <Tag color="success">{t('已开启', 'On')}</Tag>}
              </Space>
            )}
            {enrol && (
              <div>
                <Typography.Paragraph>{t('1. 用身份验证器扫描二维码：', '1. Scan the QR code with your authenticator app:')}</Typography.Paragraph>
                <QrCode text={enrol.uri} label={t('两步验证二维码', 'Two-factor QR code')} />
                <Typography.Paragraph>
                  {t('或手动输入密钥：', 'Or enter the key by hand:')} <code data-testid="totp-secret">{enrol.secret}</code>
                </Typography.Paragraph>
                <Form form={cform} name="cform" layout="inline" onFinish={async (v) => {
                  try {
                    const r = await run(() => call<Schemas['TwoFactorRecoveryCodes']>('POST', '/auth/2fa/confirm', { body: { code: String(v.code).trim() } }), { form: cform, success: t('两步验证已开启', 'Two-factor sign-in is on') });
                    if (r) { setCodes(r.data.recoveryCodes); setEnrol(null); }
                  } catch { /* shown */ }
                }}>
                  <Form.Item name="code" label={t('2. 输入验证码', '2. Enter the code')} rules={[{ required: true }]}><Input inputMode="numeric" autoComplete="one-time-code" style={{ width: 120 }} /></Form.Item>
                  <Button type="primary" htmlType="submit">{t('确认', 'Confirm')}</Button>
                  <Button onClick={() => setEnrol(null)}>{t('取消', 'Cancel')}</Button>
                </Form>
              </div>
            )}
          </Card>
          <Card title={t('登录会话', 'Sessions')} style={{ marginTop: 16 }}>
            {sessions.error ? <ErrorState error={sessions.error} retry={() => void sessions.refetch()} /> : (
              <Table<Session>
                size="small"
                rowKey="id"
                loading={sessions.isLoading}
                dataSource={sessions.data?.items ?? []}
                pagination={false}
                scroll={{ x: 'max-content' }}
                columns={[
                  { key: 'c', title: t('客户端', 'Client'), render: (_, x) => <span style={{ fontSize: 12 }}>{x.client} {x.current && <Tag color="blue">{t('当前', 'This one')}</Tag>}</span> },
                  { key: 'a', title: t('登录时间', 'Signed in'), render: (_, x) => fmtTime(x.createdAt) },
                  { key: 'e', title: t('过期时间', 'Expires'), render: (_, x) => fmtTime(x.expiresAt) },
                  { key: 'x', title: t('操作', 'Actions'), render: (_, x) => !x.current && <Button size="small" danger onClick={() => modal.confirm({ title: t('结束此会话？', 'End this session?'), onOk: () => run(() => call('DELETE', `/auth/sessions/${x.id}`), { success: t('会话已结束', 'Session ended') }).catch(() => undefined) })}>{t('结束', 'Revoke')}</Button> },
                ]}
              />
            )}
          </Card>
        </Col>
      </Row>
    </div>
  );
}

/** The body of POST /auth/2fa/disable: six digits are the authenticator's code, anything else a recovery code. */
function disableBody(v: { password: string; code?: string }): Schemas['TwoFactorDisableRequest'] {
  const c = (v.code ?? '').replace(/\s/g, '');
  if (!c) return { password: v.password };
  return /^\d{6}$/.test(c) ? { password: v.password, code: c } : { password: v.password, recoveryCode: c };
}
