package auditchain

// MigrationStream is the stream the records of migrations are on.
const MigrationStream = "audit-migrations"

// Migrated is recorded in a log that `chronicle migrate` wrote (by the system actor), after the
// events it copied: the source log's chain head, which the copy's chain does not continue (the
// bytes changed), and the mapping file that pairs each source position with the copy's, by name
// and SHA-256. The file also holds the copy's chain head at its last copied event.
type Migrated struct {
	Migration      string `json:"migration"` // e.g. encrypt-personal-data
	Source         string `json:"source"`    // where the source log is (no credentials)
	SourcePosition uint64 `json:"sourcePosition"`
	SourceEvents   uint64 `json:"sourceEvents"`
	SourceHash     Hash   `json:"sourceHash"`
	Events         uint64 `json:"events"` // events copied
	MappingFile    string `json:"mappingFile"`
	MappingSHA256  string `json:"mappingSha256"`
}

// EventType implements event.Event.
func (Migrated) EventType() string { return "audit.migrated.v1" }
