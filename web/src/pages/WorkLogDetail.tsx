// A work log: its texts and linked records, its recipients with their read receipts, its comments
// and its history. A recipient opening it records the read receipt (once; the server ignores the
// rest). The writer edits it (at the version shown, If-Match) until the first comment, and
// submits a draft.
import { useEffect, useRef, useState } from 'react';
import { Alert, Button, Card, Col, Descriptions, Empty, Input, Row, Space, Spin, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { call, get } from '../api/client';
import type { WorkLog, WorkLogComment, WorkLogReceipt } from '../api/worklogs';
import { ErrorState } from '../components/States';
import { HistoryView } from '../components/common';
import { useLang, useT } from '../i18n';
import { label, taskRelatedKind } from '../labels';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { relatedPath } from './taskCommon';
import { WorkLogForm, WorkLogKindTag, WorkLogStatusTag, periodText, useWorkLogCommand } from './worklogCommon';

function Receipts({ log }: { log: WorkLog }) {
  const t = useT();
  const path = `/worklogs/${log.id}/receipts`;
  const q = useQuery({ queryKey: [path, log.readCount], queryFn: () => get<{ items: WorkLogReceipt[] }>(path), enabled: log.status === 'submitted' });
  if (log.status !== 'submitted') return <Card title={t('接收人', 'Recipients')}><Typography.Text type="secondary">{t('提交后显示', 'Shown once submitted')}</Typography.Text></Card>;
  return (
    <Card title={t(`接收人（已读 ${log.readCount}/${log.recipientCount}）`, `Recipients (read ${log.readCount}/${log.recipientCount})`)} data-testid="worklog-receipts">
      {(q.data?.items ?? []).map((r) => (
        <div key={r.userId} data-testid="receipt" style={{ display: 'flex', justifyContent: 'space-between', padding: '4px 0' }}>
          <span>{r.name || r.userId.slice(0, 8)}</span>
          <Typography.Text type={r.readAt ? 'success' : 'secondary'}>{r.readAt ? t(`已读 ${fmtTime(r.readAt)}`, `Read ${fmtTime(r.readAt)}`) : t('未读', 'Unread')}</Typography.Text>
        </div>
      ))}
    </Card>
  );
}

function Comments({ log }: { log: WorkLog }) {
  const t = useT();
  const run = useWorkLogCommand();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const path = `/worklogs/${log.id}/comments`;
  const q = useQuery({ queryKey: [path, log.commentCount], queryFn: () => get<{ items: WorkLogComment[] }>(path), enabled: log.status === 'submitted' });
  const post = async () => {
    const v = text.trim();
    if (!v) return;
    setBusy(true);
    try {
      const r = await run(() => call<WorkLog>('POST', path, { body: { text: v } }), { success: t('已发表', 'Posted') });
      if (r !== undefined) setText('');
    } catch {
      /* reported */
    } finally {
      setBusy(false);
    }
  };
  if (log.status !== 'submitted') return null;
  return (
    <Card title={t(`评论（${log.commentCount}）`, `Comments (${log.commentCount})`)} data-testid="worklog-comments">
      {(q.data?.items ?? []).length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('还没有评论', 'No comments yet')} />
      ) : (
        (q.data?.items ?? []).map((c) => (
          <div key={c.id} data-testid="worklog-comment" style={{ padding: '6px 0', borderBottom: '1px solid #f0f0f0' }}>
            <Typography.Text strong>{c.byName}</Typography.Text> <Typography.Text type="secondary">{fmtTime(c.at)}</Typography.Text>
            <div style={{ whiteSpace: 'pre-wrap' }}>{c.text}</div>
          </div>
        ))
      )}
      <Space.Compact style={{ width: '100%', marginTop: 8 }}>
        <Input.TextArea value={text} maxLength={2000} autoSize={{ minRows: 1, maxRows: 4 }} placeholder={t('写评论…', 'Write a comment…')}
          aria-label={t('评论', 'Comment')} onChange={(e) => setText(e.target.value)} />
        <Button type="primary" onClick={() => void post()} loading={busy} disabled={!text.trim()} data-testid="worklog-comment-post">
          {t('发表', 'Post')}
        </Button>
      </Space.Compact>
    </Card>
  );
}

export default function WorkLogDetail() {
  const { id } = useParams();
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const qc = useQueryClient();
  const run = useWorkLogCommand();
  const [editing, setEditing] = useState(false);
  const q = useQuery({ queryKey: ['/worklogs', id], queryFn: () => get<WorkLog>(`/worklogs/${id}`), enabled: !!id });
  const log = q.data;
  const marked = useRef('');
  // a recipient opening an unread log records the receipt (once per page)
  useEffect(() => {
    if (!log || !log.unread || marked.current === log.id) return;
    marked.current = log.id;
    void call('POST', `/worklogs/${log.id}/read`)
      .then(() => qc.invalidateQueries({ queryKey: ['/worklogs'] }))
      .catch(() => undefined);
  }, [log, qc]);
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  if (!log) return <Spin />;
  const mine = log.writerId === s.user.id;
  const en = lang === 'en';
  const text = (v: string) => (v ? <div style={{ whiteSpace: 'pre-wrap' }}>{v}</div> : <Typography.Text type="secondary">—</Typography.Text>);
  return (
    <div data-testid="worklog-detail">
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginBottom: 12 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
          {`${log.writerName} · ${periodText(log.kind, log.period, en)}`}
        </Typography.Title>
        <WorkLogKindTag kind={log.kind} />
        <WorkLogStatusTag status={log.status} />
        <div style={{ flex: 1 }} />
        {mine && log.editable && (
          <Button onClick={() => setEditing(true)} data-testid="worklog-edit">{t('编辑', 'Edit')}</Button>
        )}
        {mine && log.status === 'draft' && (
          <Button type="primary" data-testid="worklog-submit-draft"
            onClick={() => void run(() => call<WorkLog>('POST', `/worklogs/${log.id}/submit`), { success: t('日志已提交', 'Log submitted') }).catch(() => undefined)}>
            {t('提交', 'Submit')}
          </Button>
        )}
      </div>
      {mine && !log.editable && <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('日志已有评论，不能再修改', 'The log has comments and can no longer be edited')} />}
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={16}>
          <Card>
            <Descriptions column={1} bordered size="small">
              <Descriptions.Item label={t('工作内容', 'Work done')}>{text(log.workDone)}</Descriptions.Item>
              <Descriptions.Item label={t('工作计划', 'Plan')}>{text(log.plan)}</Descriptions.Item>
              <Descriptions.Item label={t('问题与困难', 'Problems')}>{text(log.problems)}</Descriptions.Item>
              <Descriptions.Item label={t('关联记录', 'Linked records')}>
                {log.links.length === 0 ? '—' : (
                  <Space wrap>
                    {log.links.map((l) => (
                      <span key={l.kind + l.id} data-testid="worklog-link">
                        {label(taskRelatedKind, l.kind, lang)}：<Link to={relatedPath(l.kind, l.id)} style={{ textDecoration: 'underline' }}>{l.name || l.id.slice(0, 8)}</Link>
                      </span>
                    ))}
                  </Space>
                )}
              </Descriptions.Item>
              <Descriptions.Item label={t('提交时间', 'Submitted')}>{log.submittedAt ? fmtTime(log.submittedAt) : '—'}</Descriptions.Item>
            </Descriptions>
          </Card>
        </Col>
        <Col xs={24} lg={8}>
          <Receipts log={log} />
        </Col>
        <Col xs={24}>
          <Comments log={log} />
        </Col>
        <Col xs={24}>
          <Card title={t('历史', 'History')}>
            <HistoryView path={`/worklogs/${log.id}/history`} />
          </Card>
        </Col>
      </Row>
      <WorkLogForm open={editing} log={log} onClose={() => setEditing(false)} onSaved={() => setEditing(false)} />
    </div>
  );
}
