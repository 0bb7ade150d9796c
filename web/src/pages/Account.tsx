import { useMemo, useState } from 'react';
import { Alert, App, Button, Card, Col, Descriptions, Form, Input, Row, Select, Space, Table, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { call, get, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { QrCode } from '../components/QrCode';
import { ErrorState } from '../components/States';
import { useLang, useT, type Lang } from '../i18n';
import { useSavePreferences, useSession } from '../session';
import { MailPreferencesCard } from './mailCommon';
import { browserZone, fmtTime, knownZone, timeZones, zoneOffset } from '../util';

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

/** The user's own language and time zone, kept on the server (they follow the user to every browser). */
function PreferencesCard() {
  const t = useT();
  const s = useSession();
  const { setLang } = useLang();
  const save = useSavePreferences();
  const run = useCommand();
  const [form] = Form.useForm<{ language: Lang; timeZone: string }>();
  const p = s.user.preferences;
  const DEFAULT = ''; // the organisation's default zone
  const zones = useMemo(() => timeZones(), []);
  const options = useMemo(
    () => [
      { value: DEFAULT, label: t(`组织默认时区（${p.timeZoneChosen ? '' : p.timeZone + '，'}由管理员设置）`, `Organisation default (${p.timeZoneChosen ? '' : p.timeZone + ', '}set by administrators)`) },
      ...zones.map((z) => ({ value: z, label: `${z} (UTC${zoneOffset(z)})` })),
    ],
    [zones, p.timeZone, p.timeZoneChosen, t],
  );
  const browser = browserZone();
  return (
    <Card title={t('偏好设置', 'Preferences')} style={{ marginTop: 16 }} data-testid="preferences">
      <Form
        form={form}
        name="prefs"
        layout="vertical"
        initialValues={{ language: p.language, timeZone: p.timeZoneChosen ? p.timeZone : DEFAULT }}
        onFinish={async (v) => {
          try {
            const body = { language: v.language, timeZone: v.timeZone === DEFAULT ? null : v.timeZone };
            const r = await run(() => save(body), { form, success: t('偏好设置已保存', 'Preferences saved') });
            if (r !== undefined) setLang(v.language);
          } catch {
            /* shown */
          }
        }}
      >
        <Form.Item name="language" label={t('语言', 'Language')} rules={[{ required: true }]}>
          <Select
            aria-label={t('语言', 'Language')}
            options={[
              { value: 'zh-CN', label: '中文（简体）' },
              { value: 'en', label: 'English' },
            ]}
          />
        </Form.Item>
        <Form.Item
          name="timeZone"
          label={t('时区', 'Time zone')}
          extra={
            <span>
              {t(`当前显示时区：${s.timeZone}（UTC${zoneOffset(s.timeZone)}）。`, `Times now show in ${s.timeZone} (UTC${zoneOffset(s.timeZone)}). `)}
              {knownZone(browser) && browser !== s.timeZone && (
                <Button type="link" size="small" style={{ padding: 0 }} onClick={() => form.setFieldValue('timeZone', browser)}>
                  {t(`使用本浏览器的时区 ${browser}`, `Use this browser's zone, ${browser}`)}
                </Button>
              )}
            </span>
          }
        >
          <Select showSearch aria-label={t('时区', 'Time zone')} options={options} optionFilterProp="label" data-testid="time-zone" />
        </Form.Item>
        <Button type="primary" htmlType="submit">{t('保存偏好', 'Save preferences')}</Button>
      </Form>
    </Card>
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
  const twoFactorOn = s.user.twoFactor.enabled;
  const twoFactorRequired = s.user.twoFactor.required;

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
              { key: 'r', label: t('角色', 'Roles'), children: (s.roles.length ? s.roles.map((r) => r.displayName || r.name) : s.user.roles).map((r) => <Tag key={r}>{r}</Tag>) },
              { key: 'd', label: t('部门', 'Department'), children: s.user.departmentName ?? t('未分配', 'None') },
              { key: 'z', label: t('时区', 'Time zone'), children: s.timeZone },
            ]} />
          </Card>
          <PreferencesCard />
          <MailPreferencesCard />
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
                <Space wrap data-testid="two-factor-state">
                  {twoFactorOn ? <Tag color="success">{t('已开启', 'On')}</Tag> : <Tag>{t('未开启', 'Off')}</Tag>}
                  {twoFactorRequired && <Tag color="warning">{t('您的角色要求两步验证', 'Required by your role')}</Tag>}
                </Space>
                <Typography.Paragraph>{t('使用身份验证器应用（如 Google Authenticator、Microsoft Authenticator）生成一次性验证码。', 'Use an authenticator app (such as Google or Microsoft Authenticator) for one-time codes.')}</Typography.Paragraph>
                {!twoFactorOn && (
                  <Space wrap>
                    <Button type="primary" data-testid="enroll-2fa" onClick={async () => {
                      try {
                        const r = await run(() => call<Schemas['TwoFactorEnrollment']>('POST', '/auth/2fa/enroll'));
                        if (r) { setEnrol(r.data); setCodes(null); }
                      } catch { /* shown */ }
                    }}>{t('设置两步验证', 'Set up two-factor sign-in')}</Button>
                  </Space>
                )}
                {twoFactorOn && (
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
                )}
                {twoFactorOn && (
                  <Form form={dform} name="dform" layout="inline" onFinish={(v) => modal.confirm({
                    title: t('关闭两步验证？', 'Switch two-factor sign-in off?'),
                    content: twoFactorRequired
                      ? t('您的角色要求两步验证：关闭后，须先重新设置才能继续使用。', 'Your role requires two-factor sign-in: once it is off, you must set it up again before you can go on working.')
                      : t('关闭后仅凭密码即可登录，现有恢复码作废。', 'Your password alone will sign you in; your recovery codes stop working.'),
                    onOk: () => run(() => call('POST', '/auth/2fa/disable', { body: disableBody(v) }), { form: dform, success: t('两步验证已关闭', 'Two-factor sign-in is off') }).then(() => dform.resetFields()).catch(() => undefined),
                  })}>
                    <Form.Item name="password" rules={[{ required: true }]}><Input.Password placeholder={t('密码', 'Password')} aria-label={t('用于关闭两步验证的密码', 'Password to switch 2FA off')} style={{ width: 160 }} /></Form.Item>
                    <Form.Item name="code" rules={[{ required: twoFactorOn, message: t('请输入验证码或恢复码', 'Enter a code or a recovery code') }]}><Input placeholder={t('验证码或恢复码', 'Code or recovery code')} aria-label={t('用于关闭两步验证的验证码或恢复码', 'Code or recovery code to switch 2FA off')} style={{ width: 180 }} /></Form.Item>
                    <Button danger htmlType="submit">{t('关闭两步验证', 'Switch off')}</Button>
                  </Form>
                )}
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
