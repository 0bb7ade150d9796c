// Contracts (合同), approvals and their settings as the API sends them (docs/api.md, "Contracts and
// approvals"): hand-written until the OpenAPI document has them; then these become aliases of
// Schemas[…] and web/src/api/schema.d.ts is regenerated (npm run gen:api).
// Money is a decimal string, a date "YYYY-MM-DD", a time RFC 3339.
import type { Schemas } from '../api/client';

export type ContractStatus = 'draft' | 'pending' | 'approved' | 'executing' | 'completed' | 'terminated';

/** A line of a contract: the same as an opportunity's. */
export type ContractLine = Schemas['OpportunityLine'];
/** A line as a command sends it: the same as an opportunity's. */
export type ContractLineInput = Schemas['OpportunityLineInput'];

export type ApprovalStepKind = 'superior' | 'department_head' | 'role' | 'user';
export type ApprovalDecision = '' | 'approved' | 'rejected';
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'withdrawn';

/** One step of an approval as it was resolved on submit: who may decide it and what was decided. */
export interface ApprovalStep {
  name: string;
  kind: ApprovalStepKind;
  approverIds: string[];
  decision: ApprovalDecision;
  by: string | null;
  at: string | null;
  comment: string;
}

/** The approval a subject is in (or was last in). */
export interface Approval {
  kind: 'contract';
  /** the contract itself, or an amendment of it */
  purpose: 'contract' | 'amendment';
  submitterId: string;
  submittedAt: string;
  status: ApprovalStatus;
  /** the index of the step waiting, -1 when none */
  current: number;
  steps: ApprovalStep[];
}

/** The fields PATCH /contracts/{id} and POST …/amend {changes} take. */
export interface ContractChanges {
  number?: string;
  name?: string;
  customerId?: string;
  type?: string;
  /** null clears a date */
  signedOn?: string | null;
  startsOn?: string | null;
  endsOn?: string | null;
  amount?: string;
  lines?: ContractLineInput[];
  customerSignatoryId?: string | null;
  ourSignatoryId?: string | null;
  paymentTerms?: string;
  remarks?: string;
  ownerId?: string;
}

/** The body of POST /contracts. */
export interface ContractInput extends ContractChanges {
  name: string;
  customerId: string;
  opportunityId?: string;
}

export interface Contract {
  id: string;
  number: string;
  name: string;
  customerId: string;
  customerName: string;
  opportunityId: string | null;
  opportunityName: string;
  /** a contract_type dictionary code */
  type: string;
  signedOn: string | null;
  startsOn: string | null;
  endsOn: string | null;
  amount: string;
  lines: ContractLine[];
  customerSignatoryId: string | null;
  ourSignatoryId: string | null;
  paymentTerms: string;
  remarks: string;
  ownerId: string;
  status: ContractStatus;
  terminationReason: string;
  approval: Approval | null;
  /** a proposed amendment waiting for its approval */
  amendment: { changes: Partial<Record<keyof ContractChanges, unknown>>; reason: string } | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export type InboxView = 'pending' | 'submitted' | 'decided';

/** A row of GET /approvals?view=…: a subject and the state of its approval. */
export interface ApprovalItem {
  kind: 'contract';
  subjectId: string;
  number: string;
  title: string;
  amount: string;
  submitterId: string;
  submittedAt: string;
  status: ApprovalStatus;
  /** the index of the step waiting (-1 when none) */
  step: number;
  /** the approval's steps: their number (or the steps themselves) */
  steps: number | ApprovalStep[];
  stepName: string;
  /** who may decide the waiting step */
  approverIds: string[];
  updatedAt: string;
}

/** A step of an approval flow's definition (PUT /approval-flows/{kind}). */
export interface FlowStep {
  kind: ApprovalStepKind;
  /** department_head: the department whose head decides (the submitter's own when left out) */
  departmentId?: string;
  /** role: any holder of it decides */
  role?: string;
  /** user: this user decides */
  userId?: string;
  /** the step applies only to subjects whose amount is above it (a decimal string) */
  minAmount?: string;
  name?: string;
}

export interface ApprovalFlow {
  kind: 'contract';
  name: string;
  steps: FlowStep[];
  version: number;
}

/** GET /contract-numbering. */
export interface ContractNumbering {
  pattern: string;
  version: number;
}

/** A department with its head (PATCH /departments/{id} {headId}). */
export type DepartmentWithHead = Schemas['Department'] & { headId?: string | null };
