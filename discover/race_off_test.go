//go:build !race

package discover_test

// raceEnabled says the race detector is on.
const raceEnabled = false
