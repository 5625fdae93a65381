package values

import (
	"encoding/json"
	"testing"

	"github.com/infrahub-go/infrahub/schema"
)

func TestNumber(t *testing.T) {
	n := attr("mtu", KindNumber)
	vlan := attr("vlan_id", KindNumber, params(schema.Parameters{MinValue: ptr[int64](1), MaxValue: ptr[int64](4094), ExcludedValues: ptr("1002-1005, 4000")}))
	runRows(t, []row{
		{"int", n, 1500, int64(1500), ""},
		{"int64", n, int64(-3), int64(-3), ""},
		{"float integral", n, 9000.0, int64(9000), ""},
		{"json number", n, json.Number("42"), int64(42), ""},
		{"uint8", n, uint8(7), int64(7), ""},
		{"fraction", n, 1.5, nil, "1.5 is not an integer"},
		{"string", n, "1500", nil, `expected an integer for kind Number, got string "1500"`},
		{"bool", n, true, nil, "expected an integer for kind Number, got boolean true"},
		{"huge float", n, 1e30, nil, "is not an integer"},
		{"in range", vlan, 100, int64(100), ""},
		{"min", vlan, 0, nil, "0 is less than min_value 1"},
		{"max", vlan, 4095, nil, "4095 is greater than max_value 4094"},
		{"excluded range", vlan, 1003, nil, "1003 is one of the excluded values 1002-1005, 4000"},
		{"excluded single", vlan, 4000.0, nil, "4000 is one of the excluded values"},
		{"range edge allowed", vlan, 1006, int64(1006), ""},
		{"enum number", attr("speed", KindNumber, enum(1000, 10000)), 10000.0, int64(10000), ""},
		{"enum number refused", attr("speed", KindNumber, enum(1000, 10000)), 100, nil, "100 is not one of 1000, 10000"},
		{"pool", attr("index", KindNumberPool), 7.0, int64(7), ""},
		{"pool fraction", attr("index", KindNumberPool), 7.5, nil, "7.5 is not an integer"},
		{"bandwidth", attr("bw", KindBandwidth), 1000000, int64(1000000), ""},
		{"bandwidth negative", attr("bw", KindBandwidth), -1, nil, "-1 is negative"},
		{"bandwidth string", attr("bw", KindBandwidth), "1G", nil, `expected an integer for kind Bandwidth, got string "1G"`},
	})
}

func TestExcluded(t *testing.T) {
	for _, c := range []struct {
		list string
		n    int64
		want bool
	}{
		{"1,2,3", 2, true}, {"1,2,3", 4, false}, {"-5--1", -3, true}, {"-5--1", 0, false},
		{"10-20", 20, true}, {"x, 7", 7, true}, {"", 0, false},
	} {
		if got := excluded(c.list, c.n); got != c.want {
			t.Errorf("excluded(%q, %d) = %v, want %v", c.list, c.n, got, c.want)
		}
	}
}

func TestBoolean(t *testing.T) {
	b := attr("enabled", KindBoolean)
	c := attr("checked", KindCheckbox)
	runRows(t, []row{
		{"true", b, true, true, ""},
		{"false", b, false, false, ""},
		{"string true", b, "true", true, ""},
		{"string False", b, "False", false, ""},
		{"checkbox", c, "TRUE", true, ""},
		{"yes refused", b, "yes", nil, `expected true or false for kind Boolean, got string "yes"`},
		{"one refused", c, 1, nil, "expected true or false for kind Checkbox, got number 1"},
		{"nil mandatory", b, nil, nil, `attribute "enabled": a value is required`},
	})
}
