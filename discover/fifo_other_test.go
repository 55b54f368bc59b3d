//go:build !unix

package discover_test

import "errors"

func mkfifo(string) error { return errors.New("no mkfifo") }
