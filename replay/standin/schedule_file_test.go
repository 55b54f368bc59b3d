package standin_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/replay/standin"
)

// loader is a load function for ReadSchedule that hands out one shared
// Script per source and notes the sources asked for.
type loader struct {
	scripts map[string]*standin.Script
	asked   []string
}

var errNoSuchSource = errors.New("no such source")

func newLoader() *loader {
	return &loader{scripts: map[string]*standin.Script{
		"scenario:a.jsonl":    textScript("from-a", 0, time.Second),
		"scenario:dir/b.json": textScript("from-b", 0),
		"recorded:986512347":  textScript("986512347", 0, time.Minute),
	}}
}

func (l *loader) load(source string) (*standin.Script, error) {
	l.asked = append(l.asked, source)
	if s := l.scripts[source]; s != nil {
		return s, nil
	}
	return nil, errNoSuchSource
}

func TestReadSchedule(t *testing.T) {
	const input = `# the enterprise
{"conf_id":"100","start":"0s","scenario":"a.jsonl","password":"pw1","subject":"Weekly","organizer":"Ann","vmr_id":"VMR-1","password_listed":true}

  {"conf_id":"200","start":"1m30s","recorded":"986512347"}
{"conf_id":"300","scenario":"a.jsonl","vmr_id":"VMR-1"}
`
	l := newLoader()
	got, err := standin.ReadSchedule(strings.NewReader(input), l.load)
	if err != nil {
		t.Fatalf("ReadSchedule: %v", err)
	}
	a, rec := l.scripts["scenario:a.jsonl"], l.scripts["recorded:986512347"]
	want := []standin.Scheduled{
		{Script: &standin.Script{ConfID: "100", Steps: a.Steps}, Password: "pw1", Subject: "Weekly", Organizer: "Ann", VMRConferenceID: "VMR-1", PasswordListed: true},
		{Script: &standin.Script{ConfID: "200", Steps: rec.Steps}, Start: 90 * time.Second},
		{Script: &standin.Script{ConfID: "300", Steps: a.Steps}, VMRConferenceID: "VMR-1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadSchedule =\n%+v\nwant\n%+v", got, want)
	}
	if wantAsked := []string{"scenario:a.jsonl", "recorded:986512347", "scenario:a.jsonl"}; !reflect.DeepEqual(l.asked, wantAsked) {
		t.Errorf("load asked for %q, want %q", l.asked, wantAsked)
	}
	if a.ConfID != "from-a" || rec.ConfID != "986512347" || got[0].Script == got[2].Script {
		t.Error("ReadSchedule changed a loaded Script instead of copying it")
	}
	if none, err := standin.ReadSchedule(strings.NewReader("\n# nothing\n"), l.load); err != nil || len(none) != 0 {
		t.Errorf("empty schedule: %v, %v; want none and no error", none, err)
	}
}

func TestReadScheduleErrors(t *testing.T) {
	const secret = "hunter2-804122"
	good := `{"conf_id":"1","scenario":"a.jsonl"}` + "\n"
	tests := []struct {
		name     string
		input    string
		wantLine int
		wantIs   error  // nil: not checked
		wantText string // in the error
	}{
		{"unknown_member", `{"conf_id":"1","scenario":"a.jsonl","speed":2}`, 1, nil, `unknown member "speed"`},
		{"no_conf_id", good + `{"scenario":"a.jsonl"}`, 2, nil, "conf_id"},
		{"empty_conf_id", `{"conf_id":"","scenario":"a.jsonl"}`, 1, nil, "conf_id"},
		{"both_sources", `{"conf_id":"1","scenario":"a.jsonl","recorded":"986512347"}`, 1, nil, "exactly one"},
		{"no_source", `{"conf_id":"1"}`, 1, nil, "exactly one"},
		{"empty_source", `{"conf_id":"1","recorded":""}`, 1, nil, "empty"},
		{"bad_start", `{"conf_id":"1","scenario":"a.jsonl","start":"soon"}`, 1, nil, "start"},
		{"negative_start", `{"conf_id":"1","scenario":"a.jsonl","start":"-1s"}`, 1, nil, "start"},
		{"start_a_number", `{"conf_id":"1","scenario":"a.jsonl","start":90}`, 1, nil, "start"},
		{"duplicate", good + "\n" + good, 3, standin.ErrDuplicateConfID, "line 1"},
		{"load_fails", good + `{"conf_id":"2","scenario":"missing.jsonl"}`, 2, errNoSuchSource, "scenario:missing.jsonl"},
		{"not_an_object", good + `{"conf_id":"2","scenario":"a.jsonl"}` + "\n" + `[1,2]`, 3, nil, "JSON object"},
		{"not_json", `conf_id=1`, 1, nil, "JSON"},
		{"truncated", `{"conf_id":"1",`, 1, nil, "JSON"},
		{"two_values", `{"conf_id":"1","scenario":"a.jsonl"} {}`, 1, nil, "more than one"},
		{"too_long", good + `{"conf_id":"` + strings.Repeat("9", 1<<20) + `"}`, 2, nil, "longer"},
		// A broken line never shows its password.
		{"password_syntax_error", `{"conf_id":"1","scenario":"a.jsonl","password":"` + secret + `\q"}`, 1, nil, "syntax"},
		{"password_a_number", `{"conf_id":"1","scenario":"a.jsonl","password":804122}`, 1, nil, "password"},
		{"password_unterminated", `{"conf_id":"1","scenario":"a.jsonl","password":"` + secret, 1, nil, "JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := standin.ReadSchedule(strings.NewReader(tt.input), newLoader().load)
			var se *standin.ScheduleError
			if !errors.As(err, &se) {
				t.Fatalf("ReadSchedule = %v, %v; want a *ScheduleError", got, err)
			}
			if se.Line != tt.wantLine {
				t.Errorf("error %q on line %d, want line %d", err, se.Line, tt.wantLine)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q, want one matching %v", err, tt.wantIs)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "schedule line ") || !strings.Contains(msg, tt.wantText) {
				t.Errorf("error %q, want \"schedule line N: ...\" naming %s", msg, tt.wantText)
			}
			if strings.Contains(msg, "hunter2") || strings.Contains(msg, "804122") {
				t.Errorf("error %q shows the password", msg)
			}
		})
	}
}

func FuzzReadSchedule(f *testing.F) {
	for _, seed := range []string{
		`{"conf_id":"100","start":"1m30s","scenario":"a.jsonl","password":"pw","subject":"S","organizer":"O","vmr_id":"V","password_listed":true}`,
		"# comment\n\n" + `{"conf_id":"200","recorded":"986512347"}` + "\n" + `{"conf_id":"300","scenario":"dir/b.json"}`,
		`{"conf_id":"1","scenario":"a.jsonl"}` + "\n" + `{"conf_id":"1","scenario":"a.jsonl"}`,
		`{"conf_id":"1","recorded":"missing"}`,
		`{"conf_id":"1","scenario":"a.jsonl","start":"-1h"}`,
		`[{"conf_id":"1"}]`,
		`{"conf_id":1}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		l := newLoader()
		got, err := standin.ReadSchedule(strings.NewReader(input), l.load)
		if err != nil {
			var se *standin.ScheduleError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("error %v is not a *ScheduleError with a line", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, m := range got {
			if m.Script == nil || m.Script.ConfID == "" || seen[m.Script.ConfID] || m.Start < 0 {
				t.Fatalf("meeting %+v: want a Script with a conference ID of its own and a start >= 0", m)
			}
			seen[m.Script.ConfID] = true
		}
		for source, s := range newLoader().scripts {
			if l.scripts[source].ConfID != s.ConfID {
				t.Fatalf("the Script of %s was changed", source)
			}
		}
	})
}

// TestReadScheduleTestdata: the sample schedule reads, its scenarios
// relative to its directory.
func TestReadScheduleTestdata(t *testing.T) {
	f, err := os.Open("../../testdata/enterprise-schedule.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := standin.ReadSchedule(f, func(source string) (*standin.Script, error) {
		path, ok := strings.CutPrefix(source, standin.SourceScenario)
		if !ok {
			return nil, errNoSuchSource
		}
		sf, err := os.Open(filepath.Join("../../testdata", path))
		if err != nil {
			return nil, err
		}
		defer sf.Close()
		return standin.ReadScenario(sf)
	})
	if err != nil {
		t.Fatalf("ReadSchedule: %v", err)
	}
	var ids []string
	listed := 0
	for _, m := range got {
		ids = append(ids, m.Script.ConfID)
		if m.PasswordListed {
			listed++
		}
		if len(m.Script.Steps) == 0 || m.Subject == "" {
			t.Errorf("meeting %s: %d steps, subject %q", m.Script.ConfID, len(m.Script.Steps), m.Subject)
		}
	}
	if want := []string{"986512347", "555000111", "555000222"}; !reflect.DeepEqual(ids, want) || listed != 1 {
		t.Errorf("meetings %v with %d listing its password, want %v with 1", ids, listed, want)
	}
	srv, err := standin.NewScheduleServer(got, &standin.ServerOptions{Speed: 1})
	if err != nil {
		t.Fatalf("NewScheduleServer: %v", err)
	}
	srv.Close()
}
