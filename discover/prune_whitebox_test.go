package discover

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/store"
)

// TestPollForgetsMeetingsGone: what a poll remembers of a meeting (its
// refused host password, its details without one, why it is
// unrecordable) is forgotten once the online list no longer names it, so
// that none of these maps grows with every meeting the process has seen.
func TestPollForgetsMeetingsGone(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case confctl.AppAuthPath:
			json.NewEncoder(w).Encode(map[string]any{"accessToken": "access-token-0123456789", "validPeriod": 3600})
		case confctl.OnlineMeetingsPath:
			ci := confctl.EncodeConferenceInfo(confctl.ConferenceInfo{ConferenceID: "1", State: confctl.StateDestroyed})
			json.NewEncoder(w).Encode(map[string]any{"offset": 0, "count": 1, "data": []json.RawMessage{ci}})
		}
	}))
	defer srv.Close()
	db, err := store.Open(filepath.Join(t.TempDir(), "d.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d, err := New(db, Options{APIURL: srv.URL, AppID: "app", AppKey: "app-key-0123", Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"1", "2"} {
		d.refused[id] = confctl.Secret("pw-" + id)
		d.detailless[id] = id + "|uuid|"
		d.unrecordable[id] = "no host password"
	}
	d.poll(context.Background())
	for name, m := range map[string]map[string]string{"detailless": d.detailless, "unrecordable": d.unrecordable} {
		if _, ok := m["2"]; ok || len(m) != 1 {
			t.Errorf("%s after the poll: %v, want only meeting 1's", name, m)
		}
	}
	if _, ok := d.refused["2"]; ok || len(d.refused) != 1 {
		t.Errorf("refused after the poll holds %d meetings, want only meeting 1's", len(d.refused))
	}
}
