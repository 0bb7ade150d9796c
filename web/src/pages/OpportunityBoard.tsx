// The kanban board of a pipeline: one column per stage with its count and sums; a card moves to
// another column by dragging it (native HTML5 drag and drop) or by its "move to…" menu (keyboard,
// mouse, tests). Either way a dialog asks for a note and POST …/stage moves it; the board reloads.
import { useState } from 'react';
import { Button, Card, Dropdown, Empty, Spin, Typography } from 'antd';
import { MoreOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { get, type Schemas } from '../api/client';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { fmtMoney } from '../money';
import { useSession } from '../session';
import { MoveStageDialog, stageName, type MoveTarget, type Pipeline } from './opportunityCommon';

type Board = Schemas['OpportunityBoard'];
type Card = Schemas['OpportunityCard'];

const DRAG_TYPE = 'application/x-chronicle-opportunity';

export function OpportunityBoard({ pipeline }: { pipeline: Pipeline }) {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const canMove = s.isAdmin || s.can('opportunities.update');
  const q = useQuery({ queryKey: ['/opportunity-board', pipeline.id], queryFn: () => get<Board>('/opportunity-board', { pipelineId: pipeline.id, cards: 50 }) });
  const [target, setTarget] = useState<MoveTarget | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const [dragging, setDragging] = useState<Card | null>(null);
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  if (!q.data) return <Spin style={{ display: 'block', margin: 48 }} />;
  const board = q.data;
  const stageOf = (key: string) => pipeline.stages.find((x) => x.key === key);
  const labelOf = (key: string) => stageName(stageOf(key), key, lang);
  // Where a card may go: the pipeline's enabled stages other than its own.
  const targets = (o: Card) => pipeline.stages.filter((x) => !x.disabled && x.key !== o.stage);
  const move = (o: Card, stage: string) => {
    if (o.stage === stage || !canMove) return;
    setTarget({ opportunity: o, stage, stageLabel: labelOf(stage) });
  };
  const cardOf = (id: string) => board.columns.flatMap((c) => c.cards).find((c) => c.id === id);

  return (
    <div>
      <Typography.Paragraph type="secondary" data-testid="board-totals">
        {t(`共 ${board.count} 个进行中的商机，金额 ${fmtMoney(board.amount)}，加权 ${fmtMoney(board.weightedAmount)}`,
          `${board.count} open opportunities, amount ${fmtMoney(board.amount)}, weighted ${fmtMoney(board.weightedAmount)}`)}
        {canMove && t('。拖动卡片或使用“移动到…”菜单变更阶段。', '. Drag a card or use its “Move to…” menu to change its stage.')}
      </Typography.Paragraph>
      <div style={{ display: 'flex', gap: 12, overflowX: 'auto', paddingBottom: 8, alignItems: 'flex-start' }} data-testid="opportunity-board">
        {board.columns.map((col) => {
          const st = stageOf(col.stage);
          const label = labelOf(col.stage);
          const dropOk = canMove && !st?.disabled;
          return (
            <section
              key={col.stage}
              aria-label={t(`阶段 ${label}`, `Stage ${label}`)}
              data-testid={`board-column-${col.stage}`}
              onDragOver={(e) => {
                if (!dropOk || !e.dataTransfer.types.includes(DRAG_TYPE)) return;
                e.preventDefault();
                e.dataTransfer.dropEffect = 'move';
                if (over !== col.stage) setOver(col.stage);
              }}
              onDragLeave={() => setOver((v) => (v === col.stage ? null : v))}
              onDrop={(e) => {
                e.preventDefault();
                setOver(null);
                const o = cardOf(e.dataTransfer.getData(DRAG_TYPE)) ?? dragging;
                setDragging(null);
                if (o && dropOk) move(o, col.stage);
              }}
              style={{
                flex: '0 0 260px',
                background: over === col.stage && dragging?.stage !== col.stage ? '#eaf1fb' : '#fff',
                border: '1px solid #e3e3e3',
                outline: over === col.stage && dragging?.stage !== col.stage ? '2px dashed #1f5fbf' : undefined,
                borderRadius: 8,
                padding: 8,
                minHeight: 200,
              }}
            >
              <header style={{ marginBottom: 8 }}>
                <Typography.Title level={2} style={{ fontSize: 15, margin: 0 }}>
                  {label} {st && <Typography.Text type="secondary" style={{ fontWeight: 'normal', fontSize: 12 }}>{st.probability}%</Typography.Text>}
                </Typography.Title>
                <div style={{ fontSize: 12, color: '#595959' }} data-testid="column-summary">
                  {t(`${col.count} 个 · ${fmtMoney(col.amount)} · 加权 ${fmtMoney(col.weightedAmount)}`, `${col.count} · ${fmtMoney(col.amount)} · weighted ${fmtMoney(col.weightedAmount)}`)}
                </div>
              </header>
              {col.cards.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('暂无商机', 'None')} />}
              {col.cards.map((o) => (
                <Card
                  key={o.id}
                  size="small"
                  draggable={canMove}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(DRAG_TYPE, o.id);
                    e.dataTransfer.setData('text/plain', o.name);
                    e.dataTransfer.effectAllowed = 'move';
                    setDragging(o);
                  }}
                  onDragEnd={() => {
                    setDragging(null);
                    setOver(null);
                  }}
                  data-testid="board-card"
                  style={{ marginBottom: 8, cursor: canMove ? 'grab' : undefined, opacity: dragging?.id === o.id ? 0.5 : 1 }}
                  styles={{ body: { padding: 10 } }}
                >
                  <div style={{ display: 'flex', gap: 4, alignItems: 'flex-start' }}>
                    <Link to={`/opportunities/${o.id}`} style={{ flex: 1, fontWeight: 500, textDecoration: 'underline' }}>
                      {o.name}
                    </Link>
                    {canMove && targets(o).length > 0 && (
                      <Dropdown
                        trigger={['click']}
                        menu={{
                          items: targets(o).map((x) => ({ key: x.key, label: stageName(x, x.key, lang) })),
                          onClick: (e) => move(o, e.key),
                        }}
                      >
                        <Button size="small" type="text" icon={<MoreOutlined />} aria-label={t(`移动“${o.name}”到…`, `Move “${o.name}” to…`)} />
                      </Dropdown>
                    )}
                  </div>
                  <div style={{ fontSize: 12, color: '#595959' }}>{o.customerName}</div>
                  <div style={{ display: 'flex', justifyContent: 'space-between', fontSize: 12, marginTop: 4 }}>
                    <span>¥{fmtMoney(o.amount)}</span>
                    <span>{o.expectedCloseDate ? t(`预计 ${o.expectedCloseDate}`, `Close ${o.expectedCloseDate}`) : ''}</span>
                  </div>
                </Card>
              ))}
              {col.cards.length < col.count && (
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t(`另有 ${col.count - col.cards.length} 个未显示，请在列表中查看`, `${col.count - col.cards.length} more in the list`)}
                </Typography.Text>
              )}
            </section>
          );
        })}
      </div>
      <MoveStageDialog target={target} onClose={() => setTarget(null)} onMoved={() => void q.refetch()} />
    </div>
  );
}
