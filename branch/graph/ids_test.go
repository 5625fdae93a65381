package graph

import (
	"testing"

	"github.com/google/uuid"
)

func TestParseNodeIDCanonical(t *testing.T) {
	for _, s := range []string{
		"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B", "00000000-0000-0000-0000-000000000000",
		"ffffffff-ffff-ffff-ffff-ffffffffffff", "0190a1b2c3d47e5f8a9b0c1d2e3f4a5b", "urn:uuid:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		"{0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b}", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5g", "0190a1b2-c3d4-7e5f-8a9b+0c1d2e3f4a5b",
		"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5", "", "zz90a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a\x00b",
	} {
		got, err := ParseNodeID(s)
		want, werr := uuid.Parse(s)
		if (err == nil) != (werr == nil) || err == nil && got != NodeID(want) {
			t.Errorf("ParseNodeID(%q) = %v, %v; uuid.Parse: %v, %v", s, got, err, want, werr)
		}
	}
}
