// The task board (任务看板): the Tasks page's view and filters shown as one column per status
// (未开始, 进行中, 已完成, 已取消; only those of a status filter), each read by itself
// (GET /tasks?status=…, a page of 50 with "load more", its count in the heading). A card moves
// to another column by dragging it (native HTML5 drag and drop) or by its "move to…" menu
// (keyboard, touch); only the moves the user may make are offered (taskMoves). Done asks for an
// optional completion note, cancelled for a reason; POST /tasks/{id}/status is sent at the
// card's version. While it is sent the card waits in its new column; a refusal puts it back and
// the columns are read again, a success reads them (and every other task screen) again.
import { useState } from 'react';
import { Alert, Button, Empty, Spin, Typography, type FormInstance } from 'antd';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, call, get, type Query } from '../api/client';
import type { Task, TaskStatus } from '../api/tasks';
import { BoardCard, BoardColumn, BoardLanes, MoveMenu, useBoardDrag, type BoardDrop } from '../components/board';
import { useLang, useT } from '../i18n';
import { label, taskStatus } from '../labels';
import { useSession } from '../session';
import { RelatedLink, TaskDue, TaskNoteDialogs, TaskPriorityTag, taskMoves, useTaskCommand } from './taskCommon';

export const boardStatuses: TaskStatus[] = ['not_started', 'in_progress', 'done', 'cancelled'];
const DRAG_TYPE = 'application/x-chronicle-task';
/** The cards a column reads at a time. */
export const BOARD_PAGE = 50;

interface TaskPage {
  items: Task[];
  nextCursor?: string;
  total?: number;
  totalExact?: boolean;
}

/** A move on its way: the card shows in its new column until the answer (and the reread) is in. */
interface Pending {
  task: Task;
  to: TaskStatus;
}

/** The column's count: the first page's total ("1,000+" when it is not exact: the server counts so far), else what is loaded. */
function countOf(pages: TaskPage[] | undefined, loaded: number, more: boolean): string {
  const first = pages?.[0];
  if (first?.total !== undefined && first.total !== null) return first.totalExact === false ? `${first.total.toLocaleString('en-US')}+` : String(first.total);
  return more ? `${loaded}+` : String(loaded);
}

export function TaskBoard({ query }: { query: Query }) {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const qc = useQueryClient();
  const run = useTaskCommand();
  const me = s.user.id;
  const [pending, setPending] = useState<Pending[]>([]);
  const [asking, setAsking] = useState<Pending | null>(null);
  const drag = useBoardDrag<Task>(DRAG_TYPE);
  // the status filter chooses the columns; each column sends its own status
  const { status, ...rest } = query;
  const chosen = (Array.isArray(status) ? status : status ? [String(status)] : []).filter((x): x is TaskStatus => (boardStatuses as string[]).includes(x));
  const columns = chosen.length ? boardStatuses.filter((x) => chosen.includes(x)) : boardStatuses;
  const statusLabel = (x: string) => label(taskStatus, x, lang);

  const reread = () => qc.invalidateQueries({ queryKey: ['/tasks'] });
  const send = async (task: Task, to: TaskStatus, note?: string, form?: FormInstance) => {
    const settle = () => setPending((all) => all.filter((x) => x.task.id !== task.id));
    setPending((all) => [...all.filter((x) => x.task.id !== task.id), { task, to }]);
    let r: Awaited<ReturnType<typeof call<Task>>> | undefined;
    try {
      r = await run(
        () => call<Task>('POST', `/tasks/${task.id}/status`, { body: note ? { status: to, note } : { status: to }, ifMatch: task.version }),
        { form, success: t(`已移到“${statusLabel(to)}”`, `Moved to “${statusLabel(to)}”`), historyPath: `/tasks/${task.id}/history`, reload: () => void reread() },
      );
    } catch (e) {
      // refused (told by run): the card goes back at once and the columns show what is there now;
      // a note dialog stays open only for an error on its note
      settle();
      if (!(e instanceof ApiError && (e.problem?.errors ?? []).length)) setAsking(null);
      void reread();
      throw e;
    }
    settle();
    if (r === undefined) {
      // a 412: the conflict dialog says so
      setAsking(null);
      void reread();
    }
    return r;
  };
  const move = (task: Task, to: TaskStatus) => {
    if (task.status === to || !taskMoves(task, me).includes(to) || pending.some((x) => x.task.id === task.id)) return;
    if (to === 'done' || to === 'cancelled') setAsking({ task, to });
    else void send(task, to).catch(() => undefined);
  };

  return (
    <div>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
        {t('拖动卡片或使用卡片上的“移动到…”菜单改变状态；只有负责人可以开始和完成任务，创建人可以取消任务。',
          'Drag a card or use its “Move to…” menu to change the status; only the assignee starts and completes a task, its creator may cancel it.')}
      </Typography.Paragraph>
      <BoardLanes testId="task-board" stackOnPhone flex="1 0 240px">
        {columns.map((col) => (
          <TaskColumn
            key={col}
            status={col}
            query={rest}
            pending={pending}
            drop={drag.column(col, (x) => !!x && x.status !== col && taskMoves(x, me).includes(col), (x) => move(x, col))}
            card={(task) => {
              const may = taskMoves(task, me).filter((x) => x !== task.status);
              const busy = pending.some((x) => x.task.id === task.id);
              return (
                <BoardCard
                  key={task.id}
                  title={task.title}
                  to={`/tasks/${task.id}`}
                  drag={drag.card(task, task.title, may.length > 0 && !busy)}
                  dimmed={busy || drag.dragging?.id === task.id}
                  busy={busy}
                  menu={!busy && <MoveMenu name={task.title} items={may.map((x) => ({ key: x, label: statusLabel(x) }))} onMove={(k) => move(task, k as TaskStatus)} />}
                >
                  <div style={{ display: 'flex', flexWrap: 'wrap', gap: 4, alignItems: 'center', marginTop: 4, fontSize: 12 }}>
                    <TaskPriorityTag priority={task.priority} />
                    {task.dueAt && <TaskDue task={task} />}
                  </div>
                  <div style={{ fontSize: 12, color: '#595959', marginTop: 4 }} data-testid="task-card-assignee">
                    {t('负责人：', 'Assignee: ')}
                    {task.assigneeName || '—'}
                  </div>
                  {task.relatedKind && task.relatedId && (
                    <div style={{ fontSize: 12, marginTop: 2, overflowWrap: 'anywhere' }}>
                      <RelatedLink task={task} />
                    </div>
                  )}
                </BoardCard>
              );
            }}
          />
        ))}
      </BoardLanes>
      <TaskNoteDialogs
        open={asking && (asking.to === 'done' || asking.to === 'cancelled') ? asking.to : null}
        subject={asking?.task.title}
        onClose={() => setAsking(null)}
        submit={(to, note, form) => (asking ? send(asking.task, to, note, form) : Promise.resolve(undefined))}
      />
    </div>
  );
}

/** One status's column: its own reads (a page at a time), its count, its cards. */
function TaskColumn({
  status,
  query,
  pending,
  drop,
  card,
}: {
  status: TaskStatus;
  query: Query;
  pending: Pending[];
  drop: BoardDrop;
  card: (task: Task) => React.ReactNode;
}) {
  const t = useT();
  const { lang } = useLang();
  const name = label(taskStatus, status, lang);
  const q = useInfiniteQuery({
    queryKey: ['/tasks', 'board', query, status, BOARD_PAGE],
    queryFn: ({ pageParam, signal }) => get<TaskPage>('/tasks', { ...query, status, limit: BOARD_PAGE, cursor: pageParam || undefined }, signal),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor || undefined,
  });
  const loaded = q.data?.pages.flatMap((p) => p.items ?? []) ?? [];
  // a card on its way leaves its column at once and waits in the one it goes to
  const leaving = new Set(pending.filter((x) => x.to !== status).map((x) => x.task.id));
  const coming = pending.filter((x) => x.to === status && !loaded.some((y) => y.id === x.task.id)).map((x) => ({ ...x.task, status }));
  const items = [...coming, ...loaded.filter((x) => !leaving.has(x.id))];
  const count = countOf(q.data?.pages, loaded.length, !!q.hasNextPage);

  return (
    <BoardColumn
      label={q.data ? t(`${name}（${count}）`, `${name} (${count})`) : name}
      testId={`board-column-${status}`}
      drop={drop}
      title={
        <>
          {name}{' '}
          <Typography.Text type="secondary" style={{ fontWeight: 'normal', fontSize: 13 }} data-testid="column-count">
            {q.data ? count : ''}
          </Typography.Text>
        </>
      }
    >
      {q.isLoading ? (
        <Spin style={{ display: 'block', margin: 24 }} />
      ) : q.error && !q.data ? (
        <Alert
          type="error"
          showIcon
          title={t('加载失败', 'Could not load')}
          description={(q.error as Error).message}
          action={<Button size="small" onClick={() => void q.refetch()}>{t('重试', 'Retry')}</Button>}
        />
      ) : items.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('暂无任务', 'No tasks')} />
      ) : (
        items.map(card)
      )}
      {q.hasNextPage && (
        <Button block size="small" loading={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()} data-testid="column-more">
          {t('加载更多', 'Load more')}
        </Button>
      )}
    </BoardColumn>
  );
}
