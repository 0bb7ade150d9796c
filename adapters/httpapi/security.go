package httpapi

import "net/http"

// securityRoutes registers the sign-in security endpoints (two-factor, sessions, login audit).
func (s *Server) securityRoutes(a func(path string, h http.HandlerFunc, method string)) {}
