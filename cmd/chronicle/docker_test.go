package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestImageServesSQLiteOnAWritableVolume: the image's last stage runs `serve` as the nonroot user
// with its SQLite data directory a volume that user owns (distroless has no shell to fix it later).
func TestImageServesSQLiteOnAWritableVolume(t *testing.T) {
	df := readRepoFile(t, "Dockerfile")
	final := df[strings.LastIndex(df, "\nFROM "):]
	for _, want := range []string{
		"CHRONICLE_DATA_DIR=/data",
		"COPY --from=build --chown=65532:65532 /data /data",
		"VOLUME /data",
		"USER 65532:65532",
		`CMD ["serve"]`,
	} {
		if !strings.Contains(final, want) {
			t.Errorf("the image's final stage lacks %q", want)
		}
	}
	if strings.Contains(final, "CHRONICLE_EVENTSTORE") || strings.Contains(final, "CHRONICLE_READMODELS") {
		t.Error("the image should default to SQLite")
	}
	if !strings.Contains(df, "mkdir -p /data") {
		t.Error("the build stage does not create /data")
	}
}

// TestMakeTestFindsTheComposePostgres: `make up` publishes PostgreSQL where `make test` looks for it
// (COMPOSE_PG_URL), with the same credentials and database.
func TestMakeTestFindsTheComposePostgres(t *testing.T) {
	compose, mk := readRepoFile(t, "docker-compose.yml"), readRepoFile(t, "Makefile")
	port := regexp.MustCompile(`"(\d+):5432"`).FindStringSubmatch(compose)
	user := regexp.MustCompile(`POSTGRES_USER: (\S+)`).FindStringSubmatch(compose)
	pw := regexp.MustCompile(`POSTGRES_PASSWORD: (\S+)`).FindStringSubmatch(compose)
	db := regexp.MustCompile(`POSTGRES_DB: (\S+)`).FindStringSubmatch(compose)
	if port == nil || user == nil || pw == nil || db == nil {
		t.Fatal("docker-compose.yml: no published PostgreSQL port or credentials")
	}
	want := "postgres://" + user[1] + ":" + pw[1] + "@127.0.0.1:" + port[1] + "/" + db[1] + "?sslmode=disable"
	if !strings.Contains(mk, "COMPOSE_PG_URL ?= "+want) {
		t.Errorf("Makefile's COMPOSE_PG_URL is not %s", want)
	}
	if !strings.Contains(mk, "$(call pg_answers,5433),$(COMPOSE_PG_URL)") {
		t.Error("make test does not fall back to the compose PostgreSQL")
	}
}
