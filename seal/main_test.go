package seal_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine (a store writer left open)
// outlives the tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
