// The announcements (公告) page: the list addressed to the user (pinned first, then the newest;
// unread ones in bold with a badge; keyword search; unread only), the unread count, and for
// publishers (announcements.publish) every announcement, the publish and edit form (audience:
// everyone or departments; pinned; expiry), pin, withdraw and the read receipts. Opening one
// (/announcements/:id) shows it in a drawer, its Markdown rendered safely, and marks it read.
import { useEffect, useState } from 'react';
import { App, Badge, Button, DatePicker, Drawer, Empty, Form, Input, Modal, Popconfirm, Radio, Select, Space, Spin, Switch, Table, Tabs, Tag, Typography } from 'antd';
import { PlusOutlined, PushpinOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { useNavigate, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  announcementsKey,
  editAnnouncement,
  fetchAnnouncement,
  fetchAnnouncements,
  fetchReceipts,
  fetchUnread,
  markAnnouncementRead,
  publishAnnouncement,
  setPinned,
  withdrawAnnouncement,
  type Announcement,
  type AnnouncementSummary,
  type AnnouncementView,
} from '../api/announcements';
import { get, type Page, type Schemas } from '../api/client';
import { Markdown } from '../components/Markdown';
import { useT } from '../i18n';
import { useSession } from '../session';
import { fmtTime } from '../util';

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export default function Announcements() {
  const t = useT();
  const s = useSession();
  const nav = useNavigate();
  const { id } = useParams();
  const publisher = s.isAdmin || s.can('announcements.publish');
  const [view, setView] = useState<AnnouncementView>('mine');
  const [q, setQ] = useState('');
  const [unread, setUnread] = useState(false);
  const [cursor, setCursor] = useState<string | undefined>();
  const [form, setForm] = useState<{ edit?: Announcement } | null>(null);
  useEffect(() => setCursor(undefined), [view, q, unread]);
  const list = useQuery({
    queryKey: [...announcementsKey, 'list', view, q, unread, cursor],
    queryFn: () => fetchAnnouncements({ view, q, unread, cursor }),
  });
  const count = useQuery({ queryKey: [...announcementsKey, 'unread'], queryFn: fetchUnread });

  return (
    <div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginBottom: 12 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
          {t('公告', 'Announcements')}
        </Typography.Title>
        {count.data && count.data.count > 0 && (
          <Tag color="red" data-testid="announcements-unread">
            {t(`${count.data.count}${count.data.exact ? '' : '+'} 条未读`, `${count.data.count}${count.data.exact ? '' : '+'} unread`)}
          </Tag>
        )}
        <div style={{ flex: 1 }} />
        {publisher && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setForm({})}>
            {t('发布公告', 'Publish')}
          </Button>
        )}
      </div>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search allowClear placeholder={t('搜索标题', 'Search titles')} aria-label={t('搜索标题', 'Search titles')} onSearch={(v) => setQ(v.trim())} style={{ width: 240 }} />
        <Space>
          <Switch checked={unread} onChange={setUnread} aria-label={t('只看未读', 'Unread only')} />
          <span>{t('只看未读', 'Unread only')}</span>
        </Space>
        {publisher && (
          <Radio.Group value={view} onChange={(e) => setView(e.target.value)} optionType="button"
            options={[{ value: 'mine', label: t('发给我的', 'For me') }, { value: 'all', label: t('全部（含已过期）', 'All (expired too)') }]} />
        )}
      </Space>
      {list.isError ? (
        <Typography.Text type="danger">{errText(list.error)}</Typography.Text>
      ) : (
        <Spin spinning={list.isLoading}>
          {(list.data?.items ?? []).length === 0 ? (
            <Empty description={t('暂无公告', 'No announcements')} />
          ) : (
            <ul style={{ listStyle: 'none', margin: 0, padding: 0 }}>
              {(list.data?.items ?? []).map((a: AnnouncementSummary) => (
                <li key={a.id} data-testid="announcement-row" style={{ cursor: 'pointer', padding: '12px 0', borderBottom: '1px solid #f0f0f0' }}
                  onClick={() => nav(`/announcements/${a.id}`)}>
                  <Space wrap>
                    {!a.read && <Badge status="error" aria-label={t('未读', 'Unread')} />}
                    <a href={`/announcements/${a.id}`} onClick={(e) => e.preventDefault()} style={{ fontWeight: a.read ? 'normal' : 'bold' }}>
                      {a.title}
                    </a>
                    {a.pinned && <Tag icon={<PushpinOutlined />} color="gold">{t('置顶', 'Pinned')}</Tag>}
                    {a.expired && <Tag>{t('已过期', 'Expired')}</Tag>}
                  </Space>
                  <div style={{ color: '#595959', marginTop: 4 }}>
                    <Space wrap size="middle">
                      <span>{a.publisherName}</span>
                      <span>{fmtTime(a.publishedAt)}</span>
                      {a.expiresAt && <span>{t('有效期至 ', 'Until ')}{fmtTime(a.expiresAt)}</span>}
                    </Space>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </Spin>
      )}
      {(cursor || list.data?.nextCursor) && (
        <Space style={{ marginTop: 8 }}>
          {cursor && <Button onClick={() => setCursor(undefined)}>{t('回到第一页', 'First page')}</Button>}
          {list.data?.nextCursor && <Button onClick={() => setCursor(list.data?.nextCursor)}>{t('下一页', 'Next page')}</Button>}
        </Space>
      )}
      {id && <Detail id={id} publisher={publisher} onClose={() => nav('/announcements')} onEdit={(a) => setForm({ edit: a })} />}
      {form && <AnnouncementForm edit={form.edit} onDone={() => setForm(null)} />}
    </div>
  );
}

/** One announcement in a drawer: marks it read on open; publishers pin, edit, withdraw and see who read it. */
function Detail({ id, publisher, onClose, onEdit }: { id: string; publisher: boolean; onClose: () => void; onEdit: (a: Announcement) => void }) {
  const t = useT();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const a = useQuery({ queryKey: [...announcementsKey, 'one', id], queryFn: () => fetchAnnouncement(id), retry: false });
  const refresh = () => qc.invalidateQueries({ queryKey: announcementsKey });
  const read = useMutation({
    mutationFn: () => markAnnouncementRead(id),
    onSuccess: (v) => {
      qc.setQueryData([...announcementsKey, 'one', id], v);
      void qc.invalidateQueries({ queryKey: [...announcementsKey, 'list'] });
      void qc.invalidateQueries({ queryKey: [...announcementsKey, 'unread'] });
    },
  });
  const loaded = a.data?.id === id;
  const unread = loaded && !a.data?.read;
  useEffect(() => {
    if (unread && !read.isPending && !read.isSuccess) read.mutate();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [unread]);
  const pin = useMutation({
    mutationFn: (p: boolean) => setPinned(id, p),
    onSuccess: () => void refresh(),
    onError: (e) => message.error(errText(e)),
  });
  const withdraw = useMutation({
    mutationFn: () => withdrawAnnouncement(id),
    onSuccess: () => {
      message.success(t('公告已撤回', 'Announcement withdrawn'));
      void refresh();
      onClose();
    },
    onError: (e) => message.error(errText(e)),
  });
  const v = a.data;
  const content = v ? (
    <div>
      <Space wrap style={{ marginBottom: 12, color: '#595959' }}>
        <span>{v.publisherName}</span>
        <span>{fmtTime(v.publishedAt)}</span>
        {v.pinned && <Tag icon={<PushpinOutlined />} color="gold">{t('置顶', 'Pinned')}</Tag>}
        {v.expiresAt && <span>{t('有效期至 ', 'Until ')}{fmtTime(v.expiresAt)}</span>}
        {v.expired && <Tag>{t('已过期', 'Expired')}</Tag>}
      </Space>
      <Markdown source={v.body} />
    </div>
  ) : null;
  return (
    <Drawer open title={v?.title ?? t('公告', 'Announcement')} size={640} onClose={onClose}
      extra={publisher && v ? (
        <Space>
          <Button onClick={() => pin.mutate(!v.pinned)} loading={pin.isPending}>{v.pinned ? t('取消置顶', 'Unpin') : t('置顶', 'Pin')}</Button>
          <Button onClick={() => onEdit(v)}>{t('编辑', 'Edit')}</Button>
          <Popconfirm title={t('撤回后所有人都看不到这条公告。确定撤回？', 'Nobody will see it any more. Withdraw it?')} onConfirm={() => withdraw.mutate()}>
            <Button danger loading={withdraw.isPending}>{t('撤回', 'Withdraw')}</Button>
          </Popconfirm>
        </Space>
      ) : undefined}>
      {a.isLoading ? <Spin /> : a.isError ? (
        <Empty description={t('公告不存在、已撤回或已过期', 'This announcement does not exist, was withdrawn or has expired')} />
      ) : publisher ? (
        <Tabs items={[{ key: 'content', label: t('内容', 'Content'), children: content },
          { key: 'receipts', label: t('阅读情况', 'Read receipts'), children: <Receipts id={id} /> }]} />
      ) : content}
    </Drawer>
  );
}

/** Who has read it, and how many of its audience have not. */
function Receipts({ id }: { id: string }) {
  const t = useT();
  const [cursor, setCursor] = useState<string | undefined>();
  const r = useQuery({ queryKey: [...announcementsKey, 'receipts', id, cursor], queryFn: () => fetchReceipts(id, cursor) });
  if (r.isLoading) return <Spin />;
  if (r.isError) return <Typography.Text type="danger">{errText(r.error)}</Typography.Text>;
  const d = r.data!;
  return (
    <div>
      <Space size="large" style={{ marginBottom: 12 }} data-testid="receipt-counts">
        <span>{t(`发送对象 ${d.audience} 人`, `Audience: ${d.audience}`)}</span>
        <span>{t(`已读 ${d.read} 人`, `Read: ${d.read}`)}</span>
        <span>{t(`未读 ${d.unread} 人`, `Not read: ${d.unread}`)}</span>
      </Space>
      <Table size="small" rowKey="userId" pagination={false} dataSource={d.items}
        columns={[{ key: 'userName', dataIndex: 'userName', title: t('阅读人', 'Reader') },
          { key: 'at', dataIndex: 'at', title: t('阅读时间', 'Read at'), render: (v: string) => fmtTime(v) }]} />
      {d.nextCursor && <Button style={{ marginTop: 8 }} onClick={() => setCursor(d.nextCursor)}>{t('更多', 'More')}</Button>}
    </div>
  );
}

interface FormValues {
  title: string;
  body: string;
  audience: 'everyone' | 'departments';
  departments?: string[];
  pinned?: boolean;
  expiresAt?: dayjs.Dayjs | null;
}

/** The publish form, or the edit form of an announcement (title, body, expiry; the audience is fixed). */
export function AnnouncementForm({ edit, onDone }: { edit?: Announcement; onDone: () => void }) {
  const t = useT();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [f] = Form.useForm<FormValues>();
  const audience = Form.useWatch('audience', f);
  const depts = useQuery({ queryKey: ['departments'], queryFn: () => get<Page<Schemas['Department']>>('/departments'), enabled: !edit });
  const save = useMutation({
    mutationFn: async (v: FormValues) => {
      const expiresAt = v.expiresAt ? v.expiresAt.toISOString() : undefined;
      if (edit) return editAnnouncement(edit.id, { title: v.title, body: v.body, expiresAt: expiresAt ?? null }, edit.version);
      return publishAnnouncement({ title: v.title, body: v.body, pinned: !!v.pinned, expiresAt,
        audience: v.audience === 'everyone' ? { everyone: true } : { everyone: false, departments: v.departments ?? [] } });
    },
    onSuccess: () => {
      message.success(edit ? t('公告已保存', 'Announcement saved') : t('公告已发布', 'Announcement published'));
      void qc.invalidateQueries({ queryKey: announcementsKey });
      onDone();
    },
    onError: (e) => message.error(errText(e)),
  });
  return (
    <Modal open title={edit ? t('编辑公告', 'Edit announcement') : t('发布公告', 'Publish an announcement')} width={680}
      okText={edit ? t('保存', 'Save') : t('发布', 'Publish')} cancelText={t('取消', 'Cancel')} confirmLoading={save.isPending}
      onOk={() => f.submit()} onCancel={onDone} destroyOnHidden>
      <Form form={f} layout="vertical" onFinish={(v) => save.mutate(v)}
        initialValues={edit ? { title: edit.title, body: edit.body, audience: edit.audience.everyone ? 'everyone' : 'departments', pinned: edit.pinned,
          expiresAt: edit.expiresAt ? dayjs(edit.expiresAt) : null } : { audience: 'everyone', pinned: false }}>
        <Form.Item name="title" label={t('标题', 'Title')} rules={[{ required: true, whitespace: true, message: t('请填写标题', 'Enter a title') },
          { max: 200, message: t('标题最多 200 个字', 'At most 200 characters') }]}>
          <Input />
        </Form.Item>
        <Form.Item name="body" label={t('正文（支持 Markdown）', 'Body (Markdown)')} rules={[{ required: true, whitespace: true, message: t('请填写正文', 'Enter the body') },
          { max: 20000, message: t('正文最多 20000 个字', 'At most 20,000 characters') }]}>
          <Input.TextArea rows={8} />
        </Form.Item>
        {!edit && (
          <>
            <Form.Item name="audience" label={t('发送对象', 'Audience')}>
              <Radio.Group options={[{ value: 'everyone', label: t('全体员工', 'Everyone') }, { value: 'departments', label: t('指定部门（含下级部门）', 'Departments (with their sub-departments)') }]} />
            </Form.Item>
            {audience === 'departments' && (
              <Form.Item name="departments" label={t('部门', 'Departments')} rules={[{ required: true, type: 'array', min: 1, message: t('请选择至少一个部门', 'Choose at least one department') }]}>
                <Select mode="multiple" loading={depts.isLoading} optionFilterProp="label"
                  options={(depts.data?.items ?? []).filter((d) => !d.disabled).map((d) => ({ value: d.id, label: d.name }))} />
              </Form.Item>
            )}
            <Form.Item name="pinned" label={t('置顶', 'Pinned')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </>
        )}
        <Form.Item name="expiresAt" label={t('有效期至（可不填）', 'Expires (optional)')}
          rules={[{ validator: (_, v?: dayjs.Dayjs | null) => (!v || v.isAfter(dayjs()) ? Promise.resolve() : Promise.reject(new Error(t('有效期须晚于现在', 'Must be in the future')))) }]}>
          <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
