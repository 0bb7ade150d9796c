// The line items of an opportunity or a contract (both have the same lines): the editor (inside an
// antd Form, under the list name `lines`) with live exact totals, the read-only table, and
// ProductPicker, which searches the catalogue's products on sale.
import { useState } from 'react';
import { Button, Empty, Form, Input, Select, Table, Typography, type FormInstance } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { get, type Page, type Schemas } from '../api/client';
import { useT } from '../i18n';
import { fmtMoney, isMoney, lineTotal, linesSum, parseUnits } from '../money';

export interface LineValue {
  productId?: string;
  productName?: string;
  quantity?: string;
  unitPrice?: string;
  discount?: string;
  /** kept through edits (the editor has no column for it) */
  remark?: string;
}

/**
 * Picks the product of line `index` of the form's `lines` from the catalogue (products on sale,
 * searched by name or code as the user types): it sets the line's productId and productName, and
 * its unit price to the product's suggested retail price (which the user may then change).
 */
export function ProductPicker({ form, index, line }: { form: FormInstance; index: number; line: number }) {
  const t = useT();
  const [q, setQ] = useState('');
  const r = useQuery({
    queryKey: ['/products', 'pick', q],
    queryFn: () => get<Page<Schemas['Product']>>('/products', { q, status: 'on_sale', limit: 20 }),
  });
  const id = Form.useWatch(['lines', index, 'productId'], form) as string | undefined;
  const name = Form.useWatch(['lines', index, 'productName'], form) as string | undefined;
  const found = r.data?.items ?? [];
  const options = found.map((p) => ({ value: p.id, label: p.code ? `${p.name}（${p.code}）` : p.name }));
  if (id && !found.some((p) => p.id === id)) options.unshift({ value: id, label: name || id });
  return (
    <>
      <Form.Item name={[index, 'productId']} noStyle rules={[{ required: true, message: t('请选择产品', 'Choose a product') }]}>
        <Select
          showSearch={{ filterOption: false, onSearch: setQ }}
          placeholder={t('搜索产品名称或编码', 'Search a product by name or code')}
          aria-label={t(`第 ${line} 行产品`, `Line ${line} product`)}
          loading={r.isFetching}
          options={options}
          style={{ minWidth: 180 }}
          notFoundContent={r.isFetching ? undefined : t('没有在售的产品', 'No product on sale')}
          onChange={(value: string) => {
            const p = found.find((x) => x.id === value);
            if (!p) return;
            form.setFieldValue(['lines', index, 'productName'], p.name);
            form.setFieldValue(['lines', index, 'unitPrice'], p.price ?? '0.00');
          }}
        />
      </Form.Item>
      <Form.Item name={[index, 'productName']} hidden>
        <Input />
      </Form.Item>
    </>
  );
}

/** The lines as the API takes them: trimmed texts, an empty discount left out. */
export function linesBody(lines: LineValue[] | undefined): Schemas['OpportunityLineInput'][] {
  return (lines ?? []).map((l) => {
    const out: Schemas['OpportunityLineInput'] = {
      productId: (l.productId ?? '').trim(),
      productName: (l.productName ?? '').trim(),
      quantity: (l.quantity ?? '').trim(),
      unitPrice: (l.unitPrice ?? '').trim(),
    };
    if ((l.discount ?? '').trim()) out.discount = l.discount!.trim();
    if ((l.remark ?? '').trim()) out.remark = l.remark!.trim();
    return out;
  });
}

type Line = { productId: string; productName: string; quantity: string; unitPrice: string; discount: string; total: string; remark?: string };

/** The lines of an opportunity or a contract as the form holds them. */
export const linesValue = (lines: Omit<Line, 'total'>[] | null | undefined): LineValue[] =>
  (lines ?? []).map((l) => ({
    productId: l.productId,
    productName: l.productName,
    quantity: l.quantity,
    unitPrice: l.unitPrice,
    discount: l.discount === '0' || l.discount === '0.00' ? '' : l.discount,
    ...(l.remark ? { remark: l.remark } : {}),
  }));

/** The lines as the form holds them, remarks included: the form's store (onFinish's values lack
 * the keys that have no input, such as a line's remark). */
export const formLines = (form: FormInstance): LineValue[] => (form.getFieldValue('lines') ?? []) as LineValue[];

/** The saved lines (read-only) with their totals and the amount they sum to. */
export function LinesTable({ lines, amount, testId }: { lines: Line[]; amount: string; testId?: string }) {
  const t = useT();
  const remarks = lines.some((l) => l.remark);
  return (
    <Table
      size="small"
      rowKey="key"
      pagination={false}
      dataSource={lines.map((l, i) => ({ ...l, key: i }))}
      scroll={{ x: 'max-content' }}
      data-testid={testId}
      locale={{ emptyText: <Empty description={t('没有明细，金额为手工填写', 'No lines; the amount was entered by hand')} /> }}
      columns={[
        { key: 'p', title: t('产品', 'Product'), dataIndex: 'productName' },
        { key: 'q', title: t('数量', 'Quantity'), dataIndex: 'quantity', align: 'right' },
        { key: 'u', title: t('单价', 'Unit price'), align: 'right', render: (_, l) => fmtMoney(l.unitPrice) },
        { key: 'd', title: t('折扣 %', 'Discount %'), dataIndex: 'discount', align: 'right' },
        { key: 't', title: t('小计', 'Total'), align: 'right', render: (_, l) => fmtMoney(l.total) },
        ...(remarks ? [{ key: 'r', title: t('备注', 'Remark'), dataIndex: 'remark' }] : []),
      ]}
      summary={() =>
        lines.length > 0 ? (
          <Table.Summary.Row>
            <Table.Summary.Cell index={0} colSpan={4}>{t('合计', 'Total')}</Table.Summary.Cell>
            <Table.Summary.Cell index={1} align="right"><b>{fmtMoney(amount)}</b></Table.Summary.Cell>
            {remarks && <Table.Summary.Cell index={2} />}
          </Table.Summary.Row>
        ) : null
      }
    />
  );
}

/** The editor of the form's `lines`: product, quantity, unit price, discount, and each line's and the sum's exact total. */
export function LineEditor({ form }: { form: FormInstance }) {
  const t = useT();
  const lines = (Form.useWatch('lines', form) ?? []) as LineValue[];
  const qty = (v: string) => parseUnits(v, 4) !== null && parseUnits(v, 4)! > 0n;
  const disc = (v: string) => v === '' || (parseUnits(v, 2) !== null && parseUnits(v, 2)! <= 10000n);
  const rule = (ok: (v: string) => boolean, msg: string) => ({ validator: (_: unknown, v: string | undefined) => (ok((v ?? '').trim()) ? Promise.resolve() : Promise.reject(new Error(msg))) });
  return (
    <Form.List name="lines">
      {(fields, { add, remove }) => (
        <div data-testid="line-editor">
          <Table
            size="small"
            pagination={false}
            rowKey="key"
            dataSource={fields}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: t('没有明细：金额按手工填写', 'No lines: the amount is entered by hand') }}
            columns={[
              { key: 'p', title: t('产品', 'Product'), render: (_, f, i) => <ProductPicker form={form} index={f.name} line={i + 1} /> },
              {
                key: 'q',
                title: t('数量', 'Quantity'),
                render: (_, f, i) => (
                  <Form.Item name={[f.name, 'quantity']} style={{ margin: 0 }} rules={[rule(qty, t('大于 0，最多 4 位小数', 'More than 0, at most 4 decimals'))]}>
                    <Input inputMode="decimal" aria-label={t(`第 ${i + 1} 行数量`, `Line ${i + 1} quantity`)} style={{ width: 90 }} />
                  </Form.Item>
                ),
              },
              {
                key: 'u',
                title: t('单价', 'Unit price'),
                render: (_, f, i) => (
                  <Form.Item name={[f.name, 'unitPrice']} style={{ margin: 0 }} rules={[rule(isMoney, t('金额，最多 2 位小数', 'An amount, at most 2 decimals'))]}>
                    <Input inputMode="decimal" aria-label={t(`第 ${i + 1} 行单价`, `Line ${i + 1} unit price`)} style={{ width: 110 }} />
                  </Form.Item>
                ),
              },
              {
                key: 'd',
                title: t('折扣 %', 'Discount %'),
                render: (_, f, i) => (
                  <Form.Item name={[f.name, 'discount']} style={{ margin: 0 }} rules={[rule(disc, t('0–100，最多 2 位小数', '0–100, at most 2 decimals'))]}>
                    <Input inputMode="decimal" placeholder="0" aria-label={t(`第 ${i + 1} 行折扣`, `Line ${i + 1} discount`)} style={{ width: 70 }} />
                  </Form.Item>
                ),
              },
              {
                key: 't',
                title: t('小计', 'Total'),
                align: 'right',
                render: (_, f, i) => <span data-testid={`line-total-${i}`}>{fmtMoney(lineTotal(lines[f.name] ?? {})) || '—'}</span>,
              },
              {
                key: 'x',
                title: t('操作', 'Actions'),
                render: (_, f, i) => <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t(`删除第 ${i + 1} 行`, `Remove line ${i + 1}`)} onClick={() => remove(f.name)} />,
              },
            ]}
          />
          <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', marginTop: 8 }}>
            <Button icon={<PlusOutlined />} onClick={() => add({ quantity: '1', discount: '' })} data-testid="add-line">
              {t('添加明细', 'Add line')}
            </Button>
            {fields.length > 0 && (
              <Typography.Text strong data-testid="lines-sum">
                {t('合计：', 'Total: ')}¥{fmtMoney(linesSum(lines))}
              </Typography.Text>
            )}
          </div>
        </div>
      )}
    </Form.List>
  );
}
