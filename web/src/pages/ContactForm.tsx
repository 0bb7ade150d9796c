import { useEffect } from 'react';
import { Col, Form, Input, Modal, Row, Select, Switch } from 'antd';
import { call, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { useT } from '../i18n';
import { CustomerSelect } from './CustomerSelect';

type Contact = Schemas['Contact'];

export function ContactForm({ open, contact, customerId, onClose }: { open: boolean; contact?: Contact | null; customerId?: string; onClose: () => void }) {
  const t = useT();
  const run = useCommand();
  const [form] = Form.useForm();
  useEffect(() => {
    if (!open) return;
    form.resetFields();
    form.setFieldsValue(contact ?? { customerId });
  }, [open, contact, customerId, form]);
  const save = async (v: Record<string, unknown>) => {
    const body: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) if (val !== undefined && val !== null && !(val === '' && !contact)) body[k] = val;
    try {
      if (contact) {
        delete body.customerId;
        delete body.primary;
        await run(() => call('PATCH', `/contacts/${contact.id}`, { body, ifMatch: contact.version }), {
          form,
          success: t('已保存', 'Saved'),
          historyPath: `/contacts/${contact.id}/history`,
          reload: onClose,
        });
      } else {
        await run(() => call('POST', '/contacts', { body }), { form, success: t('联系人已添加', 'Contact added') });
      }
      onClose();
    } catch {
      /* shown */
    }
  };
  return (
    <Modal open={open} title={contact ? t('编辑联系人', 'Edit contact') : t('新建联系人', 'New contact')} onCancel={onClose} onOk={() => form.submit()} okText={t('保存', 'Save')} destroyOnHidden forceRender width={680}>
      <Form form={form} layout="vertical" onFinish={save}>
        <Row gutter={12}>
          {!contact && !customerId && (
            <Col span={24}>
              <Form.Item name="customerId" label={t('客户', 'Customer')} rules={[{ required: true }]}>
                <CustomerSelect />
              </Form.Item>
            </Col>
          )}
          {!contact && customerId && (
            <Form.Item name="customerId" hidden>
              <Input />
            </Form.Item>
          )}
          <Col xs={24} sm={12}>
            <Form.Item name="name" label={t('姓名', 'Name')} rules={[{ required: true, message: t('请输入姓名', 'A name is required') }]}>
              <Input autoFocus />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="gender" label={t('性别', 'Gender')}>
              <Select allowClear options={[{ value: 'male', label: t('男', 'Male') }, { value: 'female', label: t('女', 'Female') }]} />
            </Form.Item>
          </Col>
          {(
            [
              ['title', '职务', 'Title'],
              ['officePhone', '办公电话', 'Office phone'],
              ['mobile', '手机', 'Mobile'],
              ['email', '邮箱', 'E-mail'],
              ['fax', '传真', 'Fax'],
              ['birthday', '生日', 'Birthday'],
            ] as const
          ).map(([k, zh, en]) => (
            <Col xs={24} sm={12} key={k}>
              <Form.Item name={k} label={t(zh, en)}>
                <Input type={k === 'birthday' ? 'date' : 'text'} />
              </Form.Item>
            </Col>
          ))}
          <Col span={24}>
            <Form.Item name="remark" label={t('备注', 'Remark')}>
              <Input.TextArea rows={2} />
            </Form.Item>
          </Col>
          {!contact && (
            <Col span={24}>
              <Form.Item name="primary" label={t('设为主联系人', 'Primary contact')} valuePropName="checked">
                <Switch />
              </Form.Item>
            </Col>
          )}
        </Row>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}
