package importer

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// TestLineReader: lines of any length up to the bound come back whole
// without their "\n" or "\r\n", wherever the buffer's edge falls; a
// longer line is reported with its length and the next line still read.
func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 40)
	tests := []struct {
		name string
		in   string
		want []string // "!N" for a line of N bytes refused
	}{
		{"short", "a\nbb\n\nc", []string{"a", "bb", "", "c"}},
		{"crlf", "a\r\nb\r\n", []string{"a", "b"}},
		{"crlf across the buffer's edge", strings.Repeat("y", 15) + "\r\nz", []string{strings.Repeat("y", 15), "z"}},
		{"longer than the buffer", long + "\n" + long, []string{long, long}},
		{"at the bound", strings.Repeat("m", 50) + "\r\n", []string{strings.Repeat("m", 50)}},
		{"over the bound", strings.Repeat("o", 51) + "\nok\n" + strings.Repeat("o", 77) + "\r\n", []string{"!51", "ok", "!77"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := lineReader{r: bufio.NewReaderSize(strings.NewReader(tt.in), 16), max: 50}
			var got []string
			for {
				b, err := lr.next()
				if err == io.EOF {
					break
				}
				var long *longLineError
				switch {
				case errors.As(err, &long):
					got = append(got, "!"+strconv.FormatInt(long.n, 10))
				case err != nil:
					t.Fatal(err)
				default:
					got = append(got, string(b))
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
