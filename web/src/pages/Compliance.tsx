import { useState } from 'react';
import { Alert, App, Button, Card, Descriptions, Space, Table, Tag, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { ApiError, call, get, type Schemas } from '../api/client';
import { ErrorState } from '../components/States';
import { useT } from '../i18n';
import { useSession } from '../session';
import { fmtTime } from '../util';

type Chain = Schemas['AuditChain'];
type Anchor = Schemas['AuditAnchor'];
type Report = Schemas['AuditVerifyReport'];
type Divergence = Schemas['AuditDivergence'];
type Backups = Schemas['BackupList'];
type Backup = Schemas['Backup'];
type Check = Schemas['BackupCheck'];

/** The kinds of divergence a verification reports, as readers read them. */
const kindNames: Record<string, [string, string]> = {
  changed: ['事件被修改', 'event changed'],
  missing: ['事件缺失', 'event missing'],
  forged: ['事件被插入', 'event inserted'],
  reordered: ['事件被调换', 'events reordered'],
  'anchor-mismatch': ['与锚点不符', 'anchor mismatch'],
  'bad-signature': ['锚点签名无效', 'bad anchor signature'],
  'anchor-missing': ['锚点文件缺失', 'anchor file missing'],
};

/** A size in bytes, as people read it. */
export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

const mono = { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', fontSize: 12 };
const shortHash = (h?: string) => (h ? `${h.slice(0, 12)}…` : '');

function problemText(e: unknown): string {
  return e instanceof ApiError ? e.message || e.code : String(e);
}

/** The tamper-evident log: the sealer's state, the anchors, anchoring now and verifying. */
function ChainCard() {
  const t = useT();
  const s = useSession();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const admin = s.can('settings.manage');
  const q = useQuery({ queryKey: ['/audit/chain'], queryFn: () => get<Chain>('/audit/chain') });
  const [anchoring, setAnchoring] = useState(false);
  const [verifying, setVerifying] = useState(false);
  const [report, setReport] = useState<Report | null>(null);
  const [verifyError, setVerifyError] = useState('');

  const anchorNow = async () => {
    setAnchoring(true);
    try {
      const r = await call<Chain>('POST', '/audit/anchors');
      qc.setQueryData(['/audit/chain'], r.data);
      if (r.status === 202) message.info(t('已请求锚定，将在下一次封存时完成', 'Anchor asked for: it is made on the next sealing run'));
      else message.success(t(`已锚定至位置 ${r.data.anchorPosition}`, `Anchored up to position ${r.data.anchorPosition}`));
      await qc.invalidateQueries({ queryKey: ['/audit/chain'] });
    } catch (e) {
      message.error(problemText(e));
    } finally {
      setAnchoring(false);
    }
  };
  const verify = async () => {
    setVerifying(true);
    setVerifyError('');
    setReport(null);
    try {
      const r = await call<Report>('POST', '/audit/verify');
      setReport(r.data);
    } catch (e) {
      setVerifyError(problemText(e));
    } finally {
      setVerifying(false);
    }
  };

  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  const c = q.data;
  return (
    <Card
      title={t('操作日志防篡改', 'Tamper-evident log')}
      loading={q.isLoading}
      data-testid="chain-card"
      extra={
        admin && (
          <Space>
            <Button onClick={() => void anchorNow()} loading={anchoring} data-testid="anchor-now">{t('立即锚定', 'Anchor now')}</Button>
            <Button type="primary" onClick={() => void verify()} loading={verifying} data-testid="verify-log">{t('校验日志', 'Verify log')}</Button>
          </Space>
        )
      }
    >
      {c && (
        <>
          <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
            <Descriptions.Item label={t('已封存至', 'Sealed up to')}>
              <span data-testid="sealed-head">{t(`位置 ${c.sealedPosition}（共 ${c.sealedEvents} 个事件；日志末尾 ${c.head}）`, `position ${c.sealedPosition} (${c.sealedEvents} events; log head ${c.head})`)}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('上次锚定后封存', 'Sealed since the last anchor')}>{t(`${c.pendingEvents} 个事件`, `${c.pendingEvents} events`)}</Descriptions.Item>
            <Descriptions.Item label={t('最近锚点', 'Last anchor')}>
              <span data-testid="last-anchor">
                {c.anchorPosition > 0 ? t(`位置 ${c.anchorPosition}，${fmtTime(c.anchoredAt)}`, `position ${c.anchorPosition}, ${fmtTime(c.anchoredAt)}`) : t('尚无锚点', 'none yet')}
              </span>
              {c.anchorRequested && <Tag color="processing" style={{ marginInlineStart: 8 }}>{t('已请求锚定', 'anchor asked for')}</Tag>}
            </Descriptions.Item>
            <Descriptions.Item label={t('审计公钥指纹', 'Audit key fingerprint')}>
              {c.keyFingerprint ? <span style={mono} data-testid="key-fingerprint">{c.keyFingerprint}</span> : t('密钥尚未创建', 'no key yet')}
            </Descriptions.Item>
          </Descriptions>
          {c.badAnchorFiles > 0 && (
            <Alert type="error" showIcon style={{ marginTop: 12 }} title={t(`${c.badAnchorFiles} 个锚点文件无法读取`, `${c.badAnchorFiles} anchor files do not read as anchors`)} />
          )}
          <Typography.Title level={2} style={{ fontSize: 15, marginTop: 16 }}>
            {t(`锚点（最近 ${c.anchors.length} 个，共 ${c.anchorFiles} 个）`, `Anchors (latest ${c.anchors.length} of ${c.anchorFiles})`)}
          </Typography.Title>
          <Table<Anchor>
            rowKey="position"
            size="small"
            data-testid="anchors"
            dataSource={c.anchors}
            pagination={false}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: t('尚无锚点', 'No anchors yet') }}
            columns={[
              { key: 'p', title: t('位置', 'Position'), dataIndex: 'position' },
              { key: 'e', title: t('事件数', 'Events'), dataIndex: 'events' },
              { key: 'h', title: t('哈希', 'Hash'), render: (_, a) => <span style={mono} title={a.hash}>{shortHash(a.hash)}</span> },
              { key: 't', title: t('时间', 'Time'), render: (_, a) => fmtTime(a.time) },
              { key: 'f', title: t('密钥指纹', 'Key fingerprint'), render: (_, a) => <span style={mono}>{a.fingerprint}</span> },
              {
                key: 's',
                title: t('签名', 'Signature'),
                render: (_, a) => (a.signed ? <Tag color="success">{t('有效', 'valid')}</Tag> : <Tag color="error">{t('无法用审计公钥验证', 'does not verify with the audit key')}</Tag>),
              },
            ]}
          />
        </>
      )}
      {verifyError && <Alert type="error" showIcon role="alert" style={{ marginTop: 16 }} title={verifyError} data-testid="verify-error" />}
      {report && <VerifyReport report={report} />}
    </Card>
  );
}

function VerifyReport({ report: r }: { report: Report }) {
  const t = useT();
  const summary = t(
    `读取 ${r.events} 个事件（位置 ${r.from} 至 ${r.head}），其中 ${r.sealed} 个已封存、${r.unsealed} 个未封存；核对锚点 ${r.anchors} 个；用时 ${r.tookMs} 毫秒。`,
    `${r.events} events read (positions ${r.from} to ${r.head}): ${r.sealed} sealed, ${r.unsealed} not sealed yet; ${r.anchors} anchors checked; took ${r.tookMs} ms.`,
  );
  if (r.ok) {
    return (
      <Alert type="success" showIcon style={{ marginTop: 16 }} data-testid="verify-ok" title={t('校验通过：日志与哈希链及锚点一致', 'Verified: the log agrees with its chain and anchors')} description={summary} />
    );
  }
  const total = r.divergences.length + r.more;
  return (
    <div style={{ marginTop: 16 }} data-testid="verify-failed">
      <Alert
        type="error"
        showIcon
        role="alert"
        title={t(`校验失败：发现 ${total} 处不一致`, `Verification failed: ${total} differences found`)}
        description={
          <>
            {summary}
            {r.more > 0 && <div>{t(`仅列出前 ${r.divergences.length} 处。`, `Only the first ${r.divergences.length} are listed.`)}</div>}
          </>
        }
      />
      <Table<Divergence>
        rowKey={(d) => `${d.kind}-${d.position}-${d.detail}`}
        size="small"
        style={{ marginTop: 8 }}
        data-testid="divergences"
        dataSource={r.divergences}
        pagination={false}
        scroll={{ x: 'max-content' }}
        columns={[
          {
            key: 'k',
            title: t('类型', 'Kind'),
            render: (_, d) => <Tag color="error">{kindNames[d.kind] ? t(...kindNames[d.kind]) : d.kind}</Tag>,
          },
          { key: 'p', title: t('位置', 'Position'), render: (_, d) => <Typography.Text type="danger">{d.position}</Typography.Text> },
          { key: 'd', title: t('详情', 'Detail'), render: (_, d) => <Typography.Text type="danger" style={{ fontSize: 12 }}>{d.detail}</Typography.Text> },
        ]}
      />
    </div>
  );
}

/** The backups in the backup directory, each checked against its manifest on demand. */
function BackupsCard() {
  const t = useT();
  const { message } = App.useApp();
  const q = useQuery({ queryKey: ['/backups'], queryFn: () => get<Backups>('/backups') });
  const [checks, setChecks] = useState<Record<string, Check>>({});
  const [checking, setChecking] = useState('');
  const check = async (name: string) => {
    setChecking(name);
    try {
      const r = await call<Check>('POST', `/backups/${encodeURIComponent(name)}/check`);
      setChecks((c) => ({ ...c, [name]: r.data }));
      if (r.data.ok) message.success(t('备份完整：所有文件与清单一致', 'The backup is whole: every file matches its manifest'));
      else message.error(t('备份与清单不符', 'The backup does not match its manifest'));
    } catch (e) {
      message.error(problemText(e));
    } finally {
      setChecking('');
    }
  };
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  const b = q.data;
  return (
    <Card title={t('备份', 'Backups')} loading={q.isLoading} style={{ marginTop: 16 }} data-testid="backups-card">
      {b && (
        <>
          {!b.managed && (
            <Alert
              type="info"
              showIcon
              style={{ marginBottom: 12 }}
              data-testid="backups-unmanaged"
              title={t(
                `当前存储为 ${b.eventStore} / ${b.readModels}：Chronicle 不负责其备份，请使用数据库自身的备份工具（见运维文档）。`,
                `The stores are ${b.eventStore} / ${b.readModels}: Chronicle does not back them up; use the databases' own backup tools (see the operations guide).`,
              )}
            />
          )}
          <Descriptions size="small" column={{ xs: 1, md: 3 }} bordered data-testid="backup-settings">
            <Descriptions.Item label={t('计划', 'Schedule')}>{b.settings.schedule === 'off' ? t('关闭', 'off') : t(`每天 ${b.settings.schedule}`, `daily at ${b.settings.schedule}`)}</Descriptions.Item>
            <Descriptions.Item label={t('目录', 'Directory')}><span style={mono}>{b.settings.dir}</span></Descriptions.Item>
            <Descriptions.Item label={t('保留份数', 'Kept')}>{b.settings.keep}</Descriptions.Item>
          </Descriptions>
          <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
            {t(
              '这些设置来自环境变量 CHRONICLE_BACKUP_SCHEDULE、CHRONICLE_BACKUP_DIR、CHRONICLE_BACKUP_KEEP，修改后需重启服务，此处只读。',
              'These settings come from the environment variables CHRONICLE_BACKUP_SCHEDULE, CHRONICLE_BACKUP_DIR and CHRONICLE_BACKUP_KEEP; change them and restart the server. They are read-only here.',
            )}
          </Typography.Paragraph>
          <Table<Backup>
            rowKey="name"
            size="small"
            data-testid="backups"
            dataSource={b.items}
            pagination={false}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: t('备份目录中没有备份', 'No backups in the backup directory') }}
            columns={[
              { key: 'n', title: t('名称', 'Name'), render: (_, x) => <span style={mono}>{x.name}</span> },
              { key: 't', title: t('时间', 'Time'), render: (_, x) => fmtTime(x.createdAt) },
              { key: 'v', title: t('版本', 'Version'), dataIndex: 'version' },
              { key: 'h', title: t('日志位置', 'Head position'), dataIndex: 'head' },
              { key: 'e', title: t('事件数', 'Events'), dataIndex: 'events' },
              { key: 's', title: t('大小', 'Size'), render: (_, x) => fmtBytes(x.bytes) },
              {
                key: 'ok',
                title: t('清单', 'Manifest'),
                render: (_, x) => {
                  const c = checks[x.name];
                  if (c)
                    return c.ok ? (
                      <Tag color="success" data-testid={`checked-${x.name}`}>{t('已核对哈希：完整', 'hashes checked: whole')}</Tag>
                    ) : (
                      <span data-testid={`checked-${x.name}`}>
                        <Tag color="error">{t('哈希不符', 'hash mismatch')}</Tag>
                        <Typography.Text type="danger" style={{ fontSize: 12 }}>{c.problem}</Typography.Text>
                      </span>
                    );
                  return x.ok ? (
                    <Tag color="success">{t('文件齐全', 'files present')}</Tag>
                  ) : (
                    <span>
                      <Tag color="error">{t('有问题', 'damaged')}</Tag>
                      <Typography.Text type="danger" style={{ fontSize: 12 }}>{x.problem}</Typography.Text>
                    </span>
                  );
                },
              },
              {
                key: 'a',
                title: t('操作', 'Actions'),
                render: (_, x) => (
                  <Button size="small" loading={checking === x.name} disabled={checking !== '' && checking !== x.name} onClick={() => void check(x.name)} data-testid={`check-${x.name}`}>
                    {t('检查', 'Check')}
                  </Button>
                ),
              },
            ]}
          />
        </>
      )}
    </Card>
  );
}

/** The administrators' compliance screen: the tamper-evident log and the backups. */
type Erasure = Schemas['Erasure'];

/** The erasures of personal data made (privacy.erase): whose, why, by whom, when, and whether the
 * key is destroyed. An erasure is made on the lead's or the contact's own page. */
function ErasuresCard() {
  const t = useT();
  const q = useQuery({ queryKey: ['/privacy/erasures'], queryFn: () => get<Schemas['ErasureList']>('/privacy/erasures?limit=100') });
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  return (
    <Card title={t('个人信息删除记录', 'Erasures of personal data')} loading={q.isLoading} data-testid="erasures-card" style={{ marginTop: 16 }}>
      <Typography.Paragraph type="secondary">
        {t(
          '在线索或联系人页面上删除其个人信息（《个人信息保护法》第四十七条、GDPR 第 17 条）：其密钥被销毁，个人字段此后显示为“已删除”，操作日志的哈希链仍可校验。',
          "Erase a lead's or a contact's personal data on its page (PIPL Art. 47, GDPR Art. 17): its key is destroyed, its personal fields read as erased from then on, and the operation log's hash chain still verifies.",
        )}
      </Typography.Paragraph>
      <Table<Erasure>
        rowKey="position"
        size="small"
        data-testid="erasures"
        dataSource={q.data?.items ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('尚无删除记录', 'No erasures yet') }}
        columns={[
          { key: 'at', title: t('时间', 'When'), render: (_, e) => fmtTime(e.at) },
          {
            key: 'subject',
            title: t('对象', 'Subject'),
            render: (_, e) => (
              <Link to={`/${e.subject.kind === 'lead' ? 'leads' : 'contacts'}/${e.subject.id}`}>
                {e.subject.kind === 'lead' ? t('线索', 'Lead') : t('联系人', 'Contact')} {e.subject.id.slice(0, 8)}
              </Link>
            ),
          },
          { key: 'reason', title: t('原因', 'Reason'), dataIndex: 'reason' },
          { key: 'by', title: t('操作人', 'By'), render: (_, e) => e.by.name || e.by.id },
          {
            key: 'key',
            title: t('密钥', 'Key'),
            render: (_, e) =>
              e.keyDestroyed ? <Tag color="success">{t('已销毁', 'destroyed')}</Tag> : <Tag color="error">{t('未销毁：请再次删除以完成', 'not destroyed: erase again to finish')}</Tag>,
          },
        ]}
      />
    </Card>
  );
}

export default function Compliance() {
  const t = useT();
  const s = useSession();
  return (
    <div>
      <Typography.Title level={1} style={{ fontSize: 20, marginTop: 0 }}>{t('合规', 'Compliance')}</Typography.Title>
      {s.can('audit.read') && <ChainCard />}
      {s.can('settings.manage') && <BackupsCard />}
      {s.can('privacy.erase') && <ErasuresCard />}
    </div>
  );
}
