package schema

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// attributeKind reports whether k is an attribute kind and what its values look like.
func attributeKind(k string) (valueKind string, ok bool) {
	switch k {
	case "ID", "Text", "TextArea", "String", "DateTime", "Email", "Password", "HashedPassword", "URL",
		"File", "MacAddress", "Color", "IPHost", "IPNetwork", "IPAddress":
		return "string", true
	case "Number", "NumberPool", "Bandwidth":
		return "number", true
	case "Boolean", "Checkbox":
		return "bool", true
	case "Dropdown":
		return "choice", true
	case "List":
		return "list", true
	case "JSON", "Any":
		return "any", true
	}
	return "", false
}

func isTextKind(k string) bool { return k == "Text" || k == "TextArea" || k == "String" }

// resolveAttribute validates a and fills its defaults; branch is the owning model's.
func resolveAttribute(ps *problems, a *Attribute, path, branch string) {
	validateElementName(ps, a.Pos, path, a.Name)
	vk, ok := attributeKind(a.Kind)
	switch {
	case a.Kind == "":
		ps.add(a.Pos, path+".kind", "missing")
	case !ok:
		ps.add(a.Pos, path+".kind", "unknown kind %q", a.Kind)
	}
	if a.Branch == "" {
		a.Branch = branch
	} else if !validBranch(a.Branch) {
		ps.add(a.Pos, path+".branch", "must be aware, agnostic or local, not %q", a.Branch)
	}
	if a.AllowOverride == "" {
		a.AllowOverride = "any"
	} else if a.AllowOverride != "any" && a.AllowOverride != "none" {
		ps.add(a.Pos, path+".allow_override", "must be any or none, not %q", a.AllowOverride)
	}
	if a.State == "" {
		a.State = StatePresent
	}
	if a.Label == "" {
		a.Label = labelOf(a.Name)
	}
	// an attribute with a default value always has a value: Infrahub makes it optional
	if a.DefaultValue != nil {
		a.Optional = true
	}
	// the deprecated top-level constraints move into parameters for text kinds; other kinds
	// ignore them, as Infrahub does
	if isTextKind(a.Kind) && (a.Regex != nil || a.MinLength != nil || a.MaxLength != nil) {
		p := Parameters{}
		if a.Parameters != nil {
			p = *a.Parameters
		}
		if p.Regex == nil {
			p.Regex = a.Regex
		}
		if p.MinLength == nil {
			p.MinLength = a.MinLength
		}
		if p.MaxLength == nil {
			p.MaxLength = a.MaxLength
		}
		a.Parameters = &p
	}
	if ok {
		validateParameters(ps, a, path)
		validateChoices(ps, a, path, vk)
		validateDefault(ps, a, path, vk)
	}
	validateComputed(ps, a, path)
	if a.Kind == "NumberPool" && !a.ReadOnly {
		ps.add(a.Pos, path+".read_only", "a NumberPool attribute must be read_only")
	}
}

func validateParameters(ps *problems, a *Attribute, path string) {
	p := a.Parameters
	if p == nil {
		return
	}
	pp := path + ".parameters"
	bad := func(name string, set bool) {
		if set {
			ps.add(a.Pos, pp+"."+name, "not a parameter of kind %s", a.Kind)
		}
	}
	text, num, pool := isTextKind(a.Kind), a.Kind == "Number", a.Kind == "NumberPool"
	if !text {
		bad("regex", p.Regex != nil)
		bad("min_length", p.MinLength != nil)
		bad("max_length", p.MaxLength != nil)
	}
	if !num {
		bad("min_value", p.MinValue != nil)
		bad("max_value", p.MaxValue != nil)
		bad("excluded_values", p.ExcludedValues != nil)
	}
	if !pool {
		bad("start_range", p.StartRange != nil)
		bad("end_range", p.EndRange != nil)
	}
	if p.Regex != nil {
		// RE2 lacks the look-around assertions of Python's re, which Infrahub uses; such
		// patterns are accepted unchecked
		lookaround := strings.Contains(*p.Regex, "(?=") || strings.Contains(*p.Regex, "(?!") || strings.Contains(*p.Regex, "(?<")
		if _, err := regexp.Compile(*p.Regex); err != nil && !lookaround {
			ps.add(a.Pos, pp+".regex", "invalid regular expression %q", *p.Regex)
		}
	}
	if p.MinLength != nil && p.MaxLength != nil && *p.MinLength > *p.MaxLength {
		ps.add(a.Pos, pp+".min_length", "min_length %d is greater than max_length %d", *p.MinLength, *p.MaxLength)
	}
	if p.MinValue != nil && p.MaxValue != nil && *p.MinValue > *p.MaxValue {
		ps.add(a.Pos, pp+".min_value", "min_value %d is greater than max_value %d", *p.MinValue, *p.MaxValue)
	}
	if p.StartRange != nil && p.EndRange != nil && *p.StartRange > *p.EndRange {
		ps.add(a.Pos, pp+".start_range", "start_range %d is greater than end_range %d", *p.StartRange, *p.EndRange)
	}
}

func validateChoices(ps *problems, a *Attribute, path, vk string) {
	if vk == "choice" {
		if len(a.Choices) == 0 {
			ps.add(a.Pos, path+".choices", "a Dropdown attribute needs choices")
		}
	} else if len(a.Choices) > 0 {
		ps.add(a.Pos, path+".choices", "only a Dropdown attribute has choices, not kind %s", a.Kind)
	}
	seen := map[string]bool{}
	for i, c := range a.Choices {
		if c == nil {
			ps.add(a.Pos, fmt.Sprintf("%s.choices[%d]", path, i), "empty choice")
			continue
		}
		// an empty name is a valid choice (it stands for "no value" in real schemas)
		if seen[c.Name] {
			ps.add(a.Pos, fmt.Sprintf("%s.choices[%s]", path, c.Name), "duplicate choice %q", c.Name)
		}
		seen[c.Name] = true
	}
	if len(a.Enum) > 0 && vk != "string" && vk != "number" {
		ps.add(a.Pos, path+".enum", "enum is not supported by kind %s", a.Kind)
	}
}

func validateDefault(ps *problems, a *Attribute, path, vk string) {
	d := a.DefaultValue
	if d == nil {
		return
	}
	dp := path + ".default_value"
	switch vk {
	case "string":
		if _, ok := d.(string); !ok {
			ps.add(a.Pos, dp, "%v is not a valid %s value", d, a.Kind)
		}
	case "number":
		if !isInteger(d) {
			ps.add(a.Pos, dp, "%v is not a valid %s value", d, a.Kind)
		}
	case "bool":
		if _, ok := d.(bool); !ok {
			ps.add(a.Pos, dp, "%v is not a valid %s value", d, a.Kind)
		}
	case "list":
		if _, ok := d.([]any); !ok {
			ps.add(a.Pos, dp, "%v is not a valid List value", d)
		}
	case "choice":
		s, _ := d.(string)
		if !slices.ContainsFunc(a.Choices, func(c *Choice) bool { return c != nil && c.Name == s }) {
			ps.add(a.Pos, dp, "%v is not one of the choices", d)
		}
	}
	if len(a.Enum) > 0 && !slices.ContainsFunc(a.Enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(d) }) {
		ps.add(a.Pos, dp, "%v is not one of the enum values", d)
	}
}

func isInteger(v any) bool {
	switch n := v.(type) {
	case int, int64, uint64:
		return true
	case float64:
		return n == math.Trunc(n)
	}
	return false
}

func validateComputed(ps *problems, a *Attribute, path string) {
	c := a.ComputedAttribute
	if c == nil {
		return
	}
	cp := path + ".computed_attribute"
	switch c.Kind {
	case "Jinja2":
		if c.Jinja2Template == nil || *c.Jinja2Template == "" {
			ps.add(a.Pos, cp+".jinja2_template", "missing for a Jinja2 computed attribute")
		}
		if a.Kind != "Text" && a.Kind != "URL" && a.Kind != "TextArea" {
			ps.add(a.Pos, cp, "a Jinja2 computed attribute must be of kind Text or URL, not %s", a.Kind)
		}
		if !a.ReadOnly {
			ps.add(a.Pos, path+".read_only", "a Jinja2 computed attribute must be read_only")
		}
	case "TransformPython":
		if c.Transform == nil || *c.Transform == "" {
			ps.add(a.Pos, cp+".transform", "missing for a TransformPython computed attribute")
		}
		if !a.Optional {
			ps.add(a.Pos, path+".optional", "a TransformPython computed attribute must be optional")
		}
	case "User", "":
	default:
		ps.add(a.Pos, cp+".kind", "unknown computed attribute kind %q", c.Kind)
	}
}

// labelOf turns a snake_case name into a label: "device_type" → "Device Type".
func labelOf(name string) string {
	out := []rune{}
	up := true
	for _, r := range name {
		if r == '_' {
			out = append(out, ' ')
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		out = append(out, r)
	}
	return string(out)
}
