# Dumps, for every assigned code point, Python's full case mappings and
# numeric properties; genunicode/main.go keeps those Go's unicode package
# does not give and writes unicode_tables.go:
#   go generate ./jinja/value  (python3 testdata/genunicode/unicode.py | go run ./testdata/genunicode | gofmt)
import json, sys, unicodedata
rows = []
for cp in range(0x110000):
    c = chr(cp)
    if unicodedata.category(c) in ("Cn", "Cs"):
        continue
    rows.append([cp, c.upper(), c.lower(), c.title(), c.casefold(), c.isdigit(), c.isnumeric()])
json.dump({"version": unicodedata.unidata_version, "rows": rows}, sys.stdout)
