package importer

import (
	"errors"
	"fmt"

	"github.com/confrec/confrec/store"
)

// LabelImported is the meeting label that marks an imported meeting: the
// format and the file's name, as in "har:session.har".
const LabelImported = "imported"

// Result says what one import stored for one meeting.
type Result struct {
	Meeting  string
	Sessions int
	Frames   int
}

// checkNew returns ErrMeetingExists when db has meeting id.
func checkNew(db *store.DB, id string) error {
	if err := store.ValidateMeetingID(id); err != nil {
		return err
	}
	_, err := db.Meeting(id)
	switch {
	case err == nil:
		return fmt.Errorf("meeting %s %w", id, ErrMeetingExists)
	case errors.Is(err, store.ErrMeetingNotFound):
		return nil
	}
	return err
}
