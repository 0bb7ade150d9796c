// The kanban board of a pipeline: one column per stage with its count and sums; a card moves to
// another column by dragging it (native HTML5 drag and drop) or by its "move to…" menu (keyboard,
// mouse, tests). Either way a dialog asks for a note and POST …/stage moves it; the board reloads.
import { useState } from 'react';
import { Empty, Spin, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { get, type Schemas } from '../api/client';
import { BoardCard, BoardColumn, BoardLanes, MoveMenu, useBoardDrag } from '../components/board';
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
  const drag = useBoardDrag<Card>(DRAG_TYPE, (id) => q.data?.columns.flatMap((c) => c.cards).find((c) => c.id === id));
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

  return (
    <div>
      <Typography.Paragraph type="secondary" data-testid="board-totals">
        {t(`共 ${board.count} 个进行中的商机，金额 ${fmtMoney(board.amount)}，加权 ${fmtMoney(board.weightedAmount)}`,
          `${board.count} open opportunities, amount ${fmtMoney(board.amount)}, weighted ${fmtMoney(board.weightedAmount)}`)}
        {canMove && t('。拖动卡片或使用“移动到…”菜单变更阶段。', '. Drag a card or use its “Move to…” menu to change its stage.')}
      </Typography.Paragraph>
      <BoardLanes testId="opportunity-board">
        {board.columns.map((col) => {
          const st = stageOf(col.stage);
          const label = labelOf(col.stage);
          const dropOk = canMove && !st?.disabled;
          return (
            <BoardColumn
              key={col.stage}
              label={t(`阶段 ${label}`, `Stage ${label}`)}
              testId={`board-column-${col.stage}`}
              drop={drag.column(col.stage, (o) => dropOk && o?.stage !== col.stage, (o) => move(o, col.stage))}
              title={<>{label} {st && <Typography.Text type="secondary" style={{ fontWeight: 'normal', fontSize: 12 }}>{st.probability}%</Typography.Text>}</>}
              summary={
                <div style={{ fontSize: 12, color: '#595959' }} data-testid="column-summary">
                  {t(`${col.count} 个 · ${fmtMoney(col.amount)} · 加权 ${fmtMoney(col.weightedAmount)}`, `${col.count} · ${fmtMoney(col.amount)} · weighted ${fmtMoney(col.weightedAmount)}`)}
                </div>
              }
            >
              {col.cards.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('暂无商机', 'None')} />}
              {col.cards.map((o) => (
                <BoardCard
                  key={o.id}
                  title={o.name}
                  to={`/opportunities/${o.id}`}
                  drag={drag.card(o, o.name, canMove)}
                  dimmed={drag.dragging?.id === o.id}
                  menu={canMove && <MoveMenu name={o.name} items={targets(o).map((x) => ({ key: x.key, label: stageName(x, x.key, lang) }))} onMove={(k) => move(o, k)} />}
                >
                  <div style={{ fontSize: 12, color: '#595959' }}>{o.customerName}</div>
                  <div style={{ display: 'flex', justifyContent: 'space-between', fontSize: 12, marginTop: 4 }}>
                    <span>¥{fmtMoney(o.amount)}</span>
                    <span>{o.expectedCloseDate ? t(`预计 ${o.expectedCloseDate}`, `Close ${o.expectedCloseDate}`) : ''}</span>
                  </div>
                </BoardCard>
              ))}
              {col.cards.length < col.count && (
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t(`另有 ${col.count - col.cards.length} 个未显示，请在列表中查看`, `${col.count - col.cards.length} more in the list`)}
                </Typography.Text>
              )}
            </BoardColumn>
          );
        })}
      </BoardLanes>
      <MoveStageDialog target={target} onClose={() => setTarget(null)} onMoved={() => void q.refetch()} />
    </div>
  );
}
