package export_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine outlives the tests. export starts
// none itself, but every test opens a store.DB, whose writer goroutine only
// a Close stops, and the report test runs chromium, whose output pipes are
// copied by goroutines that only Wait ends: a leak here is a test (or an
// export path) that forgot to release what it opened.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
