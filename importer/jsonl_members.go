package importer

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/internal/jsonscan"
)

// frameRecordNames are the member names of an interchange.FrameRecord line.
var frameRecordNames = func() []string {
	t := reflect.TypeFor[interchange.FrameRecord]()
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}()

// checkMembers refuses an object (a line of JSON Lines, a HAR message)
// that names one of names twice, or in another spelling (another case, or
// escaped): encoding/json would take the last of them, or match the name
// without regard to case, so the frame imported would not be the one a
// reader of the file sees. A text that is not a JSON object is left to
// json.Unmarshal to refuse. names has at most 64 entries.
func checkMembers(b []byte, names []string) error {
	s := jsonscan.Scanner{B: b}
	if !s.Expect('{') || s.Next() == '}' {
		return nil
	}
	var seen uint64 // bit i: names[i]
	for {
		s.WS()
		start := s.I
		if !s.SkipString() {
			return nil
		}
		raw := b[start:s.I]
		var key string
		if json.Unmarshal(raw, &key) != nil {
			return nil
		}
		for i, name := range names {
			switch {
			case key == name && string(raw[1:len(raw)-1]) == name:
				if seen&(1<<i) != 0 {
					return fmt.Errorf("member %q twice", name)
				}
				seen |= 1 << i
			case strings.EqualFold(key, name):
				return fmt.Errorf("member %s: the file format spells it %q", raw, name)
			}
		}
		if !s.Expect(':') || !s.Skip(1) {
			return nil
		}
		switch s.Next() {
		case ',':
			s.I++
		default:
			return nil
		}
	}
}
