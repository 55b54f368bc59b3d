package cli

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/natsfeed"
)

// Flags of record and archive for NATS JetStream (package natsfeed).
const (
	flgNATS          = "nats"
	flgNATSCreds     = "nats-creds"
	flgNATSTokenFile = "nats-token-file"
	flgNATSReplicas  = "nats-replicas"
	envNATSToken     = "CONFREC_NATS_TOKEN"
	catNATS          = "NATS"
)

// natsFlags are the flags that connect to NATS.
func natsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flgNATS, EnvVars: []string{"CONFREC_NATS_URL"}, Category: catNATS,
			Usage: "the NATS servers `URLS` (comma-separated, nats:// or tls://) of the JetStream stream " + "CONFREC"},
		&cli.StringFlag{Name: flgNATSCreds, Category: catNATS, Usage: "authenticate to NATS with the credentials `FILE` (JWT and NKey seed)"},
		&cli.StringFlag{Name: flgNATSTokenFile, Category: catNATS, Usage: "authenticate to NATS with the token in `FILE` (else $" + envNATSToken + ")"},
		&cli.IntFlag{Name: flgNATSReplicas, Category: catNATS, DefaultText: "as the stream has, 1 for a new one",
			Usage: "keep the stream on `N` servers (3 for an archive that survives a server's loss)"},
	}
}

// connectNATS connects to the servers of --nats, as name, with the
// credentials of --nats-creds or the token of --nats-token-file or its
// environment variable; TLS is verified, trusting --ca-file's certificates
// too. It does not wait for a server: while none answers, the connection
// keeps trying, for ever, and what needs NATS waits. It returns nil, nil
// without --nats. waiting says, in the log of a disconnection, what waits
// for NATS.
func connectNATS(c *cli.Context, name, waiting string, logger *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	servers := c.String(flgNATS)
	if servers == "" {
		for _, f := range []string{flgNATSCreds, flgNATSTokenFile} {
			if c.String(f) != "" {
				return nil, nil, usagef("--%s needs --%s", f, flgNATS)
			}
		}
		return nil, nil, nil
	}
	if n := c.Int(flgNATSReplicas); c.IsSet(flgNATSReplicas) && (n < 1 || n > 5) {
		return nil, nil, usagef("--%s: %d: JetStream keeps a stream on 1 to 5 servers", flgNATSReplicas, n)
	}
	tok, err := readSecretFile(c.String(flgNATSTokenFile), envNATSToken)
	if err != nil {
		return nil, nil, fmt.Errorf("--%s: %w", flgNATSTokenFile, err)
	}
	for _, s := range strings.Split(servers, ",") {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil || u.Host == "" || (u.Scheme != "nats" && u.Scheme != "tls") {
			return nil, nil, usagef("--%s: %q is not a nats:// or tls:// URL (comma-separate several)", flgNATS, redactURL(s))
		}
		if u.User != nil {
			return nil, nil, usagef("--%s: put no user or password in the URL: give --%s or --%s", flgNATS, flgNATSCreds, flgNATSTokenFile)
		}
		if tok != "" && u.Scheme == "nats" && !loopbackOnly(u.Host) {
			return nil, nil, usagef("--%s: %s would carry the NATS token in clear text beyond this host: use tls://", flgNATS, redactURL(s))
		}
	}
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.RetryOnFailedConnect(true),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			logger.Warn("NATS disconnected: "+waiting, "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			logger.Info("NATS connected again", "server", nc.ConnectedUrlRedacted())
		}),
	}
	if f := c.String(flgNATSCreds); f != "" {
		if _, err := os.Stat(f); err != nil {
			return nil, nil, fmt.Errorf("--%s: %w", flgNATSCreds, err)
		}
		opts = append(opts, nats.UserCredentials(f))
	}
	if tok != "" || c.String(flgNATSCreds) != "" {
		// Only the servers given: one that names others (its cluster's
		// INFO) cannot send our credentials to a server of its choosing.
		opts = append(opts, nats.IgnoreDiscoveredServers())
	}
	if tok != "" {
		opts = append(opts, nats.Token(tok.Reveal()))
	}
	if ca := c.String(flgCAFile); ca != "" {
		opts = append(opts, nats.RootCAs(ca))
	}
	nc, err := nats.Connect(servers, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to NATS: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("connect to NATS: %w", err)
	}
	return nc, js, nil
}

// natsReplicas is --nats-replicas as natsfeed takes it: unless given, the
// stream keeps the replicas it has (natsfeed.KeepReplicas), so that a
// process started without the flag does not scale down a stream that
// others keep on three servers.
func natsReplicas(c *cli.Context) int {
	if !c.IsSet(flgNATSReplicas) {
		return natsfeed.KeepReplicas
	}
	return c.Int(flgNATSReplicas)
}

// redactURL keeps a URL's scheme and host only, for a message.
func redactURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "(unreadable)"
	}
	return u.Scheme + "://" + u.Host
}
