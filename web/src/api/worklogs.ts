import type { Schemas } from './client';

// The work logs (日志) API under the names the screens use: the records are the OpenAPI
// document's schemas (generated into schema.d.ts by `npm run gen:api`), the rest are the request
// bodies and enums the forms build. A period is the date of its first day ("YYYY-MM-DD": the day,
// the Monday of the ISO week, the first of the month). All paths are under /api/v1.

export type WorkLogKind = 'daily' | 'weekly' | 'monthly';
export type WorkLogStatus = 'draft' | 'submitted';
/** The lists of GET /worklogs?view= */
export type WorkLogView = 'mine' | 'received' | 'subordinates' | 'all';
export type WorkLogLinkKind = 'lead' | 'customer' | 'contact' | 'opportunity' | 'contract';

/** A work log (日志): the OpenAPI document's WorkLog. */
export type WorkLog = Schemas['WorkLog'];
export type WorkLogComment = Schemas['WorkLogComment'];
export type WorkLogReceipt = Schemas['WorkLogReceipt'];
export type WorkLogStats = Schemas['WorkLogStats'];

/** POST /worklogs (submit: at once); PATCH /worklogs/{id} takes the texts, links and extra recipients. */
export interface WorkLogInput {
  kind: WorkLogKind;
  period: string;
  workDone: string;
  plan?: string;
  problems?: string;
  links?: { kind: WorkLogLinkKind; id: string }[];
  extraRecipients?: string[];
  submit?: boolean;
}

export const workLogKinds: WorkLogKind[] = ['daily', 'weekly', 'monthly'];
