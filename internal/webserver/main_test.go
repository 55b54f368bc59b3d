package webserver_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine (a server Close did not stop, a
// client connection left open) outlives the tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
