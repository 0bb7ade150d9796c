import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { App as AntApp, ConfigProvider, Spin } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { LangContext, savedLang, saveLang, type Lang } from './i18n';
import { ApiError, onUnauthorized } from './api/client';

const Login = lazy(() => import('./pages/Login'));
const Shell = lazy(() => import('./Shell'));
const ResetPassword = lazy(() => import('./pages/mailCommon').then((m) => ({ default: m.ResetPassword })));

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (n, e) => !(e instanceof ApiError && e.status >= 400 && e.status < 500) && n < 1,
      refetchOnWindowFocus: false,
    },
  },
});

// one colour scheme; secondary texts darker than antd's default so they keep a 4.5:1 contrast
export const theme = {
  token: {
    colorPrimary: '#1f5fbf',
    colorPrimaryHover: '#1a4f9f',
    colorPrimaryActive: '#153f7f',
    colorError: '#c4302b',
    colorSuccess: '#2b7a0b',
    colorSuccessBg: '#eef7ea',
    colorSuccessBorder: '#a8d394',
    colorWarningBg: '#fff7e0',
    colorWarningBorder: '#f0c36d',
    colorErrorBg: '#fdeeed',
    colorErrorBorder: '#f0aaa6',
    colorWarning: '#8a5300',
    colorInfo: '#1f5fbf',
    colorInfoBg: '#eaf1fb',
    colorInfoBorder: '#a9c3ea',
    borderRadius: 6,
    colorTextSecondary: '#595959',
    colorTextTertiary: '#595959',
    colorTextDescription: '#595959',
    colorTextPlaceholder: '#6b6b6b',
  },
};

function Loading() {
  return (
    <div style={{ display: 'grid', placeItems: 'center', height: '100vh' }}>
      <Spin size="large" />
    </div>
  );
}

/** Sends the browser to sign-in on a 401 and remembers the page to come back to. */
function UnauthorizedRedirect() {
  const nav = useNavigate();
  const loc = useLocation();
  useEffect(() => {
    onUnauthorized(() => {
      if (window.location.pathname === '/login' || window.location.pathname === '/reset-password') return;
      queryClient.clear();
      const next = window.location.pathname + window.location.search;
      nav('/login?next=' + encodeURIComponent(next), { replace: true });
    });
    return () => onUnauthorized(null);
  }, [nav, loc]);
  return null;
}

export function Providers({ children, lang: initial }: { children: React.ReactNode; lang?: Lang }) {
  const [lang, setLangState] = useState<Lang>(initial ?? savedLang() ?? 'zh-CN');
  const ctx = useMemo(
    () => ({
      lang,
      setLang: (l: Lang) => {
        setLangState(l);
        saveLang(l); // the sign-in page shows the language last used in this browser
      },
    }),
    [lang],
  );
  useEffect(() => {
    dayjs.locale(lang === 'en' ? 'en' : 'zh-cn');
    document.documentElement.lang = lang;
  }, [lang]);
  return (
    <LangContext.Provider value={ctx}>
      <ConfigProvider locale={lang === 'en' ? enUS : zhCN} theme={theme}>
        <AntApp>
          <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
        </AntApp>
      </ConfigProvider>
    </LangContext.Provider>
  );
}

export function Root() {
  return (
    <Providers>
      <BrowserRouter>
        <UnauthorizedRedirect />
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/login" element={<Login />} />
            <Route path="/reset-password" element={<ResetPassword />} />
            <Route path="/*" element={<Shell />} />
            <Route path="*" element={<Navigate to="/" />} />
          </Routes>
        </Suspense>
      </BrowserRouter>
    </Providers>
  );
}
