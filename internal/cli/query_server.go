package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confrec/confrec/store"
)

// maxQueryRequest bounds a query's request frame: its arguments and input
// files.
const maxQueryRequest = 4 << 20

// queryRequest is what a client asks the recorder to run.
type queryRequest struct {
	// Args is the command line, the program's name first, as the client
	// was given it (normalized), with its effective global flags.
	Args []string `json:"args"`
	// Files holds the input files the command line names (keys, a
	// manifest), by the name given, read by the client.
	Files map[string][]byte `json:"files,omitempty"`
	// Progress shows progress bars (the client's stderr is a terminal).
	Progress bool `json:"progress,omitempty"`
}

// queryRun is what a command that runs as a query finds in its context
// (queryFrom): the recorder's open database instead of the file, the
// client's input files instead of the disk's, and the frames on which its
// -o file goes back to the client.
type queryRun struct {
	db       *store.DB
	files    map[string][]byte
	progress bool
	out      *frameWriter
	stopping <-chan struct{} // closed when the recorder stops: nothing more comes
	// parsed is called once the command line is parsed: when the command's
	// action begins, or when the App returns without one (a usage error,
	// help), before its error line is written (see flagsMu).
	parsed func()
}

// flagsMu serializes the parsing of queries' command lines: urfave/cli
// writes to the flags it parses, and some flags (globalFlags, outputFlag)
// are shared by every App this package builds.
var flagsMu sync.Mutex

type queryKey struct{}

// queryFrom returns the query that ctx runs, or nil outside one.
func queryFrom(ctx context.Context) *queryRun {
	q, _ := ctx.Value(queryKey{}).(*queryRun)
	return q
}

// queryServer answers queries on the recorder's socket by running this
// binary's read commands on db.
type queryServer struct {
	db       *store.DB
	logger   *slog.Logger
	version  string
	active   atomic.Int64 // queries being answered
	stopOnce sync.Once
	stopping chan struct{} // closed by drain
}

// newQueryServer returns a queryServer of db.
func newQueryServer(db *store.DB, logger *slog.Logger) *queryServer {
	return &queryServer{db: db, logger: logger, version: buildVersion(), stopping: make(chan struct{})}
}

// drain tells the queries that the recorder stops, so that followers read
// what was committed last and end, and waits at most grace for every query
// to end.
func (s *queryServer) drain(grace time.Duration) {
	s.stopOnce.Do(func() { close(s.stopping) })
	deadline := time.Now().Add(grace)
	for s.active.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// handle is the store.RequestHandler of queryVerb.
func (s *queryServer) handle(ctx context.Context, conn net.Conn, r *bufio.Reader, line string) {
	s.active.Add(1)
	defer s.active.Add(-1)
	start := time.Now()
	conn.SetDeadline(start.Add(queryTimeouts.stall))
	if f := strings.Fields(line); len(f) < 2 || f[1] != queryProto {
		fmt.Fprintf(conn, "ERR this recorder answers queries in %s, not as %q: use the confrec it runs (%s)\n", queryProto, line, s.version)
		return
	}
	if _, err := fmt.Fprintf(conn, "OK %s %s\n", queryProto, s.version); err != nil {
		return
	}
	kind, p, err := readFrame(r, maxQueryRequest)
	var req queryRequest
	if err == nil && kind != frameRequest {
		err = fmt.Errorf("a frame %q where the request belongs", kind)
	}
	if err == nil {
		err = json.Unmarshal(p, &req)
	}
	if err == nil && len(req.Args) == 0 {
		err = fmt.Errorf("a request without a command line")
	}
	if err != nil {
		s.logger.Debug("query refused", "err", err)
		return
	}
	conn.SetDeadline(time.Time{})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fw := newFrameWriter(conn)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		// The client sends nothing more: its end of the stream (or of the
		// connection) ends the query.
		io.Copy(io.Discard, r)
		cancel()
	})
	wg.Go(func() {
		t := time.NewTicker(queryTimeouts.keepalive)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if fw.write(frameKeepalive, nil) != nil {
					cancel()
				}
			case <-done:
				return
			}
		}
	})

	flagsMu.Lock()
	q := &queryRun{db: s.db, files: req.Files, progress: req.Progress, out: fw, stopping: s.stopping, parsed: sync.OnceFunc(flagsMu.Unlock)}
	code := s.run(ctx, q, req.Args)
	fw.write(frameExit, []byte(strconv.Itoa(code)))
	err = fw.flush()
	close(done)
	fw.stop()
	conn.Close()
	wg.Wait()
	s.logger.Debug("query answered", "command", queryCommand(req.Args), "exit", code, "took", time.Since(start), "err", err)
}

// run runs the command line args as q. A panic fails the query, not the
// recorder.
func (s *queryServer) run(ctx context.Context, q *queryRun, args []string) (code int) {
	defer func() {
		q.parsed() // when no action ran: a usage error, help
		if r := recover(); r != nil {
			s.logger.Error("a query failed", "command", queryCommand(args), "panic", r, "stack", string(debug.Stack()))
			fmt.Fprintf(stream{q.out, frameStderr}, "confrec: the recorder failed to answer %s: %v\n", queryCommand(args), r)
			code = exitRuntime
		}
	}()
	return runWith(context.WithValue(ctx, queryKey{}, q), args, stream{q.out, frameStdout}, stream{q.out, frameStderr}, nil, &seams{})
}

// queryCommand names the command of args for the log: its words up to the
// first flag or argument, never an argument's value.
func queryCommand(args []string) string {
	var words []string
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") || len(words) == 2 {
			continue
		}
		if readCommands[strings.Join(append(words, a), " ")] || (len(words) == 0 && (a == "export" || a == "replay")) {
			words = append(words, a)
		}
	}
	return strings.Join(words, " ")
}
