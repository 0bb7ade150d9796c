package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigurationErrorsAreOneClearLine(t *testing.T) {
	cases := map[string]struct {
		env  map[string]string
		want string
	}{
		"unknown event store":  {map[string]string{"CHRONICLE_EVENTSTORE": "mysql"}, `CHRONICLE_EVENTSTORE="mysql": use sqlite, postgres or eventstoredb`},
		"unknown read models":  {map[string]string{"CHRONICLE_READMODELS": "mongo"}, `CHRONICLE_READMODELS="mongo": use sqlite or postgres`},
		"postgres without url": {map[string]string{"CHRONICLE_EVENTSTORE": "postgres"}, "CHRONICLE_POSTGRES_URL is required"},
		"esdb without url":     {map[string]string{"CHRONICLE_EVENTSTORE": "eventstoredb"}, "CHRONICLE_ESDB_URL is required"},
		"bad log level":        {map[string]string{"CHRONICLE_LOG_LEVEL": "loud"}, `CHRONICLE_LOG_LEVEL="loud"`},
		"bad hash concurrency": {map[string]string{"CHRONICLE_AUTH_HASH_CONCURRENCY": "many"}, `CHRONICLE_AUTH_HASH_CONCURRENCY="many"`},
		"bad hash wait":        {map[string]string{"CHRONICLE_AUTH_HASH_WAIT": "-1s"}, `CHRONICLE_AUTH_HASH_WAIT="-1s"`},
		"bad address limit":    {map[string]string{"CHRONICLE_AUTH_ADDRESS_CONCURRENCY": "0"}, `CHRONICLE_AUTH_ADDRESS_CONCURRENCY="0"`},
		"unreachable postgres": {map[string]string{"CHRONICLE_EVENTSTORE": "postgres", "CHRONICLE_POSTGRES_URL": "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"}, "event store (postgres)"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.env["CHRONICLE_DATA_DIR"] = t.TempDir()
			err := run(context.Background(), []string{"serve"}, &bytes.Buffer{}, env(c.env))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
		})
	}
}

func TestVersionAndUsage(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, env(nil)); err != nil || !strings.HasPrefix(out.String(), "chronicle ") {
		t.Fatalf("version: %q, %v", out.String(), err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, &out, env(nil)); err == nil {
		t.Fatal("an unknown command succeeded")
	}
}

func TestCreateAdminCommand(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	e := env(map[string]string{"CHRONICLE_DATA_DIR": dir, "CHRONICLE_ADMIN_PASSWORD": "Second-admin-2026"})
	if err := run(context.Background(), []string{"users", "create-admin", "-username", "ops"}, &out, e); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `administrator "ops" created`) {
		t.Fatalf("output %q", out.String())
	}
	if err := run(context.Background(), []string{"users", "create-admin", "-username", "OPS"}, &out, e); err == nil {
		t.Fatal("a second administrator with the same username was created")
	}
}
