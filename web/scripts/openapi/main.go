// Command openapi prints the OpenAPI document the server serves at GET /api/openapi.json,
// assembled from the module fragments. The web UI generates its API types from it
// (web/scripts/openapi-types.mjs: `npm run gen:api`, and the test that the types are current).
package main

import (
	"fmt"
	"os"

	"github.com/chronicle-crm/chronicle/adapters/app"
)

func main() {
	doc, err := app.OpenAPI()
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
	if _, err := os.Stdout.Write(doc); err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
}
