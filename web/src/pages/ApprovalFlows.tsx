// Approval settings (settings.manage): the contract approval flow — ordered steps, each decided by
// the submitter's superior, a department's head, the holders of a role or a named user, optionally
// only above an amount — and the contract numbering pattern with a live preview.
import { Alert, Button, Card, Form, Input, Select, Space, Table, Typography, Tabs } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { call, get, type Page, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { UserSelect } from '../components/common';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { approvalStepKind, label } from '../labels';
import { isMoney } from '../money';
import { useSession } from '../session';
import { numberPreview, today, usePatternProblem } from './contractCommon';
import type { ApprovalFlow, ApprovalStepKind, ContractNumbering, FlowStep } from './contractTypes';

/** The contract flow before anyone defined it: one step, the submitter's superior. */
const defaultFlow: ApprovalFlow = { kind: 'contract', name: '合同审批', steps: [{ kind: 'superior' }], version: 0 };

/** A step as the API takes it: only the fields its kind uses, empty ones left out. */
export function stepBody(s: FlowStep): FlowStep {
  const out: FlowStep = { kind: s.kind };
  if (s.kind === 'department_head' && s.departmentId) out.departmentId = s.departmentId;
  if (s.kind === 'role' && s.role) out.role = s.role;
  if (s.kind === 'user' && s.userId) out.userId = s.userId;
  if ((s.minAmount ?? '').trim()) out.minAmount = s.minAmount!.trim();
  if ((s.name ?? '').trim()) out.name = s.name!.trim();
  return out;
}

function FlowEditor({ flow, canManage }: { flow: ApprovalFlow; canManage: boolean }) {
  const t = useT();
  const { lang } = useLang();
  const run = useCommand();
  const [form] = Form.useForm<{ name: string; steps: FlowStep[] }>();
  const steps = (Form.useWatch('steps', form) ?? []) as FlowStep[];
  const depts = useQuery({ queryKey: ['departments'], queryFn: () => get<Page<Schemas['Department']>>('/departments'), enabled: canManage });
  const roles = useQuery({ queryKey: ['roles'], queryFn: () => get<{ items: Schemas['Role'][] }>('/roles'), enabled: canManage });
  const save = async (v: { name: string; steps: FlowStep[] }) => {
    const body = { name: v.name.trim(), steps: (v.steps ?? []).map(stepBody) };
    try {
      await run(() => call('PUT', `/approval-flows/${flow.kind}`, { body, ifMatch: flow.version }), { form, success: t('审批流程已保存', 'Approval flow saved') });
    } catch {
      /* shown on the fields or as a message */
    }
  };
  const required = (msg: string) => [{ required: true, message: msg }];
  return (
    <Form
      form={form}
      name="approvalFlow"
      layout="vertical"
      disabled={!canManage}
      initialValues={{ name: flow.name, steps: flow.steps.map((s) => ({ ...s, minAmount: s.minAmount ?? '', name: s.name ?? '' })) }}
      onFinish={save}
      data-testid="flow-form"
    >
      <Form.Item name="name" label={t('流程名称', 'Flow name')} rules={[{ required: true, whitespace: true, message: t('请输入名称', 'A name is required') }, { max: 50 }]}>
        <Input style={{ maxWidth: 320 }} />
      </Form.Item>
      <Form.List name="steps" rules={[{ validator: async (_, v?: FlowStep[]) => { if (!v?.length) throw new Error(t('至少需要一个步骤', 'At least one step')); } }]}>
        {(fields, { add, remove, move }, { errors }) => (
          <>
            <Table
              size="small"
              pagination={false}
              rowKey="key"
              dataSource={fields}
              scroll={{ x: 'max-content' }}
              data-testid="flow-steps"
              columns={[
                { key: 'n', title: '#', render: (_, __, i) => i + 1, width: 40 },
                {
                  key: 'kind',
                  title: t('审批人', 'Decided by'),
                  render: (_, f, i) => (
                    <Form.Item name={[f.name, 'kind']} style={{ margin: 0 }} rules={required(t('请选择', 'Choose one'))}>
                      <Select
                        aria-label={t(`第 ${i + 1} 步审批人类型`, `Step ${i + 1} decided by`)}
                        style={{ width: 170 }}
                        options={(Object.keys(approvalStepKind) as ApprovalStepKind[]).map((k) => ({ value: k, label: label(approvalStepKind, k, lang) }))}
                      />
                    </Form.Item>
                  ),
                },
                {
                  key: 'who',
                  title: t('部门 / 角色 / 用户', 'Department / role / user'),
                  render: (_, f, i) => {
                    switch (steps[f.name]?.kind) {
                      case 'department_head':
                        return (
                          <Form.Item name={[f.name, 'departmentId']} style={{ margin: 0 }}>
                            <Select
                              allowClear
                              aria-label={t(`第 ${i + 1} 步部门`, `Step ${i + 1} department`)}
                              placeholder={t('（提交人所在部门）', "(the submitter's own)")}
                              style={{ width: 200 }}
                              loading={depts.isLoading}
                              options={(depts.data?.items ?? []).map((d) => ({ value: d.id, label: '\u00a0'.repeat(d.depth * 2) + d.name }))}
                            />
                          </Form.Item>
                        );
                      case 'role':
                        return (
                          <Form.Item name={[f.name, 'role']} style={{ margin: 0 }} rules={required(t('请选择角色', 'Choose a role'))}>
                            <Select
                              aria-label={t(`第 ${i + 1} 步角色`, `Step ${i + 1} role`)}
                              style={{ width: 200 }}
                              loading={roles.isLoading}
                              options={(roles.data?.items ?? []).map((r) => ({ value: r.name, label: r.displayName || r.name }))}
                            />
                          </Form.Item>
                        );
                      case 'user':
                        return (
                          <Form.Item name={[f.name, 'userId']} style={{ margin: 0 }} rules={required(t('请选择用户', 'Choose a user'))}>
                            <UserSelect activeOnly aria-label={t(`第 ${i + 1} 步用户`, `Step ${i + 1} user`)} style={{ width: 200 }} />
                          </Form.Item>
                        );
                      default:
                        return <Typography.Text type="secondary">{t('提交人的直属上级', "The submitter's superior")}</Typography.Text>;
                    }
                  },
                },
                {
                  key: 'min',
                  title: t('金额高于（可空）', 'Only above (optional)'),
                  render: (_, f, i) => (
                    <Form.Item
                      name={[f.name, 'minAmount']}
                      style={{ margin: 0 }}
                      rules={[{ validator: (_: unknown, v?: string) => (!v || !v.trim() || isMoney(v) ? Promise.resolve() : Promise.reject(new Error(t('金额，最多两位小数', 'An amount, at most two decimals')))) }]}
                    >
                      <Input inputMode="decimal" prefix="¥" aria-label={t(`第 ${i + 1} 步最低金额`, `Step ${i + 1} minimum amount`)} style={{ width: 130 }} />
                    </Form.Item>
                  ),
                },
                {
                  key: 'name',
                  title: t('步骤名称（可空）', 'Step name (optional)'),
                  render: (_, f, i) => (
                    <Form.Item name={[f.name, 'name']} style={{ margin: 0 }} rules={[{ max: 50 }]}>
                      <Input aria-label={t(`第 ${i + 1} 步名称`, `Step ${i + 1} name`)} style={{ width: 150 }} />
                    </Form.Item>
                  ),
                },
                {
                  key: 'a',
                  title: t('操作', 'Actions'),
                  render: (_, f, i) => (
                    <Space size={4}>
                      <Button size="small" icon={<ArrowUpOutlined />} disabled={!canManage || i === 0} aria-label={t(`上移第 ${i + 1} 步`, `Move step ${i + 1} up`)} onClick={() => move(i, i - 1)} />
                      <Button size="small" icon={<ArrowDownOutlined />} disabled={!canManage || i === fields.length - 1} aria-label={t(`下移第 ${i + 1} 步`, `Move step ${i + 1} down`)} onClick={() => move(i, i + 1)} />
                      <Button size="small" danger icon={<DeleteOutlined />} disabled={!canManage} aria-label={t(`删除第 ${i + 1} 步`, `Remove step ${i + 1}`)} onClick={() => remove(f.name)} />
                    </Space>
                  ),
                },
              ]}
            />
            <Form.ErrorList errors={errors} />
            {canManage && (
              <Space style={{ marginTop: 8 }} wrap>
                <Button icon={<PlusOutlined />} onClick={() => add({ kind: 'superior', minAmount: '', name: '' })} disabled={fields.length >= 20} data-testid="add-flow-step">
                  {t('添加步骤', 'Add step')}
                </Button>
                <Button type="primary" htmlType="submit" data-testid="save-flow">{t('保存流程', 'Save flow')}</Button>
              </Space>
            )}
            <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
              {t(
                '按顺序逐步审批；设了金额的步骤只用于金额高于它的合同。提交时确定每一步的审批人，之后组织变化不影响审批中的合同；提交人不能审批自己的提交。',
                'Steps are decided in order; a step with an amount applies only to contracts above it. Approvers are fixed on submit (later changes to the organisation do not reroute a pending approval); nobody approves their own submission.',
              )}
            </Typography.Paragraph>
          </>
        )}
      </Form.List>
    </Form>
  );
}

function NumberingEditor({ numbering, canManage }: { numbering: ContractNumbering; canManage: boolean }) {
  const t = useT();
  const run = useCommand();
  const say = usePatternProblem();
  const [form] = Form.useForm<{ pattern: string }>();
  const pattern = (Form.useWatch('pattern', form) ?? numbering.pattern) as string;
  const preview = numberPreview(pattern, today());
  return (
    <Form
      form={form}
      name="contractNumbering"
      layout="vertical"
      disabled={!canManage}
      initialValues={{ pattern: numbering.pattern }}
      data-testid="numbering-form"
      onFinish={async (v) => {
        try {
          await run(() => call('PUT', '/contract-numbering', { body: { pattern: v.pattern.trim() }, ifMatch: numbering.version }), { form, success: t('编号规则已保存', 'Numbering saved') });
        } catch {
          /* shown */
        }
      }}
    >
      <Form.Item
        name="pattern"
        label={t('编号规则', 'Pattern')}
        extra={t('占位符：{yyyy} 年、{yy} 两位年、{mm} 月、{dd} 日、{seq:N} N 位序号（按其余部分分别计数）', 'Tokens: {yyyy} year, {yy} two-digit year, {mm} month, {dd} day, {seq:N} an N-digit sequence (counted per expansion of the rest)')}
        rules={[
          { max: 100 },
          {
            validator: (_, v?: string) => {
              const p = numberPreview((v ?? '').trim(), today());
              return p.problem ? Promise.reject(new Error(say(p.problem))) : Promise.resolve();
            },
          },
        ]}
      >
        <Input style={{ maxWidth: 320 }} />
      </Form.Item>
      <Alert
        type={preview.problem ? 'warning' : 'info'}
        showIcon
        style={{ marginBottom: 12, maxWidth: 520 }}
        title={<span data-testid="numbering-preview">{preview.problem ? say(preview.problem) : t(`今天的编号形如：${preview.number}（序号按期递增）`, `Numbers made today look like ${preview.number} (the sequence counts up per period)`)}</span>}
      />
      {canManage && <Button type="primary" htmlType="submit" data-testid="save-numbering">{t('保存编号规则', 'Save pattern')}</Button>}
    </Form>
  );
}

export default function ApprovalFlows() {
  const t = useT();
  const s = useSession();
  const canManage = s.isAdmin || s.can('settings.manage');
  const flows = useQuery({ queryKey: ['/approval-flows'], queryFn: () => get<{ items: ApprovalFlow[] }>('/approval-flows') });
  const numbering = useQuery({ queryKey: ['/contract-numbering'], queryFn: () => get<ContractNumbering>('/contract-numbering') });
  // one flow per kind of subject: contracts, receipts (confirmed by finance), payment vouchers
  const kinds: [string, string, string][] = [
    ['contract', t('合同审批', 'Contracts'), '合同审批'],
    ['receipt', t('回款确认', 'Receipts'), '回款确认'],
    ['payment', t('付款审批', 'Payment vouchers'), '付款审批'],
  ];
  const flowOf = (kind: string, name: string): ApprovalFlow | null =>
    flows.data ? (flows.data.items.find((f) => f.kind === kind) ?? { ...defaultFlow, kind, name }) : null;
  return (
    <div>
      <Card title={t('审批流程', 'Approval flows')} style={{ marginBottom: 16 }}>
        {flows.error ? (
          <ErrorState error={flows.error} retry={() => void flows.refetch()} />
        ) : (
          <Tabs
            items={kinds.map(([kind, label, name]) => {
              const flow = flowOf(kind, name);
              return { key: kind, label, children: flow && <FlowEditor key={`${kind}-${flow.version}`} flow={flow} canManage={canManage} /> };
            })}
          />
        )}
      </Card>
      <Card title={t('合同编号规则', 'Contract numbering')}>
        {numbering.error ? (
          <ErrorState error={numbering.error} retry={() => void numbering.refetch()} />
        ) : (
          numbering.data && <NumberingEditor key={numbering.data.version} numbering={numbering.data} canManage={canManage} />
        )}
      </Card>
    </div>
  );
}
