package seal_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/confrec/confrec/seal"
	"github.com/confrec/confrec/store"
)

func newKey(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := seal.GenerateKey()
	must(t, err)
	return pub, priv
}

func TestSealDescribesMeeting(t *testing.T) {
	db := openRO(t, newDB(t))
	m, err := seal.Seal(db, meeting, nil)
	must(t, err)
	mt, err := db.Meeting(meeting)
	must(t, err)
	frames := testFrames(20, "real")
	if m.Format != seal.Format || m.ConfID != meeting || m.Title != "Weekly sync" || m.Frames != 20 || m.Sessions != 2 ||
		m.ChainHead != mt.ChainHead || !m.FirstTime.Equal(frames[0].Time) || !m.LastTime.Equal(frames[19].Time) {
		t.Errorf("manifest %+v does not describe meeting %+v", m, mt)
	}
	if m.Signed() || m.PublicKey != "" {
		t.Errorf("unsigned seal has signature %q key %q", m.Signature, m.PublicKey)
	}
	var export bytes.Buffer
	must(t, seal.WriteCanonical(&export, db, meeting))
	var again bytes.Buffer
	must(t, seal.WriteCanonical(&again, db, meeting))
	if !bytes.Equal(export.Bytes(), again.Bytes()) || bytes.Count(export.Bytes(), []byte("\n")) != 20 {
		t.Fatalf("canonical export is not 20 stable lines:\n%s\n%s", export.Bytes(), again.Bytes())
	}
	must(t, seal.VerifyDB(db, m, nil))
	must(t, seal.VerifyExport(&export, m, nil))
}

func TestSealRefusesBrokenChain(t *testing.T) {
	path := newDB(t)
	damage(t, path, func(frames *bolt.Bucket) {
		k, v := frameBySeq(t, frames, 3)
		v[len(v)-1] ^= 1
		must(t, frames.Put(k, v))
	})
	_, err := seal.Seal(openRO(t, path), meeting, nil)
	var ce *store.ChainError
	if !errors.As(err, &ce) || ce.Seq != 3 {
		t.Fatalf("Seal of a damaged meeting: %v, want a *store.ChainError at frame 3", err)
	}
}

// TestTamperDetected damages a sealed database in each way an attacker
// could and checks that the chain, or else the manifest, catches it.
func TestTamperDetected(t *testing.T) {
	tests := []struct {
		name string
		// tamper changes the closed database at path.
		tamper func(t *testing.T, path string)
		// chainErr is what store.DB.Verify finds (nil: nothing, only the
		// manifest catches it).
		chainErr error
		chainSeq uint64
		// field is the manifest field that differs, when the chain is intact.
		field string
	}{
		{
			name: "flip_one_byte",
			tamper: func(t *testing.T, path string) {
				damage(t, path, func(frames *bolt.Bucket) {
					k, v := frameBySeq(t, frames, 7)
					v[len(v)-2] ^= 0x20
					must(t, frames.Put(k, v))
				})
			},
			chainErr: store.ErrChecksum, chainSeq: 7,
		},
		{
			name: "flip_one_byte_fix_crc",
			tamper: func(t *testing.T, path string) {
				damage(t, path, func(frames *bolt.Bucket) {
					k, v := frameBySeq(t, frames, 7)
					f := decode(k, v)
					f.Payload[len(f.Payload)-2] ^= 0x20
					must(t, frames.Put(k, record(k, &f)))
				})
			},
			chainErr: store.ErrChainHead, chainSeq: 20,
		},
		{
			name: "delete_frame",
			tamper: func(t *testing.T, path string) {
				damage(t, path, func(frames *bolt.Bucket) {
					k, _ := frameBySeq(t, frames, 12)
					must(t, frames.Delete(k))
				})
			},
			chainErr: store.ErrSequence, chainSeq: 12,
		},
		{
			name: "reorder_two_frames",
			tamper: func(t *testing.T, path string) {
				damage(t, path, func(frames *bolt.Bucket) {
					k4, v4 := frameBySeq(t, frames, 4)
					k9, v9 := frameBySeq(t, frames, 9)
					must(t, frames.Put(k4, v9))
					must(t, frames.Put(k9, v4))
				})
			},
			chainErr: store.ErrChecksum, chainSeq: 4, // the key is in the CRC
		},
		{
			name: "reorder_two_frames_fix_crc",
			tamper: func(t *testing.T, path string) {
				damage(t, path, func(frames *bolt.Bucket) {
					k4, v4 := frameBySeq(t, frames, 4)
					k9, v9 := frameBySeq(t, frames, 9)
					f4, f9 := decode(k4, v4), decode(k9, v9)
					f4.Time, f9.Time = f9.Time, f4.Time // keep times in key order
					must(t, frames.Put(k4, record(k4, &f9)))
					must(t, frames.Put(k9, record(k9, &f4)))
				})
			},
			chainErr: store.ErrChainHead, chainSeq: 20,
		},
		{
			name: "append_forged_frame",
			tamper: func(t *testing.T, path string) {
				damage(t, path, func(frames *bolt.Bucket) {
					k, v := frameBySeq(t, frames, 20)
					last := decode(k, v)
					f := store.Frame{Seq: 21, Time: last.Time.Add(time.Second), Session: 2, Dir: store.In, Op: store.Text, Payload: []byte(`{"forged":true}`)}
					key := append(append([]byte(nil), k[:8]...), 0, 0, 0, 0, 0, 0, 0, 21)
					key[7]++ // later than the last frame
					must(t, frames.Put(key, record(key, &f)))
				})
			},
			chainErr: store.ErrSequence, chainSeq: 21,
		},
		{
			name: "replace_meeting_with_recomputed_chain",
			tamper: func(t *testing.T, path string) {
				forged := filepath.Join(t.TempDir(), "forged.db")
				writeMeeting(t, forged, "forged")
				must(t, os.Rename(forged, path))
			},
			field: "chain_head",
		},
	}
	_, priv := newKey(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := newDB(t)
			db, err := store.Open(path, &store.Options{ReadOnly: true})
			must(t, err)
			m, err := seal.Seal(db, meeting, priv)
			must(t, err)
			var export bytes.Buffer
			must(t, seal.WriteCanonical(&export, db, meeting))
			must(t, db.Close())

			tt.tamper(t, path)

			db = openRO(t, path)
			chainErr := db.Verify(meeting)
			err = seal.VerifyDB(db, m, nil)
			if tt.chainErr != nil {
				var ce *store.ChainError
				if !errors.As(chainErr, &ce) || !errors.Is(chainErr, tt.chainErr) || ce.Seq != tt.chainSeq {
					t.Fatalf("Verify: %v, want %v at frame %d", chainErr, tt.chainErr, tt.chainSeq)
				}
				if !errors.Is(err, tt.chainErr) {
					t.Fatalf("VerifyDB: %v, want %v", err, tt.chainErr)
				}
			} else {
				must(t, chainErr) // the chain alone is fooled
				var me *seal.MismatchError
				if !errors.As(err, &me) || !errors.Is(err, seal.ErrManifestMismatch) || me.Field != tt.field {
					t.Fatalf("VerifyDB: %v, want a mismatch of %s", err, tt.field)
				}
				// The forged database exports differently from what was sealed.
				var forged bytes.Buffer
				must(t, seal.WriteCanonical(&forged, db, meeting))
				if err := seal.VerifyExport(&forged, m, nil); !errors.Is(err, seal.ErrManifestMismatch) {
					t.Fatalf("VerifyExport of the forged meeting: %v", err)
				}
			}
			// The export made before the damage still proves what was sealed.
			must(t, seal.VerifyExport(&export, m, priv.Public().(ed25519.PublicKey)))
		})
	}
}

// TestVerifyDBMetadata changes what the chain does not cover: the title and
// the sessions.
func TestVerifyDBMetadata(t *testing.T) {
	for _, tt := range []struct {
		name  string
		edit  func(db *store.DB) error
		field string
	}{
		{"title", func(db *store.DB) error { return db.SetLabel(meeting, "title", "Something else") }, "title"},
		{"session", func(db *store.DB) error {
			_, err := db.BeginSession(context.Background(), meeting, store.Session{Start: t0})
			return err
		}, "sessions"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := newDB(t)
			db, err := store.Open(path, nil)
			must(t, err)
			defer db.Close()
			m, err := seal.Seal(db, meeting, nil)
			must(t, err)
			must(t, tt.edit(db))
			must(t, db.Flush(context.Background()))
			var me *seal.MismatchError
			if err := seal.VerifyDB(db, m, nil); !errors.As(err, &me) || me.Field != tt.field {
				t.Fatalf("VerifyDB: %v, want a mismatch of %s", err, tt.field)
			}
		})
	}
}

func TestVerifyExport(t *testing.T) {
	db := openRO(t, newDB(t))
	pub, priv := newKey(t)
	otherPub, otherPriv := newKey(t)
	signed, err := seal.Seal(db, meeting, priv)
	must(t, err)
	unsigned, err := seal.Seal(db, meeting, nil)
	must(t, err)
	var buf bytes.Buffer
	must(t, seal.WriteCanonical(&buf, db, meeting))
	export := buf.Bytes()
	lines := strings.SplitAfter(string(export), "\n")

	edit := func(old, new string) func() []byte {
		if !strings.Contains(string(export), old) {
			t.Fatalf("export lacks %q", old)
		}
		b := []byte(strings.Replace(string(export), old, new, 1))
		return func() []byte { return b }
	}
	untouched := func() []byte { return export }
	manifest := func(m *seal.Manifest) func() *seal.Manifest { return func() *seal.Manifest { c := *m; return &c } }
	tests := []struct {
		name     string
		export   func() []byte
		manifest func() *seal.Manifest
		pub      ed25519.PublicKey
		wantErr  error
		field    string
	}{
		{name: "untouched_unsigned", export: untouched, manifest: manifest(unsigned)},
		{name: "untouched_signed_embedded_key", export: untouched, manifest: manifest(signed)},
		{name: "untouched_signed_given_key", export: untouched, manifest: manifest(signed), pub: pub},
		{name: "payload_byte", export: edit("real-8", "real-9"), manifest: manifest(signed), pub: pub,
			wantErr: seal.ErrManifestMismatch, field: "chain_head"},
		{name: "derived_field_byte", export: edit(`"action":"HeartBeat"`, `"action":"HeartBeaT"`), manifest: manifest(signed), pub: pub,
			wantErr: seal.ErrManifestMismatch, field: "export_sha256"},
		{name: "time_digit", export: edit(t0.Format("05.000000000"), t0.Add(time.Nanosecond).Format("05.000000000")), manifest: manifest(signed),
			wantErr: seal.ErrManifestMismatch, field: "chain_head"},
		{name: "last_line_dropped", export: func() []byte { return []byte(strings.Join(lines[:19], "")) }, manifest: manifest(signed),
			wantErr: seal.ErrManifestMismatch, field: "frames"},
		{name: "middle_line_dropped", export: func() []byte { return []byte(strings.Join(lines[:5], "") + strings.Join(lines[6:], "")) },
			manifest: manifest(signed), wantErr: seal.ErrExportFormat},
		{name: "not_json", export: edit("{", "<"), manifest: manifest(signed), wantErr: seal.ErrExportFormat},
		{name: "trailing_newline_dropped", export: func() []byte { return export[:len(export)-1] }, manifest: manifest(signed),
			wantErr: seal.ErrManifestMismatch, field: "export_sha256"},
		{name: "empty", export: func() []byte { return nil }, manifest: manifest(signed), wantErr: seal.ErrManifestMismatch, field: "frames"},
		{name: "wrong_manifest", export: untouched, manifest: func() *seal.Manifest {
			c := *unsigned
			c.ConfID = "123456789" // another meeting: another chain start
			return &c
		}, wantErr: seal.ErrManifestMismatch, field: "chain_head"},
		{name: "edited_signed_manifest", export: untouched, manifest: func() *seal.Manifest {
			c := *signed
			c.Title = "Edited"
			return &c
		}, wantErr: seal.ErrBadSignature},
		{name: "resigned_by_other_key", export: untouched, manifest: func() *seal.Manifest {
			c := *signed
			must(t, c.Sign(otherPriv))
			return &c
		}, pub: pub, wantErr: seal.ErrBadSignature},
		{name: "signature_bit", export: untouched, manifest: func() *seal.Manifest {
			c := *signed
			b := []byte(c.Signature)
			b[3] ^= 1
			c.Signature = string(b)
			return &c
		}, pub: pub, wantErr: seal.ErrBadSignature},
		{name: "unsigned_given_key", export: untouched, manifest: manifest(unsigned), pub: otherPub, wantErr: seal.ErrUnsigned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := seal.VerifyExport(bytes.NewReader(tt.export()), tt.manifest(), tt.pub)
			if tt.wantErr == nil {
				must(t, err)
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("VerifyExport: %v, want %v", err, tt.wantErr)
			}
			var me *seal.MismatchError
			if tt.field != "" && (!errors.As(err, &me) || me.Field != tt.field) {
				t.Fatalf("VerifyExport: %v, want a mismatch of %s", err, tt.field)
			}
		})
	}
}

func TestManifestFile(t *testing.T) {
	db := openRO(t, newDB(t))
	pub, priv := newKey(t)
	m, err := seal.Seal(db, meeting, priv)
	must(t, err)
	var buf bytes.Buffer
	_, err = m.WriteTo(&buf)
	must(t, err)
	back, err := seal.ReadManifest(bytes.NewReader(buf.Bytes()))
	must(t, err)
	if *back != *m {
		t.Fatalf("read back %+v, wrote %+v", back, m)
	}
	must(t, seal.VerifyDB(db, back, pub))
	for _, bad := range []string{"", "[]", `{"format":"other/1"}`, `{"format":"confrec-manifest/1","extra":1}`} {
		if _, err := seal.ReadManifest(strings.NewReader(bad)); !errors.Is(err, seal.ErrFormat) {
			t.Errorf("ReadManifest(%q): %v, want ErrFormat", bad, err)
		}
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "seal")
	pub, priv := newKey(t)
	must(t, seal.WriteKeyPair(path, priv))
	for _, p := range []string{path, path + ".pub"} {
		fi, err := os.Stat(p)
		must(t, err)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	gotPriv, err := seal.ReadPrivateKey(path)
	must(t, err)
	gotPub, err := seal.ReadPublicKey(path + ".pub")
	must(t, err)
	if !gotPriv.Equal(priv) || !gotPub.Equal(pub) {
		t.Fatal("keys do not round-trip")
	}
	if err := seal.WriteKeyPair(path, priv); !errors.Is(err, os.ErrExist) {
		t.Errorf("second WriteKeyPair: %v, want os.ErrExist", err)
	}
	if _, err := seal.ReadPublicKey(path); !errors.Is(err, seal.ErrKeyFormat) {
		t.Errorf("ReadPublicKey(private key): %v, want ErrKeyFormat", err)
	}
	if _, err := seal.ReadPrivateKey(path + ".pub"); !errors.Is(err, seal.ErrKeyFormat) {
		t.Errorf("ReadPrivateKey(public key): %v, want ErrKeyFormat", err)
	}
	junk := filepath.Join(dir, "junk")
	must(t, os.WriteFile(junk, []byte("not pem"), 0o600))
	if _, err := seal.ReadPrivateKey(junk); !errors.Is(err, seal.ErrKeyFormat) {
		t.Errorf("ReadPrivateKey(junk): %v, want ErrKeyFormat", err)
	}
}
