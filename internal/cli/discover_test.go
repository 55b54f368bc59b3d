package cli

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay/standin"
)

// TestDiscoverEnterprise: record --discover records, without being told,
// every meeting of a stand-in enterprise of 50 meetings starting and ending
// at staggered times (several at once): each from its first snapshot,
// every frame the stand-in sent, byte for byte, in order. Their host
// passwords come from the online list, from the passwords file by
// conferenceID, or (two meetings of one cloud meeting room) by its
// vmrConferenceID. One meeting with no password anywhere is reported as
// unrecordable, once, and never recorded; one whose password arrives in
// the passwords file mid-run is reported, then recorded whole.
func TestDiscoverEnterprise(t *testing.T) {
	t.Parallel()
	ids := confIDs(700000001, 50)
	const (
		vmrID      = "8880001"
		vmrA, vmrB = 9, 47 // two runs of one cloud meeting room
		noPassword = 48    // unrecordable throughout
		latePw     = 49    // its password arrives mid-run
		listed     = 25    // meetings [0, listed) have their password in the online list
		stagger    = 700 * time.Millisecond
	)
	var meetings []standin.Scheduled
	var fileLines []string
	for i, id := range ids {
		stretch := 1
		if i == latePw {
			stretch = 3 // long enough to be found again after its password arrives
		}
		m := scheduled(t, id, time.Duration(i)*stagger, stretch)
		switch {
		case i == vmrA || i == vmrB:
			m.VMRConferenceID = vmrID
			m.Password = "pw-room"
		case i < listed:
			m.PasswordListed = true
		case i == noPassword || i == latePw:
		default:
			fileLines = append(fileLines, id+" "+m.Password.Reveal())
		}
		meetings = append(meetings, m)
	}
	fileLines = append(fileLines, vmrID+" pw-room")
	e := startEnterprise(t, meetings, nil)
	pwFile := passwordsFile(t, fileLines...)
	db := t.TempDir() + "/discover.db"

	r := startRecord(t, nil, "discovering", discoverArgs(db, e.srv.URL, appKeyFile(t), "--poll", "500ms", "--passwords-file", pwFile)...)
	deadline := e.lastEnd().Add(30 * time.Second)
	waitLog(t, r, regexp.MustCompile(`meeting cannot be recorded.*meeting=`+ids[latePw]), 1, deadline)
	late := slices.Concat(fileLines, []string{ids[latePw] + " " + meetings[latePw].Password.Reveal()})
	tmp := pwFile + ".new"
	if err := os.WriteFile(tmp, []byte(strings.Join(late, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, pwFile); err != nil {
		t.Fatal(err)
	}
	// Every meeting but the one without a password ends its recording.
	waitLog(t, r, regexp.MustCompile(`msg="recording ended" meeting=\d+ how=meeting-ended`), len(ids)-1, deadline)
	if err := r.stop(syscall.SIGINT); err != nil {
		t.Fatalf("record --discover after SIGINT: %v\n%s", err, tail(r.logs.String(), 40))
	}
	log := r.logs.String()

	for i, id := range ids {
		if i == noPassword {
			if res := run(t, nil, "--db", db, "info", id); res.code == 0 {
				t.Errorf("meeting %s, with no password anywhere, was recorded", id)
			}
			continue
		}
		recs := exported(t, db, id)
		samePayloads(t, notifications(t, recs), sent(&meetings[i]))
	}
	if n := logCount(log, "meeting cannot be recorded", "meeting="+ids[noPassword]); n != 1 {
		t.Errorf("the meeting without a password was reported %d times, want once", n)
	}
	if n := logCount(log, "meeting discovered", "meeting="+ids[latePw], "was_unrecordable=true"); n != 1 {
		t.Errorf("the meeting whose password came late was discovered %d times after being unrecordable, want once", n)
	}
	for _, secret := range []string{testAppKey, "pw-room", "pw-" + ids[0]} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds the secret %q", secret)
		}
	}
}

// TestDiscoverWebhooks: with polling at 10 minutes, a signed meeting.started
// callback starts each recording within a second of its meeting's start.
// With 30% of callbacks lost (and some repeated) polling picks the rest up.
func TestDiscoverWebhooks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		loss, repeat float64
		poll         string
		within       time.Duration // of its start, each recording's first session starts; 0: not checked
	}{
		{"every callback", 0, 0, "10m", time.Second},
		{"30% lost", 0.3, 0.2, "2s", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ids := confIDs(710000001, 10)
			var meetings []standin.Scheduled
			for i, id := range ids {
				m := scheduled(t, id, 2*time.Second+time.Duration(i)*600*time.Millisecond, 1)
				m.PasswordListed = true
				meetings = append(meetings, m)
			}
			hook := freeAddr(t)
			e := startEnterprise(t, meetings, &standin.ServerOptions{WebhookURL: "http://" + hook + "/hook",
				WebhookLoss: tt.loss, WebhookRepeat: tt.repeat, WebhookSeed: 7})
			db := t.TempDir() + "/hooks.db"
			r := startRecord(t, nil, "discovering", discoverArgs(db, e.srv.URL, appKeyFile(t), "--poll", tt.poll, "--webhook-listen", hook)...)
			waitLog(t, r, regexp.MustCompile(`msg="recording ended" meeting=\d+ how=meeting-ended`), len(ids), e.lastEnd().Add(30*time.Second))
			if err := r.stop(syscall.SIGINT); err != nil {
				t.Fatalf("record --discover after SIGINT: %v", err)
			}
			for i, id := range ids {
				samePayloads(t, notifications(t, exported(t, db, id)), sent(&meetings[i]))
				if tt.within == 0 {
					continue
				}
				in := info(t, db, id)
				start := e.started.Add(meetings[i].Start)
				if d := in.Sessions[0].Start.Sub(start); d > tt.within {
					t.Errorf("meeting %s: recording started %v after the meeting, want within %v", id, d, tt.within)
				}
			}
		})
	}
}

// TestDiscoverForgedCallbacks: a callback signed with another key, a stale
// one and a replayed one are refused and start nothing; a genuine one
// starts its meeting at once.
func TestDiscoverForgedCallbacks(t *testing.T) {
	t.Parallel()
	id := "720000001"
	m := scheduled(t, id, 2*time.Second, 3)
	m.PasswordListed = true
	e := startEnterprise(t, []standin.Scheduled{m}, nil)
	hook := freeAddr(t)
	db := t.TempDir() + "/forged.db"
	r := startRecord(t, nil, "receiving webhooks", discoverArgs(db, e.srv.URL, appKeyFile(t), "--poll", "10m", "--webhook-listen", hook)...)
	time.Sleep(time.Until(e.started.Add(m.Start + 500*time.Millisecond)))

	now := time.Now()
	genuine := confctl.NewCallback(testAppKey, testAppID, "nonce-genuine-0123456789abcdef01", confctl.EventStarted, id, now)
	tests := []struct {
		name   string
		body   []byte
		status int
	}{
		{"another key", confctl.NewCallback("not-the-key", testAppID, "nonce-forged-0123456789abcdef012", confctl.EventStarted, id, now), 401},
		{"stale", confctl.NewCallback(testAppKey, testAppID, "nonce-stale-0123456789abcdef0123", confctl.EventStarted, id, now.Add(-6*time.Minute)), 401},
		{"altered", []byte(strings.Replace(string(genuine), "meeting.started", "meeting.startet", 1)), 401},
		{"not JSON", []byte("meeting.started " + id), 401},
	}
	for _, tt := range tests {
		if got := postCallback(t, hook, tt.body); got != tt.status {
			t.Errorf("%s: HTTP %d, want %d", tt.name, got, tt.status)
		}
	}
	time.Sleep(time.Second)
	if n := logCount(r.logs.String(), "meeting discovered"); n != 0 {
		t.Fatalf("a refused callback started a recording:\n%s", r.logs)
	}
	if got := postCallback(t, hook, genuine); got != 200 {
		t.Fatalf("genuine callback: HTTP %d", got)
	}
	waitLog(t, r, regexp.MustCompile(`meeting discovered.*meeting=`+id), 1, time.Now().Add(time.Second))
	if got := postCallback(t, hook, genuine); got != 401 {
		t.Errorf("replayed callback: HTTP %d, want 401", got)
	}
	if err := r.stop(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if n := logCount(r.logs.String(), "meeting discovered"); n != 1 {
		t.Errorf("%d recordings started, want 1", n)
	}
}
