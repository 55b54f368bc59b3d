package standin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/confrec/confrec/confctl"
)

// Sources of a schedule's meetings, as ReadSchedule passes them to load:
// SourceScenario followed by a scenario file's path, or SourceRecorded
// followed by a recorded meeting's conference ID.
const (
	SourceScenario = "scenario:"
	SourceRecorded = "recorded:"
)

// maxScheduleLine bounds the length of one schedule line, in bytes.
const maxScheduleLine = 1 << 20

// scheduleLine is one line of a schedule file.
type scheduleLine struct {
	ConfID         string  `json:"conf_id"`
	Start          *string `json:"start"`
	Scenario       *string `json:"scenario"`
	Recorded       *string `json:"recorded"`
	Password       string  `json:"password"`
	Subject        string  `json:"subject"`
	Organizer      string  `json:"organizer"`
	VMRID          string  `json:"vmr_id"`
	PasswordListed bool    `json:"password_listed"`
}

// ReadSchedule reads a stand-in enterprise's schedule in JSON Lines, one
// meeting a line, as in testdata/enterprise-schedule.jsonl:
//
//	{"conf_id":"986512347","start":"1m30s","scenario":"scenario-basic.jsonl","password":"…","subject":"…"}
//
// conf_id (required) is the meeting's conference ID; start a Go duration
// from the server's start (absent: 0; not negative); exactly one of
// "scenario" (a scenario file) and "recorded" (a recorded meeting's ID)
// says what it plays. The optional members are "password" (its host
// password), "subject", "organizer", "vmr_id" (its cloud meeting room) and
// "password_listed" (true: the management APIs show the password): see
// Scheduled. Blank lines and lines starting with '#' are skipped; unknown
// members are refused.
//
// load is called with SourceScenario+PATH or SourceRecorded+ID, the value
// as written (resolving a relative path is load's job), and returns the
// Script to play. The Scheduled gets a copy of it with ConfID set to
// conf_id: the Script load returns is never changed, and may be shared.
//
// Errors are *ScheduleError naming the line, and never quote a line's text.
// An input without a meeting is no error: NewScheduleServer refuses it.
func ReadSchedule(r io.Reader, load func(source string) (*Script, error)) ([]Scheduled, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxScheduleLine)
	var out []Scheduled
	seen := make(map[string]int) // line of each conference ID
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		m, err := parseScheduleLine(line, load)
		if err != nil {
			return nil, &ScheduleError{Line: n, Err: err}
		}
		if prev, dup := seen[m.Script.ConfID]; dup {
			return nil, &ScheduleError{Line: n, Err: fmt.Errorf("%w: %s, as on line %d", ErrDuplicateConfID, m.Script.ConfID, prev)}
		}
		seen[m.Script.ConfID] = n
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line longer than %d bytes", maxScheduleLine)
		}
		return nil, &ScheduleError{Line: n + 1, Err: err}
	}
	return out, nil
}

// parseScheduleLine reads one non-blank schedule line.
func parseScheduleLine(line []byte, load func(string) (*Script, error)) (Scheduled, error) {
	var l scheduleLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return Scheduled{}, jsonLineError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Scheduled{}, errors.New("more than one JSON value")
	}
	if l.ConfID == "" {
		return Scheduled{}, errors.New(`no "conf_id"`)
	}
	var start time.Duration
	if l.Start != nil {
		d, err := time.ParseDuration(*l.Start)
		if err != nil || d < 0 {
			return Scheduled{}, fmt.Errorf(`"start" %q: use a non-negative Go duration such as 1m30s`, *l.Start)
		}
		start = d
	}
	var source string
	switch {
	case (l.Scenario == nil) == (l.Recorded == nil):
		return Scheduled{}, errors.New(`give exactly one of "scenario" and "recorded"`)
	case l.Scenario != nil && *l.Scenario != "":
		source = SourceScenario + *l.Scenario
	case l.Recorded != nil && *l.Recorded != "":
		source = SourceRecorded + *l.Recorded
	default:
		return Scheduled{}, errors.New(`"scenario" or "recorded" is empty`)
	}
	s, err := load(source)
	if err != nil {
		return Scheduled{}, fmt.Errorf("load %s: %w", source, err)
	}
	if s == nil {
		return Scheduled{}, fmt.Errorf("load %s: %w", source, ErrNoScript)
	}
	cp := *s // Steps are shared: the Server never changes them
	cp.ConfID = l.ConfID
	return Scheduled{
		Script:          &cp,
		Start:           start,
		Password:        confctl.Secret(l.Password),
		Subject:         l.Subject,
		Organizer:       l.Organizer,
		VMRConferenceID: l.VMRID,
		PasswordListed:  l.PasswordListed,
	}, nil
}

// jsonLineError describes a decoding error without quoting the line: a
// syntax error's text may quote a character of a password.
func jsonLineError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return errors.New("not a JSON object (syntax error at byte " + strconv.FormatInt(se.Offset, 10) + ")")
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return errors.New("not a JSON object")
		}
		// Value may quote a number ("number 804122"): keep only its kind.
		kind, _, _ := strings.Cut(te.Value, " ")
		return fmt.Errorf("member %q: wrong type (%s)", te.Field, kind)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("not a JSON object (unexpected end)")
	}
	// An unknown member: the error names the member, never its value.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return errors.New("unknown member " + name)
	}
	return err
}
