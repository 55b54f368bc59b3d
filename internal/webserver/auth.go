package webserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
)

// BasicAuth returns h behind HTTP basic authentication: a request without
// user and password (both compared in constant time) is answered 401 with a
// challenge for realm, and never reaches h.
func BasicAuth(h http.Handler, realm, user, password string) http.Handler {
	// Compared as SHA-256 digests: equal lengths, so neither the
	// comparison's time nor its early exit says how long the secret is.
	wantUser, wantPass := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
	challenge := `Basic realm="` + realm + `", charset="UTF-8"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		gotUser, gotPass := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
		// Both compared, always: which one was wrong takes no less time.
		userOK := subtle.ConstantTimeCompare(gotUser[:], wantUser[:])
		passOK := subtle.ConstantTimeCompare(gotPass[:], wantPass[:])
		if !ok || userOK&passOK != 1 {
			w.Header().Set("WWW-Authenticate", challenge)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
