package interchange_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/confrec/confrec/interchange"
)

// FuzzEpochTime: a time to the microsecond, written as a HAR message time
// and read back, is the same time, for dates from 1970 to 2100.
func FuzzEpochTime(f *testing.F) {
	f.Add(time.Date(2025, 3, 18, 2, 0, 0, 123456000, time.UTC).UnixMicro())
	f.Add(int64(0))
	f.Add(int64(999999))
	f.Add(time.Date(2099, 12, 31, 23, 59, 59, 999999000, time.UTC).UnixMicro())
	f.Fuzz(func(t *testing.T, us int64) {
		if us < 0 || us > time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro() {
			return
		}
		want := time.UnixMicro(us).UTC()
		b, err := json.Marshal(interchange.HARWSMessage{Time: interchange.NewEpochTime(want)})
		if err != nil {
			t.Fatal(err)
		}
		var m interchange.HARWSMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if got := m.Time.Time(); !got.Equal(want) {
			t.Fatalf("%s: time %v, want %v", b, got, want)
		}
	})
}
