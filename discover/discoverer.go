package discover

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/store"
)

// maxPages bounds the pages of one poll, whatever count a server claims.
const maxPages = 1000

// endedMemory is how long a meeting whose recording ended is remembered,
// so that a stale entry of the online list does not start it again.
const endedMemory = 24 * time.Hour

// Discoverer finds every running meeting of an enterprise and records each
// on its own connection into one store.DB. Create one with New and run it
// with Run; WebhookHandler receives the enterprise's callbacks, and Ready
// says whether the last poll succeeded. Its methods are safe for
// concurrent use.
type Discoverer struct {
	o   Options
	db  *store.DB
	api *confctl.Client
	log *slog.Logger

	kicks chan string    // meetings a webhook says started
	wg    sync.WaitGroup // recordings

	mu           sync.Mutex
	token        confctl.AccessToken
	polled       bool                      // a poll has finished
	pollErr      error                     // of the last poll
	active       map[string]string         // conferenceID → instance being recorded
	ended        map[string]time.Time      // instances whose recording ended → when
	refused      map[string]confctl.Secret // conferenceID → the host password refused for it
	unrecordable map[string]string         // conferenceID → why, as last logged
	detailless   map[string]string         // conferenceID → the instance whose details gave no host password
	nonces       map[string]time.Time      // webhook nonces seen → their timestamp
	noncesPruned time.Time
	logged       string // the last passwords-file error logged
	claimLogged  string // the last Claimer error logged ("": none)

	hookRefused       int       // webhook callbacks refused since the last logged
	hookRefusedLogged time.Time // when one was last logged
}

// New returns a Discoverer that records into db, which must be open for
// writing and stay open until Run returns.
func New(db *store.DB, opts Options) (*Discoverer, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Discoverer{
		o:            o,
		db:           db,
		api:          &confctl.Client{BaseURL: o.APIURL, HTTPClient: o.HTTPClient},
		log:          o.Logger,
		kicks:        make(chan string, 1024),
		active:       make(map[string]string),
		ended:        make(map[string]time.Time),
		refused:      make(map[string]confctl.Secret),
		unrecordable: make(map[string]string),
		detailless:   make(map[string]string),
		nonces:       make(map[string]time.Time),
	}, nil
}

// Run authenticates, then polls the online list every Options.Poll and
// records each running meeting not yet recorded, until ctx is done. It
// returns once every recording has stopped and everything received is
// durable: nil after ctx is done, or an error matching ErrAppKeyRefused
// when the first authentication is refused. Any later failure (the API
// unreachable, a malformed answer, a key refused on renewal) is logged,
// reported to the Observer and retried at the next poll; the recordings go
// on.
func (d *Discoverer) Run(ctx context.Context) error {
	defer d.wg.Wait()
	if err := d.authenticate(ctx); err != nil {
		var ae *confctl.APIError
		if errors.As(err, &ae) && (ae.Status == 401 || ae.Status == 403) {
			return fmt.Errorf("%w: %w", ErrAppKeyRefused, err)
		}
		if ctx.Err() != nil {
			return nil
		}
		d.log.Error("app ID authentication failed: retrying at each poll", "err", err)
	}
	tick := time.NewTicker(d.o.Poll)
	defer tick.Stop()
	var freed <-chan string
	if d.o.Claimer != nil {
		freed = d.o.Claimer.Freed()
	}
	for {
		d.poll(ctx)
		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
				waiting = false
			case id := <-d.kicks:
				d.started(ctx, id, "webhook")
			case id := <-freed:
				d.started(ctx, id, "lease expired")
			}
		}
	}
}

// Ready returns nil when the last poll of the online list succeeded, else
// why not.
func (d *Discoverer) Ready() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case !d.polled:
		return errors.New("no discovery poll has finished yet")
	case d.pollErr != nil:
		return fmt.Errorf("last discovery poll failed: %w", d.pollErr)
	}
	return nil
}

// Recording returns the conference IDs being recorded, in no order.
func (d *Discoverer) Recording() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	ids := make([]string, 0, len(d.active))
	for id := range d.active {
		ids = append(ids, id)
	}
	return ids
}

// authenticate gets a fresh access token.
func (d *Discoverer) authenticate(ctx context.Context) error {
	tok, err := bounded(ctx, d, func(ctx context.Context) (confctl.AccessToken, error) {
		return d.api.AppAuth(ctx, d.o.AppID, d.o.AppKey, d.o.UserID)
	})
	if err != nil {
		d.o.Observer.TokenFailure("app_auth")
		return err
	}
	d.mu.Lock()
	d.token = tok
	d.mu.Unlock()
	d.log.Debug("access token issued", "expires", tok.ExpireAt)
	return nil
}

// accessToken returns a valid access token, renewed first when it expires
// within two polls (or is past half its life at the next poll). A failed
// renewal is logged; the old token serves while it is valid.
func (d *Discoverer) accessToken(ctx context.Context) (confctl.Secret, error) {
	d.mu.Lock()
	tok := d.token
	d.mu.Unlock()
	now := time.Now()
	if tok.Token != "" && now.Add(2*d.o.Poll).Before(tok.ExpireAt) {
		return tok.Token, nil
	}
	err := d.authenticate(ctx)
	if err == nil {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.token.Token, nil
	}
	if tok.Token != "" && now.Before(tok.ExpireAt) {
		d.log.Warn("access token renewal failed: retrying at the next poll", "expires", tok.ExpireAt, "err", err)
		return tok.Token, nil
	}
	return "", err // its text names the call: "app ID authentication: …"
}

// bounded runs the management call fn with Record.RequestTimeout: a
// service that never answers must not stall the discovery, and /readyz
// must say so.
func bounded[T any](ctx context.Context, d *Discoverer, fn func(context.Context) (T, error)) (T, error) {
	cctx, cancel := context.WithTimeout(ctx, d.o.Record.RequestTimeout)
	defer cancel()
	v, err := fn(cctx)
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %v: %w", d.o.Record.RequestTimeout, err)
	}
	return v, err
}

// detail asks for meeting id's details, bounded.
func (d *Discoverer) detail(ctx context.Context, tok confctl.Secret, id string) (confctl.ConferenceInfo, error) {
	return bounded(ctx, d, func(ctx context.Context) (confctl.ConferenceInfo, error) {
		return d.api.OnlineConfDetail(ctx, tok, id)
	})
}

// dropToken forgets the access token after the service refused it.
func (d *Discoverer) dropToken(refused confctl.Secret) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.token.Token == refused {
		d.token = confctl.AccessToken{}
	}
}

// poll reads the whole online list and starts what is to be recorded.
func (d *Discoverer) poll(ctx context.Context) {
	d.reloadPasswords()
	online, err := d.online(ctx, func(ci *confctl.ConferenceInfo) { d.consider(ctx, ci, false) })
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		d.log.Error("discovery poll failed: the meetings being recorded go on", "err", err)
	}
	d.mu.Lock()
	d.polled, d.pollErr = true, err
	if err == nil {
		// A meeting no longer running is no longer unrecordable.
		for id := range d.unrecordable {
			if !online[id] {
				delete(d.unrecordable, id)
			}
		}
		for id := range d.detailless {
			if !online[id] {
				delete(d.detailless, id)
			}
		}
		for id := range d.refused {
			if !online[id] {
				delete(d.refused, id)
			}
		}
	}
	for k, at := range d.ended {
		if time.Since(at) > endedMemory {
			delete(d.ended, k)
		}
	}
	unrec := len(d.unrecordable)
	d.mu.Unlock()
	d.o.Observer.SetUnrecordable(unrec)
	d.o.Observer.DiscoveryPoll(err)
}

// online pages through the online list and calls each for its meetings,
// once per conferenceID, page by page: the list may be 500,000 meetings
// long, and only their IDs are kept. It returns the IDs seen, and why the
// list could not be read to its end.
func (d *Discoverer) online(ctx context.Context, each func(*confctl.ConferenceInfo)) (map[string]bool, error) {
	seen := make(map[string]bool)
	tok, err := d.accessToken(ctx)
	if err != nil {
		return seen, err
	}
	// Entries left out are logged once a poll, not once each.
	var skipped, bad int
	var badErr error
	defer func() {
		if skipped > 0 {
			d.log.Warn("online list entries without a conferenceID skipped", "entries", skipped)
		}
		if bad > 0 {
			d.log.Warn("online list meetings skipped: their IDs are not ones the store can hold", "meetings", bad, "first", badErr)
		}
	}()
	for offset, pages := 0, 0; pages < maxPages; pages++ {
		p, err := bounded(ctx, d, func(ctx context.Context) (confctl.OnlinePage, error) {
			return d.api.OnlineMeetings(ctx, tok, offset, d.o.PageSize)
		})
		if err != nil {
			d.o.Observer.TokenFailure("online_list")
			if ae := (*confctl.APIError)(nil); errors.As(err, &ae) && ae.Status == 401 {
				d.dropToken(tok)
			}
			return seen, err
		}
		skipped += p.Skipped
		for i := range p.Meetings {
			m := &p.Meetings[i]
			if err := store.ValidateMeetingID(m.ConferenceID); err != nil {
				if bad++; badErr == nil {
					badErr = err
				}
				continue
			}
			if !seen[m.ConferenceID] { // a meeting moved between pages
				seen[m.ConferenceID] = true
				each(m)
			}
		}
		n := len(p.Meetings) + p.Skipped
		offset += n
		if n == 0 || offset >= p.Count {
			return seen, nil
		}
	}
	return seen, fmt.Errorf("%s: more than %d pages", confctl.OnlineMeetingsPath, maxPages)
}

// started handles a webhook's word that meeting id started, or the
// Claimer's that its recorder died (why says which): it asks for the
// meeting's details and records it if it is to be recorded.
func (d *Discoverer) started(ctx context.Context, id, why string) {
	d.mu.Lock()
	_, busy := d.active[id]
	d.mu.Unlock()
	if busy {
		return
	}
	tok, err := d.accessToken(ctx)
	if err != nil {
		d.log.Warn("meeting started ("+why+"): no access token to look it up; the next poll will", "meeting", id, "err", err)
		return
	}
	ci, err := d.detail(ctx, tok, id)
	if err != nil {
		d.o.Observer.TokenFailure("conf_detail")
		d.log.Warn("meeting started ("+why+"): its details could not be read; the next poll will look", "meeting", id, "err", err)
		return
	}
	if ci.ConferenceID == "" {
		ci.ConferenceID = id
	}
	if ci.ConferenceID != id {
		d.log.Warn("meeting started ("+why+"): details of another meeting returned", "meeting", id)
		return
	}
	d.consider(ctx, &ci, true)
	d.mu.Lock()
	unrec := len(d.unrecordable)
	d.mu.Unlock()
	d.o.Observer.SetUnrecordable(unrec)
}

// instance names one run of a meeting: a conferenceID may come back (a
// cloud meeting room's), with another confUUID and start time.
func instance(ci *confctl.ConferenceInfo) string {
	return ci.ConferenceID + "|" + ci.ConfUUID + "|" + ci.StartTime
}

// consider records meeting ci if it runs, is selected, is not recorded yet
// and its host password is known; a meeting with no password is marked
// unrecordable. detailed says ci are the meeting's details already.
func (d *Discoverer) consider(ctx context.Context, ci *confctl.ConferenceInfo, detailed bool) {
	if ci.State != confctl.StateCreated || !d.selected(ci) {
		return
	}
	if err := store.ValidateMeetingID(ci.ConferenceID); err != nil {
		d.log.Warn("the service names a meeting ID the store cannot hold", "err", err)
		return
	}
	inst := instance(ci)
	d.mu.Lock()
	_, busy := d.active[ci.ConferenceID]
	_, over := d.ended[inst]
	d.mu.Unlock()
	if busy || over {
		return
	}
	pw, why := d.password(ctx, ci, inst, detailed)
	if pw == "" {
		d.markUnrecordable(ci.ConferenceID, why)
		return
	}
	d.mu.Lock()
	if refused, ok := d.refused[ci.ConferenceID]; ok && refused == pw {
		d.mu.Unlock()
		d.markUnrecordable(ci.ConferenceID, whyRefused)
		return
	}
	delete(d.refused, ci.ConferenceID)
	wasUnrecordable := d.unrecordable[ci.ConferenceID] != ""
	delete(d.unrecordable, ci.ConferenceID)
	delete(d.detailless, ci.ConferenceID)
	d.active[ci.ConferenceID] = inst // the claim below is asked for once at a time
	d.mu.Unlock()
	claim, ok := d.claim(ctx, ci.ConferenceID)
	d.mu.Lock()
	if !ok {
		delete(d.active, ci.ConferenceID)
		d.mu.Unlock()
		return
	}
	n := len(d.active)
	d.mu.Unlock()
	d.o.Observer.SetRecording(n)
	d.log.Info("meeting discovered", "meeting", ci.ConferenceID, "subject", ci.Subject,
		"organizer", ci.Organizer, "was_unrecordable", wasUnrecordable)
	opts := d.o.Record
	opts.ConfID = ci.ConferenceID
	opts.Password = pw
	d.wg.Go(func() { d.record(ctx, ci.ConferenceID, inst, &opts, claim) })
}

// claim asks the Claimer, if any, whether this recorder is to record
// meeting id: ok with the Claim (nil without a Claimer). A Claimer's
// error is logged when it differs from the last one logged.
func (d *Discoverer) claim(ctx context.Context, id string) (c Claim, ok bool) {
	if d.o.Claimer == nil {
		return nil, true
	}
	c, err := d.o.Claimer.Claim(ctx, id)
	logIt := d.changed(&d.claimLogged, err)
	switch {
	case err != nil && logIt:
		d.log.Warn("meetings cannot be claimed: not recorded until they can", "meeting", id, "err", err)
	case err == nil && logIt:
		d.log.Info("meetings can be claimed again")
	}
	return c, err == nil && c != nil
}

// selected reports whether the filters select meeting ci.
func (d *Discoverer) selected(ci *confctl.ConferenceInfo) bool {
	o := &d.o
	switch {
	case o.IncludeSubject != nil && !o.IncludeSubject.MatchString(ci.Subject),
		o.ExcludeSubject != nil && o.ExcludeSubject.MatchString(ci.Subject),
		o.IncludeOrganizer != nil && !o.IncludeOrganizer.MatchString(ci.Organizer),
		o.ExcludeOrganizer != nil && o.ExcludeOrganizer.MatchString(ci.Organizer):
		return false
	}
	return true
}

// password returns meeting ci's host password: from the passwords file,
// else from the online list's passwordEntry, else from its details; or ""
// and why there is none. The details are asked once per instance inst of
// the meeting (not when detailed says ci are its details): a service that
// gives no password for it will not give one at the next poll.
func (d *Discoverer) password(ctx context.Context, ci *confctl.ConferenceInfo, inst string, detailed bool) (confctl.Secret, string) {
	const none = "no host password: none in the passwords file (by conferenceID or vmrConferenceID), and the service gives none"
	if d.o.Passwords != nil {
		if pw, ok := d.o.Passwords.Lookup(ci.ConferenceID, ci.VMRConferenceID); ok {
			return pw, ""
		}
	}
	if pw := ci.ChairPassword(); pw != "" {
		return pw, ""
	}
	d.mu.Lock()
	asked := d.detailless[ci.ConferenceID] == inst
	d.mu.Unlock()
	if !detailed && !asked {
		tok, err := d.accessToken(ctx)
		if err != nil {
			return "", "no host password in the passwords file or the online list, and its details could not be read: " + err.Error()
		}
		detail, err := d.detail(ctx, tok, ci.ConferenceID)
		if err != nil {
			d.o.Observer.TokenFailure("conf_detail")
			return "", "no host password in the passwords file or the online list, and its details could not be read: " + err.Error()
		}
		if detail.ConferenceID != "" && detail.ConferenceID != ci.ConferenceID {
			return "", "no host password in the passwords file or the online list, and the service answered its details with another meeting's"
		}
		if pw := detail.ChairPassword(); pw != "" {
			return pw, ""
		}
	}
	d.mu.Lock()
	d.detailless[ci.ConferenceID] = inst
	d.mu.Unlock()
	return "", none
}

// whyRefused is why a meeting whose host password the service refused is
// unrecordable, wherever the password came from.
const whyRefused = "the service refused the host password confrec had for it (from the passwords file or the service): " +
	"put the right one in the passwords file, which wins over the service's"

// markUnrecordable records that meeting id runs but cannot be recorded,
// logging why when the reason is new.
func (d *Discoverer) markUnrecordable(id, why string) {
	d.mu.Lock()
	old := d.unrecordable[id]
	d.unrecordable[id] = why
	d.mu.Unlock()
	if old != why {
		d.log.Warn("meeting cannot be recorded: retrying at each poll", "meeting", id, "reason", why)
	}
}

// record runs one meeting's recording and books its end. With a claim
// the recording stops when the claim is lost, and the claim is released
// when it ends.
func (d *Discoverer) record(ctx context.Context, id, inst string, opts *recorder.Options, claim Claim) {
	rctx, stopWatching, lost := ctx, func() {}, func() bool { return false }
	if claim != nil {
		rctx, stopWatching, lost = watchClaim(ctx, claim)
	}
	res, err := recorder.Record(rctx, d.db, *opts)
	stopWatching()
	if claim != nil {
		claim.Release()
	}
	d.mu.Lock()
	delete(d.active, id)
	n := len(d.active)
	switch {
	case err == nil && res.Ended == recorder.MeetingEnded:
		d.ended[inst] = time.Now()
	case errors.Is(err, recorder.ErrPasswordRefused):
		d.refused[id] = opts.Password
	}
	d.mu.Unlock()
	d.o.Observer.SetRecording(n)
	switch {
	case err == nil && lost():
		d.log.Info("recording ended", "meeting", id, "how", res.Ended, "sessions", res.Sessions, "claim_lost", true)
	case err == nil:
		d.log.Info("recording ended", "meeting", id, "how", res.Ended, "sessions", res.Sessions)
	case errors.Is(err, recorder.ErrPasswordRefused):
		d.markUnrecordable(id, whyRefused)
	case errors.Is(err, recorder.ErrNotRunning):
		d.log.Info("meeting listed but not running: looking again at the next poll", "meeting", id)
	default:
		d.log.Error("recording failed: retrying at the next poll", "meeting", id, "err", err)
	}
}

// watchClaim returns a context of ctx cancelled when claim is lost, the
// function that stops watching, and whether the claim was lost.
func watchClaim(ctx context.Context, claim Claim) (context.Context, func(), func() bool) {
	rctx, cancel := context.WithCancel(ctx)
	var lost atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-claim.Lost():
			lost.Store(true)
			cancel()
		case <-rctx.Done():
		}
	}()
	return rctx, func() { cancel(); <-done }, lost.Load
}

// changed keeps err's text (nil: "") in *last, and reports whether it
// differs from the one kept before: an error repeated at each poll is
// logged once, and its end once.
func (d *Discoverer) changed(last *string, err error) bool {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	differs := msg != *last
	*last = msg
	return differs
}

// reloadPasswords re-reads the passwords file if it changed; an error is
// logged once, and the passwords read before stay in use.
func (d *Discoverer) reloadPasswords() {
	if d.o.Passwords == nil {
		return
	}
	changed, err := d.o.Passwords.Reload()
	logIt := d.changed(&d.logged, err)
	switch {
	case err != nil && logIt:
		d.log.Error("passwords file not re-read: the passwords read before stay in use", "err", err)
	case changed:
		d.log.Info("passwords file re-read", "file", d.o.Passwords.Path())
	}
}
