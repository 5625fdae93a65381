package commands

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/infrahub-go/infrahub/commands/payload"
	"github.com/infrahub-go/infrahub/events"
)

// The command endpoint's fast paths answer what encoding/json answers: the same Command for every
// body it takes (and it leaves the others to payload.Read), the same bytes for every Result it
// writes.
func TestCommandBodyFastPath(t *testing.T) {
	for _, tc := range []struct {
		body string
		fast bool
	}{
		{`{"type":"node.create","payload":{"kind":"BenchInterface","data":{"name":"x","mtu":9000,"enabled":true,"device":{"id":"d"}}}}`, true},
		{" {\n\t\"id\" : \"c-1\" , \"type\":\"node.delete\", \"payload\" : [1, \"a}\\\"]\", {\"b\": null}] }\r\n", true},
		{`{"type":"a","payload":null}`, true},
		{`{"payload":"text","type":"a","payload":12.5e3}`, true},
		{`{}`, true},
		{`{"type":"é"}`, true},
		{`{"type":"a\"b"}`, false},
		{`{"Type":"a"}`, false},
		{`{"type":null}`, false},
		{`{"type":"a","extra":1}`, false},
		{`{"type":"a"} {"type":"b"}`, false},
		{`{"type":"a"} }`, false},
		{`{"type":"a"`, false},
		{"{\"type\":\"\xff\"}", false},
		{`[]`, false},
		{``, false},
	} {
		var fast Command
		ok := decodeCommand([]byte(tc.body), &fast)
		if ok != tc.fast {
			t.Errorf("%q: fast path %v, want %v", tc.body, ok, tc.fast)
		}
		if !ok {
			continue
		}
		var ref Command
		if err := payload.Read(bytes.NewReader([]byte(tc.body)), &ref, "body"); err != nil {
			t.Errorf("%q: the fast path took what encoding/json refuses: %v", tc.body, err)
			continue
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Errorf("%q: fast %+v, encoding/json %+v", tc.body, fast, ref)
		}
	}
}

func TestResultFastPath(t *testing.T) {
	for _, tc := range []struct {
		res  Result
		fast bool
	}{
		{Result{CommandID: "c-1", Stream: "branch-main", Positions: []events.Position{12, 13}, StreamVersion: 7,
			Data: NodeOutcome{ID: "n-1", Kind: "BenchInterface", HFID: []string{"dev", "eth0"}, DisplayLabel: "eth0", Outcome: "created"}}, true},
		{Result{Stream: "s", Duplicate: true, Positions: []events.Position{}}, true},
		{Result{Stream: "s", Data: NodeOutcome{ID: "n", HFID: []string{}}}, true},
		{Result{Stream: "s"}, true},
		{Result{Stream: "s", Data: map[string]any{"x": 1}}, false},
		{Result{Stream: "s", Data: NodeOutcome{ID: "n", DisplayLabel: "a<b"}}, false},
		{Result{Stream: "s", CommandID: "é"}, false},
	} {
		got, ok := appendResult(nil, tc.res)
		if ok != tc.fast {
			t.Errorf("%+v: fast path %v, want %v", tc.res, ok, tc.fast)
		}
		if !ok {
			continue
		}
		var want bytes.Buffer
		_ = json.NewEncoder(&want).Encode(tc.res)
		if string(got) != want.String() {
			t.Errorf("fast %s\nencoding/json %s", got, want.String())
		}
	}
}

// Whatever body the fast path takes, encoding/json reads the same Command from it.
func FuzzDecodeCommand(f *testing.F) {
	for _, s := range []string{`{"type":"node.create","payload":{"kind":"K","data":{"a":[1,"x",{"b":null}]}}}`,
		` {"id":"c","type":"t","payload":"s\"}"} `, `{"payload":[],"payload":{}}`, `{}`, `{"type":"a"}x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast Command
		if !decodeCommand(body, &fast) {
			return
		}
		var ref Command
		if err := payload.Read(bytes.NewReader(body), &ref, "body"); err != nil {
			t.Fatalf("%q: the fast path took what encoding/json refuses: %v", body, err)
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Fatalf("%q: fast %+v, encoding/json %+v", body, fast, ref)
		}
	})
}
