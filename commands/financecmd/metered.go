package financecmd

import (
	"context"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/finance"
)

// Commands is the finance module's port: what the transport calls; *Service implements it and
// Metered decorates it.
type Commands interface {
	SetPlan(ctx context.Context, m commands.Meta, contractID uuid.UUID, items []finance.PlanItem) (commands.Result, error)
	DraftReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID, f finance.ReceiptFields) (commands.Result, error)
	UpdateReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID, f finance.ReceiptFields) (commands.Result, error)
	DeleteReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID) (commands.Result, error)
	SubmitReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID, comment string) (commands.Result, error)
	DecideReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID, approve bool, comment string) (commands.Result, error)
	WithdrawReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID) (commands.Result, error)
	ReverseReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID, reason, date string) (commands.Result, error)
	CloseMonth(ctx context.Context, m commands.Meta, month string) (commands.Result, error)
	ReopenMonth(ctx context.Context, m commands.Meta, month, reason string) (commands.Result, error)
	Months(ctx context.Context) (*finance.Calendar, error)
	Ledger(ctx context.Context, a access.Actor, contractID uuid.UUID) (*finance.Ledger, error)
	Receivables(ctx context.Context, a access.Actor, contractID uuid.UUID) (*finance.Ledger, finance.Terms, error)
	History(ctx context.Context, a access.Actor, contractID uuid.UUID) ([]commands.Change, error)

	CreateSupplier(ctx context.Context, m commands.Meta, id uuid.UUID, f finance.SupplierFields) (commands.Result, error)
	UpdateSupplier(ctx context.Context, m commands.Meta, id uuid.UUID, p finance.SupplierPatch) (commands.Result, error)
	DeleteSupplier(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	Supplier(ctx context.Context, a access.Actor, id uuid.UUID) (*finance.Supplier, error)
	CreatePayable(ctx context.Context, m commands.Meta, id uuid.UUID, f finance.PayableFields) (commands.Result, error)
	UpdatePayable(ctx context.Context, m commands.Meta, id uuid.UUID, p finance.PayablePatch) (commands.Result, error)
	DeletePayable(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	DraftVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID, f finance.VoucherFields) (commands.Result, error)
	UpdateVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID, f finance.VoucherFields) (commands.Result, error)
	DeleteVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID) (commands.Result, error)
	SubmitVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID, comment string) (commands.Result, error)
	DecideVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID, approve bool, comment string) (commands.Result, error)
	WithdrawVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID) (commands.Result, error)
	ReverseVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID, reason, date string) (commands.Result, error)
	Payable(ctx context.Context, a access.Actor, id uuid.UUID) (*finance.Payable, error)
	PayableHistory(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error)
}

var _ Commands = (*Service)(nil)

// Metered records every command of next (name, outcome, duration) with rec; queries pass through.
func Metered(next Commands, rec commands.Recorder) Commands { return metered{Commands: next, rec: rec} }

type metered struct {
	Commands
	rec commands.Recorder
}

func (d metered) measure(name string, f func() (commands.Result, error)) (commands.Result, error) {
	return commands.Measure(d.rec, name, f)
}

func (d metered) SetPlan(ctx context.Context, m commands.Meta, contractID uuid.UUID, items []finance.PlanItem) (commands.Result, error) {
	return d.measure(commands.FinancePlan, func() (commands.Result, error) { return d.Commands.SetPlan(ctx, m, contractID, items) })
}

func (d metered) DraftReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID, f finance.ReceiptFields) (commands.Result, error) {
	return d.measure(commands.FinanceReceiptDraft, func() (commands.Result, error) { return d.Commands.DraftReceipt(ctx, m, contractID, id, f) })
}

func (d metered) UpdateReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID, f finance.ReceiptFields) (commands.Result, error) {
	return d.measure(commands.FinanceReceiptUpdate, func() (commands.Result, error) { return d.Commands.UpdateReceipt(ctx, m, contractID, id, f) })
}

func (d metered) DeleteReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID) (commands.Result, error) {
	return d.measure(commands.FinanceReceiptDelete, func() (commands.Result, error) { return d.Commands.DeleteReceipt(ctx, m, contractID, id) })
}

func (d metered) SubmitReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID, comment string) (commands.Result, error) {
	return d.measure(commands.FinanceReceiptSubmit, func() (commands.Result, error) { return d.Commands.SubmitReceipt(ctx, m, contractID, id, comment) })
}

func (d metered) DecideReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID, approve bool, comment string) (commands.Result, error) {
	name := commands.FinanceReceiptReject
	if approve {
		name = commands.FinanceReceiptConfirm
	}
	return d.measure(name, func() (commands.Result, error) {
		return d.Commands.DecideReceipt(ctx, m, contractID, id, approve, comment)
	})
}

func (d metered) WithdrawReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID) (commands.Result, error) {
	return d.measure(commands.FinanceReceiptWithdraw, func() (commands.Result, error) { return d.Commands.WithdrawReceipt(ctx, m, contractID, id) })
}

func (d metered) ReverseReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID, reason, date string) (commands.Result, error) {
	return d.measure(commands.FinanceReceiptReverse, func() (commands.Result, error) {
		return d.Commands.ReverseReceipt(ctx, m, contractID, id, reason, date)
	})
}

func (d metered) CloseMonth(ctx context.Context, m commands.Meta, month string) (commands.Result, error) {
	return d.measure(commands.FinanceCloseMonth, func() (commands.Result, error) { return d.Commands.CloseMonth(ctx, m, month) })
}

func (d metered) ReopenMonth(ctx context.Context, m commands.Meta, month, reason string) (commands.Result, error) {
	return d.measure(commands.FinanceReopenMonth, func() (commands.Result, error) { return d.Commands.ReopenMonth(ctx, m, month, reason) })
}

func (d metered) CreateSupplier(ctx context.Context, m commands.Meta, id uuid.UUID, f finance.SupplierFields) (commands.Result, error) {
	return d.measure(commands.FinanceSupplierCreate, func() (commands.Result, error) { return d.Commands.CreateSupplier(ctx, m, id, f) })
}

func (d metered) UpdateSupplier(ctx context.Context, m commands.Meta, id uuid.UUID, p finance.SupplierPatch) (commands.Result, error) {
	return d.measure(commands.FinanceSupplierUpdate, func() (commands.Result, error) { return d.Commands.UpdateSupplier(ctx, m, id, p) })
}

func (d metered) DeleteSupplier(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return d.measure(commands.FinanceSupplierDelete, func() (commands.Result, error) { return d.Commands.DeleteSupplier(ctx, m, id) })
}

func (d metered) CreatePayable(ctx context.Context, m commands.Meta, id uuid.UUID, f finance.PayableFields) (commands.Result, error) {
	return d.measure(commands.FinancePayableCreate, func() (commands.Result, error) { return d.Commands.CreatePayable(ctx, m, id, f) })
}

func (d metered) UpdatePayable(ctx context.Context, m commands.Meta, id uuid.UUID, p finance.PayablePatch) (commands.Result, error) {
	return d.measure(commands.FinancePayableUpdate, func() (commands.Result, error) { return d.Commands.UpdatePayable(ctx, m, id, p) })
}

func (d metered) DeletePayable(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return d.measure(commands.FinancePayableDelete, func() (commands.Result, error) { return d.Commands.DeletePayable(ctx, m, id) })
}

func (d metered) DraftVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID, f finance.VoucherFields) (commands.Result, error) {
	return d.measure(commands.FinanceVoucherDraft, func() (commands.Result, error) { return d.Commands.DraftVoucher(ctx, m, payableID, id, f) })
}

func (d metered) UpdateVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID, f finance.VoucherFields) (commands.Result, error) {
	return d.measure(commands.FinanceVoucherUpdate, func() (commands.Result, error) { return d.Commands.UpdateVoucher(ctx, m, payableID, id, f) })
}

func (d metered) DeleteVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID) (commands.Result, error) {
	return d.measure(commands.FinanceVoucherDelete, func() (commands.Result, error) { return d.Commands.DeleteVoucher(ctx, m, payableID, id) })
}

func (d metered) SubmitVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID, comment string) (commands.Result, error) {
	return d.measure(commands.FinanceVoucherSubmit, func() (commands.Result, error) { return d.Commands.SubmitVoucher(ctx, m, payableID, id, comment) })
}

func (d metered) DecideVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID, approve bool, comment string) (commands.Result, error) {
	name := commands.FinanceVoucherReject
	if approve {
		name = commands.FinanceVoucherApprove
	}
	return d.measure(name, func() (commands.Result, error) {
		return d.Commands.DecideVoucher(ctx, m, payableID, id, approve, comment)
	})
}

func (d metered) WithdrawVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID) (commands.Result, error) {
	return d.measure(commands.FinanceVoucherWithdraw, func() (commands.Result, error) { return d.Commands.WithdrawVoucher(ctx, m, payableID, id) })
}

func (d metered) ReverseVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID, reason, date string) (commands.Result, error) {
	return d.measure(commands.FinanceVoucherReverse, func() (commands.Result, error) {
		return d.Commands.ReverseVoucher(ctx, m, payableID, id, reason, date)
	})
}
