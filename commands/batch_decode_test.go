package commands

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/infrahub-go/infrahub/commands/payload"
)

// decodeCreate reads what payload.Decode reads, or leaves the payload to it.
func TestDecodeCreateIsPayloadDecode(t *testing.T) {
	inputs := []string{
		`{"kind":"BenchDevice","data":{"name":"d-1","asn":64512,"enabled":true,"site":"x","tags":["a","b"],"o":{"value":"v","x":[1,{"y":"]}"}]}}}`,
		` { "branch" : "b1" , "kind" : "K" , "id" : "0190a3c4-0000-7000-8000-000000000001" , "data" : { } } `,
		`{"kind":"K","data":{"s":"a\"b\\","n":null}}`,
		`{"kind":"K"}`, `{"data":{}}`, `{}`, `{"kind":"K","data":null}`, `{"kind":"K","data":{},"extra":1}`, `{"Kind":"K","data":{}}`,
		`{"kind":"K","kind":"L","data":{}}`, `{"kind":"K","data":{"a":1,"a":2}}`, `{"kind":"K\u00e9","data":{}}`, `{"kind":1,"data":{}}`,
		`{"kind":"K","data":{"k\"":1}}`, `[]`, `{"kind":"K","data":{}} x`,
	}
	for _, in := range inputs {
		var want CreateNode
		werr := payload.Decode(json.RawMessage(in), &want, "payload")
		got, ok := decodeCreate(json.RawMessage(in), strCache{})
		if !ok {
			continue
		}
		if werr != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("decodeCreate(%s) = %+v; payload.Decode: %+v, %v", in, got, want, werr)
		}
	}
	if _, ok := decodeCreate(json.RawMessage(inputs[0]), nil); !ok {
		t.Error("the plain shape is not read")
	}
}

// decodeBatch reads what payload.Decode reads, or leaves the payload to it.
func TestDecodeBatchIsPayloadDecode(t *testing.T) {
	inputs := []string{
		`{"operations":[{"type":"node.create","payload":{"kind":"K","data":{"a":[1,"]"]}}},{"type":"node.update","ref":"r","payload":{}}]}`,
		` { "branch" : "b" , "operations" : [ ] } `,
		`{"operations":[{"type":"node.create","payload":{"kind":"K","data":{"a":tru}}}]}`,
		`{"operations":[{"type":"node.create","payload":{"kind":"K"}}]} {}`,
		`{"operations":[{"type":"node.create","payload":{"kind":"K"},"x":1}]}`,
		`{"operations":[{"Type":"node.create","payload":{}}]}`, `{"operations":[{"type":"a\u0062","payload":{}}]}`,
		`{"operations":null}`, `{"branch":"b"}`, `{"operations":[],"operations":[]}`, `{"operations":[1]}`, `{"operations":[{}]}`,
		`{"operations":[{"type":"t","payload":{}},]}`, `{"operations":[{"type":"t","payload":{}}`, ``, `[]`,
	}
	for _, in := range inputs {
		var want Batch
		werr := payload.Decode(json.RawMessage(in), &want, "payload")
		got, ok := decodeBatch(json.RawMessage(in))
		if !ok {
			continue
		}
		if werr != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("decodeBatch(%s) = %+v; payload.Decode: %+v, %v", in, got, want, werr)
		}
	}
	for _, in := range inputs[:2] {
		if _, ok := decodeBatch(json.RawMessage(in)); !ok {
			t.Errorf("the plain shape %s is not read", in)
		}
	}
}
