import { useEffect, useState } from 'react';
import { Col, Form, Input, Modal, Radio, Row, Select, TreeSelect } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { call, get, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { useLang, useT } from '../i18n';
import { productStatus, label } from '../labels';
import { itemLabel } from './Dictionaries';

type Product = Schemas['Product'];
type Category = Schemas['ProductCategory'];

/** The category tree (GET /product-categories), shared by the catalogue page and the form. */
export function useCategoryTree() {
  return useQuery({ queryKey: ['/product-categories'], queryFn: () => get<Schemas['ProductCategoryTree']>('/product-categories') });
}

/** The enabled units of the product_unit dictionary, labelled in the page's language. */
export function useUnits() {
  const { lang } = useLang();
  const q = useQuery({ queryKey: ['dictionaries', 'product_unit'], queryFn: () => get<Schemas['DictionaryList']>('/dictionaries/product_unit'), staleTime: 60_000 });
  const items = q.data?.items ?? [];
  return {
    options: items.filter((i) => i.enabled).map((i) => ({ value: i.code, label: itemLabel(i, lang) })),
    /** a unit's label (the code itself when the dictionary does not know it) */
    name: (code: string) => {
      const it = items.find((i) => i.code === code);
      return it ? itemLabel(it, lang) : code;
    },
  };
}

/** Tree nodes for a TreeSelect: every category by id, with its name. */
export function categoryNodes(cs: Category[]): { value: string; title: string; children: ReturnType<typeof categoryNodes> }[] {
  return cs.map((c) => ({ value: c.id, title: c.name, children: categoryNodes(c.children) }));
}

/** An amount as the API takes it: a decimal string with at most two places (never a JS number). */
export const moneyPattern = /^\d{1,13}(\.\d{1,2})?$/;

const fields = ['name', 'code', 'categoryId', 'unit', 'productionDate', 'cost', 'price', 'description'] as const;

/** Create or edit a product. Amounts stay strings from the input to the request body. */
export function ProductForm({ open, product, categoryId, onClose, onSaved }: { open: boolean; product?: Product | null; categoryId?: string; onClose: () => void; onSaved?: (id: string) => void }) {
  const t = useT();
  const { lang } = useLang();
  const run = useCommand();
  const tree = useCategoryTree();
  const units = useUnits();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!open) return;
    form.resetFields();
    if (product) form.setFieldsValue({ ...product, cost: product.cost ?? '', price: product.price ?? '', unit: product.unit || undefined });
    else form.setFieldsValue({ status: 'on_sale', categoryId });
  }, [open, product, categoryId, form]);

  const money = [
    {
      validator: (_: unknown, v: string | undefined) =>
        !v || moneyPattern.test(v.trim()) ? Promise.resolve() : Promise.reject(new Error(t('请输入金额，最多两位小数，如 1200.50', 'Enter an amount with at most two decimals, such as 1200.50'))),
    },
  ];

  const save = async (v: Record<string, string | undefined>) => {
    const body: Record<string, string> = {};
    for (const k of [...fields, 'status']) {
      const val = v[k];
      body[k] = typeof val === 'string' ? val.trim() : (val ?? '');
    }
    setBusy(true);
    try {
      if (product) {
        const changed: Record<string, string> = {};
        for (const k of fields) if ((body[k] ?? '') !== ((product[k] as string | null) ?? '')) changed[k] = body[k];
        if (Object.keys(changed).length) {
          const r = await run(() => call('PATCH', `/products/${product.id}`, { body: changed, ifMatch: product.version }), {
            form,
            success: t('已保存', 'Saved'),
            historyPath: `/products/${product.id}/history`,
            reload: onClose,
          });
          if (r === undefined) return;
        }
        onSaved?.(product.id);
        onClose();
      } else {
        for (const k of Object.keys(body)) if (body[k] === '') delete body[k];
        const r = await run(() => call<Product>('POST', '/products', { body }), { form, success: t('产品已创建', 'Product created') });
        if (r) {
          onSaved?.(r.data.id);
          onClose();
        }
      }
    } catch {
      /* shown on the fields */
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      title={product ? t('编辑产品', 'Edit product') : t('新建产品', 'New product')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('保存', 'Save')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy }}
      width={720}
      destroyOnHidden
      forceRender
    >
      <Form form={form} layout="vertical" onFinish={save} data-testid="product-form">
        <Row gutter={12}>
          <Col xs={24} sm={12}>
            <Form.Item name="name" label={t('产品名称', 'Name')} rules={[{ required: true, whitespace: true, message: t('请输入产品名称', 'Enter the name') }, { max: 200 }]}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="code" label={t('产品编码', 'Code')} rules={[{ required: true, whitespace: true, message: t('请输入产品编码', 'Enter the code') }, { max: 50 }]}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="categoryId" label={t('产品分类', 'Category')} rules={[{ required: true, message: t('请选择分类', 'Choose a category') }]}>
              <TreeSelect treeData={categoryNodes(tree.data?.categories ?? [])} treeDefaultExpandAll showSearch treeNodeFilterProp="title" loading={tree.isLoading} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="unit" label={t('单位', 'Unit')}>
              <Select allowClear showSearch optionFilterProp="label" options={units.options} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={8}>
            <Form.Item name="cost" label={t('生产成本', 'Production cost')} rules={money}>
              <Input inputMode="decimal" prefix="¥" placeholder="0.00" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={8}>
            <Form.Item name="price" label={t('建议零售价', 'Suggested retail price')} rules={money}>
              <Input inputMode="decimal" prefix="¥" placeholder="0.00" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={8}>
            <Form.Item name="productionDate" label={t('生产日期', 'Production date')}>
              <Input type="date" />
            </Form.Item>
          </Col>
          {!product && (
            <Col xs={24}>
              <Form.Item name="status" label={t('状态', 'Status')}>
                <Radio.Group options={Object.keys(productStatus).map((v) => ({ value: v, label: label(productStatus, v, lang) }))} />
              </Form.Item>
            </Col>
          )}
          <Col xs={24}>
            <Form.Item name="description" label={t('产品描述', 'Description')} rules={[{ max: 5000 }]}>
              <Input.TextArea rows={3} />
            </Form.Item>
          </Col>
        </Row>
      </Form>
    </Modal>
  );
}
