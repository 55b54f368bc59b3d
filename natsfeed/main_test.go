package natsfeed

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: a
// Publisher or an Archiver that outlives its Run, or a NATS client or
// server not closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
