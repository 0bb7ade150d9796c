package app

import (
	"context"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/announcementapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/auditapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/complianceapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/contactapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/contractapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/customerapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/dictapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/financeapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/followupapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/importapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/leadapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/mailapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/notifyapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/opportunityapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/opsapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/orgapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/privacyapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/productapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/scheduleapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/tabular"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/taskapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/userapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/workbenchapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/worklogapi"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/announcementcmd"
	"github.com/chronicle-crm/chronicle/commands/approvalcmd"
	"github.com/chronicle-crm/chronicle/commands/contractcmd"
	"github.com/chronicle-crm/chronicle/commands/conversion"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/commands/dictcmd"
	"github.com/chronicle-crm/chronicle/commands/financecmd"
	"github.com/chronicle-crm/chronicle/commands/followup"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/commands/notifycmd"
	"github.com/chronicle-crm/chronicle/commands/opportunitycmd"
	"github.com/chronicle-crm/chronicle/commands/orgcmd"
	"github.com/chronicle-crm/chronicle/commands/productcmd"
	"github.com/chronicle-crm/chronicle/commands/schedulecmd"
	"github.com/chronicle-crm/chronicle/commands/taskcmd"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/commands/worklogcmd"
	"github.com/chronicle-crm/chronicle/domain/announcement"
	"github.com/chronicle-crm/chronicle/domain/audit"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/contract"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/notification"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
	"github.com/chronicle-crm/chronicle/domain/product"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/schedule"
	"github.com/chronicle-crm/chronicle/domain/settings"
	"github.com/chronicle-crm/chronicle/domain/task"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/domain/worklog"
	"github.com/chronicle-crm/chronicle/projections/announcementproj"
	"github.com/chronicle-crm/chronicle/projections/approvalproj"
	"github.com/chronicle-crm/chronicle/projections/auditproj"
	"github.com/chronicle-crm/chronicle/projections/contractproj"
	"github.com/chronicle-crm/chronicle/projections/conversionproj"
	"github.com/chronicle-crm/chronicle/projections/customerproj"
	"github.com/chronicle-crm/chronicle/projections/dealproj"
	"github.com/chronicle-crm/chronicle/projections/dictproj"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/financeproj"
	"github.com/chronicle-crm/chronicle/projections/leadproj"
	"github.com/chronicle-crm/chronicle/projections/loginproj"
	"github.com/chronicle-crm/chronicle/projections/notifyproj"
	"github.com/chronicle-crm/chronicle/projections/opportunityproj"
	"github.com/chronicle-crm/chronicle/projections/orgproj"
	"github.com/chronicle-crm/chronicle/projections/productproj"
	"github.com/chronicle-crm/chronicle/projections/scheduleproj"
	"github.com/chronicle-crm/chronicle/projections/taskproj"
	"github.com/chronicle-crm/chronicle/projections/worklogproj"
	"github.com/chronicle-crm/chronicle/readmodels/notifyview"
)

// module is one module of Chronicle: the events it stores, the projectors that build its read
// models and its part of the API (routes and OpenAPI fragment). This list is the only place that
// names modules; adding one is adding an entry (see docs/modules.md).
type module struct {
	name       string
	events     func(*event.Registry)
	projectors func(a *App) []engine.Projector
	api        func(a *App, kit *httpkit.Kit, p ports) []httpapi.Module
}

// modules in route order: imports and exports come before the record routes, so that
// /customers/export is not taken for /customers/{id}.
var modules = []module{
	{name: "imports", api: func(a *App, k *httpkit.Kit, _ ports) []httpapi.Module {
		return []httpapi.Module{{Name: "imports", OpenAPI: importapi.OpenAPI, Routes: func(rt httpkit.Router) {
			importapi.Routes(rt, importapi.Deps{Kit: k, Imports: a.Imports, ImportViews: a.ImportViews, LeadViews: a.LeadViews, CustomerViews: a.CustomerViews, OrgViews: a.OrgViews,
				ProductViews: a.ProductViews, ContractViews: a.ContractViews, OppViews: a.OppViews, TaskViews: a.TaskViews, ScheduleViews: a.ScheduleViews, DictViews: a.DictViews, FinanceViews: a.FinanceViews})
		}}}
	}},
	// The audit chain's anchors are recorded in the log (adapters/audit); nothing projects them but
	// the operation log.
	{name: "audit chain", events: auditchain.Register},
	{name: "org", events: func(r *event.Registry) {
		user.Register(r)
		department.Register(r)
		role.Register(r)
		settings.Register(r)
		commands.RegisterEvents(r) // key reservations (usernames, customer names) and claim ledgers
	}, projectors: func(a *App) []engine.Projector {
		return []engine.Projector{orgproj.New(a.Registry)}
	}, api: func(a *App, k *httpkit.Kit, p ports) []httpapi.Module {
		return []httpapi.Module{
			{Name: "users", OpenAPI: userapi.OpenAPI, Routes: func(rt httpkit.Router) {
				userapi.Routes(rt, userapi.Deps{Kit: k, Store: a.Store, Users: p.users, Auth: p.auth, OrgViews: a.OrgViews})
			}},
			{Name: "org", OpenAPI: orgapi.OpenAPI, Routes: func(rt httpkit.Router) {
				orgapi.Routes(rt, orgapi.Deps{Kit: k, Org: p.org, OrgViews: a.OrgViews})
			}},
		}
	}},
	{name: "dictionaries", events: dictionary.Register, projectors: func(a *App) []engine.Projector {
		return []engine.Projector{dictproj.New(a.Registry)}
	}, api: func(a *App, k *httpkit.Kit, p ports) []httpapi.Module {
		return []httpapi.Module{{Name: "dictionaries", OpenAPI: dictapi.OpenAPI, Routes: func(rt httpkit.Router) {
			dictapi.Routes(rt, dictapi.Deps{Kit: k, Dict: p.dict, Views: a.DictViews})
		}}}
	}},
	{name: "leads", events: lead.Register, projectors: func(a *App) []engine.Projector {
		return []engine.Projector{leadproj.New(a.Registry)}
	}, api: func(a *App, k *httpkit.Kit, p ports) []httpapi.Module {
		return []httpapi.Module{{Name: "leads", OpenAPI: leadapi.OpenAPI, Routes: func(rt httpkit.Router) {
			leadapi.Routes(rt, leadapi.Deps{Kit: k, Leads: p.leads, Conversion: p.conversion, LeadViews: a.LeadViews, Settings: a.OrgViews})
		}}}
	}},
	{name: "customers", events: func(r *event.Registry) {
		customer.Register(r)
		contact.Register(r)
	}, projectors: func(a *App) []engine.Projector {
		return []engine.Projector{customerproj.New(a.Registry)}
	}, api: func(a *App, k *httpkit.Kit, p ports) []httpapi.Module {
		return []httpapi.Module{
			{Name: "customers", OpenAPI: customerapi.OpenAPI, Routes: func(rt httpkit.Router) {
				customerapi.Routes(rt, customerapi.Deps{Kit: k, Customers: p.customers, CustomerViews: a.CustomerViews, Settings: a.OrgViews})
			}},
			{Name: "contacts", OpenAPI: contactapi.OpenAPI, Routes: func(rt httpkit.Router) {
				contactapi.Routes(rt, contactapi.Deps{Kit: k, Contacts: p.contacts, CustomerViews: a.CustomerViews})
			}},
		}
	}},
	{name: "products", events: product.Register, projectors: func(a *App) []engine.Projector {
		return []engine.Projector{productproj.New(a.Registry)}
	}, api: func(a *App, k *httpkit.Kit, p ports) []httpapi.Module {
		return []httpapi.Module{{Name: "products", OpenAPI: productapi.OpenAPI, Routes: func(rt httpkit.Router) {
			productapi.Routes(rt, productapi.Deps{Kit: k, Products: p.products, Views: a.ProductViews})
		}}}
	}},
	{name: "followups", api: func(a *App, k *httpkit.Kit, p ports) []httpapi.Module {
		return []httpapi.Module{{Name: "followups", OpenAPI: followupapi.OpenAPI, Routes: func(rt httpkit.Router) {
			followupapi.Routes(rt, followupapi.Deps{Kit: k, FollowUps: p.followUps, Leads: p.leads, Customers: p.customers,
				LeadViews: a.LeadViews, CustomerViews: a.CustomerViews, OppViews: a.OppViews})
		}}}
	}},
	{name: "opportunities", events: opportunity.Register, projectors: func(a *App) []engine.Projector {
		return []engine.Projector{opportunityproj.New(a.Registry)}
	}, api: func(a *App, k *httpkit.Kit, p ports) []httpapi.Module {
		return []httpapi.Module{{Name: "opportunities", OpenAPI: opportunityapi.OpenAPI, Routes: func(rt httpkit.Router) {
			opportunityapi.Routes(rt, opportunityapi.Deps{Kit: k, Opportunities: p.opps, Views: a.OppViews, Zone: a.userZone})
		}}}
	}},
	{name: "contracts", events: contract.Register, projectors: func(a *App) []engine.Projector {
		return []engine.Projector{contractproj.New(a.Registry), approvalproj.New(a.Registry)}
	}, api: func(a *App, k *httpkit.Kit, p ports) []httpapi.Module {
		return []httpapi.Module{{Name: "contracts", OpenAPI: contractapi.OpenAPI, Routes: func(rt httpkit.Router) {
			contractapi.Routes(rt, contractapi.Deps{Kit: k, Contracts: p.contracts, Flows: p.flows, Views: a.ContractViews, Inbox: a.ApprovalViews})
		}}}
	}},
	{name: "finance", events: finance.Register, projectors: func(a *App) []engine.Projector {
		return []engine.Projector{financeproj.New(a.Registry)}
	}, api: func(a *App, k *httpkit.Kit, p ports) []httpapi.Module {
		return []httpapi.Module{{Name: "finance", OpenAPI: financeapi.OpenAPI, Routes: func(rt httpkit.Router) {
			financeapi.Routes(rt, financeapi.Deps{Kit: k, Finance: p.finance, Views: a.FinanceViews, Departments: a.departmentNames,
				Today: func(ctx context.Context) time.Time { return a.Config.Clock().In(a.zone(ctx, "")) }})
		}}}
	}},
	{name: "tasks", events: task.Register, projectors: func(a *App) []engine.Projector {
		return []engine.Projector{taskproj.New(a.Registry)}
	}, api: func(a *App, k *httpkit.Kit, p ports) []httpapi.Module {
		return []httpapi.Module{{Name: "tasks", OpenAPI: taskapi.OpenAPI, Routes: func(rt httpkit.Router) {
			taskapi.Routes(rt, taskapi.Deps{Kit: k, Tasks: p.tasks, Views: a.TaskViews, Now: a.Config.Clock})
		}}}
	}},
	{name: "schedules", events: func(r *event.Registry) {
		schedule.Register(r)
		schedule.RegisterFeed(r)
	}, projectors: func(a *App) []engine.Projector {
		return []engine.Projector{scheduleproj.New(a.Registry)}
	}, api: func(a *App, k *httpkit.Kit, p ports) []httpapi.Module {
		return []httpapi.Module{{Name: "schedules", OpenAPI: scheduleapi.OpenAPI, Routes: func(rt httpkit.Router) {
			scheduleapi.Routes(rt, scheduleapi.Deps{Kit: k, Schedules: p.schedules, Feeds: a.Feeds, Views: a.ScheduleViews,
				Tasks: a.feedTasks, Org: a.OrgViews, Now: a.Config.Clock})
		}}}
	}},
	{name: "worklogs", events: worklog.Register, projectors: func(a *App) []engine.Projector {
		return []engine.Projector{worklogproj.New(a.Registry)}
	}, api: func(a *App, k *httpkit.Kit, p ports) []httpapi.Module {
		return []httpapi.Module{{Name: "worklogs", OpenAPI: worklogapi.OpenAPI, Routes: func(rt httpkit.Router) {
			worklogapi.Routes(rt, worklogapi.Deps{Kit: k, WorkLogs: p.workLogs, Views: a.WorkLogViews, Now: a.Config.Clock})
		}}}
	}},
	// The in-app inbox: notifications follow from the events of the other modules.
	{name: "notifications", events: notification.Register, projectors: func(a *App) []engine.Projector {
		return []engine.Projector{notifyproj.New(a.Registry)}
	}, api: func(a *App, k *httpkit.Kit, p ports) []httpapi.Module {
		return []httpapi.Module{{Name: "notifications", OpenAPI: notifyapi.OpenAPI, Routes: func(rt httpkit.Router) {
			notifyapi.Routes(rt, notifyapi.Deps{Kit: k, Inbox: p.inbox, Views: a.NotifyViews,
				Changes: func() uint64 { return a.Engine.Changes(notifyview.Projection) },
				Authenticate: func(ctx context.Context, token string) error {
					_, _, err := p.auth.Authenticate(ctx, token)
					return err
				}})
		}}}
	}},
	// E-mail: the mail server, the outbox, the users' e-mail choices and the forgotten-password
	// link (the mailer itself runs in Serve).
	{name: "mail", api: func(a *App, k *httpkit.Kit, p ports) []httpapi.Module {
		return []httpapi.Module{{Name: "mail", OpenAPI: mailapi.OpenAPI, Routes: func(rt httpkit.Router) {
			mailapi.Routes(rt, mailapi.Deps{Kit: k, Org: p.org, Users: p.users, OrgViews: a.OrgViews, Mailer: a.Mailer, PublicURL: a.Config.PublicURL})
		}}}
	}},
	{name: "announcements", events: announcement.Register, projectors: func(a *App) []engine.Projector {
		return []engine.Projector{announcementproj.New(a.Registry)}
	}, api: func(a *App, k *httpkit.Kit, p ports) []httpapi.Module {
		return []httpapi.Module{{Name: "announcements", OpenAPI: announcementapi.OpenAPI, Routes: func(rt httpkit.Router) {
			announcementapi.Routes(rt, announcementapi.Deps{Kit: k, Announcements: p.announcements, Views: a.AnnouncementViews, Now: a.Config.Clock})
		}}}
	}},
	// Won opportunities make their customers closed-deal: a process across the two modules.
	{name: "deals", projectors: func(a *App) []engine.Projector {
		return []engine.Projector{dealproj.Projector{Recorder: a.Customers}}
	}},
	{name: "conversion", projectors: func(a *App) []engine.Projector {
		return []engine.Projector{conversionproj.Projector{Completer: a.Convert}}
	}},
	// The operation log and the sign-in log; the audit entries of reads (reveals, exports).
	{name: "audit", events: audit.Register, projectors: func(a *App) []engine.Projector {
		return []engine.Projector{auditproj.Projector{}, loginproj.New(a.Registry)}
	}, api: func(a *App, k *httpkit.Kit, _ ports) []httpapi.Module {
		return []httpapi.Module{{Name: "audit", OpenAPI: auditapi.OpenAPI, Routes: func(rt httpkit.Router) {
			auditapi.Routes(rt, auditapi.Deps{Kit: k, AuditViews: a.AuditViews, LoginViews: a.LoginViews, Head: a.Store.Head,
				Chain: a.chainHead, Key: a.Sealer.Key, Changes: a.fieldChanges(), Zone: tabular.Zone})
		}}}
	}},
	// The compliance screen: the audit chain's state, verification and anchors (adapters/audit),
	// and the backups of the embedded stores (adapters/backup).
	{name: "compliance", api: func(a *App, k *httpkit.Kit, _ ports) []httpapi.Module {
		return []httpapi.Module{{Name: "compliance", OpenAPI: complianceapi.OpenAPI, Routes: func(rt httpkit.Router) {
			complianceapi.Routes(rt, complianceapi.Deps{Kit: k, State: a.Sealer.ReadState, Head: a.Store.Head,
				AnchorDir: a.Config.AuditAnchorDir, PublicKey: a.AuditPublicKey,
				Verify: func(ctx context.Context, from uint64) (auditchain.Report, error) {
					return a.VerifyAudit(ctx, from, nil)
				},
				Anchor: a.AnchorAudit,
				Backups: complianceapi.Backups{Embedded: a.Config.Embedded(), EventStore: a.Config.EventStore, ReadModels: a.Config.ReadModels,
					Schedule: a.Config.Backup.Schedule, Dir: a.Config.Backup.Dir, Keep: a.Config.Backup.Keep}})
		}}}
	}},
	// Erasures of personal data (PIPL Art. 47, GDPR Art. 17): recorded in the log, the subject's key
	// destroyed (adapters/privacy); the read models of leads and contacts follow the erasures.
	{name: "privacy", events: dp.Register, api: func(a *App, k *httpkit.Kit, _ ports) []httpapi.Module {
		return []httpapi.Module{{Name: "privacy", OpenAPI: privacyapi.OpenAPI, Routes: func(rt httpkit.Router) {
			privacyapi.Routes(rt, privacyapi.Deps{Kit: k, Erasures: a.Erasures, AuditViews: a.AuditViews})
		}}}
	}},
	{name: "workbench", api: func(a *App, k *httpkit.Kit, _ ports) []httpapi.Module {
		return []httpapi.Module{{Name: "workbench", OpenAPI: workbenchapi.OpenAPI, Routes: func(rt httpkit.Router) {
			workbenchapi.Routes(rt, workbenchapi.Deps{Kit: k, Workbench: a.WorkbenchViews, Settings: a.OrgViews})
		}}}
	}},
	{name: "ops", api: func(a *App, k *httpkit.Kit, _ ports) []httpapi.Module {
		return []httpapi.Module{{Name: "ops", OpenAPI: opsapi.OpenAPI, Routes: func(rt httpkit.Router) {
			opsapi.Routes(rt, opsapi.Deps{Kit: k, Engine: a.Engine})
		}}}
	}},
}

// ports are the command services as the transport sees them: decorated so that every command is
// recorded (name, outcome, duration) by the metrics.
type ports struct {
	leads         leadcmd.Commands
	customers     customercmd.Commands
	contacts      customercmd.ContactCommands
	conversion    conversion.Commands
	followUps     followup.Commands
	org           orgcmd.Commands
	dict          dictcmd.Commands
	opps          opportunitycmd.Commands
	products      productcmd.Commands
	contracts     contractcmd.Commands
	flows         approvalcmd.Commands
	finance       financecmd.Commands
	tasks         taskcmd.Commands
	schedules     schedulecmd.Commands
	inbox         notifycmd.Commands
	users         usercmd.UserCommands
	auth          usercmd.AuthCommands
	announcements announcementcmd.Commands
	workLogs      worklogcmd.Commands
}

func (a *App) ports(rec commands.Recorder) ports {
	return ports{
		leads:         leadcmd.Metered(a.Leads, rec),
		customers:     customercmd.Metered(a.Customers, rec),
		contacts:      customercmd.ContactCommandsMetered(a.Contacts, rec),
		conversion:    conversion.Metered(a.Convert, rec),
		followUps:     followup.Metered(a.FollowUps, rec),
		org:           orgcmd.Metered(a.Org, rec),
		dict:          dictcmd.Metered(a.Dict, rec),
		opps:          opportunitycmd.Metered(a.Opps, rec),
		products:      productcmd.Metered(a.Products, rec),
		contracts:     contractcmd.Metered(a.Contracts, rec),
		flows:         approvalcmd.Metered(a.Approvals, rec),
		finance:       financecmd.Metered(a.Finance, rec),
		tasks:         taskcmd.Metered(a.Tasks, rec),
		schedules:     schedulecmd.Metered(a.Schedules, rec),
		inbox:         notifycmd.Metered(a.Inbox, rec),
		users:         usercmd.UserCommandsMetered(a.Users, rec),
		auth:          usercmd.AuthCommandsMetered(a.Auth, rec),
		announcements: announcementcmd.Metered(a.Announcements, rec),
		workLogs:      worklogcmd.Metered(a.WorkLogs, rec),
	}
}

// OpenAPI is the document of the API the modules make up (the same one a server serves).
func OpenAPI() ([]byte, error) {
	var api []httpapi.Module
	for _, m := range modules {
		if m.api != nil {
			api = append(api, m.api(&App{}, nil, ports{})...) // only the fragments are read
		}
	}
	return httpapi.Document(api)
}

// chainHead is the audit chain's sealed head (the sealer's checkpoint), for the export's manifest.
func (a *App) chainHead(ctx context.Context) (auditchain.ChainHead, error) {
	st, err := a.Sealer.ReadState(ctx)
	if err != nil {
		return auditchain.ChainHead{}, err
	}
	return auditchain.ChainHead{Position: st.Position, Events: st.Seq, Hash: st.Hash}, nil
}

// fieldChanges makes, for each export of the operation log, the field changes of the events of
// leads, customers, contacts, opportunities, tasks, contracts, products and schedules: each
// record's stream folded as its history folds it (commands.FieldChanges).
func (a *App) fieldChanges() func() *commands.FieldChanges {
	st, reg, clock := a.Store, a.Registry, a.Config.Clock
	kinds := map[string]commands.HistoryFunc{
		lead.StreamPrefix: commands.HistoryOf(commands.NewRepository(st, reg, clock, lead.Stream, lead.Rehydrate), (*lead.Lead).Snapshot),
		customer.StreamPrefix: commands.HistoryOf(commands.NewRepository(st, reg, clock, customer.Stream, customer.Rehydrate),
			(*customer.Customer).Snapshot),
		contact.StreamPrefix: commands.HistoryOf(commands.NewRepository(st, reg, clock, contact.Stream, contact.Rehydrate),
			(*contact.Contact).Snapshot),
		opportunity.StreamPrefix: commands.HistoryOf(commands.NewRepository(st, reg, clock, opportunity.Stream, opportunity.Rehydrate),
			(*opportunity.Opportunity).Snapshot),
		task.StreamPrefix: commands.HistoryOf(commands.NewRepository(st, reg, clock, task.Stream, task.Rehydrate), (*task.Task).Snapshot),
		contract.StreamPrefix: commands.HistoryOf(commands.NewRepository(st, reg, clock, contract.Stream, contract.Rehydrate),
			(*contract.Contract).Snapshot),
		product.StreamPrefix: commands.HistoryOf(commands.NewRepository(st, reg, clock, product.Stream, product.Rehydrate),
			(*product.Product).Snapshot),
		schedule.StreamPrefix: commands.HistoryOf(commands.NewRepository(st, reg, clock, schedule.Stream, schedule.Rehydrate),
			(*schedule.Schedule).Snapshot),
	}
	return func() *commands.FieldChanges { return commands.NewFieldChanges(kinds, commands.DefaultKeepStreams) }
}
