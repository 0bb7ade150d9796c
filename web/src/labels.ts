import type { Lang } from './i18n';

type Dict = Record<string, [string, string]>;
const pick = (d: Dict, v: string | null | undefined, lang: Lang) => (v ? (d[v]?.[lang === 'en' ? 1 : 0] ?? v) : '');

export const leadStatus: Dict = {
  new: ['新线索', 'New'],
  following: ['跟进中', 'Following'],
  invalid: ['无效', 'Invalid'],
  converted: ['已转化', 'Converted'],
};
export const customerStatus: Dict = {
  potential: ['潜在', 'Potential'],
  cooperating: ['合作中', 'Cooperating'],
  closed_deal: ['已成交', 'Closed deal'],
};
export const customerNature: Dict = {
  foreign: ['外资', 'Foreign'],
  joint_venture: ['合资', 'Joint venture'],
  state_owned: ['国有', 'State-owned'],
  collective: ['集体', 'Collective'],
  private: ['私营', 'Private'],
  other: ['其他', 'Other'],
};
export const customerType: Dict = {
  manufacturer: ['生产商', 'Manufacturer'],
  trading: ['贸易商', 'Trading'],
  service: ['服务商', 'Service'],
  other: ['其他', 'Other'],
};
export const customerSize: Dict = { large: ['大型', 'Large'], medium: ['中型', 'Medium'], small: ['小型', 'Small'] };
export const customerClassification: Dict = {
  old_customer: ['老客户', 'Old customer'],
  target: ['目标客户', 'Target'],
  potential: ['潜在客户', 'Potential'],
  partner: ['合作伙伴', 'Partner'],
  blacklist: ['黑名单', 'Blacklist'],
  competitor: ['竞争对手', 'Competitor'],
};
export const productStatus: Dict = { on_sale: ['在售', 'On sale'], off_sale: ['停售', 'Off sale'] };
export const followUpType: Dict = {
  call: ['电话', 'Call'],
  visit: ['拜访', 'Visit'],
  email: ['邮件', 'E-mail'],
  meeting: ['会议', 'Meeting'],
  other: ['其他', 'Other'],
};
export const dataScope: Dict = {
  self: ['本人', 'Own records'],
  self_and_subordinates: ['本人及下属', 'Self and subordinates'],
  department: ['本部门', 'Own department'],
  department_tree: ['本部门及下级部门', 'Department tree'],
  all: ['全部', 'All'],
};
export const projectionState: Dict = {
  catching_up: ['追赶中', 'Catching up'],
  live: ['实时', 'Live'],
  retrying: ['重试中', 'Retrying'],
  parked: ['已暂停', 'Parked'],
  rebuilding: ['重建中', 'Rebuilding'],
  standby: ['待命', 'Standby'],
};
export const contractStatus: Dict = {
  draft: ['草稿', 'Draft'],
  pending: ['审批中', 'Pending approval'],
  approved: ['已审批', 'Approved'],
  executing: ['执行中', 'Executing'],
  completed: ['已完成', 'Completed'],
  terminated: ['已终止', 'Terminated'],
};
/** The state of an approval (of a contract or of an amendment). */
export const approvalStatus: Dict = {
  pending: ['待审批', 'Pending'],
  approved: ['已通过', 'Approved'],
  rejected: ['已驳回', 'Rejected'],
  withdrawn: ['已撤回', 'Withdrawn'],
};
/** Who decides a step of an approval flow. */
export const approvalStepKind: Dict = {
  superior: ['提交人的直属上级', "The submitter's superior"],
  department_head: ['部门负责人', 'Department head'],
  role: ['角色', 'Role'],
  user: ['指定用户', 'A named user'],
};
export const approvalDecision: Dict = {
  '': ['待处理', 'Waiting'],
  approved: ['同意', 'Approved'],
  rejected: ['驳回', 'Rejected'],
};
export const approvalPurpose: Dict = {
  contract: ['合同审批', 'Contract approval'],
  amendment: ['变更审批', 'Amendment approval'],
  receipt: ['回款审批', 'Receipt approval'],
};
/** What an approval's subject is (the inbox's kind). */
export const approvalKind: Dict = {
  contract: ['合同', 'Contract'],
  receipt: ['回款单', 'Receipt'],
  payment: ['付款单', 'Payment voucher'],
};
/** An installment (期次) of a contract's plan of receivables. */
export const installmentStatus: Dict = {
  planned: ['未到期', 'Planned'],
  partly_received: ['部分回款', 'Partly received'],
  received: ['已回款', 'Received'],
  overdue: ['逾期', 'Overdue'],
};
/** A receipt (回款单). */
export const receiptStatus: Dict = {
  draft: ['草稿', 'Draft'],
  pending: ['审批中', 'Pending approval'],
  confirmed: ['已确认', 'Confirmed'],
  reversed: ['已冲销', 'Reversed'],
};
/** A payable (应付款). */
export const payableStatus: Dict = {
  open: ['未付清', 'Open'],
  paid: ['已付清', 'Paid'],
};
/** The ageing buckets of outstanding receivables, by days past the due date. */
export const ageingBucket: Dict = {
  not_due: ['未到期', 'Not yet due'],
  '1_30': ['逾期 1–30 天', '1–30 days overdue'],
  '31_60': ['逾期 31–60 天', '31–60 days overdue'],
  '61_90': ['逾期 61–90 天', '61–90 days overdue'],
  over_90: ['逾期 90 天以上', 'Over 90 days overdue'],
};
/** What the finance commands refuse, by the problem's code. */
export const financeProblem: Dict = {
  contract_not_approved: ['合同尚未审批通过，不能编制回款计划或登记回款', 'The contract is not approved yet'],
  contract_closed: ['合同已完成或已终止，回款计划不能再修改', 'The contract is completed or terminated'],
  plan_exceeds_contract: ['回款计划总额超过合同金额', 'The plan exceeds the contract amount'],
  below_received: ['期次金额不能低于该期已回款金额', 'An installment may not be less than what it has received'],
  installment_received: ['已有回款的期次不能删除', 'An installment that has received money cannot be removed'],
  unknown_installment: ['没有这个期次', 'No such installment'],
  not_a_date: ['请输入日期，如 2026-12-31', 'Enter a date such as 2026-12-31'],
  over_receipt: ['回款金额超过所选期次（或合同）的未回款金额', 'The amount is more than the installments (or the contract) have left to receive'],
  month_closed: ['该月份已结账，不能在此日期登记、修改或冲销回款', 'That month is closed: nothing can be recorded, changed or reversed on that date'],
  before_receipt: ['冲销日期不能早于回款日期', 'A reversal may not be dated before the receipt'],
  receipt_state: ['回款单的当前状态不允许此操作（可能已被他人处理），请刷新', "The receipt's state does not allow this (someone may have acted on it); reload"],
  not_pending: ['回款单不在审批中', 'The receipt is not waiting for approval'],
  not_current_approver: ['您不是当前步骤的审批人', 'You are not an approver of the waiting step'],
  comment_required: ['驳回时必须填写意见', 'A rejection needs a comment'],
  month_not_ended: ['只能对已结束的月份结账', 'Only a month that has ended can be closed'],
  month_open: ['该月份尚未结账', 'The month is not closed'],
  over_payment: ['付款金额超过应付款的未付金额（含审批中的付款单）', 'The amount is more than the payable has left to pay (pending vouchers counted)'],
  voucher_state: ['付款单的当前状态不允许此操作（可能已被他人处理），请刷新', "The voucher's state does not allow this (someone may have acted on it); reload"],
  below_paid: ['应付金额不能低于已付和审批中的金额', 'The amount may not be less than what is paid and pending'],
  supplier_locked: ['已有付款的应付款不能更换供应商', 'The supplier of a payable with payments does not change'],
  supplier_in_use: ['该供应商还有未付清的应付款，不能删除', 'The supplier has open payables and cannot be deleted'],
  duplicate_supplier: ['已有同名的供应商', 'A supplier with that name exists'],
  payable_paid: ['应付款已付清，不能修改或删除', 'The payable is paid; it cannot be changed or deleted'],
};
/** A task (任务). */
export const taskStatus: Dict = {
  not_started: ['未开始', 'Not started'],
  in_progress: ['进行中', 'In progress'],
  done: ['已完成', 'Done'],
  cancelled: ['已取消', 'Cancelled'],
};
export const taskPriority: Dict = {
  urgent: ['紧急', 'Urgent'],
  high: ['高', 'High'],
  normal: ['普通', 'Normal'],
  low: ['低', 'Low'],
};
/** Where a task came from. */
export const taskSource: Dict = {
  direct: ['直接创建', 'Created directly'],
  marketing: ['市场活动', 'Marketing'],
  feedback: ['客户反馈', 'Feedback'],
};
/** The kind of record a task is about. */
export const taskRelatedKind: Dict = {
  lead: ['线索', 'Lead'],
  customer: ['客户', 'Customer'],
  contact: ['联系人', 'Contact'],
  opportunity: ['商机', 'Opportunity'],
  contract: ['合同', 'Contract'],
};
/** The lists of the tasks page. */
export const taskView: Dict = {
  mine: ['我的任务', 'My tasks'],
  today: ['今天到期', 'Due today'],
  overdue: ['已逾期', 'Overdue'],
  created: ['我创建的', 'Created by me'],
  participating: ['我参与的', 'Participating'],
  subordinates: ['下属的任务', "My team's"],
  all: ['全部', 'All'],
};
/** What the task commands refuse, by the problem's code. */
export const taskProblem: Dict = {
  not_creator: ['只有创建人可以执行此操作', 'Only the creator may do this'],
  not_assignee: ['只有负责人可以更改任务状态', 'Only the assignee may change the status'],
  not_involved: ['只有创建人或负责人可以修改检查项', 'Only the creator or the assignee may change the checklist'],
  task_closed: ['任务已完成或已取消', 'The task is done or cancelled'],
  bad_transition: ['任务的当前状态不允许此操作（可能已被他人处理），请刷新', "The task's status does not allow this (someone may have acted on it); reload"],
  checklist_full: ['检查项最多 100 条', 'A checklist holds at most 100 items'],
  outside_scope: ['不能把任务分配给此用户', 'The task cannot be assigned to that user'],
};
/** The lists of the schedules page (today is the calendar of today, not a list of the server's). */
export const scheduleView: Dict = {
  mine: ['我的', 'Mine'],
  today: ['今日', 'Today'],
  created: ['我创建的', 'Created by me'],
  participating: ['我参与的', 'Participating'],
  subordinates: ['下属的', "My team's"],
  all: ['全部', 'All'],
};
/** What the schedule commands refuse, by the problem's code. */
export const scheduleProblem: Dict = {
  not_editor: ['只有日程的负责人或创建人可以执行此操作', "Only the entry's owner or creator may do this"],
  no_occurrence: ['该系列中没有这一次日程（可能已被修改），请刷新', 'The series has no such occurrence (it may have changed); reload'],
};
export const fieldNames: Dict = {
  name: ['名称', 'Name'],
  company: ['公司', 'Company'],
  phone: ['电话', 'Phone'],
  mobile: ['手机', 'Mobile'],
  email: ['邮箱', 'E-mail'],
  source: ['来源', 'Source'],
  industry: ['行业', 'Industry'],
  level: ['级别', 'Level'],
  address: ['地址', 'Address'],
  remark: ['备注', 'Remark'],
  status: ['状态', 'Status'],
  ownerId: ['负责人', 'Owner'],
  nextFollowUpAt: ['下次跟进', 'Next follow-up'],
  lastFollowUpAt: ['最近跟进', 'Last follow-up'],
  createdAt: ['创建时间', 'Created'],
  updatedAt: ['更新时间', 'Updated'],
  inPool: ['在公海', 'In pool'],
  locked: ['锁定', 'Locked'],
  website: ['网站', 'Website'],
  description: ['描述', 'Description'],
  title: ['职务', 'Title'],
  officePhone: ['办公电话', 'Office phone'],
  gender: ['性别', 'Gender'],
  customerId: ['客户', 'Customer'],
  birthday: ['生日', 'Birthday'],
  fax: ['传真', 'Fax'],
  number: ['编号', 'Number'],
  type: ['类型', 'Type'],
  amount: ['金额', 'Amount'],
  lines: ['产品明细', 'Line items'],
  opportunityId: ['商机', 'Opportunity'],
  signedOn: ['签订日期', 'Signed on'],
  startsOn: ['开始日期', 'Starts on'],
  endsOn: ['结束日期', 'Ends on'],
  customerSignatoryId: ['客户签约人', 'Customer signatory'],
  ourSignatoryId: ['我方签约人', 'Our signatory'],
  paymentTerms: ['付款条件', 'Payment terms'],
  remarks: ['备注', 'Remarks'],
  terminationReason: ['终止原因', 'Termination reason'],
  headId: ['负责人', 'Head'],
  dueDate: ['到期日', 'Due date'],
  note: ['说明', 'Note'],
  date: ['日期', 'Date'],
  method: ['付款方式', 'Payment method'],
  payerAccount: ['付款账户', 'Payer account'],
  installments: ['期次', 'Installments'],
  reason: ['原因', 'Reason'],
  priority: ['优先级', 'Priority'],
  startAt: ['开始时间', 'Starts'],
  dueAt: ['截止时间', 'Due'],
  assigneeId: ['负责人', 'Assignee'],
  participants: ['参与人', 'Participants'],
  reminders: ['提醒', 'Reminders'],
  relatedKind: ['关联类型', 'Related kind'],
  relatedId: ['关联记录', 'Related record'],
  checklist: ['检查项', 'Checklist'],
  location: ['地点', 'Location'],
  allDay: ['全天', 'All day'],
  start: ['开始', 'Starts'],
  end: ['结束', 'Ends'],
  recurrence: ['重复', 'Repeats'],
};

/** The reasons a field is refused, by the stable code of the 422 problem's field error. */
export const fieldErrorCode: Dict = {
  password_too_short: ['密码至少需要 10 位', 'must be at least 10 characters'],
  password_too_long: ['密码太长', 'is too long'],
  password_common: ['这是最常见的密码之一，请换一个', 'is one of the most common passwords; choose another'],
  password_contains_username: ['密码不能包含用户名', 'must not contain the username'],
  password_contains_display_name: ['密码不能包含显示名称', 'must not contain the display name'],
  password_repeated: ['密码不能是同一个字符的重复', 'must not be one character repeated'],
  password_keyboard_run: ['密码不能是键盘上相邻的键或连续的字母', 'must not be a run of neighbouring keys or letters'],
  password_too_weak: ['密码太容易被猜到：请用几个不相关的词加数字或符号', 'is too easy to guess: use a few unrelated words with a number or sign'],
  too_many_decimals: ['金额最多两位小数', 'an amount has at most two decimals'],
  not_a_decimal: ['请输入数字金额，如 1200.50', 'enter an amount such as 1200.50'],
  negative_not_allowed: ['金额不能为负数', 'may not be negative'],
  decimal_out_of_range: ['金额超出范围', 'the amount is out of range'],
  unknown_unit: ['数据字典中没有此单位', 'no such unit in the dictionary'],
  unknown_category: ['没有此产品分类', 'no such product category'],
  ends_before_start: ['结束日期不能早于开始日期', 'may not precede the start date'],
  unknown_contact: ['不是该客户的联系人', "is not one of the customer's contacts"],
  customer_mismatch: ['客户必须是商机的客户', "must be the opportunity's customer"],
  opportunity_not_won: ['只能从赢单的商机生成合同', 'only a won opportunity makes a contract'],
  not_a_date: ['请输入日期，如 2026-12-31', 'enter a date such as 2026-12-31'],
  below_received: ['不能低于该期已回款金额', 'may not be less than what it has received'],
  installment_received: ['该期已有回款，不能删除', 'has received money and cannot be removed'],
  unknown_installment: ['没有这个期次', 'no such installment'],
  plan_exceeds_contract: ['回款计划总额超过合同金额', 'the plan exceeds the contract amount'],
  over_receipt: ['超过未回款金额', 'is more than is left to receive'],
  month_closed: ['该月份已结账', 'that month is closed'],
  before_receipt: ['不能早于回款日期', 'may not precede the receipt'],
  over_payment: ['超过未付金额', 'is more than is left to pay'],
  below_paid: ['不能低于已付和审批中的金额', 'may not be less than what is paid and pending'],
  supplier_locked: ['已有付款，不能更换供应商', 'has payments; the supplier does not change'],
  due_before_start: ['截止时间不能早于开始时间', 'may not precede the start'],
  outside_scope: ['不能把任务分配给此用户', 'cannot be assigned to that user'],
  unknown_related: ['没有这条关联记录', 'no such record'],
  checklist_full: ['检查项最多 100 条', 'a checklist holds at most 100 items'],
  end_before_start: ['结束不能早于开始', 'may not precede the start'],
  bad_recurrence: ['重复规则无效', 'is not a recurrence the calendar supports'],
  not_recurring: ['该日程不重复，请直接编辑日程', 'the entry does not repeat: edit the entry itself'],
};

export const label = (d: Dict, v: string | null | undefined, lang: Lang) => pick(d, v, lang);
/** A work log (日志). */
export const workLogKind: Dict = {
  daily: ['日报', 'Daily'],
  weekly: ['周报', 'Weekly'],
  monthly: ['月报', 'Monthly'],
};
export const workLogStatus: Dict = {
  draft: ['草稿', 'Draft'],
  submitted: ['已提交', 'Submitted'],
};
/** The lists of the work logs page. */
export const workLogView: Dict = {
  mine: ['我的日志', 'My logs'],
  received: ['提交给我的', 'Sent to me'],
  subordinates: ['下属的日志', "My team's"],
  all: ['全部', 'All'],
};
/** What the work log commands refuse, by the problem's code. */
export const workLogProblem: Dict = {
  duplicate_period: ['该周期已有同类日志，请编辑原日志', 'A log of this kind exists for this period; edit that one'],
  not_writer: ['只有撰写人可以执行此操作', 'Only the writer may do this'],
  already_submitted: ['日志已提交', 'The log is submitted already'],
  not_submitted: ['日志提交后才能评论', 'A log is commented on once submitted'],
  worklog_commented: ['日志已有评论，不能再修改', 'The log has comments and can no longer be edited'],
};
