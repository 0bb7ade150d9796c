import { lazy, Suspense, useState } from 'react';
import { Alert, Button, Card, Form, Input, Segmented, Typography } from 'antd';
import { useNavigate, useSearchParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError, call, type Schemas } from '../api/client';
import { useLang, useT } from '../i18n';
// The forgotten-password form loads only when asked for: the sign-in page's JavaScript stays small.
const ForgotPassword = lazy(() => import('./mailCommon').then((m) => ({ default: m.ForgotPassword })));

interface Creds {
  username: string;
  password: string;
  totp?: string;
  recoveryCode?: string;
}

/** Sign-in: username and password, then the one-time code when the account has two-factor sign-in. */
export default function Login() {
  const t = useT();
  const { lang, setLang } = useLang();
  const nav = useNavigate();
  const [params] = useSearchParams();
  const qc = useQueryClient();
  const [form] = Form.useForm<Creds>();
  const [step, setStep] = useState<'password' | 'totp' | 'forgot'>('password');
  const [useRecovery, setUseRecovery] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const next = params.get('next');
  const target = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';

  const submit = async (v: Creds) => {
    setBusy(true);
    setError('');
    try {
      const all = { ...form.getFieldsValue(true), ...v } as Creds;
      const body: Record<string, string> = { username: all.username, password: all.password };
      if (step === 'totp') {
        if (useRecovery) body.recoveryCode = (all.recoveryCode ?? '').trim();
        else body.totp = (all.totp ?? '').trim();
      }
      const res = await call<Schemas['LoginResponse']>('POST', '/auth/login', {
        body,
        headers: { 'X-Chronicle-Session': 'cookie' },
        quiet401: true,
      });
      qc.clear(); // signed in, the user's own language and time zone apply (the shell reads them from /auth/me)
      if (res.data?.twoFactorRequired) nav('/account?enroll=1', { replace: true });
      else nav(target, { replace: true });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'totp_required') {
        setStep('totp');
      } else if (e instanceof ApiError && e.code === 'invalid_second_factor') {
        form.setFields([
          { name: useRecovery ? 'recoveryCode' : 'totp', errors: [t('验证码不正确', 'The code is not correct')] },
        ]);
      } else if (e instanceof ApiError && e.code === 'invalid_credentials') {
        setError(t('用户名或密码不正确', 'Wrong username or password'));
        setStep('password');
      } else if (e instanceof ApiError && e.status === 429) {
        setError(t('尝试次数过多，请稍后再试', 'Too many attempts; try again later') + ` (${e.message})`);
      } else {
        setError(e instanceof Error ? e.message : String(e));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main
      style={{
        minHeight: '100vh',
        display: 'grid',
        placeItems: 'center',
        background: 'linear-gradient(135deg,#eef3fb,#dfe8f6)',
        padding: 16,
      }}
    >
      <Card style={{ width: '100%', maxWidth: 380 }}>
        <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', marginBottom: 8 }}>
          <Typography.Title level={1} style={{ fontSize: 22, margin: 0 }}>
            Chronicle CRM
          </Typography.Title>
          <Segmented
            size="small"
            aria-label={t('语言', 'Language')}
            value={lang}
            onChange={(v) => setLang(v as 'zh-CN' | 'en')}
            options={[
              { label: '中文', value: 'zh-CN' },
              { label: 'EN', value: 'en' },
            ]}
          />
        </div>
        {step === 'forgot' ? (
          <Suspense fallback={null}>
            <ForgotPassword onBack={() => setStep('password')} />
          </Suspense>
        ) : (
          <>
        <Typography.Paragraph type="secondary">
          {step === 'password'
            ? t('请登录以继续', 'Sign in to continue')
            : t('请输入身份验证器中的 6 位验证码', 'Enter the 6-digit code from your authenticator app')}
        </Typography.Paragraph>
        {error && <Alert role="alert" type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
        <Form form={form} layout="vertical" onFinish={submit} requiredMark={false}>
          <div style={{ display: step === 'password' ? 'block' : 'none' }}>
            <Form.Item
              label={t('用户名', 'Username')}
              name="username"
              rules={[{ required: true, message: t('请输入用户名', 'Enter your username') }]}
            >
              <Input autoComplete="username" autoFocus />
            </Form.Item>
            <Form.Item
              label={t('密码', 'Password')}
              name="password"
              rules={[{ required: true, message: t('请输入密码', 'Enter your password') }]}
            >
              <Input.Password autoComplete="current-password" />
            </Form.Item>
          </div>
          {step === 'totp' &&
            (useRecovery ? (
              <Form.Item
                label={t('恢复码', 'Recovery code')}
                name="recoveryCode"
                rules={[{ required: true, message: t('请输入恢复码', 'Enter a recovery code') }]}
              >
                <Input autoComplete="off" autoFocus />
              </Form.Item>
            ) : (
              <Form.Item
                label={t('验证码', 'One-time code')}
                name="totp"
                rules={[{ required: true, pattern: /^\s*\d{6}\s*$/, message: t('请输入 6 位数字', 'Enter 6 digits') }]}
              >
                <Input inputMode="numeric" autoComplete="one-time-code" maxLength={8} autoFocus />
              </Form.Item>
            ))}
          <Button type="primary" htmlType="submit" block loading={busy}>
            {step === 'password' ? t('登录', 'Sign in') : t('验证', 'Verify')}
          </Button>
          {step === 'totp' && (
            <div style={{ display: 'flex', justifyContent: 'space-between', marginTop: 12 }}>
              <Button type="link" onClick={() => setUseRecovery((x) => !x)} style={{ padding: 0 }}>
                {useRecovery ? t('使用验证码', 'Use a one-time code') : t('使用恢复码', 'Use a recovery code')}
              </Button>
              <Button type="link" onClick={() => setStep('password')} style={{ padding: 0 }}>
                {t('返回', 'Back')}
              </Button>
            </div>
          )}
          {step === 'password' && (
            <Button type="link" onClick={() => setStep('forgot')} style={{ padding: 0, marginTop: 12 }}>
              {t('忘记密码？', 'Forgot password?')}
            </Button>
          )}
        </Form>
          </>
        )}
      </Card>
    </main>
  );
}
