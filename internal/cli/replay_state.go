package cli

import (
	"strings"
	"time"

	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

// Flag names of replay state and replay print.
const flgAt = "at"

func replayStateCommand() *cli.Command {
	return &cli.Command{
		Name:      "state",
		Usage:     "print a recorded meeting's state at one instant, as JSON",
		ArgsUsage: "CONFID",
		Description: `Folds the meeting's frames up to --at into its state: the meeting (title, owner, times,
Created/Destroyed, lock, mute-all, recording, layout, captions), the participants (pid, name, role,
muted, camera, hand, sharing, ...), the current speakers, the waiting room, the attendees and the
invite results. --at is on the service's clock, as the time column of export timeline: a time copied
from the timeline gives the state at that event. A time outside the meeting is refused; an offset
past its end gives the final state.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flgAt, Usage: "the instant on the service's clock: RFC 3339 `TIME`, or an offset like +12m30s from the first frame"},
		},
		OnUsageError: onUsageError,
		Action:       runReplayState,
	}
}

func runReplayState(c *cli.Context) error {
	id, err := oneArg(c, "CONFID")
	if err != nil {
		return err
	}
	if c.String(flgAt) == "" {
		return usagef("%s needs --at TIME (RFC 3339, or +OFFSET from the first frame)", commandPath(c))
	}
	db, m, err := openMeeting(c, id)
	if err != nil {
		return err
	}
	defer db.Close()
	at, err := stateInstant(db, &m, c.String(flgAt))
	if err != nil {
		return err
	}
	st, err := replay.StateAt(db, id, at)
	if err != nil {
		return err
	}
	return writeJSON(c.App.Writer, st)
}

// stateInstant reads replay state's --at on the service's clock, the clock
// of the timeline's time column: an offset counts from the meeting's
// start on that clock (replay.TimeRange), and may run past the end (the
// final state); an RFC 3339 time outside the meeting is refused, naming
// the meeting's range: it is most likely on another clock.
func stateInstant(db *store.DB, m *store.Meeting, v string) (time.Time, error) {
	first, last, err := replay.TimeRange(db, m.ID)
	if err != nil {
		return time.Time{}, err
	}
	at, err := parseTime(flgAt, v, first)
	if err != nil || first.IsZero() || strings.HasPrefix(v, "+") {
		return at, err
	}
	// The timeline shows milliseconds: its first time may be a little
	// before the first frame's.
	if at.Before(first.Truncate(time.Millisecond)) || at.After(last) {
		return time.Time{}, usagef("--%s %s is outside meeting %s, which runs from %s to %s on the service's clock "+
			"(the time column of export timeline); give a time in that range or an offset like +12m30s",
			flgAt, v, m.ID, fmtTime(first), fmtTime(last))
	}
	return at, nil
}
