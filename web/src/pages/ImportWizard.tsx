import { useEffect, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { Alert, Button, Card, Progress, Radio, Result, Space, Statistic, Steps, Table, Typography, Upload } from 'antd';
import { InboxOutlined } from '@ant-design/icons';
import { ApiError, call, get, type Schemas } from '../api/client';
import { useT } from '../i18n';
import { useSession } from '../session';
import { reportUrl } from './importReport';

type Import = Schemas['Import'];
type ImportError = Schemas['ImportError'];

async function poll(id: string, onUpdate: (i: Import) => void): Promise<Import> {
  for (;;) {
    const i = await get<Import>(`/imports/${id}`);
    onUpdate(i);
    if (i.state !== 'queued' && i.state !== 'running') return i;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Upload → dry run report → confirm → progress → result with the error report. */
export default function ImportWizard() {
  const t = useT();
  const s = useSession();
  const nav = useNavigate();
  const [sp] = useSearchParams();
  type Kind = 'leads' | 'customers' | 'contacts' | 'products';
  // ?type=products (the catalogue's import button) preselects a kind.
  const asked = sp.get('type') as Kind | null;
  const [type, setType] = useState<Kind>(asked && ['leads', 'customers', 'contacts', 'products'].includes(asked) ? asked : s.can('leads.import') || s.isAdmin ? 'leads' : 'customers');
  const [file, setFile] = useState<File | null>(null);
  const [step, setStep] = useState(0);
  const [dry, setDry] = useState<Import | null>(null);
  const [real, setReal] = useState<Import | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => setError(''), [file, type]);

  const send = async (dryRun: boolean) => {
    if (!file) return;
    setBusy(true);
    setError('');
    try {
      const fd = new FormData();
      fd.append('file', file, file.name);
      const r = await call<{ id: string }>('POST', '/imports', { query: { type, dryRun }, rawBody: fd });
      const done = await poll(r.data.id, dryRun ? setDry : setReal);
      if (dryRun) setDry(done);
      else setReal(done);
      setStep(dryRun ? 1 : 2);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const report = (imp: Import) => (
    <div data-testid="import-report">
      <Space size="large" wrap>
        <Statistic title={t('总行数', 'Rows')} value={imp.total} />
        <Statistic title={imp.dryRun ? t('可导入', 'Would import') : t('已导入', 'Imported')} value={imp.imported} />
        <Statistic title={t('已跳过', 'Skipped')} value={imp.skipped} />
        <Statistic title={t('错误', 'Errors')} value={imp.failed} valueStyle={{ color: imp.failed ? '#c0392b' : undefined }} />
      </Space>
      {imp.detail && <Alert style={{ marginTop: 12 }} type="info" title={imp.detail} />}
      {imp.errors.length > 0 && (
        <>
          <Table<ImportError>
            style={{ marginTop: 12 }}
            size="small"
            rowKey={(e) => `${e.row}-${e.field}-${e.message}`}
            dataSource={imp.errors}
            pagination={{ pageSize: 10, hideOnSinglePage: true }}
            columns={[
              { key: 'row', title: t('行', 'Row'), dataIndex: 'row', width: 70 },
              { key: 'field', title: t('字段', 'Field'), dataIndex: 'field' },
              { key: 'message', title: t('问题', 'Problem'), dataIndex: 'message' },
            ]}
          />
          <Space wrap>
            <Button href={reportUrl(imp.id, 'csv')} download data-testid="download-report">
              {t('下载错误报告', 'Download the error report')}
            </Button>
            <Typography.Link href={reportUrl(imp.id, 'xlsx')} download>
              {t('下载 XLSX 格式', 'Download as XLSX')}
            </Typography.Link>
          </Space>
          {imp.errorsTruncated && (
            <Typography.Paragraph type="secondary">
              {t('（此处仅列出前 1000 条错误；错误报告包含全部错误行）', '(only the first 1,000 errors are listed here; the error report has every failing row)')}
            </Typography.Paragraph>
          )}
        </>
      )}
    </div>
  );

  const progress = (imp: Import | null) =>
    imp && imp.total > 0 ? Math.round(((imp.imported + imp.skipped + imp.failed) / imp.total) * 100) : busy ? 5 : 0;

  return (
    <div>
      <Typography.Title level={1} style={{ fontSize: 20, marginTop: 0 }}>{t('导入', 'Import')}</Typography.Title>
      <Steps
        current={step}
        style={{ marginBottom: 16 }}
        items={[{ title: t('上传并试运行', 'Upload and dry run') }, { title: t('确认', 'Confirm') }, { title: t('结果', 'Result') }]}
      />
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} role="alert" />}
      <Card>
        {step === 0 && (
          <Space direction="vertical" style={{ width: '100%' }}>
            <Radio.Group
              value={type}
              onChange={(e) => setType(e.target.value)}
              aria-label={t('导入类型', 'What to import')}
              options={[
                { value: 'leads', label: t('线索', 'Leads') },
                { value: 'customers', label: t('客户', 'Customers') },
                { value: 'contacts', label: t('联系人', 'Contacts') },
                ...(s.can('products.manage') ? [{ value: 'products', label: t('产品', 'Products') }] : []),
              ]}
            />
            <Upload.Dragger
              accept=".csv,.xlsx"
              maxCount={1}
              beforeUpload={(f) => {
                setFile(f);
                return false;
              }}
              onRemove={() => setFile(null)}
              fileList={file ? [{ uid: '1', name: file.name, status: 'done' }] : []}
            >
              <p className="ant-upload-drag-icon"><InboxOutlined /></p>
              <p>{t('点击或拖入 CSV / XLSX 文件（中文或英文表头）', 'Click or drop a CSV / XLSX file (Chinese or English headers)')}</p>
            </Upload.Dragger>
            {busy && <Progress aria-label={t('进度', 'Progress')} percent={progress(dry)} status="active" />}
            <Button type="primary" disabled={!file} loading={busy} onClick={() => send(true)}>
              {t('试运行', 'Dry run')}
            </Button>
          </Space>
        )}
        {step === 1 && dry && (
          <div>
            <Typography.Paragraph>{t('试运行结果（尚未写入任何数据）：', 'Dry run report (nothing written yet):')}</Typography.Paragraph>
            {report(dry)}
            {busy && <Progress aria-label={t('进度', 'Progress')} percent={progress(real)} status="active" />}
            <Space style={{ marginTop: 16 }}>
              <Button onClick={() => { setStep(0); setDry(null); }}>{t('返回', 'Back')}</Button>
              <Button type="primary" loading={busy} onClick={() => send(false)} disabled={dry.imported === 0}>
                {t(`确认导入 ${dry.imported} 行`, `Import ${dry.imported} rows`)}
              </Button>
            </Space>
          </div>
        )}
        {step === 2 && real && (
          <div>
            <Result status={real.state === 'failed' ? 'error' : real.failed ? 'warning' : 'success'} title={t('导入完成', 'Import finished')} />
            <Progress aria-label={t('进度', 'Progress')} percent={100} />
            {report(real)}
            <Space style={{ marginTop: 16 }} wrap>
              <Button onClick={() => { setStep(0); setDry(null); setReal(null); setFile(null); }}>
                {t('再导入一个文件', 'Import another file')}
              </Button>
              <Button onClick={() => nav('/imports')}>{t('查看导入记录', 'Import history')}</Button>
            </Space>
          </div>
        )}
      </Card>
    </div>
  );
}
