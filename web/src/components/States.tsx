import { Button, Result } from 'antd';
import { ApiError } from '../api/client';
import { useT } from '../i18n';

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const t = useT();
  const e = error as ApiError;
  const status = e instanceof ApiError ? e.status : 0;
  const title =
    status === 403
      ? t('没有权限', 'Not allowed')
      : status === 404
        ? t('记录不存在或不在您的数据范围内', 'Not found or outside your data scope')
        : t('加载失败', 'Could not load');
  return (
    <Result
      status={status === 403 ? '403' : status === 404 ? '404' : 'error'}
      title={title}
      subTitle={e?.message}
      extra={retry && <Button onClick={retry}>{t('重试', 'Retry')}</Button>}
    />
  );
}
