//go:build race

package discover_test

// raceEnabled says the race detector is on: it makes decoding megabytes of
// JSON ten times slower.
const raceEnabled = true
