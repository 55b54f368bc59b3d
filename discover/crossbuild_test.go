package discover_test

import (
	"os"
	"os/exec"
	"testing"
)

// TestBuildsOnOtherSystems: the package builds for Windows and macOS too,
// as the rest of confrec does: nothing in it may need a unix-only type
// such as syscall.Stat_t.
func TestBuildsOnOtherSystems(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles: not in -short")
	}
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	for _, goos := range []string{"windows", "darwin"} {
		cmd := exec.Command(goBin, "build", ".")
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("GOOS=%s go build: %v\n%s", goos, err, out)
		}
	}
}
