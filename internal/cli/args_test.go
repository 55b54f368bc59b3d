package cli

import (
	"io"
	"slices"
	"strings"
	"testing"
)

func TestNormalizeArgs(t *testing.T) {
	app := newApp(io.Discard, io.Discard, nil, &seams{})
	tests := []struct{ in, want string }{
		{"confrec", "confrec"},
		{"confrec meetings", "confrec meetings"},
		{"confrec --db x.db meetings --format json", "confrec --db x.db meetings --format json"},
		{"confrec meetings --db x.db", "confrec --db x.db meetings"},
		{"confrec export frames 123 --format csv -o out.csv", "confrec export frames --format csv -o out.csv 123"},
		{"confrec export frames 123 --format=csv --db=x.db", "confrec --db=x.db export frames --format=csv 123"},
		{"confrec replay serve 123 --speed 0 --db x.db", "confrec --db x.db replay serve --speed 0 123"},
		{"confrec record --conf-id 1 --insecure --conf-id 2", "confrec record --conf-id 1 --insecure --conf-id 2"},
		{"confrec record --insecure --db x.db --conf-id 1", "confrec --db x.db record --insecure --conf-id 1"},
		{"confrec record --config r.yaml --insecure --log-level debug", "confrec --log-level debug record --config r.yaml --insecure"},
		{"confrec info 123 --bogus", "confrec info --bogus 123"},
		{"confrec export frames -- --odd-id", "confrec export frames -- --odd-id"},
		{"confrec export frames 123 --from +1m --to", "confrec export frames --from +1m --to 123"},
		{"confrec info meetings", "confrec info meetings"},
	}
	for _, tt := range tests {
		got := strings.Join(normalizeArgs(app, strings.Fields(tt.in)), " ")
		if got != tt.want {
			t.Errorf("normalizeArgs(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
	in := strings.Fields("confrec export frames 1 --format csv")
	orig := slices.Clone(in)
	normalizeArgs(app, in)
	if !slices.Equal(in, orig) {
		t.Error("normalizeArgs changed its input")
	}
}
