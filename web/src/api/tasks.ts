import type { Schemas } from './client';

// The tasks (任务) API under the names the screens use: the records are the OpenAPI document's
// schemas (generated into schema.d.ts by `npm run gen:api`), the rest are the request bodies
// and enums the forms build.
//
// A time is RFC 3339, a date "YYYY-MM-DD". All paths are under /api/v1.

export type TaskStatus = 'not_started' | 'in_progress' | 'done' | 'cancelled';
export type TaskPriority = 'urgent' | 'high' | 'normal' | 'low';
/** The kind of record a task is about ('' = none). */
export type TaskRelatedKind = '' | 'lead' | 'customer' | 'contact' | 'opportunity' | 'contract';
export type TaskSource = 'direct' | 'marketing' | 'feedback';

/** The lists of GET /tasks?view= */
export type TaskView = 'mine' | 'today' | 'overdue' | 'created' | 'participating' | 'subordinates' | 'all';

export type ChecklistItem = Schemas['TaskChecklistItem'];

/** A task (任务): the OpenAPI document's Task. */
export type Task = Schemas['Task'];

/** POST /tasks (assigneeId empty: myself); PATCH /tasks/{id} takes the same fields but assigneeId. */
export interface TaskInput {
  title: string;
  description?: string;
  relatedKind?: TaskRelatedKind;
  relatedId?: string;
  priority?: TaskPriority;
  startAt?: string;
  dueAt?: string;
  participants?: string[];
  reminders?: number[];
  assigneeId?: string;
}

/** One comment of GET /tasks/{id}/comments (oldest first). */
export type TaskComment = Schemas['TaskComment'];

/** The reminder choices of the form, in minutes before the due time. */
export const reminderChoices = [15, 60, 1440, 2880] as const;
export const defaultReminders = [60, 1440];
