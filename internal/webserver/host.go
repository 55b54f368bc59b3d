package webserver

import (
	"net"
	"net/http"
	"strings"
)

// LoopbackHost returns h for requests that name this host as a loopback
// address or "localhost" in their Host header, whatever the port, and
// answers any other 421 Misdirected Request. A server on loopback without
// a password needs it: a web page whose own name an attacker points at
// 127.0.0.1 (DNS rebinding) would otherwise read it from the user's
// browser, as the browser sends that name, not a loopback one.
func LoopbackHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopbackHost(r.Host) {
			http.Error(w, "this server answers only to a loopback address or localhost", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header names a loopback address or
// localhost.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
