package seal_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/confrec/confrec/seal"
	"github.com/confrec/confrec/store"
)

// exampleDB records a short meeting in a temporary database.
func exampleDB() (db *store.DB, cleanup func()) {
	dir, err := os.MkdirTemp("", "seal-example-")
	if err != nil {
		log.Fatal(err)
	}
	db, err = store.Open(filepath.Join(dir, "confrec.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	t := time.Date(2025, 3, 18, 9, 20, 0, 0, time.UTC)
	err = db.Append(context.Background(), "986512347",
		store.Frame{Time: t, Session: 1, Dir: store.Out, Op: store.Text, Payload: []byte(`{"action":"Subscribe"}`)},
		store.Frame{Time: t.Add(time.Second), Session: 1, Dir: store.In, Op: store.Text, Payload: []byte(`{"action":"ConfBasicInfo"}`)},
	)
	if err != nil {
		log.Fatal(err)
	}
	return db, func() { db.Close(); os.RemoveAll(dir) }
}

func ExampleSeal() {
	db, cleanup := exampleDB()
	defer cleanup()

	_, priv, err := seal.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	m, err := seal.Seal(db, "986512347", priv)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.ConfID, m.Frames, "frames from", m.FirstTime, "signed:", m.Signed())

	// Later, anyone holding the manifest and the public key proves that the
	// database still holds what was sealed.
	err = seal.VerifyDB(db, m, priv.Public().(ed25519.PublicKey))
	fmt.Println("verify:", err)
	// Output:
	// 986512347 2 frames from 2025-03-18 09:20:00 +0000 UTC signed: true
	// verify: <nil>
}

func ExampleVerifyExport() {
	db, cleanup := exampleDB()
	defer cleanup()

	m, err := seal.Seal(db, "986512347", nil)
	if err != nil {
		log.Fatal(err)
	}
	// What `confrec export frames 986512347` writes.
	var export bytes.Buffer
	if err := seal.WriteCanonical(&export, db, "986512347"); err != nil {
		log.Fatal(err)
	}
	exported := export.Bytes()
	fmt.Println("untouched:", seal.VerifyExport(bytes.NewReader(exported), m, nil))

	// Edit the payload's text: the recomputed hash chain differs.
	edited := bytes.Replace(exported, []byte(`ConfBasicInfo\"`), []byte(`ConfBasicInfX\"`), 1)
	err = seal.VerifyExport(bytes.NewReader(edited), m, nil)
	var me *seal.MismatchError
	fmt.Println("edited:", errors.As(err, &me), me.Field)
	// Output:
	// untouched: <nil>
	// edited: true chain_head
}
