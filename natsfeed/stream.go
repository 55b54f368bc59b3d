package natsfeed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DuplicateWindow is how long JetStream remembers a message's Nats-Msg-Id:
// a frame republished within it (its acknowledgement lost) is dropped as a
// duplicate. An Archiver skips older repeats by their seq.
const DuplicateWindow = 10 * time.Minute

// KeepReplicas, as EnsureStream's replicas, keeps an existing stream's
// number of replicas and creates a missing one with one: what a recorder
// or an archive does when not told the number, so that it does not scale
// down a stream that others keep on three servers.
const KeepReplicas = -1

// EnsureStream creates the stream StreamName, or updates it to this
// configuration: file storage, replicas copies (1 for a single server, 3
// for an archive that must survive a server's loss; KeepReplicas: as the
// stream has), the subjects of Subject, and messages no larger than a
// chunk with its headers.
//
// JetStream acknowledges a message once the stream's leader and a majority
// of its replicas hold it, before its file store syncs to disk (every two
// minutes by default): set sync_interval: always on the servers (Go's
// server.Options SyncAlways) when an acknowledged message must survive a
// power loss of the majority.
func EnsureStream(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.Stream, error) {
	if replicas == KeepReplicas {
		s, err := js.Stream(ctx, StreamName)
		switch {
		case err == nil:
			replicas = s.CachedInfo().Config.Replicas
		case errors.Is(err, jetstream.ErrStreamNotFound):
			replicas = 1
		default:
			return nil, fmt.Errorf("look up stream %s: %w", StreamName, err)
		}
	}
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "frames and sessions recorded by confrec",
		Subjects:    []string{subjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Replicas:    max(1, replicas),
		Duplicates:  DuplicateWindow,
		MaxMsgSize:  ChunkSize + 16<<10,
	})
	if err != nil {
		return nil, fmt.Errorf("create stream %s: %w", StreamName, err)
	}
	return s, nil
}
