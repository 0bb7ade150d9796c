import type { Schemas } from './client';

// The finance API (receivables, receipts, payables, month close, statistics; docs/api.md, the
// OpenAPI document at /api/openapi.json) under the names the screens use. Written before the
// OpenAPI document described finance; the types that name a schema are aliases of Schemas['…'],
// the others mirror their schema field for field (test/schema.test.ts keeps the generated types
// current; aliasing the rest is the next step when one of them changes).
//
// Money is a decimal string with two decimals ("1234.50"), a date "YYYY-MM-DD", a month "YYYY-MM",
// a time RFC 3339. All paths are under /api/v1.

/** A decimal string with two decimals ("1234.50"). */
export type Money = string;
/** "2006-01-02" */
export type DateText = string;
/** "2006-01" */
export type MonthText = string;

// ---- a contract's receivables (GET /contracts/{id}/receivables) ----

export type InstallmentStatus = 'planned' | 'partly_received' | 'received' | 'overdue';

/** One installment (期次) of a contract's plan of receivables. */
export interface Installment {
  seq: number;
  dueDate: DateText;
  amount: Money;
  note: string;
  received: Money;
  outstanding: Money;
  status: InstallmentStatus;
  overdueSince: DateText | null;
}

export type ReceiptStatus = 'draft' | 'pending' | 'confirmed' | 'reversed';
export type ReceiptApprovalStatus = 'pending' | 'approved' | 'rejected' | 'withdrawn';

export interface ReceiptApprovalStep {
  name: string;
  kind: 'superior' | 'department_head' | 'role' | 'user';
  approverIds: string[];
  decision: '' | 'approved' | 'rejected';
  by: string;
  at: string | null;
  comment: string;
}

/** A receipt's approval (the flow of kind `receipt`). */
export interface ReceiptApproval {
  purpose: 'receipt';
  submitterId: string;
  /** not in the contract's example; the contract approval has it, so it may come */
  submittedAt?: string;
  status: ReceiptApprovalStatus;
  /** the step waiting (-1: none) */
  current: number;
  steps: ReceiptApprovalStep[];
}

/** How a receipt's amount lands on the installments; seq 0 is the part beyond the plan. */
export interface Allocation {
  seq: number;
  amount: Money;
}

export interface Reversal {
  reason: string;
  date: DateText;
  by: string;
  at: string;
}

/** A receipt (回款单). */
export interface Receipt {
  id: string;
  contractId: string;
  number: string;
  amount: Money;
  date: DateText;
  /** a code of the `payment_method` dictionary */
  method: string;
  payerAccount: string;
  remarks: string;
  ownerId: string;
  /** the installments (seqs) it was recorded against */
  installments: number[];
  status: ReceiptStatus;
  allocation: Allocation[];
  approval: ReceiptApproval | null;
  reversal: Reversal | null;
  createdBy: string;
  createdAt: string;
  confirmedAt: string | null;
}

export interface LedgerTotals {
  planned: Money;
  /** contract amount − planned */
  unplanned: Money;
  received: Money;
  pending: Money;
  /** contract amount − received */
  outstanding: Money;
  overdue: Money;
  lastReceiptDate: DateText | null;
}

/** A contract's receivables: its plan, its receipts and their totals (fresh, from the event store). */
export interface Ledger {
  contractId: string;
  contractNumber: string;
  contractName: string;
  contractAmount: Money;
  contractStatus: string;
  installments: Installment[];
  receipts: Receipt[];
  totals: LedgerTotals;
  closedMonths: MonthText[];
  version: number;
}

/** An installment of PUT /contracts/{id}/receivables/plan: no seq is a new one. */
export interface PlanInstallmentInput {
  seq?: number;
  dueDate: DateText;
  amount: Money;
  note?: string;
}
export interface PlanInput {
  installments: PlanInstallmentInput[];
}

/** The body of POST /contracts/{id}/receipts and PUT /contracts/{id}/receipts/{receiptId}. */
export interface ReceiptInput {
  id?: string;
  amount: Money;
  date: DateText;
  method?: string;
  payerAccount?: string;
  remarks?: string;
  installments?: number[];
  ownerId?: string;
}

// ---- lists (read models, scoped by the contract owner) ----

/** A row of GET /receipts and GET /receipts/{id}. */
export interface ReceiptRow extends Receipt {
  contractNumber: string;
  contractName: string;
  customerId: string;
  customerName: string;
  contractOwnerId: string;
  contractOwnerName: string;
  updatedAt: string;
}

export type ReceiptSort = '-date' | 'date' | '-createdAt' | 'amount' | '-amount';

/** The filters of GET /receipts (and of /receipts/export). */
export interface ReceiptFilters {
  q?: string;
  status?: ReceiptStatus;
  contractId?: string;
  customerId?: string;
  ownerId?: string;
  dateFrom?: DateText;
  dateTo?: DateText;
  sort?: ReceiptSort;
}

/** The status filter of GET /installments: open = outstanding > 0. */
export type InstallmentFilterStatus = 'overdue' | 'open' | 'received' | 'planned' | 'partly_received';

/** A row of GET /installments. */
export interface InstallmentRow {
  contractId: string;
  contractNumber: string;
  contractName: string;
  customerId: string;
  customerName: string;
  ownerId: string;
  ownerName: string;
  seq: number;
  dueDate: DateText;
  amount: Money;
  received: Money;
  outstanding: Money;
  status: InstallmentStatus;
  overdueSince: DateText | null;
}

/** A page of a finance list. */
export interface FinancePage<T> {
  items: T[];
  nextCursor: string | null;
}

// ---- statistics (read models, scoped) ----

export interface MonthlySums {
  planned: Money;
  received: Money;
  outstanding: Money;
  overdue: Money;
  payablesDue: Money;
  paid: Money;
  netCash: Money;
}
export interface MonthlyRow extends MonthlySums {
  month: MonthText;
}
/** GET /finance/stats/monthly?from=&to=&ownerId=&departmentId= */
export interface MonthlyStats {
  months: MonthlyRow[];
  totals: MonthlySums;
}

/** The sums the owner, department, customer and contract statistics share. */
export interface ReceivableSums {
  contracts: number;
  amount: Money;
  planned: Money;
  received: Money;
  outstanding: Money;
  overdue: Money;
  lastReceiptDate: DateText | null;
}
export interface OwnerStatsRow extends ReceivableSums {
  ownerId: string;
  ownerName: string;
  departmentId: string;
  departmentName: string;
}
/** GET /finance/stats/owners?departmentId= */
export interface OwnerStats {
  rows: OwnerStatsRow[];
  totals: ReceivableSums;
}
export interface DepartmentStatsRow extends ReceivableSums {
  departmentId: string;
  departmentName: string;
}
/** GET /finance/stats/departments */
export interface DepartmentStats {
  rows: DepartmentStatsRow[];
  totals: ReceivableSums;
}
export interface CustomerStatsRow extends ReceivableSums {
  customerId: string;
  customerName: string;
}
/** GET /finance/stats/customers?limit=&ownerId=&departmentId= (largest outstanding first) */
export interface CustomerStats {
  rows: CustomerStatsRow[];
}
/** A row of GET /finance/stats/contracts (a page). */
export interface ContractStatsRow {
  contractId: string;
  contractNumber: string;
  contractName: string;
  customerId: string;
  customerName: string;
  ownerId: string;
  ownerName: string;
  status: string;
  amount: Money;
  planned: Money;
  received: Money;
  outstanding: Money;
  overdue: Money;
  lastReceiptDate: DateText | null;
}

export type AgeingBucketName = 'not_due' | '1_30' | '31_60' | '61_90' | 'over_90';
export interface AgeingBucket {
  bucket: AgeingBucketName;
  amount: Money;
}
/** GET /finance/stats/ageing?asOf=&ownerId=&departmentId= */
export interface Ageing {
  asOf: DateText;
  buckets: AgeingBucket[];
  total: Money;
}

// ---- month close ----

/** GET /finance/months */
export interface ClosedMonths {
  closed: MonthText[];
  version: number;
}

/** The problem codes the finance commands answer with. */
export type FinanceProblemCode =
  | 'contract_not_approved'
  | 'contract_closed'
  | 'plan_exceeds_contract'
  | 'below_received'
  | 'installment_received'
  | 'unknown_installment'
  | 'not_a_date'
  | 'over_receipt'
  | 'month_closed'
  | 'before_receipt'
  | 'receipt_state'
  | 'not_pending'
  | 'not_current_approver'
  | 'comment_required'
  | 'month_not_ended'
  | 'month_open';

// ---- payables (应付款): suppliers, payables and their payment vouchers (付款单) ----
// These are in the OpenAPI document: aliases of its schemas.

export type Supplier = Schemas['Supplier'];
export type SupplierRow = Schemas['SupplierRow'];
export type PayableStatus = Schemas['Payable']['status'];
/** GET /payables/{id}: fresh, with its vouchers, totals and version. */
export type Payable = Schemas['Payable'];
export type PayableRow = Schemas['PayableRow'];
export type PayableInput = Schemas['PayableRequest'];
export type PayablePatch = Schemas['PayablePatch'];
export type VoucherStatus = Schemas['PaymentVoucher']['status'];
export type PaymentVoucher = Schemas['PaymentVoucher'];
export type PaymentVoucherRow = Schemas['PaymentVoucherRow'];
export type PaymentVoucherInput = Schemas['PaymentVoucherRequest'];
