package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/chronicle-crm/chronicle/cmd/chronicle/loadgen"
)

const loadgenUsage = `usage: chronicle loadgen seed [flags]    seed leads, customers and an organisation into the configured stores
       chronicle loadgen drive [flags]   drive a running server with a mix of requests and report
(chronicle loadgen seed -h and drive -h list the flags)`

// loadgenCmd is the load harness (cmd/chronicle/loadgen): seed writes a data set through the
// configured stores, drive measures a running server.
func loadgenCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return errors.New(loadgenUsage)
	}
	switch args[0] {
	case "seed":
		fs := flag.NewFlagSet("loadgen seed", flag.ContinueOnError)
		var o loadgen.SeedOptions
		fs.IntVar(&o.Leads, "leads", 100_000, "leads to seed")
		fs.IntVar(&o.Customers, "customers", -1, "customers to seed (default: a tenth of -leads)")
		fs.IntVar(&o.Sales, "sales", 200, "sales users, spread over the sales teams")
		fs.Float64Var(&o.LeadPool, "lead-pool", 0.2, "share of the leads in the lead pool")
		fs.Float64Var(&o.CustomerPool, "customer-pool", 0.3, "share of the customers in the customer pool")
		fs.Uint64Var(&o.Seed, "seed", 1, "seed of the generators (the same seed makes the same records; a second run adds nothing)")
		fs.IntVar(&o.Batch, "batch", 5000, "records per AppendEach")
		fs.IntVar(&o.Days, "days", 365, "the records' creation times spread over this many days up to now")
		cfg, logger, err := configLevel(fs, args[1:], getenv, "warn")
		if err != nil {
			return err
		}
		if o.Customers < 0 {
			o.Customers = o.Leads / 10
		}
		o.Password = getenv("CHRONICLE_LOADGEN_PASSWORD") // never a flag: flags show in ps
		_, err = loadgen.Seed(ctx, cfg, logger, o, stdout)
		return err
	case "drive":
		fs := flag.NewFlagSet("loadgen drive", flag.ContinueOnError)
		o := loadgen.DriveOptions{AdminPassword: getenv("CHRONICLE_ADMIN_PASSWORD"), Password: getenv("CHRONICLE_LOADGEN_PASSWORD")}
		adminUser := getenv("CHRONICLE_ADMIN_USER")
		if adminUser == "" {
			adminUser = "admin"
		}
		fs.StringVar(&o.URL, "url", "http://127.0.0.1:8080", "the running server")
		fs.StringVar(&o.As, "as", "admin", "sign in as admin, sales (seeded sales users) or manager (seeded branch managers)")
		fs.StringVar(&o.AdminUser, "admin-user", adminUser, "the administrator's username (password from CHRONICLE_ADMIN_PASSWORD)")
		fs.IntVar(&o.Sessions, "sessions", 10, "sales users (or managers) signed in with -as sales|manager")
		fs.IntVar(&o.VUs, "vus", 32, "virtual users: concurrent requests, one connection each")
		fs.DurationVar(&o.Duration, "duration", 30*time.Second, "how long to drive")
		fs.StringVar(&o.Mix, "mix", loadgen.DefaultMix, "operations and their weights")
		fs.Uint64Var(&o.Seed, "seed", 1, "seed of the virtual users' choices")
		fs.DurationVar(&o.Timeout, "timeout", 60*time.Second, "timeout of one request")
		fs.IntVar(&o.PageDepth, "page-depth", 10, "next pages a virtual user follows before starting again from the first")
		fs.DurationVar(&o.Think, "think", 0, "pause between a virtual user's requests")
		fs.IntVar(&o.MinEach, "min-each", 0, "go on after -duration until every operation of the mix ran this many times")
		asJSON := fs.Bool("json", false, "print the report as JSON")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		o.Progress = os.Stderr
		rep, err := loadgen.Drive(ctx, o)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		}
		rep.Print(stdout)
		return nil
	}
	return fmt.Errorf("unknown loadgen command %q\n%s", args[0], loadgenUsage)
}
