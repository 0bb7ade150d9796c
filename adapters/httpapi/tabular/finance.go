package tabular

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/readmodels/financeview"
)

type (
	PayableRow  struct{}
	VoucherRow  struct{}
	payableView = *financeview.PayableRow
	voucherView = *financeview.VoucherRow
	payableCol  = Column[PayableRow, payableView]
	voucherCol  = Column[VoucherRow, voucherView]
)

var payableStatusLabels = newLabels([]string{"open", "未付清"}, []string{"paid", "已付清"})

func pcText(field, header string, get func(payableView) string) payableCol {
	return payableCol{Field: field, Headers: []string{header}, Format: func(r payableView, _ Names) string { return get(r) }}
}

func vcText(field, header string, get func(voucherView) string) voucherCol {
	return voucherCol{Field: field, Headers: []string{header}, Format: func(r voucherView, _ Names) string { return get(r) }}
}

// Payables are the columns of a payable export; amounts, paid and outstanding summed last.
var Payables = &Spec[PayableRow, payableView]{Name: "payables", Title: "应付款", Sums: []string{"amount", "paid", "outstanding"}, Columns: []payableCol{
	pcText("number", "应付单号", func(r payableView) string { return r.Number }),
	pcText("supplier", "供应商", func(r payableView) string { return r.SupplierName }),
	pcText("purpose", "用途", func(r payableView) string { return r.Purpose }),
	pcText("amount", "应付金额", func(r payableView) string { return r.Amount }),
	pcText("paid", "已付", func(r payableView) string { return r.Paid }),
	pcText("outstanding", "未付", func(r payableView) string { return r.Outstanding }),
	pcText("dueDate", "到期日", func(r payableView) string { return r.DueDate }),
	{Field: "status", Headers: []string{"状态"}, Format: func(r payableView, _ Names) string { return payableStatusLabels.label(r.Status) }},
	{Field: "owner", Headers: []string{"负责人"}, Format: func(r payableView, n Names) string { return ownerName(idPtr(r.OwnerID), r.OwnerName, n) }},
	pcText("remarks", "备注", func(r payableView) string { return r.Remarks }),
	{Field: "createdAt", Headers: []string{"创建时间"}, Format: func(r payableView, _ Names) string { return fmtTime(&r.CreatedAt) }},
}}

// Vouchers are the columns of a payment voucher export; the amounts summed last.
var Vouchers = &Spec[VoucherRow, voucherView]{Name: "payment-vouchers", Title: "付款单", Sums: []string{"amount"}, Columns: []voucherCol{
	vcText("number", "付款单号", func(r voucherView) string { return r.Number }),
	vcText("payable", "应付单号", func(r voucherView) string { return r.PayableNumber }),
	vcText("supplier", "供应商", func(r voucherView) string { return r.SupplierName }),
	vcText("amount", "付款金额", func(r voucherView) string { return r.Amount }),
	vcText("date", "付款日期", func(r voucherView) string { return r.Date }),
	{Field: "method", Headers: []string{"付款方式"}, Format: func(r voucherView, n Names) string { return n.Label(dictionary.PaymentMethod, r.Method) }},
	vcText("payeeAccount", "收款账户", func(r voucherView) string { return r.PayeeAccount }),
	{Field: "status", Headers: []string{"状态"}, Format: func(r voucherView, _ Names) string { return receiptStatusLabels.label(r.Status) }},
	{Field: "owner", Headers: []string{"负责人"}, Format: func(r voucherView, n Names) string { return ownerName(idPtr(r.OwnerID), r.OwnerName, n) }},
	{Field: "confirmedAt", Headers: []string{"确认时间"}, Format: func(r voucherView, _ Names) string { return fmtTime(r.ConfirmedAt) }},
	{Field: "reversal", Headers: []string{"冲销"}, Format: func(r voucherView, _ Names) string {
		if r.Reversal == nil {
			return ""
		}
		return r.Reversal.Date + " " + r.Reversal.Reason
	}},
	vcText("remarks", "备注", func(r voucherView) string { return r.Remarks }),
}}

type (
	// ReceiptRow and InstallmentRow: finance lists are exported, not imported (a receipt is
	// confirmed through approval one by one; a plan belongs to its contract).
	ReceiptRow     struct{}
	InstallmentRow struct{}
	receiptView    = *financeview.ReceiptRow
	installView    = *financeview.InstallmentRow
	receiptCol     = Column[ReceiptRow, receiptView]
	installCol     = Column[InstallmentRow, installView]
)

var receiptStatusLabels = newLabels([]string{"draft", "草稿"}, []string{"pending", "待确认"}, []string{"confirmed", "已确认"}, []string{"reversed", "已冲销"})

var installmentStatusLabels = newLabels([]string{"planned", "未回款"}, []string{"partly_received", "部分回款"}, []string{"received", "已回款"},
	[]string{"overdue", "已逾期"})

func rcText(field, header string, get func(receiptView) string) receiptCol {
	return receiptCol{Field: field, Headers: []string{header}, Format: func(r receiptView, _ Names) string { return get(r) }}
}

func icText(field, header string, get func(installView) string) installCol {
	return installCol{Field: field, Headers: []string{header}, Format: func(r installView, _ Names) string { return get(r) }}
}

func idPtr(id uuid.UUID) *uuid.UUID { return &id }

// Receipts are the columns of a receipt export; the amounts are summed in a last row.
var Receipts = &Spec[ReceiptRow, receiptView]{Name: "receipts", Title: "回款单", Sums: []string{"amount"}, Columns: []receiptCol{
	rcText("number", "回款单号", func(r receiptView) string { return r.Number }),
	rcText("contractNumber", "合同编号", func(r receiptView) string { return r.ContractNumber }),
	rcText("contractName", "合同名称", func(r receiptView) string { return r.ContractName }),
	rcText("customer", "客户", func(r receiptView) string { return r.CustomerName }),
	rcText("amount", "回款金额", func(r receiptView) string { return r.Amount }),
	rcText("date", "回款日期", func(r receiptView) string { return r.Date }),
	{Field: "method", Headers: []string{"付款方式"}, Format: func(r receiptView, n Names) string { return n.Label(dictionary.PaymentMethod, r.Method) }},
	rcText("payerAccount", "付款账户", func(r receiptView) string { return r.PayerAccount }),
	{Field: "status", Headers: []string{"状态"}, Format: func(r receiptView, _ Names) string { return receiptStatusLabels.label(r.Status) }},
	{Field: "owner", Headers: []string{"合同负责人"}, Format: func(r receiptView, n Names) string {
		return ownerName(idPtr(r.ContractOwnerID), r.ContractOwnerName, n)
	}},
	{Field: "confirmedAt", Headers: []string{"确认时间"}, Format: func(r receiptView, _ Names) string { return fmtTime(r.ConfirmedAt) }},
	{Field: "reversal", Headers: []string{"冲销"}, Format: func(r receiptView, _ Names) string {
		if r.Reversal == nil {
			return ""
		}
		return r.Reversal.Date + " " + r.Reversal.Reason
	}},
	rcText("remarks", "备注", func(r receiptView) string { return r.Remarks }),
}}

// Installments are the columns of an installment (overdue list) export; the amounts, what was
// received and what is outstanding are summed in a last row.
var Installments = &Spec[InstallmentRow, installView]{Name: "installments", Title: "回款计划", Sums: []string{"amount", "received", "outstanding"},
	Columns: []installCol{
		icText("contractNumber", "合同编号", func(r installView) string { return r.ContractNumber }),
		icText("contractName", "合同名称", func(r installView) string { return r.ContractName }),
		icText("customer", "客户", func(r installView) string { return r.CustomerName }),
		icText("seq", "期次", func(r installView) string { return fmt.Sprintf("第%d期", r.Seq) }),
		icText("dueDate", "到期日", func(r installView) string { return r.DueDate }),
		icText("amount", "计划金额", func(r installView) string { return r.Amount }),
		icText("received", "已回款", func(r installView) string { return r.Received }),
		icText("outstanding", "未回款", func(r installView) string { return r.Outstanding }),
		{Field: "status", Headers: []string{"状态"}, Format: func(r installView, _ Names) string { return installmentStatusLabels.label(r.Status) }},
		icText("overdueSince", "逾期记录日", func(r installView) string {
			if r.OverdueSince == nil {
				return ""
			}
			return *r.OverdueSince
		}),
		{Field: "owner", Headers: []string{"负责人"}, Format: func(r installView, n Names) string { return ownerName(idPtr(r.OwnerID), r.OwnerName, n) }},
		icText("note", "备注", func(r installView) string { return r.Note }),
	}}
