import { useState } from 'react';
import { Button, Card, Descriptions, Space, Tag } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router';
import { call, get, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { DeleteButton, DetailHeader, RecordState, RecordTabs } from '../components/detail';
import { useLang, useT } from '../i18n';
import { label, productStatus } from '../labels';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { ProductForm, useUnits } from './ProductForm';
import { money } from './Products';

type Product = Schemas['Product'];

/** A product: its fields, on/off sale, edit and delete (products.manage), and its history. */
export default function ProductDetail() {
  const { id } = useParams();
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const nav = useNavigate();
  const run = useCommand();
  const units = useUnits();
  const [editing, setEditing] = useState(false);
  const q = useQuery({ queryKey: ['/products', id], queryFn: () => get<Product>(`/products/${id}`), enabled: !!id });
  if (!q.data) return <RecordState q={q} />;
  const p = q.data;
  const canManage = s.can('products.manage');
  const onSale = p.status === 'on_sale';
  const setStatus = () =>
    run(() => call('POST', `/products/${p.id}/${onSale ? 'off-sale' : 'on-sale'}`, { ifMatch: p.version }), {
      success: onSale ? t('已停售', 'Taken off sale') : t('已上架', 'Put on sale'),
      historyPath: `/products/${p.id}/history`,
    }).catch(() => undefined);

  return (
    <div>
      <DetailHeader title={p.name}>
        <Tag color={onSale ? 'success' : 'default'}>{label(productStatus, p.status, lang)}</Tag>
      </DetailHeader>
      {canManage && (
        <Space wrap style={{ marginBottom: 12 }}>
          <Button type="primary" onClick={() => setEditing(true)}>{t('编辑', 'Edit')}</Button>
          <Button onClick={setStatus} data-testid="toggle-sale">{onSale ? t('停售', 'Take off sale') : t('上架', 'Put on sale')}</Button>
          <DeleteButton path={`/products/${p.id}`} version={p.version} title={t('删除产品', 'Delete product')} content={t(`确定删除“${p.name}”吗？其编码将可再次使用。`, `Delete “${p.name}”? Its code can be used again.`)} after="/products" />
        </Space>
      )}
      <Card>
        <Descriptions
          column={{ xs: 1, sm: 2, lg: 3 }}
          size="small"
          data-testid="product-fields"
          items={(
            [
              ['code', t('产品编码', 'Code'), p.code],
              ['category', t('分类', 'Category'), p.categoryPath],
              ['unit', t('单位', 'Unit'), units.name(p.unit)],
              ['price', t('建议零售价', 'Suggested retail price'), money(p.price)],
              ['cost', t('生产成本', 'Production cost'), money(p.cost)],
              ['productionDate', t('生产日期', 'Production date'), p.productionDate],
              ['description', t('产品描述', 'Description'), p.description],
              ['createdAt', t('创建时间', 'Created'), fmtTime(p.createdAt)],
              ['updatedAt', t('更新时间', 'Updated'), fmtTime(p.updatedAt)],
            ] as [string, string, string][]
          ).map(([key, l, v]) => ({ key, label: l, children: v || '—' }))}
        />
      </Card>
      <RecordTabs items={[]} historyPath={`/products/${p.id}/history`} />
      <ProductForm open={editing} product={p} onClose={() => setEditing(false)} onSaved={() => nav(`/products/${p.id}`)} />
    </div>
  );
}
