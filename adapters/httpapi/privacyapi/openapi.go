package privacyapi

import _ "embed"

// OpenAPI is this module's part of the OpenAPI document: its paths and the schemas only it uses.
//
//go:embed openapi.json
var OpenAPI []byte
