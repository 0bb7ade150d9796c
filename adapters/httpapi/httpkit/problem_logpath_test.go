package httpkit

import "testing"

// A calendar feed's URL is its secret: logs keep the path without it.
func TestLogPathHidesSecrets(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v1/calendar/feed/abcDEF123.ics": "/api/v1/calendar/feed/[secret]",
		"/api/v1/calendar/feed":               "/api/v1/calendar/feed",
		"/api/v1/calendar/feed/":              "/api/v1/calendar/feed/",
		"/api/v1/leads/42":                    "/api/v1/leads/42",
	} {
		if got := LogPath(in); got != want {
			t.Errorf("LogPath(%q) = %q, want %q", in, got, want)
		}
	}
}
