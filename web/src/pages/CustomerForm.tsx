import { useEffect, useState } from 'react';
import { Alert, Col, DatePicker, Form, Input, InputNumber, Modal, Rate, Row, Select, Switch } from 'antd';
import { useQuery } from '@tanstack/react-query';
import dayjs, { type Dayjs } from 'dayjs';
import { ApiError, call, get, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { UserSelect } from '../components/common';
import { DictSelect } from '../components/dict';
import { useLang, useT } from '../i18n';
import { customerSize, customerStatus, customerType, label } from '../labels';
import { useSession } from '../session';
import { fromPicker, toPicker } from '../util';

type Customer = Schemas['Customer'];
type Duplicate = Schemas['Duplicate'];
export type CustomField = Schemas['CustomField'];

export function useSettings() {
  return useQuery({ queryKey: ['/settings'], queryFn: () => get<Schemas['Settings']>('/settings'), staleTime: 30_000 });
}

/** One input per custom field definition, by its type. */
export function customInput(f: CustomField) {
  switch (f.type) {
    case 'number':
      return <InputNumber style={{ width: '100%' }} />;
    case 'date':
      return <Input type="date" />;
    case 'option':
      return <Select allowClear options={(f.options ?? []).map((o) => ({ value: o, label: o }))} />;
    case 'multi_option':
      return <Select mode="multiple" allowClear options={(f.options ?? []).map((o) => ({ value: o, label: o }))} />;
    default:
      return <Input />;
  }
}

const text = ['legalRepresentative', 'level', 'industry', 'subIndustry', 'source', 'country', 'province', 'city', 'district', 'address', 'postcode', 'phone', 'fax', 'email', 'website', 'remark'] as const;

/** The coded fields (dictionary pick lists), laid out on their own. */
const coded: readonly string[] = ['phone', 'level', 'industry', 'subIndustry', 'source'];

/** Create or edit a customer; warns of likely duplicates when the name or phone loses focus. */
export function CustomerForm({ open, customer, onClose, onSaved }: { open: boolean; customer?: Customer | null; onClose: () => void; onSaved?: (id: string) => void }) {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const run = useCommand();
  const settings = useSettings();
  const [form] = Form.useForm();
  const [dups, setDups] = useState<Duplicate[]>([]);
  const [busy, setBusy] = useState(false);
  const fields = settings.data?.customerFields ?? [];
  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setDups([]);
    if (customer)
      form.setFieldsValue({ ...customer, nextFollowUpAt: toPicker(customer.nextFollowUpAt), custom: customer.custom ?? {} });
    else form.setFieldsValue({ status: 'potential' });
  }, [open, customer, form]);

  const checkDuplicates = async () => {
    const name = (form.getFieldValue('name') ?? '').trim();
    const phone = (form.getFieldValue('phone') ?? '').trim();
    if (!name && !phone) return setDups([]);
    try {
      const r = await get<{ items: Duplicate[] }>('/duplicates', { type: 'customer', name, phone });
      setDups(r.items.filter((d) => !d.id || d.id !== customer?.id));
    } catch {
      setDups([]);
    }
  };

  const label2 = (d: Record<string, [string, string]>) => Object.keys(d).map((v) => ({ value: v, label: label(d, v, lang) }));
  const reasons: Record<string, [string, string]> = {
    same_name: ['名称相同', 'same name'],
    same_phone: ['电话相同', 'same phone'],
    same_email: ['邮箱相同', 'same e-mail'],
  };

  const save = async (v: Record<string, unknown>) => {
    const body: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) {
      if (k === 'nextFollowUpAt') body[k] = fromPicker(val as Dayjs | null); // the picker shows the user's zone
      else if (k === 'custom') {
        const c: Record<string, unknown> = {};
        for (const [ck, cv] of Object.entries((val as Record<string, unknown>) ?? {})) if (cv !== undefined && cv !== null && cv !== '') c[ck] = cv;
        body.custom = c;
      } else if (val !== undefined) body[k] = val;
    }
    setBusy(true);
    try {
      if (customer) {
        const changed: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(body)) {
          const old = (customer as Record<string, unknown>)[k];
          if (JSON.stringify(old ?? '') !== JSON.stringify(val ?? '')) changed[k] = val;
        }
        if (changed.nextFollowUpAt && customer.nextFollowUpAt && dayjs(customer.nextFollowUpAt).isSame(changed.nextFollowUpAt as string)) delete changed.nextFollowUpAt;
        await run(() => call('PATCH', `/customers/${customer.id}`, { body: changed, ifMatch: customer.version }), {
          form,
          success: t('已保存', 'Saved'),
          historyPath: `/customers/${customer.id}/history`,
          reload: onClose,
        });
        onSaved?.(customer.id);
        onClose();
      } else {
        for (const k of Object.keys(body)) if (body[k] === '' || body[k] === null || (k === 'satisfaction' || k === 'credit') && !body[k]) delete body[k];
        if (!body.ownerId) delete body.ownerId;
        if (dups.length) body.confirmDuplicate = true;
        try {
          const r = await run(() => call<Schemas['CommandAck']>('POST', '/customers', { body }), { form, success: t('客户已创建', 'Customer created') });
          if (r) {
            onSaved?.(r.data.id);
            onClose();
          }
        } catch (e) {
          if (e instanceof ApiError && e.code === 'possible_duplicate') setDups(e.problem?.duplicates ?? []);
          throw e;
        }
      }
    } catch {
      /* shown */
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      title={customer ? t('编辑客户', 'Edit customer') : t('新建客户', 'New customer')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={dups.length && !customer ? t('仍然保存', 'Save anyway') : t('保存', 'Save')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy }}
      width={800}
      destroyOnHidden
      forceRender
    >
      {dups.length > 0 && (
        <Alert
          type="warning"
          showIcon
          role="alert"
          data-testid="duplicate-warning"
          style={{ marginBottom: 12 }}
          title={t('可能存在重复客户', 'Possible duplicate customers')}
          description={
            <ul style={{ margin: 0, paddingLeft: 18 }}>
              {dups.map((d, i) => (
                <li key={d.id ?? `hidden-${i}`}>
                  {d.visible && d.id ? (
                    <a href={`/customers/${d.id}`} target="_blank" rel="noreferrer">
                      {d.name}
                    </a>
                  ) : d.inPool ? (
                    t('公海中已有客户', 'An existing customer in the pool')
                  ) : d.ownerDepartment ? (
                    t(`已存在，归属部门：${d.ownerDepartment}`, `Exists, owned by ${d.ownerDepartment}`)
                  ) : (
                    t('已存在（不在您的数据范围内）', 'Exists (outside your data scope)')
                  )}{' '}
                  — {d.reasons.map((r) => label(reasons, r, lang)).join(', ')} ({Math.round(d.score * 100)}%)
                </li>
              ))}
            </ul>
          }
        />
      )}
      <Form form={form} layout="vertical" onFinish={save} data-testid="customer-form">
        <Row gutter={12}>
          <Col xs={24} sm={12}>
            <Form.Item name="name" label={t('客户名称', 'Company name')} rules={[{ required: true, message: t('请输入客户名称', 'A name is required') }]}>
              <Input autoFocus onBlur={checkDuplicates} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="phone" label={t('电话', 'Phone')}>
              <Input onBlur={checkDuplicates} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="status" label={t('状态', 'Status')}>
              <Select options={label2(customerStatus)} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="level" label={t('级别', 'Level')}>
              <DictSelect kind="customer_level" />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="classification" label={t('分类', 'Classification')}>
              <DictSelect kind="customer_class" />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="nature" label={t('企业性质', 'Nature')}>
              <DictSelect kind="business_nature" />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="type" label={t('类型', 'Type')}>
              <Select allowClear options={label2(customerType)} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="size" label={t('规模', 'Size')}>
              <Select allowClear options={label2(customerSize)} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="satisfaction" label={t('满意度', 'Satisfaction')}>
              <Rate />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="credit" label={t('信用', 'Credit')}>
              <Rate />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="source" label={t('来源', 'Source')}>
              <DictSelect kind="lead_source" />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="industry" label={t('行业', 'Industry')}>
              <DictSelect kind="industry" parent="" onChange={() => form.setFieldValue('subIndustry', '')} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item noStyle dependencies={['industry']}>
              {() => (
                <Form.Item name="subIndustry" label={t('细分行业', 'Sub-industry')}>
                  <DictSelect kind="industry" parent={form.getFieldValue('industry') ?? ''} disabled={!form.getFieldValue('industry')} />
                </Form.Item>
              )}
            </Form.Item>
          </Col>
          {text.filter((k) => !coded.includes(k)).map((k) => (
            <Col xs={24} sm={k === 'address' || k === 'remark' ? 24 : 12} key={k}>
              <Form.Item name={k} label={t(zhLabel[k], enLabel(k))}>
                {k === 'remark' ? <Input.TextArea rows={2} /> : <Input />}
              </Form.Item>
            </Col>
          ))}
          <Col xs={24} sm={12}>
            <Form.Item name="nextFollowUpAt" label={t('下次跟进', 'Next follow-up')}>
              <DatePicker showTime style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          {fields.map((f) => (
            <Col xs={24} sm={12} key={f.key}>
              <Form.Item name={['custom', f.key]} label={f.label} rules={f.required ? [{ required: true }] : []}>
                {customInput(f)}
              </Form.Item>
            </Col>
          ))}
          {!customer && (
            <>
              <Col xs={12} sm={6}>
                <Form.Item name="pool" label={t('放入公海', 'Into the pool')} valuePropName="checked">
                  <Switch />
                </Form.Item>
              </Col>
              {s.can('customers.assign') && (
                <Col xs={24} sm={12}>
                  <Form.Item name="ownerId" label={t('负责人', 'Owner')}>
                    <UserSelect activeOnly />
                  </Form.Item>
                </Col>
              )}
            </>
          )}
        </Row>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

const zhLabel: Record<string, string> = {
  legalRepresentative: '法定代表人',
  industry: '行业',
  subIndustry: '细分行业',
  source: '来源',
  country: '国家',
  province: '省份',
  city: '城市',
  district: '区县',
  address: '详细地址',
  postcode: '邮编',
  fax: '传真',
  email: '邮箱',
  website: '网站',
  remark: '备注',
};
const enLabel = (k: string) =>
  ({ legalRepresentative: 'Legal representative', subIndustry: 'Sub-industry', postcode: 'Postcode', fax: 'Fax', email: 'E-mail' })[k] ??
  k.charAt(0).toUpperCase() + k.slice(1);
