package commands

// Command names: the metadata of every event a command appends, and the label of its metrics.
// They are part of the log (compliance reviewers filter by them) and never change.
const (
	LeadCreate  = "lead.create"
	LeadUpdate  = "lead.update"
	LeadAssign  = "lead.assign"
	LeadClaim   = "lead.claim"
	LeadRelease = "lead.release"
	LeadDelete  = "lead.delete"
	LeadConvert = "lead.convert"
	LeadImport  = "lead.import"

	CustomerCreate            = "customer.create"
	CustomerUpdate            = "customer.update"
	CustomerAssign            = "customer.assign"
	CustomerClaim             = "customer.claim"
	CustomerRelease           = "customer.release"
	CustomerLock              = "customer.lock"
	CustomerUnlock            = "customer.unlock"
	CustomerDelete            = "customer.delete"
	CustomerMerge             = "customer.merge"
	CustomerImport            = "customer.import"
	CustomerSetPrimaryContact = "customer.set_primary_contact"
	CustomerReturnToPool      = "customer.return_to_pool"

	ContactCreate = "contact.create"
	ContactUpdate = "contact.update"
	ContactDelete = "contact.delete"
	ContactMove   = "contact.move"
	ContactImport = "contact.import"

	FollowUpRecord = "followup.record"

	DepartmentCreate        = "department.create"
	DepartmentUpdate        = "department.update"
	RoleCreate              = "role.create"
	RoleUpdate              = "role.update"
	RoleDelete              = "role.delete"
	RoleGrantNewPermissions = "role.grant_new_permissions"
	SettingsUpdate          = "settings.update"

	DictionaryAddItem     = "dictionary.add_item"
	DictionaryRelabelItem = "dictionary.relabel_item"
	DictionaryDisableItem = "dictionary.disable_item"
	DictionaryEnableItem  = "dictionary.enable_item"
	DictionaryReorder     = "dictionary.reorder"

	ProductCreate         = "product.create"
	ProductUpdate         = "product.update"
	ProductPutOnSale      = "product.put_on_sale"
	ProductTakeOffSale    = "product.take_off_sale"
	ProductDelete         = "product.delete"
	ProductImport         = "product.import"
	ProductCategoryCreate = "product_category.create"
	ProductCategoryRename = "product_category.rename"
	ProductCategoryMove   = "product_category.move"
	ProductCategoryDelete = "product_category.delete"

	UserCreate         = "user.create"
	UserUpdate         = "user.update"
	UserDisable        = "user.disable"
	UserEnable         = "user.enable"
	UserResetPassword  = "user.reset_password"
	UserChangePassword = "user.change_password"
	UserTwoFactorReset = "user.two_factor_reset"
	UserUnlock         = "user.unlock"

	UserChangePreferences = "user.change_preferences"

	AuthLogin                   = "auth.login"
	AuthTwoFactorEnroll         = "auth.two_factor_enroll"
	AuthTwoFactorConfirm        = "auth.two_factor_confirm"
	AuthTwoFactorDisable        = "auth.two_factor_disable"
	AuthRecoveryCodesRegenerate = "auth.recovery_codes_regenerate"
)
