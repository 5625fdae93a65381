#!/usr/bin/env python3
"""Records the expectations of the table tests in cases_*_test.go.

Each case is {`python expression`, `expected`}: the expected text is
repr(eval(expression)) in python3, or "!ExceptionClass: message" when it
raises. Run from jinja/value:

    python3 testdata/pycases.py          # rewrite the expectations in place
    python3 testdata/pycases.py --check  # list the cases whose expectation differs
"""
import glob
import json
import re
import sys
import warnings

from jinja2 import StrictUndefined, Undefined
from jinja2.utils import Namespace
from markupsafe import Markup, escape

PATHS = sorted(glob.glob("cases_*_test.go"))
CASE = re.compile(r'^(\s*\{`)([^`]*)(`, )(`[^`]*`|"(?:[^"\\]|\\.)*")(\},.*)$')


def env():
    return {
        "nan": float("nan"), "inf": float("inf"),
        "U": Undefined(name="x"), "SU": StrictUndefined(name="x"),
        "UL": Undefined(obj=[1], name=3), "UD": Undefined(obj={}, name="y"),
        "UN": Undefined(obj=None, name="z"), "SUD": StrictUndefined(obj={}, name="y"),
        "ns": Namespace(a=1), "json_dumps": json.dumps,
        "Markup": Markup, "escape": escape,
    }


def run(expr):
    warnings.simplefilter("ignore")
    try:
        return repr(eval(expr, env()))
    except Exception as e:  # noqa: BLE001 - every exception is an expectation
        return f"!{type(e).__name__}: {e}"


def golit(s):
    if "`" not in s and "\n" not in s and "\r" not in s:
        return "`" + s + "`"
    return json.dumps(s, ensure_ascii=False)


def main():
    check = "--check" in sys.argv
    bad = 0
    for path in PATHS:
        lines = open(path, encoding="utf-8").read().split("\n")
        for i, line in enumerate(lines):
            m = CASE.match(line)
            if not m:
                continue
            want = golit(run(m.group(2)))
            if want != m.group(4):
                bad += 1
                if check:
                    print(f"{path}:{i + 1}: {m.group(2)}: recorded {m.group(4)}, python3 gives {want}")
                lines[i] = m.group(1) + m.group(2) + m.group(3) + want + m.group(5)
        if not check:
            open(path, "w", encoding="utf-8").write("\n".join(lines))
    print(f"{bad} case(s) {'differ' if check else 'updated'}", file=sys.stderr)
    sys.exit(1 if check and bad else 0)

main()
