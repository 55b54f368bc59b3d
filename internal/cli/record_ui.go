package cli

import (
	"context"
	"io"
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/live"
	"github.com/confrec/confrec/store"
)

// Flag names and environment variable of record's live page.
const (
	flgUI             = "ui"
	flgUIPasswordFile = "ui-password-file"
	envUIPassword     = "CONFREC_UI_PASSWORD"
)

// uiUser is the HTTP basic auth user of the live page's password.
const uiUser = "confrec"

// uiFlags are record's flags for its live page.
func uiFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flgUI, Category: catLive,
			Usage: "serve a live page of the meetings being recorded at `ADDR` (HOST:PORT, a port alone is 127.0.0.1's; loopback unless a password is given)"},
		&cli.StringFlag{Name: flgUIPasswordFile, Category: catLive,
			Usage: "require HTTP basic auth (user " + uiUser + ") with the password in `FILE` (else $" + envUIPassword + ") on --" + flgUI},
	}
}

// recordUI is record's live page (--ui). A nil *recordUI is the page
// turned off: every method does nothing.
//
// Its life follows record's: startUI before the store opens (so that a
// bad address fails at once), serve once the store is open, and stop
// before the store closes.
type recordUI struct {
	l      httpListener
	h      *live.Handler
	logger *slog.Logger
}

// startUI checks the live page's flags and opens its address. It returns
// nil without --ui.
func startUI(c *cli.Context, logger *slog.Logger) (*recordUI, error) {
	l, err := listenHTTP(c, httpEndpoint{addrFlag: flgUI, passwordFlag: flgUIPasswordFile, passwordEnv: envUIPassword,
		user: uiUser, example: "127.0.0.1:8080", loopbackDefault: true}, logger)
	if l.srv == nil || err != nil {
		return nil, err
	}
	return &recordUI{l: l, logger: logger}, nil
}

// serve starts serving the live page of db.
func (u *recordUI) serve(db *store.DB) {
	if u == nil {
		return
	}
	u.h = live.NewHandler(db, &live.Options{Report: writeReport, Logger: u.logger})
	u.l.srv.Start(u.l.protect(u.h, uiUser))
	u.logger.Info("serving live page", "url", "http://"+u.l.srv.Addr().String()+"/", "auth", u.l.password != "")
}

// stop ends the page's streams, then the server, and waits for both.
func (u *recordUI) stop() {
	if u == nil {
		return
	}
	if u.h != nil {
		u.h.Close()
	}
	if err := u.l.srv.Close(); err != nil {
		u.logger.Warn("live page stopped", "err", err)
	}
}

// writeReport writes the report of meeting id, as export report does:
// the live page's report of a meeting recorded.
func writeReport(_ context.Context, w io.Writer, db *store.DB, id string) error {
	m, err := db.Meeting(id)
	if err != nil {
		return err
	}
	in, err := reportInput(nil, db, &m)
	if err != nil {
		return err
	}
	return export.Report(w, in)
}
