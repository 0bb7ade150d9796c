import { useState } from 'react';
import { Button, Card, Form, Input, Modal, Select, Space, Switch, Table, Tabs, Tag, Typography } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { call, get, type Page, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { useSession } from '../session';

type List = Schemas['DictionaryList'];
type Item = Schemas['DictionaryItem'];

/** The lists' names, in both languages. */
export const kindNames: Record<string, [string, string]> = {
  lead_source: ['线索来源', 'Lead sources'],
  industry: ['行业', 'Industries'],
  customer_level: ['客户级别', 'Customer levels'],
  customer_class: ['客户分类', 'Customer classifications'],
  business_nature: ['企业性质', 'Nature of business'],
  opportunity_source: ['商机来源', 'Opportunity sources'],
  lost_reason: ['输单原因', 'Lost reasons'],
  product_unit: ['产品单位', 'Product units'],
  payment_method: ['付款方式', 'Payment methods'],
  contract_type: ['合同类型', 'Contract types'],
};

/** The dictionary's lists; forms and filters offer their enabled items. */
export function useDictionaries() {
  return useQuery({ queryKey: ['dictionaries'], queryFn: () => get<Page<List>>('/dictionaries'), staleTime: 60_000 });
}

/** An item's label in the user's language (English falls back to Chinese). */
export function itemLabel(it: Item, lang: string) {
  return lang === 'en' && it.labels.en ? it.labels.en : it.labels['zh-CN'];
}

type Editing = { mode: 'add' } | { mode: 'edit'; item: Item };

function ListEditor({ list }: { list: List }) {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const run = useCommand();
  const [editing, setEditing] = useState<Editing | null>(null);
  const [form] = Form.useForm();
  const canManage = s.can('settings.manage');
  const base = `/dictionaries/${list.kind}`;
  // The version to match; a list still at its built-in items (version 0) has none to send.
  const pin = list.version > 0 ? list.version : undefined;
  const siblings = (it: Item) => list.items.filter((x) => (x.parent ?? '') === (it.parent ?? ''));
  const move = async (it: Item, by: -1 | 1) => {
    const sib = siblings(it).map((x) => x.code);
    const i = sib.indexOf(it.code);
    const j = i + by;
    if (j < 0 || j >= sib.length) return;
    [sib[i], sib[j]] = [sib[j], sib[i]];
    await run(() => call('PUT', `${base}/order`, { body: { parent: it.parent ?? '', codes: sib }, ifMatch: pin }), { success: t('已调整顺序', 'Reordered') }).catch(() => undefined);
  };
  const toggle = async (it: Item, on: boolean) => {
    await run(() => call('POST', `${base}/items/${encodeURIComponent(it.code)}/${on ? 'enable' : 'disable'}`, { ifMatch: pin }), {
      success: on ? t('已启用', 'Enabled') : t('已停用', 'Disabled'),
    }).catch(() => undefined);
  };
  const open = (e: Editing) => {
    form.resetFields();
    if (e.mode === 'edit') form.setFieldsValue({ labels: { 'zh-CN': e.item.labels['zh-CN'], en: e.item.labels.en } });
    setEditing(e);
  };
  const save = async () => {
    const v = await form.validateFields();
    const labels = { 'zh-CN': v.labels['zh-CN'], en: v.labels.en ?? '' };
    const r = await run(
      () =>
        editing?.mode === 'edit'
          ? call('PATCH', `${base}/items/${encodeURIComponent(editing.item.code)}`, { body: { labels }, ifMatch: pin })
          : call('POST', `${base}/items`, { body: { code: v.code, parent: v.parent ?? '', labels }, ifMatch: pin }),
      { form, success: t('已保存', 'Saved') },
    ).catch(() => undefined);
    if (r) setEditing(null);
  };
  const sectors = list.items.filter((x) => !x.parent);
  return (
    <Card
      title={
        <Space>
          {t(...kindNames[list.kind])}
          <Typography.Text type="secondary" style={{ fontWeight: 'normal' }}>{t(`版本 ${list.version}`, `version ${list.version}`)}</Typography.Text>
        </Space>
      }
      extra={canManage && <Button type="primary" onClick={() => open({ mode: 'add' })} data-testid="dict-add">{t('添加选项', 'Add item')}</Button>}
    >
      <Table<Item>
        rowKey="code"
        size="small"
        pagination={false}
        dataSource={list.items}
        data-testid="dict-items"
        columns={[
          {
            title: t('名称', 'Label'),
            key: 'label',
            render: (_, it) => (
              <span style={{ paddingLeft: it.parent ? 24 : 0 }}>
                {itemLabel(it, lang)}
                {!it.enabled && <Tag style={{ marginLeft: 8 }}>{t('已停用', 'Disabled')}</Tag>}
              </span>
            ),
          },
          { title: t('中文', 'Chinese'), key: 'zh', render: (_, it) => it.labels['zh-CN'], responsive: ['md'] },
          { title: t('英文', 'English'), key: 'en', render: (_, it) => it.labels.en, responsive: ['md'] },
          { title: t('编码', 'Code'), dataIndex: 'code', render: (c: string) => <Typography.Text code>{c}</Typography.Text> },
          {
            title: t('启用', 'Enabled'),
            key: 'enabled',
            render: (_, it) => (
              <Switch size="small" checked={it.enabled} disabled={!canManage} aria-label={t(`启用 ${it.labels['zh-CN']}`, `Enable ${it.labels.en || it.labels['zh-CN']}`)}
                onChange={(on) => void toggle(it, on)} />
            ),
          },
          ...(canManage
            ? [
                {
                  title: t('操作', 'Actions'),
                  key: 'actions',
                  render: (_: unknown, it: Item) => {
                    const sib = siblings(it);
                    const i = sib.findIndex((x) => x.code === it.code);
                    return (
                      <Space size={4}>
                        <Button size="small" icon={<ArrowUpOutlined />} disabled={i === 0} aria-label={t(`上移 ${it.labels['zh-CN']}`, `Move ${it.code} up`)} onClick={() => void move(it, -1)} />
                        <Button size="small" icon={<ArrowDownOutlined />} disabled={i === sib.length - 1} aria-label={t(`下移 ${it.labels['zh-CN']}`, `Move ${it.code} down`)} onClick={() => void move(it, 1)} />
                        <Button size="small" onClick={() => open({ mode: 'edit', item: it })}>{t('改名', 'Rename')}</Button>
                      </Space>
                    );
                  },
                },
              ]
            : []),
        ]}
      />
      <Modal
        open={editing !== null}
        title={editing?.mode === 'edit' ? t(`改名：${editing.item.code}`, `Rename ${editing.item.code}`) : t('添加选项', 'Add item')}
        okText={t('保存', 'Save')}
        cancelText={t('取消', 'Cancel')}
        onOk={() => void save()}
        onCancel={() => setEditing(null)}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" preserve={false} onFinish={() => void save()}>
          {editing?.mode === 'add' && (
            <>
              <Form.Item name="code" label={t('编码', 'Code')} extra={t('记录保存的是编码，创建后不能修改', 'Records store the code; it never changes')}
                rules={[{ required: true, pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/, message: t('1–40 个字母、数字、_ . -', '1–40 letters, digits, _ . -') }]}>
                <Input autoFocus />
              </Form.Item>
              {list.levels > 1 && (
                <Form.Item name="parent" label={t('上级', 'Parent')}>
                  <Select allowClear placeholder={t('（顶级）', '(top level)')} options={sectors.map((x) => ({ value: x.code, label: itemLabel(x, lang) }))} />
                </Form.Item>
              )}
            </>
          )}
          <Form.Item name={['labels', 'zh-CN']} label={t('中文名称', 'Chinese label')} rules={[{ required: true, max: 50 }]}>
            <Input autoFocus={editing?.mode === 'edit'} />
          </Form.Item>
          <Form.Item name={['labels', 'en']} label={t('英文名称', 'English label')} rules={[{ max: 50 }]}>
            <Input />
          </Form.Item>
          <button type="submit" hidden />
        </Form>
      </Modal>
    </Card>
  );
}

/** The data dictionary editor: one tab per list. */
export default function Dictionaries() {
  const t = useT();
  const q = useDictionaries();
  const [kind, setKind] = useState('lead_source');
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  const lists = q.data?.items ?? [];
  const current = lists.find((l) => l.kind === kind);
  return (
    <div>
      <Typography.Paragraph type="secondary">
        {t('下拉选项由管理员维护。选项不会被删除：停用后不再供新记录选择，已使用它的记录仍显示其名称。',
          'Administrators edit the pick lists. An item is never deleted: once disabled it is no longer offered, and records that hold it keep showing its name.')}
      </Typography.Paragraph>
      <Tabs
        activeKey={kind}
        onChange={setKind}
        items={lists.map((l) => ({ key: l.kind, label: t(...kindNames[l.kind]) }))}
      />
      {current && <ListEditor list={current} />}
    </div>
  );
}
