package replay

import (
	"fmt"
	"time"

	"github.com/confrec/confrec/store"
)

// This file puts frames on the service's clock, the clock of event times
// (Event.Time).

// createTimeOf returns fr's createTime, as the Folder reads it: only a
// text frame from the service that parses has one.
func createTimeOf(fr *store.Frame, w *wireFrame) (time.Time, bool) {
	if fr.Dir != store.In || fr.Op != store.Text || decodeFrame(fr.Payload, w) != nil {
		return time.Time{}, false
	}
	return epochTime(w.CreateTime)
}

// FirstOffset returns the offset between the service's clock and the
// receive clock (createTime − receive time) of the first frame of meeting
// confID that has a createTime, 0 when none has: for Folder.SetOffset. It
// reads the frames only up to that one.
func FirstOffset(db *store.DB, confID string) (time.Duration, error) {
	c, err := db.Frames(confID, nil)
	if err != nil {
		return 0, fmt.Errorf("read meeting %s: %w", confID, err)
	}
	defer c.Close()
	var w wireFrame
	for c.Next() {
		fr := c.Frame()
		if t, ok := createTimeOf(&fr, &w); ok {
			return t.Sub(fr.Time), nil
		}
	}
	if err := c.Err(); err != nil {
		return 0, fmt.Errorf("read meeting %s: %w", confID, err)
	}
	return 0, nil
}
