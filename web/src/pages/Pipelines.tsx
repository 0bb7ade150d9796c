// The sales pipelines editor (settings.manage): define a pipeline, rename it, edit its stages
// (names in both languages, win probability, order, disabled) and add stages. A stage is never
// removed once saved — opportunities may be in it — only disabled; the server's 422 stage_removed
// is shown as such.
import { useState } from 'react';
import { Alert, Button, Card, Empty, Form, Input, InputNumber, Modal, Space, Switch, Table, Tag, Typography } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { ApiError, call } from '../api/client';
import { useCommand } from '../components/commands';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { useSession } from '../session';
import { stageName, usePipelines, type Pipeline, type Stage } from './opportunityCommon';

interface StageRow extends Stage {
  /** not saved yet: its key may be typed and it may be removed */
  fresh?: boolean;
}
interface Values {
  name: string;
  disabled?: boolean;
  stages: StageRow[];
}

function PipelineEditor({ pipeline, open, onClose }: { pipeline: Pipeline | null; open: boolean; onClose: () => void }) {
  const t = useT();
  const run = useCommand();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const [removed, setRemoved] = useState<string | null>(null);
  const stages = (Form.useWatch('stages', { form, preserve: true }) ?? []) as StageRow[];
  const save = async (v: Values) => {
    setRemoved(null);
    const body = {
      name: v.name.trim(),
      // the store's rows: a saved stage's key has no input, so onFinish's values lack it
      stages: ((form.getFieldValue('stages') ?? []) as StageRow[]).map((x) => ({ key: (x.key ?? '').trim(), name: x.name.trim(), nameEn: (x.nameEn ?? '').trim(), probability: x.probability ?? 0, disabled: !!x.disabled })),
      ...(pipeline ? { disabled: !!v.disabled } : {}),
    };
    setBusy(true);
    try {
      const r = await run(
        () => (pipeline ? call('PUT', `/pipelines/${pipeline.id}`, { body, ifMatch: pipeline.version }) : call('POST', '/pipelines', { body })),
        { form, success: t('已保存', 'Saved'), reload: onClose },
      );
      if (r !== undefined) onClose();
    } catch (e) {
      const gone = e instanceof ApiError ? (e.problem?.errors ?? []).find((f) => f.code === 'stage_removed') : undefined;
      if (gone) setRemoved(gone.message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={open}
      title={pipeline ? t(`编辑销售流程：${pipeline.name}`, `Edit pipeline ${pipeline.name}`) : t('新建销售流程', 'New pipeline')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('保存', 'Save')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy }}
      width={960}
      destroyOnHidden
    >
      {removed && (
        <Alert
          type="error"
          showIcon
          role="alert"
          data-testid="stage-removed"
          style={{ marginBottom: 12 }}
          title={t('阶段不能删除，只能停用', 'A stage cannot be removed, only disabled')}
          description={t(`已有商机可能处于该阶段。请保留它并打开“停用”。（${removed}）`, `Opportunities may be in it: keep it and switch on “Disabled”. (${removed})`)}
        />
      )}
      <Form
        form={form}
        layout="vertical"
        name="pipeline"
        onFinish={save}
        data-testid="pipeline-form"
        initialValues={pipeline ? { name: pipeline.name, disabled: pipeline.disabled, stages: pipeline.stages.map((x) => ({ ...x, nameEn: x.nameEn ?? '', disabled: !!x.disabled })) } : { name: '', stages: [{ key: '', name: '', nameEn: '', probability: 10, fresh: true }] }}
      >
        <Space wrap align="start">
          <Form.Item name="name" label={t('名称', 'Name')} rules={[{ required: true, whitespace: true, message: t('请输入名称', 'A name is required') }, { max: 50 }]}>
            <Input style={{ width: 260 }} autoFocus />
          </Form.Item>
          {pipeline && (
            <Form.Item name="disabled" label={t('停用此流程', 'Disable this pipeline')} valuePropName="checked" extra={t('停用后不再接收新商机', 'A disabled pipeline takes no new opportunities')}>
              <Switch disabled={pipeline.default} />
            </Form.Item>
          )}
        </Space>
        <Form.List name="stages" rules={[{ validator: async (_, v?: StageRow[]) => { if (!v?.length) throw new Error(t('至少需要一个阶段', 'At least one stage')); } }]}>
          {(fields, { add, remove, move }, { errors }) => (
            <>
              <Table
                size="small"
                pagination={false}
                rowKey="key"
                dataSource={fields}
                scroll={{ x: 'max-content' }}
                data-testid="stage-rows"
                columns={[
                  {
                    key: 'key',
                    title: t('编码', 'Key'),
                    render: (_, f, i) =>
                      stages[f.name]?.fresh ? (
                        <Form.Item name={[f.name, 'key']} style={{ margin: 0 }} rules={[{ required: true, pattern: /^[a-z][a-z0-9_]{0,39}$/, message: t('小写字母开头，字母数字下划线', 'a–z first, then a–z 0–9 _') }]}>
                          <Input aria-label={t(`第 ${i + 1} 个阶段编码`, `Stage ${i + 1} key`)} style={{ width: 120 }} />
                        </Form.Item>
                      ) : (
                        <Typography.Text code>{stages[f.name]?.key}</Typography.Text>
                      ),
                  },
                  {
                    key: 'name',
                    title: t('中文名称', 'Chinese name'),
                    render: (_, f, i) => (
                      <Form.Item name={[f.name, 'name']} style={{ margin: 0 }} rules={[{ required: true, whitespace: true, message: t('必填', 'Required') }, { max: 30 }]}>
                        <Input aria-label={t(`第 ${i + 1} 个阶段中文名称`, `Stage ${i + 1} Chinese name`)} style={{ width: 130 }} />
                      </Form.Item>
                    ),
                  },
                  {
                    key: 'nameEn',
                    title: t('英文名称', 'English name'),
                    render: (_, f, i) => (
                      <Form.Item name={[f.name, 'nameEn']} style={{ margin: 0 }} rules={[{ max: 50 }]}>
                        <Input aria-label={t(`第 ${i + 1} 个阶段英文名称`, `Stage ${i + 1} English name`)} style={{ width: 140 }} />
                      </Form.Item>
                    ),
                  },
                  {
                    key: 'p',
                    title: t('赢率 %', 'Probability %'),
                    render: (_, f, i) => (
                      <Form.Item name={[f.name, 'probability']} style={{ margin: 0 }} rules={[{ required: true, message: t('必填', 'Required') }]}>
                        <InputNumber min={0} max={100} precision={0} aria-label={t(`第 ${i + 1} 个阶段赢率`, `Stage ${i + 1} probability`)} style={{ width: 80 }} />
                      </Form.Item>
                    ),
                  },
                  {
                    key: 'disabled',
                    title: t('停用', 'Disabled'),
                    render: (_, f, i) => (
                      <Form.Item name={[f.name, 'disabled']} valuePropName="checked" style={{ margin: 0 }}>
                        <Switch size="small" aria-label={t(`停用第 ${i + 1} 个阶段`, `Disable stage ${i + 1}`)} />
                      </Form.Item>
                    ),
                  },
                  {
                    key: 'a',
                    title: t('操作', 'Actions'),
                    render: (_, f, i) => (
                      <Space size={4}>
                        <Button size="small" icon={<ArrowUpOutlined />} disabled={i === 0} aria-label={t(`上移第 ${i + 1} 个阶段`, `Move stage ${i + 1} up`)} onClick={() => move(i, i - 1)} />
                        <Button size="small" icon={<ArrowDownOutlined />} disabled={i === fields.length - 1} aria-label={t(`下移第 ${i + 1} 个阶段`, `Move stage ${i + 1} down`)} onClick={() => move(i, i + 1)} />
                        {stages[f.name]?.fresh && (
                          <Button size="small" danger icon={<DeleteOutlined />} aria-label={t(`移除第 ${i + 1} 个阶段`, `Remove stage ${i + 1}`)} onClick={() => remove(f.name)} />
                        )}
                      </Space>
                    ),
                  },
                ]}
              />
              <Form.ErrorList errors={errors} />
              <Button style={{ marginTop: 8 }} icon={<PlusOutlined />} onClick={() => add({ key: '', name: '', nameEn: '', probability: 50, fresh: true })} data-testid="add-stage" disabled={fields.length >= 20}>
                {t('添加阶段', 'Add stage')}
              </Button>
              <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
                {t('保存后的阶段不能删除，只能停用；编码保存后不能修改。', 'Saved stages cannot be removed, only disabled; a key never changes once saved.')}
              </Typography.Paragraph>
            </>
          )}
        </Form.List>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

export default function Pipelines() {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const q = usePipelines();
  const [editing, setEditing] = useState<Pipeline | 'new' | null>(null);
  const canManage = s.isAdmin || s.can('settings.manage');
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  return (
    <div>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', marginBottom: 12, flexWrap: 'wrap', gap: 8 }}>
        <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
          {t('销售流程定义商机经历的阶段及各阶段的赢率。', 'A pipeline defines the stages an opportunity goes through and each stage’s win probability.')}
        </Typography.Paragraph>
        {canManage && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')} data-testid="new-pipeline">
            {t('新建销售流程', 'New pipeline')}
          </Button>
        )}
      </div>
      {!q.isLoading && !q.data?.length && <Empty />}
      {(q.data ?? []).map((p) => (
        <Card
          key={p.id}
          size="small"
          style={{ marginBottom: 12 }}
          data-testid="pipeline-card"
          title={
            <Space wrap>
              {p.name}
              {p.default && <Tag color="blue">{t('默认', 'Default')}</Tag>}
              {p.disabled && <Tag>{t('已停用', 'Disabled')}</Tag>}
              <Typography.Text type="secondary" style={{ fontWeight: 'normal' }}>{t(`版本 ${p.version}`, `version ${p.version}`)}</Typography.Text>
            </Space>
          }
          extra={canManage && <Button size="small" onClick={() => setEditing(p)} aria-label={t(`编辑 ${p.name}`, `Edit ${p.name}`)}>{t('编辑', 'Edit')}</Button>}
        >
          <Space wrap>
            {p.stages.map((x, i) => (
              <Tag key={x.key} color={x.disabled ? undefined : 'geekblue'} style={x.disabled ? { textDecoration: 'line-through' } : undefined}>
                {i + 1}. {stageName(x, x.key, lang)} · {x.probability}%{x.disabled ? ` (${t('停用', 'disabled')})` : ''}
              </Tag>
            ))}
          </Space>
        </Card>
      ))}
      <PipelineEditor key={editing === 'new' ? 'new' : editing ? `${editing.id}@${editing.version}` : 'none'} pipeline={editing === 'new' ? null : editing} open={editing !== null} onClose={() => setEditing(null)} />
    </div>
  );
}
