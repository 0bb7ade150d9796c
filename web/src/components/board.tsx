// What the kanban boards share (商机看板, 任务看板): the row of columns (side by side, scrolling
// sideways; on a phone one under the other when the board asks for it), a column (a region
// with its heading that highlights while a card may drop on it), a card (focusable, draggable
// with native HTML5 drag and drop when it may move) and its "move to…" menu (the keyboard and
// touch way to move it). Where a card may go and what a move does stay with each board.
import { createContext, useContext, useState, type CSSProperties } from 'react';
import { Button, Card, Dropdown, Grid, Typography } from 'antd';
import { MoreOutlined } from '@ant-design/icons';
import { Link } from 'react-router';
import { useT } from '../i18n';

const LanesContext = createContext<{ stacked: boolean; flex: CSSProperties['flex'] }>({ stacked: false, flex: '0 0 260px' });

/** The board's columns: side by side, scrolling sideways; below 768 px with stackOnPhone one
 * under the other. flex is each column's flex when side by side. */
export function BoardLanes({ children, testId, stackOnPhone = false, flex = '0 0 260px' }: { children: React.ReactNode; testId?: string; stackOnPhone?: boolean; flex?: CSSProperties['flex'] }) {
  const screens = Grid.useBreakpoint();
  const stacked = stackOnPhone && screens.md === false;
  return (
    <LanesContext.Provider value={{ stacked, flex }}>
      <div
        data-testid={testId}
        data-stacked={stacked || undefined}
        style={stacked ? { display: 'flex', flexDirection: 'column', gap: 12 } : { display: 'flex', gap: 12, overflowX: 'auto', paddingBottom: 8, alignItems: 'flex-start' }}
      >
        {children}
      </div>
    </LanesContext.Provider>
  );
}

/** The drag state of a board: which card is being dragged and which column it is over. */
export function useBoardDrag<T extends { id: string }>(type: string, find?: (id: string) => T | undefined) {
  const [dragging, setDragging] = useState<T | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const end = () => {
    setDragging(null);
    setOver(null);
  };
  return {
    dragging,
    /** A card's drag handlers (draggable only when it may move). */
    card: (item: T, text: string, enabled: boolean) => ({
      draggable: enabled,
      onDragStart: (e: React.DragEvent) => {
        if (!enabled) return;
        e.dataTransfer.setData(type, item.id);
        e.dataTransfer.setData('text/plain', text);
        e.dataTransfer.effectAllowed = 'move';
        setDragging(item);
      },
      onDragEnd: end,
    }),
    /** A column's drop handlers and how it shows: 'over' while a card that may drop here is over
     * it, 'target' while such a card is dragged elsewhere. accepts(null) is asked of a drag that
     * did not start on this board (the item is then found by its id). */
    column: (key: string, accepts: (item: T | null) => boolean, drop: (item: T) => void): BoardDrop => ({
      state: over === key ? 'over' : dragging && accepts(dragging) ? 'target' : 'idle',
      handlers: {
        onDragOver: (e: React.DragEvent) => {
          if (!e.dataTransfer.types.includes(type) || !accepts(dragging)) return;
          e.preventDefault();
          e.dataTransfer.dropEffect = 'move';
          if (over !== key) setOver(key);
        },
        onDragLeave: () => setOver((v) => (v === key ? null : v)),
        onDrop: (e: React.DragEvent) => {
          e.preventDefault();
          const id = e.dataTransfer.getData(type);
          const item = dragging && (!id || dragging.id === id) ? dragging : id ? find?.(id) : undefined;
          end();
          if (item && accepts(item)) drop(item);
        },
      },
    }),
  };
}

export type DropState = 'idle' | 'target' | 'over';
/** What a column gets from useBoardDrag().column: how it shows and its drop handlers. */
export interface BoardDrop {
  state: DropState;
  handlers: { onDragOver: (e: React.DragEvent) => void; onDragLeave: () => void; onDrop: (e: React.DragEvent) => void };
}

/** A column: a region named by label, its heading and summary, and its cards. */
export function BoardColumn({
  label,
  title,
  summary,
  testId,
  drop,
  children,
}: {
  label: string;
  title: React.ReactNode;
  summary?: React.ReactNode;
  testId?: string;
  drop: BoardDrop;
  children: React.ReactNode;
}) {
  const lanes = useContext(LanesContext);
  const { state } = drop;
  return (
    <section
      aria-label={label}
      data-testid={testId}
      data-drop={state}
      {...drop.handlers}
      style={{
        flex: lanes.stacked ? '0 0 auto' : lanes.flex,
        background: state === 'over' ? '#eaf1fb' : '#fff',
        border: '1px solid #e3e3e3',
        outline: state === 'over' ? '2px dashed #1f5fbf' : state === 'target' ? '1px dashed #1f5fbf' : undefined,
        borderRadius: 8,
        padding: 8,
        minHeight: lanes.stacked ? undefined : 200,
        // stacked, a long column scrolls by itself so the ones below stay in reach
        ...(lanes.stacked ? { maxHeight: '70vh', overflowY: 'auto' as const } : {}),
      }}
    >
      <header style={{ marginBottom: 8 }}>
        <Typography.Title level={2} style={{ fontSize: 15, margin: 0 }}>
          {title}
        </Typography.Title>
        {summary}
      </header>
      {children}
    </section>
  );
}

/** A card: focusable, its title linking to the record, its "move to…" menu, what the board shows below. */
export function BoardCard({
  title,
  to,
  drag,
  menu,
  dimmed,
  busy,
  children,
  testId = 'board-card',
}: {
  title: string;
  to: string;
  drag: { draggable: boolean; onDragStart: (e: React.DragEvent) => void; onDragEnd: () => void };
  menu?: React.ReactNode;
  dimmed?: boolean;
  busy?: boolean;
  children?: React.ReactNode;
  testId?: string;
}) {
  return (
    <Card
      size="small"
      role="article"
      aria-label={title}
      aria-busy={busy || undefined}
      tabIndex={0}
      {...drag}
      data-testid={testId}
      style={{ marginBottom: 8, cursor: drag.draggable ? 'grab' : undefined, opacity: dimmed ? 0.5 : 1 }}
      styles={{ body: { padding: 10 } }}
    >
      <div style={{ display: 'flex', gap: 4, alignItems: 'flex-start' }}>
        <Link to={to} style={{ flex: 1, fontWeight: 500, textDecoration: 'underline', overflowWrap: 'anywhere' }}>
          {title}
        </Link>
        {menu}
      </div>
      {children}
    </Card>
  );
}

/** The "move to…" menu of a card (nothing when it may go nowhere). */
export function MoveMenu({ name, items, onMove }: { name: string; items: { key: string; label: string }[]; onMove: (key: string) => void }) {
  const t = useT();
  if (items.length === 0) return null;
  return (
    <Dropdown trigger={['click']} menu={{ items, onClick: (e) => onMove(e.key) }}>
      <Button size="small" type="text" icon={<MoreOutlined />} aria-label={t(`移动“${name}”到…`, `Move “${name}” to…`)} />
    </Dropdown>
  );
}
