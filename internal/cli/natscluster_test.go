package cli

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
)

// natsServerBin is the nats-server binary of the tests, found or built
// once per test process (natsServerBinary).
var natsServerBin struct {
	once sync.Once
	path string
	err  error
}

// natsServerBinary returns the path of a nats-server binary of the version
// go.mod requires (the server package linked into this test is that
// module's: natsserver.VERSION). It takes, in this order, the one .ci/deps
// installs into $(go env GOPATH)/bin, one on PATH, or builds one from the
// module cache (go build, no download beyond the module's) into the test
// run's directory. It fails the test when none can be had.
func natsServerBinary(t *testing.T) string {
	t.Helper()
	natsServerBin.once.Do(func() { natsServerBin.path, natsServerBin.err = findNATSServer() })
	if natsServerBin.err != nil {
		t.Fatalf("no nats-server v%s: %v: run .ci/deps (it builds it into $(go env GOPATH)/bin from go.mod's module)", natsserver.VERSION, natsServerBin.err)
	}
	return natsServerBin.path
}

// findNATSServer is natsServerBinary's search, then its build.
func findNATSServer() (string, error) {
	var candidates []string
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			candidates = append(candidates, filepath.Join(dir, "bin", "nats-server"))
		}
	}
	if p, err := exec.LookPath("nats-server"); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		if out, err := exec.Command(p, "--version").Output(); err == nil && strings.TrimSpace(string(out)) == "nats-server: v"+natsserver.VERSION {
			return p, nil
		}
	}
	p := filepath.Join(testRunDir, "nats-server")
	build := exec.Command("go", "build", "-o", p, "github.com/nats-io/nats-server/v2")
	build.Dir = repoRoot // go.mod's version of the module
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("none in $(go env GOPATH)/bin or on PATH, and go build github.com/nats-io/nats-server/v2 failed: %v: %s", err, strings.Join(strings.Fields(string(out)), " "))
	}
	return p, nil
}

// natsCluster is a cluster of three nats-server processes with JetStream,
// on loopback ports, started by startNATSCluster.
type natsCluster struct {
	t     *testing.T
	bin   string
	nodes []*natsNode
	http  *http.Client
}

// natsNode is one server of a natsCluster.
type natsNode struct {
	name                        string
	conf                        string // its configuration file
	port, clusterPort, httpPort int
	cmd                         *exec.Cmd     // nil while killed
	logs                        *lockedBuffer // every run's log
}

// natsClusterConf is a node's configuration: name, client port, monitoring
// port, store directory, cluster port and routes.
//
// sync_interval: always makes the file store fsync every message before
// the stream acknowledges it. By default JetStream acknowledges once a
// majority of the replicas hold a message in memory and syncs every two
// minutes, so a kill -9 of the majority (or of a host's power) can lose
// acknowledged messages; the recorder marks a frame published, and the
// archive takes it as kept, on that acknowledgement. The archive's
// guarantee is that acknowledged means on disk, and the test runs with
// the setting it documents.
const natsClusterConf = `server_name: %s
listen: 127.0.0.1:%d
http: 127.0.0.1:%d
jetstream {
	store_dir: %q
	sync_interval: always
}
cluster {
	name: confrec-test
	listen: 127.0.0.1:%d
	routes: [%s]
}
`

// startNATSCluster starts three nats-server processes, each with its own
// store, routed to each other, and returns once every one is healthy
// (the JetStream meta group has a leader). They are killed at the test's
// end; a failed test logs the end of their logs.
func startNATSCluster(t *testing.T) *natsCluster {
	t.Helper()
	c := &natsCluster{t: t, bin: natsServerBinary(t), http: &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}
	ports := freePorts(t, 9)
	dir := t.TempDir()
	for i := range 3 {
		c.nodes = append(c.nodes, &natsNode{
			name: fmt.Sprintf("n%d", i+1), conf: filepath.Join(dir, fmt.Sprintf("n%d.conf", i+1)),
			port: ports[3*i], clusterPort: ports[3*i+1], httpPort: ports[3*i+2], logs: &lockedBuffer{},
		})
	}
	for _, n := range c.nodes {
		var routes []string
		for _, o := range c.nodes {
			if o != n {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", o.clusterPort))
			}
		}
		conf := fmt.Sprintf(natsClusterConf, n.name, n.port, n.httpPort, filepath.Join(dir, n.name), n.clusterPort, strings.Join(routes, ", "))
		if err := os.WriteFile(n.conf, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			if n.cmd != nil {
				n.cmd.Process.Kill()
				n.cmd.Wait()
			}
			if t.Failed() {
				t.Logf("nats-server %s's log ends:\n%s", n.name, tail(n.logs.String(), 40))
			}
		}
	})
	for _, n := range c.nodes {
		c.start(n)
	}
	c.awaitHealthy()
	return c
}

// URLs are the servers' client URLs, comma-separated, as --nats takes them.
func (c *natsCluster) URLs() string {
	var urls []string
	for _, n := range c.nodes {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", n.port))
	}
	return strings.Join(urls, ",")
}

// node returns the node named name.
func (c *natsCluster) node(name string) *natsNode {
	c.t.Helper()
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	c.t.Fatalf("no NATS node %q", name)
	return nil
}

// start starts node n's process.
func (c *natsCluster) start(n *natsNode) {
	c.t.Helper()
	cmd := exec.Command(c.bin, "-c", n.conf)
	cmd.Stdout, cmd.Stderr = n.logs, n.logs
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start nats-server %s: %v", n.name, err)
	}
	n.cmd = cmd
}

// kill kills node n with SIGKILL: no goodbye to its routes or clients,
// nothing flushed.
func (c *natsCluster) kill(n *natsNode) {
	c.t.Helper()
	if err := n.cmd.Process.Kill(); err != nil {
		c.t.Fatalf("kill nats-server %s: %v", n.name, err)
	}
	n.cmd.Wait()
	n.cmd = nil
	fmt.Fprintf(n.logs, "--- killed with SIGKILL by the test\n")
}

// restart starts the killed node n again, on its ports and store, and
// returns once every running node is healthy: n has rejoined and caught
// up with the streams and consumers.
func (c *natsCluster) restart(n *natsNode) {
	c.t.Helper()
	c.start(n)
	c.awaitHealthy()
}

// awaitHealthy waits, for at most a minute, until every running node's
// /healthz answers ok: the server is ready, the JetStream meta group has a
// leader, and the node's streams and consumers are current.
func (c *natsCluster) awaitHealthy() {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for _, n := range c.nodes {
		if n.cmd == nil {
			continue
		}
		for {
			status, err := c.health(n)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("nats-server %s is not healthy after a minute: %v %s\n%s", n.name, err, status, tail(n.logs.String(), 40))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// health asks node n's /healthz; an error unless it answers 200.
func (c *natsCluster) health(n *natsNode) (string, error) {
	resp, err := c.http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", n.httpPort))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("healthz: %s", resp.Status)
	}
	return strings.TrimSpace(string(b)), err
}

// freePorts returns n loopback ports free at the time of the call, all
// different: they are held open together, then closed for the caller.
// They are below the kernel's ephemeral range, where no connection takes
// its local port and no listener on port 0 gets one: a node killed and
// restarted finds its ports still free.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	below := 32768 // Linux's default start of the range
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil && v > 2048 {
				below = v
			}
		}
	}
	var ports []int
	for try := 0; len(ports) < n; try++ {
		if try == 1000 {
			t.Fatalf("no %d free loopback ports below %d", n, below)
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", 1024+rand.IntN(below-1024)))
		if err != nil {
			continue // taken
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}
