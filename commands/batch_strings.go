package commands

import "unicode/utf8"

// keyString is string(b), without a copy for the keys of the batch and node.create payloads and
// those names holds.
func keyString(b []byte, names strCache) string {
	switch string(b) { // compared without a copy
	case "type":
		return "type"
	case "payload":
		return "payload"
	case "ref":
		return "ref"
	case "kind":
		return "kind"
	case "data":
		return "data"
	case "id":
		return "id"
	case "branch":
		return "branch"
	}
	return names.get(b)
}

// strCache hands out one string per distinct text it is asked for: the kinds and the field
// names a batch repeats in each operation are made once per decoding turn instead of once per
// operation. A nil strCache makes a new string each time.
type strCache map[string]string

// maxCached bounds the strings a strCache keeps (a batch of many distinct field names).
const maxCached = 256

// get is string(b).
func (c strCache) get(b []byte) string {
	if s, ok := c[string(b)]; ok { // looked up without a copy
		return s
	}
	s := string(b)
	if c != nil && len(c) < maxCached {
		c[s] = s
	}
	return s
}

// plain is plainJSONString(b), the string taken from c.
func (c strCache) plain(b []byte) (string, bool) {
	body, ok := plainJSONBody(b)
	if !ok {
		return "", false
	}
	return c.get(body), true
}

// opType is plainJSONString(b), without a copy for the operation types a batch takes.
func opType(b []byte) (string, bool) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		switch string(b[1 : len(b)-1]) {
		case TypeCreateNode:
			return TypeCreateNode, true
		case TypeUpdateNode:
			return TypeUpdateNode, true
		case TypeUpsertNode:
			return TypeUpsertNode, true
		case TypeDeleteNode:
			return TypeDeleteNode, true
		case TypeAddPeers:
			return TypeAddPeers, true
		case TypeRemovePeers:
			return TypeRemovePeers, true
		}
	}
	return plainJSONString(b)
}

// plainJSONString reads a JSON string that needs no unescaping.
func plainJSONString(b []byte) (string, bool) {
	body, ok := plainJSONBody(b)
	if !ok {
		return "", false
	}
	return string(body), true
}

// plainJSONBody is the text of a JSON string that needs no unescaping (within b).
func plainJSONBody(b []byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return nil, false
	}
	body := b[1 : len(b)-1]
	for _, c := range body {
		if c == '"' || c == '\\' || c < 0x20 {
			return nil, false
		}
	}
	if !utf8.Valid(body) {
		return nil, false
	}
	return body, true
}
