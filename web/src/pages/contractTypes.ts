// Contracts (合同), approvals and their settings as the API sends them (docs/api.md, "Contracts and
// approvals"): the OpenAPI document's schemas, under the names the screens use.
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
export type ApprovalStep = Schemas['ApprovalStep'];

/** The approval a subject is in (or was last in). */
export type Approval = Schemas['ApprovalProcess'];

/** The fields PATCH /contracts/{id} and POST …/amend {changes} take. */
export type ContractChanges = Schemas['ContractPatch'];

/** The body of POST /contracts. */
export type ContractInput = Schemas['ContractCreate'];

export type Contract = Schemas['Contract'];

export type InboxView = 'pending' | 'submitted' | 'decided';

/** A row of GET /approvals?view=…: a subject and the state of its approval. */
export type ApprovalItem = Schemas['ApprovalItem'];

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

export type ApprovalFlow = Schemas['ApprovalFlow'];

/** GET /contract-numbering. */
export type ContractNumbering = Schemas['ContractNumbering'];

/** A department with its head (PATCH /departments/{id} {headId}). */
export type DepartmentWithHead = Schemas['Department'];
