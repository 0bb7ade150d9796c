package httpapi

// ProblemStatus is the HTTP status of the problem document the API answers err with (exported
// for the fuzz test, which asserts that bad input never maps to a 5xx).
func ProblemStatus(err error) int { return problemFor(err).Status }
