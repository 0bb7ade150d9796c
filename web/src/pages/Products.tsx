import { useEffect, useState } from 'react';
import { App, Button, Card, Dropdown, Empty, Form, Grid, Input, Modal, Select, Space, Spin, Tag, Tree, TreeSelect, Typography } from 'antd';
import { DeleteOutlined, DownloadOutlined, EditOutlined, ImportOutlined, PlusOutlined, DragOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router';
import { call, exportUrl, type Schemas } from '../api/client';
import { DataList, type Col } from '../components/DataList';
import { ClearFilters, useListParams } from '../components/filters';
import { useCommand } from '../components/commands';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { label, productStatus } from '../labels';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { categoryNodes, ProductForm, useCategoryTree, useUnits } from './ProductForm';

type Product = Schemas['Product'];
type Category = Schemas['ProductCategory'];

/** An amount as the API wrote it (exact: the string is shown, never turned into a number). */
export function money(v: string | null | undefined) {
  return v ? `¥${v}` : '';
}

function find(cs: Category[], id: string | null | undefined): Category | undefined {
  for (const c of cs) {
    if (c.id === id) return c;
    const f = find(c.children, id);
    if (f) return f;
  }
  return undefined;
}

/** Every id of the subtree of c (a category may not move under itself). */
function subtree(c: Category): string[] {
  return [c.id, ...c.children.flatMap(subtree)];
}

type Dialog = { mode: 'create'; parentId: string } | { mode: 'rename'; cat: Category } | { mode: 'move'; cat: Category };

/** The category tree: select one to list its subtree; holders of products.manage add, rename, move and delete. */
function CategoryPanel({ selected, onSelect }: { selected?: string; onSelect: (id: string | undefined) => void }) {
  const t = useT();
  const s = useSession();
  const run = useCommand();
  const { modal } = App.useApp();
  const tree = useCategoryTree();
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [form] = Form.useForm();
  const canManage = s.can('products.manage');
  const cats = tree.data?.categories ?? [];
  const current = find(cats, selected);
  useEffect(() => {
    if (!dialog) return;
    form.resetFields();
    if (dialog.mode === 'rename') form.setFieldsValue({ name: dialog.cat.name });
    if (dialog.mode === 'move') form.setFieldsValue({ parentId: dialog.cat.parentId || undefined });
  }, [dialog, form]);

  const save = async (v: { name?: string; parentId?: string }) => {
    if (!dialog) return;
    try {
      let r;
      if (dialog.mode === 'create')
        r = await run(() => call('POST', '/product-categories', { body: { name: (v.name ?? '').trim(), parentId: dialog.parentId } }), { form, success: t('分类已创建', 'Category created') });
      else if (dialog.mode === 'rename')
        r = await run(() => call('PATCH', `/product-categories/${dialog.cat.id}`, { body: { name: (v.name ?? '').trim() } }), { form, success: t('已改名', 'Renamed') });
      else r = await run(() => call('PATCH', `/product-categories/${dialog.cat.id}`, { body: { parentId: v.parentId ?? '' } }), { form, success: t('已移动', 'Moved') });
      if (r !== undefined) setDialog(null);
    } catch {
      /* shown on the form */
    }
  };
  const remove = (c: Category) =>
    modal.confirm({
      title: t('删除分类', 'Delete category'),
      content: t(`确定删除“${c.name}”吗？只有没有子分类和产品的分类可以删除。`, `Delete “${c.name}”? Only a category without sub-categories and products can be deleted.`),
      okText: t('删除', 'Delete'),
      okButtonProps: { danger: true },
      onOk: () =>
        run(() => call('DELETE', `/product-categories/${c.id}`), { success: t('已删除', 'Deleted') })
          .then(() => onSelect(undefined))
          .catch(() => undefined),
    });

  type Node = { key: string; title: React.ReactNode; children: Node[] };
  const nodes = (cs: Category[]): Node[] =>
    cs.map((c) => ({
      key: c.id,
      title: (
        <span data-testid={`category-${c.name}`}>
          {c.name} <Typography.Text type="secondary">({c.totalCount})</Typography.Text>
        </span>
      ),
      children: nodes(c.children),
    }));

  // Where a category may move: anywhere but under itself (the server refuses that too).
  const moveTargets = (c: Category) => {
    const banned = new Set(subtree(c));
    const strip = (ns: ReturnType<typeof categoryNodes>): ReturnType<typeof categoryNodes> =>
      ns.filter((n) => !banned.has(n.value)).map((n) => ({ ...n, children: strip(n.children) }));
    return strip(categoryNodes(cats));
  };

  return (
    <Card size="small" title={t('产品分类', 'Categories')} data-testid="category-panel">
      {tree.error ? (
        <ErrorState error={tree.error} retry={() => void tree.refetch()} />
      ) : tree.isLoading ? (
        <Spin />
      ) : (
        <>
          <Button type={selected ? 'text' : 'link'} size="small" onClick={() => onSelect(undefined)} style={{ paddingLeft: 0 }}>
            {t('全部产品', 'All products')}
          </Button>
          {cats.length ? (
            <Tree
              blockNode
              defaultExpandAll
              selectedKeys={selected ? [selected] : []}
              onSelect={(keys) => onSelect(keys.length ? String(keys[0]) : undefined)}
              treeData={nodes(cats)}
            />
          ) : (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('还没有分类', 'No categories yet')} />
          )}
          {canManage && (
            <Space wrap style={{ marginTop: 8 }}>
              <Button size="small" icon={<PlusOutlined />} onClick={() => setDialog({ mode: 'create', parentId: current?.id ?? '' })} data-testid="category-add">
                {current ? t('添加子分类', 'Add sub-category') : t('添加分类', 'Add category')}
              </Button>
              {current && (
                <>
                  <Button size="small" icon={<EditOutlined />} onClick={() => setDialog({ mode: 'rename', cat: current })}>{t('改名', 'Rename')}</Button>
                  <Button size="small" icon={<DragOutlined />} onClick={() => setDialog({ mode: 'move', cat: current })}>{t('移动', 'Move')}</Button>
                  <Button size="small" danger icon={<DeleteOutlined />} onClick={() => remove(current)}>{t('删除', 'Delete')}</Button>
                </>
              )}
            </Space>
          )}
        </>
      )}
      <Modal
        open={!!dialog}
        title={
          dialog?.mode === 'create'
            ? dialog.parentId
              ? t(`在“${current?.name ?? ''}”下添加子分类`, `Add a sub-category to “${current?.name ?? ''}”`)
              : t('添加分类', 'Add category')
            : dialog?.mode === 'rename'
              ? t('分类改名', 'Rename category')
              : t('移动分类', 'Move category')
        }
        onCancel={() => setDialog(null)}
        onOk={() => form.submit()}
        okText={t('保存', 'Save')}
        cancelText={t('取消', 'Cancel')}
        destroyOnHidden
        forceRender
      >
        <Form form={form} layout="vertical" onFinish={save}>
          {dialog?.mode === 'move' ? (
            <Form.Item name="parentId" label={t('上级分类（留空为顶级）', 'Parent (empty: top level)')}>
              <TreeSelect allowClear treeDefaultExpandAll treeData={moveTargets(dialog.cat)} />
            </Form.Item>
          ) : (
            <Form.Item name="name" label={t('分类名称', 'Category name')} rules={[{ required: true, whitespace: true, message: t('请输入名称', 'Enter a name') }]}>
              <Input />
            </Form.Item>
          )}
        </Form>
      </Modal>
    </Card>
  );
}

/** The catalogue: the category tree on the left, the products of the selected subtree on the right. */
export default function Products() {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const nav = useNavigate();
  const units = useUnits();
  const screens = Grid.useBreakpoint();
  const narrow = screens.lg === false;
  const { sp, query, set, clear } = useListParams();
  const sort = sp.get('sort') ?? undefined;
  const categoryId = sp.get('categoryId') ?? undefined;
  const [creating, setCreating] = useState(false);
  const canManage = s.can('products.manage');
  useEffect(() => {
    const onNew = () => setCreating(true);
    window.addEventListener('chronicle:new', onNew);
    return () => window.removeEventListener('chronicle:new', onNew);
  }, []);

  const columns: Col<Product>[] = [
    { key: 'name', title: t('产品名称', 'Name'), sort: 'name' },
    { key: 'code', title: t('产品编码', 'Code'), sort: 'code' },
    { key: 'categoryPath', title: t('分类', 'Category') },
    { key: 'unit', title: t('单位', 'Unit'), render: (r) => units.name(r.unit) },
    { key: 'price', title: t('建议零售价', 'Retail price'), render: (r) => <span data-testid="price">{money(r.price)}</span> },
    { key: 'cost', title: t('生产成本', 'Cost'), render: (r) => money(r.cost), hidden: true },
    { key: 'status', title: t('状态', 'Status'), render: (r) => <Tag color={r.status === 'on_sale' ? 'success' : 'default'}>{label(productStatus, r.status, lang)}</Tag> },
    { key: 'productionDate', title: t('生产日期', 'Production date'), hidden: true },
    { key: 'updatedAt', title: t('更新时间', 'Updated'), sort: 'updatedAt', render: (r) => fmtTime(r.updatedAt), hidden: true },
    { key: 'createdAt', title: t('创建时间', 'Created'), sort: 'createdAt', render: (r) => fmtTime(r.createdAt) },
  ];

  return (
    <div>
      <Typography.Title level={1} style={{ fontSize: 20, marginTop: 0 }}>
        {t('产品', 'Products')}
      </Typography.Title>
      <div style={{ display: 'flex', flexDirection: narrow ? 'column' : 'row', gap: 12, alignItems: 'flex-start' }}>
        <div style={{ width: narrow ? '100%' : 280, flex: 'none' }}>
          <CategoryPanel selected={categoryId} onSelect={(id) => set({ categoryId: id })} />
        </div>
        <div style={{ flex: 1, minWidth: 0, width: narrow ? '100%' : undefined }}>
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 12, alignItems: 'center' }}>
            <Input.Search data-search allowClear key={sp.get('q') ?? ''} defaultValue={sp.get('q') ?? ''} placeholder={t('搜索名称、编码…（按 / ）', 'Search name, code… (press /)')} aria-label={t('搜索产品', 'Search products')} onSearch={(v) => set({ q: v.trim() })} style={{ width: 240 }} />
            <Select allowClear placeholder={t('状态', 'Status')} aria-label={t('按状态筛选', 'Filter by status')} value={sp.get('status') ?? undefined} onChange={(v) => set({ status: v })} style={{ width: 110 }} options={Object.keys(productStatus).map((v) => ({ value: v, label: label(productStatus, v, lang) }))} />
            <ClearFilters sp={sp} clear={() => clear()} />
            <div style={{ flex: 1 }} />
            {canManage && (
              <>
                <Button icon={<ImportOutlined />} onClick={() => nav('/import?type=products')}>{t('导入', 'Import')}</Button>
                <Dropdown menu={{ items: [{ key: 'xlsx', label: 'Excel (.xlsx)' }, { key: 'csv', label: 'CSV' }], onClick: (e) => { window.location.href = exportUrl('products', e.key as 'csv' | 'xlsx', query); } }}>
                  <Button icon={<DownloadOutlined />}>{t('导出', 'Export')}</Button>
                </Dropdown>
                <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
                  {t('新建产品', 'New product')}
                </Button>
              </>
            )}
          </div>
          <DataList<Product> id="products" path="/products" query={query} columns={columns} sort={sort} onSortChange={(v) => set({ sort: v })} title={(r) => `${r.name} · ${r.code}`} onOpen={(r) => nav(`/products/${r.id}`)} />
        </div>
      </div>
      <ProductForm open={creating} categoryId={categoryId} onClose={() => setCreating(false)} onSaved={(id) => nav(`/products/${id}`)} />
    </div>
  );
}
