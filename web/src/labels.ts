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
};

export const label = (d: Dict, v: string | null | undefined, lang: Lang) => pick(d, v, lang);
