package discover

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"unicode"

	"github.com/confrec/confrec/confctl"
)

// ErrPasswordsFileMode is matched by the error of a passwords file that
// others than its owner may read or write.
var ErrPasswordsFileMode = errors.New("passwords file may be read or written by others: make it 0600 (chmod 600)")

// maxPasswordsFile bounds a passwords file's size.
const maxPasswordsFile = 16 << 20

// Passwords are the host passwords an operator keeps for meetings, read
// from a file of lines "ID PASSWORD": the ID a conferenceID or a cloud
// meeting room's vmrConferenceID (decimal digits), then white space, then the password (the
// rest of the line). Blank lines and lines starting with # are skipped.
//
// The file must be 0600 or stricter. Reload reads it again when it changed;
// a change that does not read keeps the passwords read before. The methods
// are safe for concurrent use.
type Passwords struct {
	path string

	mu   sync.Mutex
	byID map[string]confctl.Secret
	seen os.FileInfo // of the file last read
}

// sameFile says whether a and b describe the same file unchanged: the
// same file (inode, or its equivalent), size, modification time and mode.
func sameFile(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() &&
		a.ModTime().Equal(b.ModTime()) && a.Mode() == b.Mode()
}

// LoadPasswords reads the passwords file at path. Its errors name the file,
// and a line's error its number, never a password.
func LoadPasswords(path string) (*Passwords, error) {
	p := &Passwords{path: path}
	if _, err := p.Reload(); err != nil {
		return nil, err
	}
	return p, nil
}

// Path returns the file's path.
func (p *Passwords) Path() string { return p.path }

// Reload reads the file again if it changed since it was last read (its
// inode, size, modification time or mode). changed reports whether new
// passwords are in use. On an error the passwords read before stay.
func (p *Passwords) Reload() (changed bool, err error) {
	// Non-blocking: a FIFO put in its place would wait for a writer, and
	// stop the discovery with it; opened so, it is refused below.
	f, err := os.OpenFile(p.path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return false, fmt.Errorf("read passwords file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("read passwords file %s: %w", p.path, err)
	}
	p.mu.Lock()
	same := p.byID != nil && sameFile(fi, p.seen)
	p.mu.Unlock()
	if same {
		return false, nil
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("passwords file %s is not a regular file", p.path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return false, fmt.Errorf("passwords file %s has mode %04o: %w", p.path, fi.Mode().Perm(), ErrPasswordsFileMode)
	}
	byID, err := parsePasswords(io.LimitReader(f, maxPasswordsFile+1))
	if err != nil {
		return false, fmt.Errorf("passwords file %s: %w", p.path, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = fi
	p.byID = byID
	return true, nil
}

// Lookup returns the password of the first of ids the file names.
func (p *Passwords) Lookup(ids ...string) (confctl.Secret, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		if pw, ok := p.byID[id]; ok && id != "" {
			return pw, true
		}
	}
	return "", false
}

// meetingNumber reports whether id can be a conferenceID or
// vmrConferenceID: 1 to 32 decimal digits.
func meetingNumber(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for i := range len(id) {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// parsePasswords reads "ID PASSWORD" lines. Its errors name the line, never
// a password.
func parsePasswords(r io.Reader) (map[string]confctl.Secret, error) {
	byID := make(map[string]confctl.Secret)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxPasswordsFile)
	n, total := 0, 0
	for sc.Scan() {
		n++
		total += len(sc.Bytes()) + 1
		if total > maxPasswordsFile {
			return nil, fmt.Errorf("larger than %d bytes", maxPasswordsFile)
		}
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		// The password is the rest of the line after the ID and its white
		// space: it may hold spaces itself.
		id, pw := trimmed, ""
		if i := strings.IndexFunc(trimmed, unicode.IsSpace); i >= 0 {
			id, pw = trimmed[:i], strings.TrimLeftFunc(trimmed[i:], unicode.IsSpace)
		}
		switch {
		case pw == "":
			return nil, fmt.Errorf("line %d: no password after the meeting ID: write \"ID PASSWORD\"", n)
		case !meetingNumber(id):
			// Not quoted: it may be a password written first.
			return nil, fmt.Errorf("line %d: the first word is not a meeting ID: write \"ID PASSWORD\"", n)
		case byID[id] != "":
			return nil, fmt.Errorf("line %d: meeting %s is given a password twice", n, id)
		}
		byID[id] = confctl.Secret(pw)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	return byID, nil
}
