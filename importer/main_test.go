package importer_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine outlives the tests: every test
// opens a store.DB, whose writer goroutine only Close stops.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
