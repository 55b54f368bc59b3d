package discover_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/discover"
)

// writePasswords writes content to a new passwords file of mode perm.
func writePasswords(t *testing.T, content string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "passwords")
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // past the umask
		t.Fatal(err)
	}
	return path
}

// TestLoadPasswords: lines "ID PASSWORD" are read (the password is the rest
// of the line, spaces and all); a bad line is refused naming its number and
// never quoting what it holds; a file others may read is refused.
func TestLoadPasswords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		perm    os.FileMode
		lookup  map[string]string // ID → password wanted ("" = none)
		wantErr string            // a part of the error wanted
	}{
		{"lines", "# host passwords\n986512347 178030\n\n  9001\tpass with spaces \r\n", 0o600,
			map[string]string{"986512347": "178030", "9001": "pass with spaces", "1": ""}, ""},
		{"0400 is stricter", "1 a\n", 0o400, map[string]string{"1": "a"}, ""},
		{"mode 0644", "1 pw-alpha\n", 0o644, nil, "mode 0644"},
		{"mode 0660", "1 pw-alpha\n", 0o660, nil, "chmod 600"},
		{"no password", "1 pw-alpha\n22\n", 0o600, nil, "line 2: no password"},
		{"password first", "1 pw-alpha\nS3cret!x 22\n", 0o600, nil, "line 2: the first word is not a meeting ID"},
		{"twice", "1 pw-alpha\n2 pw-bravo\n1 pw-charlie\n", 0o600, nil, "line 3: meeting 1 is given a password twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := discover.LoadPasswords(writePasswords(t, tt.content, tt.perm))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one saying %q", err, tt.wantErr)
				}
				for _, secret := range []string{"S3cret", "pw-alpha", "pw-bravo", "pw-charlie"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q holds %q", err, secret)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for id, want := range tt.lookup {
				got, ok := p.Lookup(id)
				if got.Reveal() != want || ok != (want != "") {
					t.Errorf("Lookup(%s) = %q, %v; want %q", id, got.Reveal(), ok, want)
				}
			}
		})
	}
	if _, err := discover.LoadPasswords(writePasswords(t, "1 a\n", 0o644)); !errors.Is(err, discover.ErrPasswordsFileMode) {
		t.Errorf("mode 0644: %v, want ErrPasswordsFileMode", err)
	}
}

// TestPasswordsReload: a changed file is read again; a change that does not
// read (a bad line, a mode others may read) keeps the passwords read before.
func TestPasswordsReload(t *testing.T) {
	t.Parallel()
	path := writePasswords(t, "1 a\n", 0o600)
	p, err := discover.LoadPasswords(path)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := p.Reload(); changed || err != nil {
		t.Fatalf("unchanged file: changed %v, err %v", changed, err)
	}
	steps := []struct {
		content string
		perm    os.FileMode
		changed bool
		id, pw  string // a lookup after the step
	}{
		{"1 a\n2 b\n", 0o600, true, "2", "b"},
		{"1 a\n2\n", 0o600, false, "2", "b"},   // a bad line: the old passwords stay
		{"1 a\n2 c\n", 0o644, false, "2", "b"}, // readable by others: likewise
		{"1 a\n2 c\n333 d\n", 0o600, true, "333", "d"},
	}
	for i, st := range steps {
		// A new file renamed into place, as editors and config managers do.
		tmp := path + ".new"
		if err := os.WriteFile(tmp, []byte(st.content), st.perm); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(tmp, st.perm); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
		changed, err := p.Reload()
		if changed != st.changed || (err == nil) != st.changed {
			t.Errorf("step %d: changed %v, err %v; want changed %v", i, changed, err, st.changed)
		}
		if pw, _ := p.Lookup(st.id); pw.Reveal() != st.pw {
			t.Errorf("step %d: Lookup(%s) = %q, want %q", i, st.id, pw.Reveal(), st.pw)
		}
	}
	// The same content written in place a moment later is read again too.
	later := time.Now().Add(2 * time.Second)
	if err := os.WriteFile(path, []byte("1 z\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if changed, err := p.Reload(); !changed || err != nil {
		t.Errorf("rewritten in place: changed %v, err %v", changed, err)
	}
	if pw, _ := p.Lookup("1"); pw.Reveal() != "z" {
		t.Errorf("after rewrite: %q", pw.Reveal())
	}
}

// TestPasswordsFIFO: a FIFO named as the passwords file, or put in its
// place, is refused at once as not a regular file: opening it must not
// wait for a writer, which would stop every poll.
func TestPasswordsFIFO(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	path := writePasswords(t, "1 a\n", 0o600)
	p, err := discover.LoadPasswords(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(fifo, path); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() { _, err := discover.LoadPasswords(path); done <- err }()
	go func() { _, err := p.Reload(); done <- err }()
	for range 2 {
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("a FIFO: %v, want \"not a regular file\"", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("reading a FIFO as the passwords file still waits after 5s")
		}
	}
	if pw, _ := p.Lookup("1"); pw.Reveal() != "a" {
		t.Errorf("after a FIFO took its place: Lookup(1) = %q, want the password read before", pw.Reveal())
	}
}
