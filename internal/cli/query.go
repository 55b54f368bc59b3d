package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/store"
)

// readCommands are the commands that a recorder answers as queries
// (query_wire.go) while it holds the database.
var readCommands = map[string]bool{
	"meetings":          true,
	"info":              true,
	"export frames":     true,
	"export timeline":   true,
	"export attendance": true,
	"export report":     true,
	"export har":        true,
	"replay state":      true,
	"replay print":      true,
	"verify":            true,
	"seal":              true,
}

// inputFileFlags name the flags of read commands whose value is a file the
// command reads, and what the file is: a query carries them, read by the
// client.
var inputFileFlags = []struct{ flag, what string }{
	{flgSignKey, "key"}, {flgManifest, "manifest"}, {flgPubKey, "key"},
}

// servedByRecorder wraps the actions of cmds and their subcommands. A read
// command whose database a recorder holds asks that recorder (askRecorder);
// one whose database is free runs here. Run as a query, in the recorder,
// a read command runs and any other command is refused.
func servedByRecorder(cmds []*cli.Command, parent string) []*cli.Command {
	for _, cmd := range cmds {
		path := strings.TrimSpace(parent + " " + cmd.Name)
		if action := cmd.Action; action != nil {
			read := readCommands[path]
			ask := func(c *cli.Context) error { return askOrRun(c, action) }
			if path == "replay print" {
				// Ctrl-C ends it quietly, also while the recorder answers.
				ask = quietOnInterrupt(ask)
			}
			cmd.Action = func(c *cli.Context) error {
				if q := queryFrom(c.Context); q != nil {
					q.parsed()
				}
				switch {
				case queryFrom(c.Context) != nil && !read:
					return usagef("a recorder answers read commands, not %q", path)
				case queryFrom(c.Context) == nil && read:
					return ask(c)
				}
				return action(c)
			}
		}
		servedByRecorder(cmd.Subcommands, path)
	}
	return cmds
}

// openedKey holds, in a command's context, the database askOrRun opened
// for openRead.
type openedKey struct{}

// askOrRun runs action on the database of --db when it is free, and asks
// the recorder that holds it otherwise. When no recorder answers, action
// runs, and openRead reports why it cannot read.
func askOrRun(c *cli.Context, action cli.ActionFunc) error {
	path := c.String(flgDB)
	db, err := store.Open(path, &store.Options{ReadOnly: true, LockTimeout: -1, Context: c.Context})
	if err == nil {
		defer db.Close()
		c.Context = context.WithValue(c.Context, openedKey{}, db)
		return action(c)
	}
	if !errors.Is(err, store.ErrLocked) {
		return action(c)
	}
	conn, err := store.DialRecorder(c.Context, path)
	if errors.Is(err, store.ErrNoSnapshotServer) {
		return action(c)
	} else if err != nil {
		return fmt.Errorf("read %s while it records: %w", path, err)
	}
	return askRecorder(c, conn)
}

// queryExit is the exit code of a command the recorder ran: its error
// line, if any, was already printed (by the recorder, on our stderr).
type queryExit struct{ code int }

func (e queryExit) Error() string { return fmt.Sprintf("exit status %d", e.code) }

type argsKey struct{}

// askRecorder runs c's command line on the recorder at the other end of
// conn and copies what it writes to stdout, stderr and -o FILE (which this
// process creates, so the file lands where the user is). It returns a
// queryExit with the command's exit code, or an error when the recorder
// refuses the query or goes away before the end.
func askRecorder(c *cli.Context, conn net.Conn) error {
	defer conn.Close()
	dbPath := c.String(flgDB)
	stop := context.AfterFunc(c.Context, func() { conn.Close() })
	defer stop()
	req, err := newQueryRequest(c)
	if err != nil {
		return err // names the file, as the command at rest would
	}
	err = runQuery(c, conn, req)
	if err != nil && c.Context.Err() != nil {
		return c.Context.Err()
	}
	var qe queryExit
	if err != nil && !errors.As(err, &qe) {
		return fmt.Errorf("read %s while it records: %w", dbPath, err)
	}
	return err
}

func runQuery(c *cli.Context, conn net.Conn, req *queryRequest) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	conn.SetDeadline(time.Now().Add(queryTimeouts.stall))
	if _, err := fmt.Fprintf(conn, "%s %s %s\n", queryVerb, queryProto, buildVersion()); err != nil {
		return fmt.Errorf("the recorder's socket: %w", err)
	}
	pr := &patientReader{conn: conn, wait: queryTimeouts.stall}
	r := bufio.NewReader(pr)
	line, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("the recorder did not answer: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	if msg, ok := strings.CutPrefix(line, "ERR "); ok {
		if strings.Contains(msg, "unknown request") {
			return fmt.Errorf("the recorder that holds it runs an older confrec, which answers no queries (it said: %s): run this command with the confrec it runs, or after it stops", printable(msg))
		}
		return fmt.Errorf("the recorder refused the query: %s", printable(msg))
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "OK" || f[1] != queryProto {
		return fmt.Errorf("the recorder's answer %.60q is not one of %s", line, queryProto)
	}
	if v := f[2]; v != buildVersion() {
		fmt.Fprintf(c.App.ErrWriter, "confrec: note: answered by the recorder, which runs confrec %s (this is %s)\n", printable(v), buildVersion())
	}
	if err := writeFrame(conn, frameRequest, body); err != nil {
		return fmt.Errorf("send the query: %w", err)
	}
	conn.SetWriteDeadline(time.Time{})
	pr.wait = 4 * queryTimeouts.keepalive
	return copyAnswer(r, c.App.Writer, c.App.ErrWriter, c.String(flgOutput))
}

// patientReader fails a Read that waits longer than wait: the recorder
// says it is alive more often than that.
type patientReader struct {
	conn net.Conn
	wait time.Duration
}

func (r *patientReader) Read(p []byte) (int, error) {
	r.conn.SetReadDeadline(time.Now().Add(r.wait))
	return r.conn.Read(p)
}

// copyAnswer reads the recorder's answer frames from r to the end: stdout
// and stderr to theirs, the -o file to outPath (created, and put in place
// only when the recorder says it is complete). It returns nil or a
// queryExit for the command's exit code, or an error when the answer ends
// early or is not one.
func copyAnswer(r *bufio.Reader, stdout, stderr io.Writer, outPath string) error {
	var out *export.File
	defer func() {
		if out != nil {
			out.Abort()
		}
	}()
	for {
		kind, p, err := readFrame(r, maxQueryFrame)
		if err != nil {
			return fmt.Errorf("the recorder stopped answering before the command ended (%w): it was stopped, or cut this reader off; see its log", noEOF(err))
		}
		if len(p) > 0 && (kind == frameFileBegin || kind == frameFileCommit || kind == frameKeepalive) {
			return fmt.Errorf("the recorder sent a frame %q with %d bytes, where none belong", kind, len(p))
		}
		switch kind {
		case frameStdout:
			_, err = stdout.Write(p)
		case frameStderr:
			_, err = stderr.Write(p)
		case frameFileBegin:
			if outPath == "" || outPath == "-" {
				return errors.New("the recorder sent a file that no -o named")
			}
			if out == nil {
				out, err = export.Create(outPath)
			}
		case frameFile:
			if out == nil {
				return errors.New("the recorder sent a file it did not begin")
			}
			_, err = out.Write(p)
		case frameFileCommit:
			if out != nil {
				err = out.Commit()
				out = nil
			}
		case frameKeepalive:
		case frameExit:
			code, err := strconv.Atoi(string(p))
			if err != nil {
				return fmt.Errorf("the recorder's exit code %q: %w", p, err)
			}
			if code == exitOK {
				return nil
			}
			return queryExit{code}
		default:
			return fmt.Errorf("the recorder sent a frame %q that this confrec does not know", kind)
		}
		if err != nil {
			return err
		}
	}
}

// newQueryRequest is c's command line as a query: with the global flags'
// effective values (which may come from this process's environment), and
// the input files it names.
func newQueryRequest(c *cli.Context) (*queryRequest, error) {
	args, _ := c.Context.Value(argsKey{}).([]string)
	if len(args) == 0 {
		return nil, errors.New("no command line to send")
	}
	req := &queryRequest{Progress: showProgress(c)}
	req.Args = append(req.Args, args[0], "--"+flgLogLevel, c.String(flgLogLevel), "--"+flgLogFormat, c.String(flgLogFormat))
	req.Args = append(req.Args, args[1:]...)
	for _, in := range inputFileFlags {
		path := c.String(in.flag)
		if path == "" {
			continue
		}
		b, err := readInputFile(path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", in.what, err)
		}
		if req.Files == nil {
			req.Files = make(map[string][]byte)
		}
		req.Files[path] = b
	}
	return req, nil
}

// readInputFile reads a file a read command names, up to maxQueryInput bytes.
func readInputFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxQueryInput+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxQueryInput {
		return nil, fmt.Errorf("read %s: larger than %d bytes: not a key or a manifest", path, maxQueryInput)
	}
	return b, nil
}

// inputFile returns the contents of a file a read command names: from the
// query that runs it, else from the disk.
func inputFile(c *cli.Context, path string) ([]byte, error) {
	if q := queryFrom(c.Context); q != nil {
		b, ok := q.files[path]
		if !ok {
			return nil, fmt.Errorf("read %s: the query did not carry it", path)
		}
		return b, nil
	}
	return readInputFile(path)
}

// writeFrame sends one frame on w at once.
func writeFrame(w io.Writer, kind byte, p []byte) error {
	hdr := []byte{kind, byte(len(p) >> 24), byte(len(p) >> 16), byte(len(p) >> 8), byte(len(p))}
	_, err := w.Write(append(hdr, p...))
	return err
}

// showProgress reports whether progress bars go to stderr: when it is a
// terminal, or as CONFREC_PROGRESS says; in a query, as its client said.
func showProgress(c *cli.Context) bool {
	if q := queryFrom(c.Context); q != nil {
		return q.progress
	}
	switch os.Getenv(envProgress) {
	case "1":
		return true
	case "0":
		return false
	}
	return term.IsTerminal(int(os.Stderr.Fd()))
}
