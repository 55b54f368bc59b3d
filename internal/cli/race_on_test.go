//go:build race

package cli

// raceEnabled says the test binary runs under the race detector, which
// slows encoding/json tenfold and keeps memory of its own as it goes.
const raceEnabled = true
