import { useState } from 'react';
import { Alert, Button, Card, Col, DatePicker, Descriptions, Dropdown, Empty, Form, Input, Modal, Row, Select, Space, Spin, Statistic, Steps, Table, Tag, Typography, type FormInstance } from 'antd';
import { DownOutlined, FileProtectOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import dayjs, { type Dayjs } from 'dayjs';
import { call, get, type Schemas } from '../api/client';
import { useCommand } from '../components/commands';
import { UserSelect, useUserName } from '../components/common';
import { DeleteButton, DetailHeader, FormDialog, RecordTabs } from '../components/detail';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { fmtMoney, isMoney } from '../money';
import { useSession } from '../session';
import { fmtTime } from '../util';
import { OpportunityForm } from './OpportunityForm';
import { formLines, LineEditor, LinesTable, linesBody, linesValue } from './OpportunityLines';
import { DictSelect, MoveStageDialog, StatusTag, stageName, useDictLabel, usePipelines, type MoveTarget, type Opportunity } from './opportunityCommon';

type PlanStep = Schemas['OpportunityPlanStep'];

/** The "edit lines" dialog: its own form with the line editor, sent with PUT …/lines. */
function LinesDialog({ o, open, onClose }: { o: Opportunity; open: boolean; onClose: () => void }) {
  const t = useT();
  const run = useCommand();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  return (
    <Modal
      open={open}
      title={t('编辑产品明细', 'Edit line items')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('保存', 'Save')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy }}
      width={900}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t('保存后金额为明细合计；清空全部明细则恢复手工金额。', 'Once saved the amount is the lines’ sum; removing every line returns to the entered amount.')}</Typography.Paragraph>
      <Form
        form={form}
        layout="vertical"
        name="opportunityLines"
        initialValues={{ lines: linesValue(o.lines) }}
        data-testid="lines-form"
        onFinish={async () => {
          setBusy(true);
          try {
            const r = await run(() => call('PUT', `/opportunities/${o.id}/lines`, { body: { lines: linesBody(formLines(form)) }, ifMatch: o.version }), {
              form,
              success: t('明细已保存', 'Lines saved'),
              historyPath: `/opportunities/${o.id}/history`,
              reload: onClose,
            });
            if (r !== undefined) onClose();
          } catch {
            /* reported */
          } finally {
            setBusy(false);
          }
        }}
      >
        <LineEditor form={form} />
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

function PlanView({ o, canEdit }: { o: Opportunity; canEdit: boolean }) {
  const t = useT();
  const run = useCommand();
  const [adding, setAdding] = useState(false);
  const [result, setResult] = useState<PlanStep | null>(null);
  const plan = o.plan ?? [];
  return (
    <div>
      {canEdit && (
        <Button style={{ marginBottom: 8 }} onClick={() => setAdding(true)} data-testid="add-plan-step">
          {t('添加计划步骤', 'Add a plan step')}
        </Button>
      )}
      <Table<PlanStep>
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={plan}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Empty description={t('暂无开发计划', 'No plan yet')} /> }}
        columns={[
          { key: 'date', title: t('日期', 'Date'), dataIndex: 'date', width: 110 },
          { key: 'action', title: t('行动', 'Action'), dataIndex: 'action' },
          { key: 'result', title: t('结果', 'Result'), render: (_, p) => (p.result ? <span>{p.result} <Typography.Text type="secondary" style={{ fontSize: 12 }}>{fmtTime(p.recordedAt)}</Typography.Text></span> : '—') },
          {
            key: 'a',
            title: t('操作', 'Actions'),
            render: (_, p) =>
              canEdit && (
                <Button size="small" onClick={() => setResult(p)}>
                  {p.result ? t('修改结果', 'Change result') : t('记录结果', 'Record result')}
                </Button>
              ),
          },
        ]}
      />
      <FormDialog
        open={adding}
        title={t('添加计划步骤', 'Add a plan step')}
        onClose={() => setAdding(false)}
        testId="plan-form" name="planStep"
        submit={(v, form) =>
          run(() => call('POST', `/opportunities/${o.id}/plan`, { body: { date: (v.date as Dayjs).format('YYYY-MM-DD'), action: String(v.action).trim() }, ifMatch: o.version }), {
            form,
            success: t('已添加', 'Added'),
            historyPath: `/opportunities/${o.id}/history`,
          })
        }
      >
        <Form.Item name="date" label={t('日期', 'Date')} rules={[{ required: true, message: t('请选择日期', 'Choose a date') }]} initialValue={dayjs()}>
          <DatePicker style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="action" label={t('行动', 'Action')} rules={[{ required: true, whitespace: true, message: t('请填写行动', 'An action is required') }, { max: 1000 }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
      </FormDialog>
      <FormDialog
        open={!!result}
        title={t('记录结果', 'Record the result')}
        name="planResult"
        onClose={() => setResult(null)}
        submit={(v, form) =>
          run(() => call('POST', `/opportunities/${o.id}/plan/${result!.id}/result`, { body: { result: String(v.result).trim() }, ifMatch: o.version }), {
            form,
            success: t('已记录', 'Recorded'),
            historyPath: `/opportunities/${o.id}/history`,
          })
        }
      >
        {result && <Typography.Paragraph>{result.date} · {result.action}</Typography.Paragraph>}
        <Form.Item name="result" label={t('结果', 'Result')} initialValue={result?.result ?? ''} rules={[{ required: true, whitespace: true, message: t('请填写结果', 'A result is required') }, { max: 2000 }]}>
          <Input.TextArea rows={3} />
        </Form.Item>
      </FormDialog>
    </div>
  );
}

export default function OpportunityDetail() {
  const { id } = useParams();
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const nav = useNavigate();
  const run = useCommand();
  const userName = useUserName();
  const pipelines = usePipelines();
  const sourceLabel = useDictLabel('opportunity_source');
  const reasonLabel = useDictLabel('lost_reason');
  const q = useQuery({ queryKey: ['/opportunities', id], queryFn: () => get<Opportunity>(`/opportunities/${id}`), enabled: !!id });
  const [dialog, setDialog] = useState<null | 'edit' | 'lines' | 'win' | 'lose' | 'reopen' | 'assign'>(null);
  const [move, setMove] = useState<MoveTarget | null>(null);
  if (q.isLoading) return <Spin style={{ display: 'block', margin: 48 }} />;
  if (q.error || !q.data) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  const o = q.data;
  const pipeline = pipelines.data?.find((p) => p.id === o.pipelineId);
  const label = (key: string) => stageName(pipeline?.stages.find((x) => x.key === key), key, lang);
  const can = (p: string) => s.isAdmin || s.can(p);
  const canEdit = can('opportunities.update');
  const open = o.status === 'open';
  const close = () => setDialog(null);
  const history = `/opportunities/${o.id}/history`;
  const cmd = (path: string, body: unknown, ok: string, form?: FormInstance) =>
    run(() => call('POST', `/opportunities/${o.id}/${path}`, { body, ifMatch: o.version }), { form, success: ok, historyPath: history, reload: close });

  // The steps: the pipeline's enabled stages (and the current one if it was disabled since), then the close.
  const stages = (pipeline?.stages ?? []).filter((x) => !x.disabled || x.key === o.stage);
  const cur = stages.findIndex((x) => x.key === o.stage);
  const enabled = stages.filter((x) => !x.disabled);
  const idx = enabled.findIndex((x) => x.key === o.stage);
  const next = idx >= 0 ? enabled[idx + 1] : undefined;
  const moveTo = (key: string) => setMove({ opportunity: o, stage: key, stageLabel: label(key) });
  const steps = [
    ...stages.map((x, i) => ({
      key: x.key,
      title: stageName(x, x.key, lang),
      description: `${x.probability}%`,
      status: (o.status !== 'open' ? (i <= cur ? 'finish' : 'wait') : i < cur ? 'finish' : i === cur ? 'process' : 'wait') as 'finish' | 'process' | 'wait',
    })),
    {
      key: '_close',
      title: o.status === 'won' ? t('赢单', 'Won') : o.status === 'lost' ? t('输单', 'Lost') : t('成交', 'Close'),
      description: o.closedOn || undefined,
      status: (o.status === 'won' ? 'finish' : o.status === 'lost' ? 'error' : 'wait') as 'finish' | 'error' | 'wait',
    },
  ];

  return (
    <div>
      <DetailHeader title={o.name}>
        <StatusTag status={o.status} />
        <Tag color="blue">{label(o.stage)}</Tag>
      </DetailHeader>
      <div style={{ marginBottom: 12 }}>
        <Space wrap>
          {canEdit && <Button type="primary" onClick={() => setDialog('edit')}>{t('编辑', 'Edit')}</Button>}
          {canEdit && open && next && (
            <Button onClick={() => moveTo(next.key)} data-testid="advance">
              {t(`推进到“${stageName(next, next.key, lang)}”`, `Advance to “${stageName(next, next.key, lang)}”`)}
            </Button>
          )}
          {canEdit && open && enabled.length > 1 && (
            <Dropdown trigger={['click']} menu={{ items: enabled.filter((x) => x.key !== o.stage).map((x) => ({ key: x.key, label: stageName(x, x.key, lang) })), onClick: (e) => moveTo(e.key) }}>
              <Button>
                {t('变更阶段', 'Change stage')} <DownOutlined />
              </Button>
            </Dropdown>
          )}
          {canEdit && <Button onClick={() => setDialog('lines')} disabled={!open}>{t('编辑明细', 'Edit lines')}</Button>}
          {canEdit && open && <Button onClick={() => setDialog('win')} style={{ color: '#2b7a0b', borderColor: '#a8d394' }}>{t('赢单', 'Win')}</Button>}
          {canEdit && open && <Button danger onClick={() => setDialog('lose')}>{t('输单', 'Lose')}</Button>}
          {o.status === 'won' && can('contracts.create') && (
            <Button type="primary" icon={<FileProtectOutlined />} onClick={() => nav(`/contracts/new?opportunityId=${encodeURIComponent(o.id)}`)} data-testid="create-contract">
              {t('生成合同', 'Create contract')}
            </Button>
          )}
          {!open && can('opportunities.reopen') && <Button onClick={() => setDialog('reopen')}>{t('重新打开', 'Reopen')}</Button>}
          {can('opportunities.assign') && <Button onClick={() => setDialog('assign')}>{t('分配客户经理', 'Assign')}</Button>}
          {can('opportunities.delete') && (
            <DeleteButton path={`/opportunities/${o.id}`} version={o.version} title={t('删除商机', 'Delete opportunity')} content={t('删除后商机离开列表和看板，历史仍保留。', 'It leaves the lists and the board; its history stays.')} after="/opportunities" />
          )}
        </Space>
      </div>
      <Card>
        <Steps size="small" items={steps} data-testid="stage-steps" style={{ marginBottom: 16 }} responsive />
        {o.status === 'lost' && (
          <Alert
            type="error"
            showIcon
            style={{ marginBottom: 12 }}
            title={t(`输单原因：${reasonLabel(o.lostReason)}`, `Lost: ${reasonLabel(o.lostReason)}`)}
            description={[o.competitor && t(`竞争对手：${o.competitor}`, `Competitor: ${o.competitor}`), o.closeNote].filter(Boolean).join(' · ') || undefined}
          />
        )}
        {o.status === 'won' && (
          <Alert type="success" showIcon style={{ marginBottom: 12 }} title={t(`${o.closedOn} 赢单，成交金额 ¥${fmtMoney(o.wonAmount || o.amount)}`, `Won on ${o.closedOn}, ¥${fmtMoney(o.wonAmount || o.amount)}`)} description={o.closeNote || undefined} />
        )}
        <Row gutter={16} style={{ marginBottom: 12 }}>
          <Col xs={12} sm={6}><Statistic title={t('金额', 'Amount')} value={fmtMoney(o.amount)} prefix="¥" /></Col>
          <Col xs={12} sm={6}><Statistic title={t('加权金额', 'Weighted')} value={fmtMoney(o.weightedAmount)} prefix="¥" /></Col>
          <Col xs={12} sm={6}><Statistic title={t('赢率', 'Probability')} value={`${o.probability}%`} suffix={o.probabilityOverride != null && open ? <Tag>{t('已覆盖', 'override')}</Tag> : undefined} /></Col>
          <Col xs={12} sm={6}><Statistic title={t('预计成交', 'Expected close')} value={o.expectedCloseDate || '—'} /></Col>
        </Row>
        <Descriptions
          size="small"
          column={{ xs: 1, sm: 2, lg: 3 }}
          data-testid="opportunity-fields"
          items={[
            [t('客户', 'Customer'), <Link to={`/customers/${o.customerId}`} style={{ textDecoration: 'underline' }}>{o.customerName}</Link>],
            [t('销售流程', 'Pipeline'), pipeline?.name],
            [t('负责人', 'Owner'), o.ownerName || userName(o.ownerId)],
            [t('客户经理', 'Account manager'), o.assigneeName || userName(o.assigneeId)],
            [t('来源', 'Source'), sourceLabel(o.source)],
            [t('团队成员', 'Team'), (o.teamIds ?? []).map((u) => userName(u)).join('、')],
            [t('概要', 'Summary'), o.summary],
            [t('下一步', 'Next step'), o.nextStep],
            [t('进入阶段', 'In stage since'), fmtTime(o.stageEnteredAt)],
            [t('描述', 'Description'), o.description],
            [t('创建时间', 'Created'), fmtTime(o.createdAt)],
            [t('版本', 'Version'), String(o.version)],
          ].map(([l, v], i) => ({ key: String(i), label: l, children: v === '' || v === undefined || v === null ? '—' : v }))}
        />
      </Card>
      <RecordTabs
        historyPath={history}
        items={[
          {
            key: 'lines',
            label: t('产品明细', 'Line items'),
            children: <LinesTable lines={o.lines ?? []} amount={o.amount} testId="opportunity-lines" />,
          },
          { key: 'plan', label: t('开发计划', 'Plan'), children: <PlanView o={o} canEdit={canEdit} /> },
        ]}
      />
      <OpportunityForm open={dialog === 'edit'} opportunity={o} onClose={close} />
      <LinesDialog o={o} open={dialog === 'lines'} onClose={close} />
      <MoveStageDialog target={move} onClose={() => setMove(null)} />
      <FormDialog
        open={dialog === 'win'}
        title={t('赢单', 'Win the deal')}
        okText={t('确认赢单', 'Mark as won')}
        onClose={close}
        testId="win-form" name="win"
        submit={(v, form) => {
          const body: Record<string, string> = {};
          if (String(v.amount ?? '').trim()) body.amount = String(v.amount).trim();
          if (v.date) body.date = (v.date as Dayjs).format('YYYY-MM-DD');
          if (String(v.note ?? '').trim()) body.note = String(v.note).trim();
          return cmd('win', body, t('已赢单', 'Won'), form);
        }}
      >
        <Form.Item name="amount" label={t('成交金额', 'Deal amount')} extra={t(`留空则为 ¥${fmtMoney(o.amount)}`, `Empty: ¥${fmtMoney(o.amount)}`)}
          rules={[{ validator: (_, val?: string) => (!val || !val.trim() || isMoney(val) ? Promise.resolve() : Promise.reject(new Error(t('金额最多 2 位小数', 'An amount with at most 2 decimals')))) }]}>
          <Input inputMode="decimal" prefix="¥" placeholder={o.amount} />
        </Form.Item>
        <Form.Item name="date" label={t('成交日期', 'Deal date')} initialValue={dayjs()}>
          <DatePicker style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="note" label={t('备注', 'Note')} rules={[{ max: 1000 }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
      </FormDialog>
      <FormDialog
        open={dialog === 'lose'}
        title={t('输单', 'Lose the deal')}
        okText={t('确认输单', 'Mark as lost')}
        danger
        onClose={close}
        testId="lose-form" name="lose"
        submit={(v, form) => cmd('lose', { reason: v.reason, competitor: String(v.competitor ?? '').trim(), note: String(v.note ?? '').trim() }, t('已输单', 'Lost'), form)}
      >
        <Form.Item name="reason" label={t('输单原因', 'Reason')} rules={[{ required: true, message: t('请选择原因', 'Choose a reason') }]}>
          <DictSelect kind="lost_reason" />
        </Form.Item>
        <Form.Item name="competitor" label={t('竞争对手', 'Competitor')} rules={[{ max: 200 }]}>
          <Input />
        </Form.Item>
        <Form.Item name="note" label={t('备注', 'Note')} rules={[{ max: 1000 }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
      </FormDialog>
      <FormDialog
        open={dialog === 'reopen'}
        title={t('重新打开商机', 'Reopen the opportunity')}
        name="reopen"
        onClose={close}
        submit={(v, form) => {
          const body: Record<string, string> = {};
          if (v.stage) body.stage = String(v.stage);
          if (String(v.note ?? '').trim()) body.note = String(v.note).trim();
          return cmd('reopen', body, t('已重新打开', 'Reopened'), form);
        }}
      >
        <Form.Item name="stage" label={t('回到阶段', 'Back to stage')} extra={t('留空则回到关闭前的阶段', 'Empty: the stage it closed in')}>
          <Select allowClear options={enabled.map((x) => ({ value: x.key, label: stageName(x, x.key, lang) }))} />
        </Form.Item>
        <Form.Item name="note" label={t('备注', 'Note')} rules={[{ max: 1000 }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
      </FormDialog>
      <FormDialog
        open={dialog === 'assign'}
        title={t('分配客户经理', 'Assign an account manager')}
        name="assign"
        onClose={close}
        submit={(v, form) => cmd('assign', { userId: v.userId }, t('已分配', 'Assigned'), form)}
      >
        <Form.Item name="userId" label={t('客户经理', 'Account manager')} rules={[{ required: true, message: t('请选择用户', 'Choose a user') }]}>
          <UserSelect activeOnly />
        </Form.Item>
      </FormDialog>
    </div>
  );
}
