import { Space, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import { useT } from '../i18n';

/** The server's stored error report of an import; a plain link download carries the session cookie. */
export function reportUrl(id: string, format: 'csv' | 'xlsx'): string {
  return `/api/v1/imports/${encodeURIComponent(id)}/errors?format=${format}`;
}

/** Links to an import's error report as CSV and XLSX. */
export function ReportLinks({ id, label }: { id: string; label?: string }) {
  const t = useT();
  return (
    <Space size="small" wrap>
      <Typography.Link href={reportUrl(id, 'csv')} download data-testid="report-csv">
        <DownloadOutlined /> {label ?? t('错误报告', 'Error report')} CSV
      </Typography.Link>
      <Typography.Link href={reportUrl(id, 'xlsx')} download data-testid="report-xlsx">
        XLSX
      </Typography.Link>
    </Space>
  );
}
