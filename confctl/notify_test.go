package confctl_test

import (
	"testing"

	"github.com/confrec/confrec/confctl"
)

func TestBasicInfoTitle(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     string
		ok       bool
	}{
		{"sample", string(readSample(t, "ConfBasicInfoNotify.json")), "Q1 Roadmap Sync", true},
		{"string", `{"action":"ConfBasicInfoNotify","title":"Weekly"}`, "Weekly", true},
		{"escaped", `{"title":"Caf\u00e9 \"sync\""}`, `Café "sync"`, true},
		{"number", `{"title":2026}`, "2026", true},
		{"empty", `{"title":""}`, "", true},
		{"null is empty, not absent", `{"title":null,"data":{"title":"inner"}}`, "", true},
		{"name in any case", `{"TITLE":"upper"}`, "upper", true},
		{"last duplicate wins", `{"title":"a","title":"b"}`, "b", true},
		{"in data", `{"action":"ConfBasicInfoNotify","data":{"title":"inner"}}`, "inner", true},
		{"in double-encoded data", `{"data":"{\"title\":\"inner\"}"}`, "inner", true},
		{"unusable top-level falls back to data", `{"title":true,"data":{"title":"inner"}}`, "inner", true},
		{"unusable in data too", `{"title":[],"data":{"title":{}}}`, "", false},
		{"absent", `{"action":"ConfBasicInfoNotify"}`, "", false},
		{"data not an object", `{"data":[{"title":"x"}]}`, "", false},
		{"not an object", `["title"]`, "", false},
		{"not JSON", `{"title":"x"`, "", false},
		{"empty input", ``, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := confctl.BasicInfoTitle([]byte(tc.in))
			if got != tc.want || ok != tc.ok {
				t.Errorf("BasicInfoTitle(%s) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestDynamicInfoDestroyed(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     bool
	}{
		{"sample destroyed", string(readSample(t, "ConfDynamicInfoNotify.destroyed.json")), true},
		{"sample full", string(readSample(t, "ConfDynamicInfoNotify.full.json")), false},
		{"sample incremental", string(readSample(t, "ConfDynamicInfoNotify.incremental.json")), false},
		{"destroyed", `{"action":"ConfDynamicInfoNotify","state":"Destroyed"}`, true},
		{"upper case", `{"state":"DESTROYED"}`, true},
		{"long s folds", `{"state":"deſtroyed"}`, true},
		{"escaped", `{"state":"\u0044estroyed"}`, true},
		{"name in any case", `{"State":"Destroyed"}`, true},
		{"created", `{"state":"Created"}`, false},
		{"in data only", `{"data":{"state":"Destroyed"}}`, false},
		{"in another member", `{"state":"Created","mode":"Destroyed"}`, false},
		{"not a string", `{"state":["Destroyed"]}`, false},
		{"with spaces", `{"state":" Destroyed"}`, false},
		{"not JSON", `{"state":"Destroyed"`, false},
		{"empty input", ``, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := confctl.DynamicInfoDestroyed([]byte(tc.in)); got != tc.want {
				t.Errorf("DynamicInfoDestroyed(%s) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
