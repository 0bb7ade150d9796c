package readmodels

// Masking is the block a read view whose record has contact details (telephone numbers, e-mail
// addresses: leads, customers, contacts) carries to say what its reader was not shown in full.
// The rows hold the values in full; the API masks them for the reader when it answers
// (adapters/httpapi/httpkit.ContactDetails), never in the events or the read models. It has no
// columns: a view embeds the struct only for its JSON.
type Masking struct {
	// MaskedFields are the fields whose values this answer shows masked (138****8000,
	// z***@example.com); empty when every value is shown in full.
	MaskedFields []string `json:"maskedFields,omitempty"`
	// Revealable: the reader may ask for the masked values in full (POST …/{id}/reveal).
	Revealable bool `json:"revealable,omitempty"`
}
