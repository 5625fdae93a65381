#!/usr/bin/env python3
"""Render every conformance case with Python Jinja2 3.1.6 as Infrahub does and write the goldens.

    python3 jinja/testdata/conformance/generate.py          # rewrite golden/*.json
    python3 jinja/testdata/conformance/generate.py --check  # exit 1 if a golden would change

Inputs: cases/*.yaml (one file per area, see README.md). Outputs: golden/<area>.json, cases sorted
by name, keys sorted, so that a regeneration is byte-identical unless Jinja2 or a case changed.
"""

import asyncio
import json
import os
import re
import sys
import tempfile
import traceback
from pathlib import Path

import jinja2
import yaml
from jinja2.sandbox import SandboxedEnvironment

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
GOLDEN = HERE / "golden"
# The shared corpus sits beside the repository: <repo>/../shared/corpus.
CORPUS = HERE.parents[2].parent / "shared" / "corpus"
JINJA_VERSION = "3.1.6"
MAIN = "main.j2"
ROOT = "<root>"  # stands for the loader's root folder in error messages

# The Jinja2 half of infrahub_sdk.template.jinja2.filters.AVAILABLE_FILTERS: Infrahub deletes every
# builtin filter that is not in this list (today: none) and adds netutils (not installed here).
ALLOWED_FILTERS = set(
    "abs attr batch capitalize center count d default dictsort e escape filesizeformat first float "
    "forceescape format groupby indent int items join last length list lower map max min pprint "
    "random reject rejectattr replace reverse round safe select selectattr slice sort string "
    "striptags sum title tojson trim truncate unique upper urlencode urlize wordcount wordwrap "
    "xmlattr".split()
)
CASE_KEYS = {"name", "template", "templates", "template_name", "context", "context_file", "env", "fails", "corpus", "note"}
NONDETERMINISTIC = re.compile(r"0x[0-9a-fA-F]{6,}")


def restrict_filters(env):
    for name in list(env.filters):
        if name not in ALLOWED_FILTERS:
            del env.filters[name]


def file_env(root):
    """Infrahub's transform environment (Jinja2Template._get_file_based_environment)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(searchpath=str(root)),
        trim_blocks=True,
        lstrip_blocks=True,
        enable_async=True,
    )
    restrict_filters(env)
    return env


def string_env():
    """Infrahub's string environment (Jinja2Template._get_string_based_environment)."""
    env = SandboxedEnvironment(enable_async=True, undefined=jinja2.StrictUndefined)
    restrict_filters(env)
    return env


def error_record(exc, names):
    """kind, line, message and template name of an exception raised by a render.

    names maps a traceback frame's filename to the case's template name. The line of a syntax
    error is its lineno; of any other error, the innermost frame that is a template of the case.
    """
    kind = type(exc).__name__
    if isinstance(exc, jinja2.TemplateError):
        message = exc.message or ""
    else:
        message = str(exc)
    line, name = 0, ""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        line = exc.lineno
        # The lexer passes the file name as the template name in a few messages: map it back.
        name = names.get(exc.filename or "") or names.get(exc.name or "") or exc.name
        if not name and "<template>" in names:
            name = "<template>"
    else:
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename in names:
                line, name = frame.lineno, names[frame.filename]
        if not name and isinstance(exc, jinja2.TemplateNotFound):
            name = exc.name or ""  # the main template itself is missing
    return {"kind": kind, "line": line, "message": message, "name": name}


async def render(template, ctx):
    return await template.render_async(ctx)


def reorder(value, order):
    """value with the keys of every mapping in it put in another order (a function of the keys)."""
    if isinstance(value, dict):
        return {k: reorder(value[k], order) for k in order(list(value))}
    if isinstance(value, list):
        return [reorder(v, order) for v in value]
    return value


def result_of(case, ctx, root):
    """Render the case once against a fresh environment: {"output": ...} or {"error": ...}."""
    if case["env"] == "string":
        env, names = string_env(), {"<template>": "<template>"}
        load = lambda: env.from_string(case["template"])  # noqa: E731
    else:
        env, names = file_env(root), {}
        for dirpath, _, filenames in os.walk(root):
            for fn in filenames:
                full = os.path.join(dirpath, fn)
                names[os.path.normpath(full)] = os.path.relpath(full, root).replace(os.sep, "/")
        main = case["corpus"]["template"] if "corpus" in case else case.get("template_name", MAIN)
        load = lambda: env.get_template(main)  # noqa: E731
    try:
        return {"output": asyncio.run(render(load(), ctx))}
    except Exception as exc:  # every failure is a recorded result
        err = error_record(exc, names)
        if root:  # TemplateNotFound names the search path
            err["message"] = err["message"].replace(root, ROOT)
        return {"error": err}


def run_case(case):
    """Render one case and return its golden record (keys in a fixed order, context as given)."""
    text = json.dumps(case["context"], ensure_ascii=False)  # exactly what the Go side decodes
    rec = {"name": case["name"], "env": case["env"]}
    with tempfile.TemporaryDirectory() as tmp:
        root = ""
        if "corpus" in case:
            root = os.path.realpath(CORPUS / case["corpus"]["root"])
            rec["corpus"] = case["corpus"]
        else:
            if case["env"] == "file":
                root = os.path.realpath(tmp)
                rec["template_name"] = case.get("template_name", MAIN)
                files = dict(case.get("templates") or {}, **{rec["template_name"]: case["template"]})
                for name, src in files.items():
                    path = Path(root, name)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(src.encode("utf-8"))
            rec["template"] = case["template"]
            if case.get("templates"):
                rec["templates"] = dict(sorted(case["templates"].items()))
        rec["context"] = json.loads(text)
        rec.update(result_of(case, json.loads(text), root))
        # A Go map[string]any has no key order: when the result depends on the order of the
        # context's mappings (Python keeps the JSON order), also record the result for a context
        # whose mappings are sorted by key, the order an engine given a Go map can reproduce.
        backwards = result_of(case, reorder(json.loads(text), lambda keys: keys[::-1]), root)
        if backwards != {k: rec[k] for k in ("output", "error") if k in rec}:
            rec["sorted_context"] = result_of(case, reorder(json.loads(text), sorted), root)
        out = json.dumps(rec, ensure_ascii=False)
        paths = (tmp, os.path.realpath(tmp), str(CORPUS), os.path.realpath(CORPUS))
        if NONDETERMINISTIC.search(out) or any(p in out for p in paths):
            raise SystemExit(f"{case['name']}: result is not deterministic (address or path): {out[:300]}")
    return rec


def load_cases(path):
    """The cases of one area file, expanded (env: both gives a .file and a .string case)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    area = path.stem
    out = []
    for raw in doc["cases"]:
        unknown = set(raw) - CASE_KEYS
        if unknown:
            raise SystemExit(f"{area}/{raw.get('name')}: unknown keys {sorted(unknown)}")
        case = dict(raw)
        if "context_file" in case:
            case["context"] = json.loads((path.parent / case.pop("context_file")).read_text(encoding="utf-8"))
        case.setdefault("context", {})
        case.setdefault("env", "file")
        case.setdefault("fails", False)
        if "template" not in case and "corpus" not in case:
            raise SystemExit(f"{area}/{case['name']}: no template")
        envs = ["file", "string"] if case["env"] == "both" else [case["env"]]
        for env in envs:
            c = dict(case, env=env)
            c["name"] = f"{area}/{case['name']}" + (f".{env}" if len(envs) > 1 else "")
            if env == "string" and (c.get("templates") or "corpus" in c):
                raise SystemExit(f"{c['name']}: the string env has no loader, so no extra templates")
            fails = c["fails"]
            c["fails"] = fails is True or fails == env
            out.append(c)
    return area, out


def main():
    if jinja2.__version__ != JINJA_VERSION:
        raise SystemExit(f"need Jinja2 {JINJA_VERSION}, have {jinja2.__version__}")
    check = "--check" in sys.argv[1:]
    GOLDEN.mkdir(exist_ok=True)
    seen, total, stale, wrong, covered = set(), 0, [], [], set()
    expected_files = set()
    for path in sorted(CASES.glob("*.yaml")):
        area, cases = load_cases(path)
        records = []
        for case in cases:
            if case["name"] in seen:
                raise SystemExit(f"duplicate case name {case['name']}")
            seen.add(case["name"])
            if "corpus" in case:
                covered.add(f"{case['corpus']['root']}/{case['corpus']['template']}")
            rec = run_case(case)
            if ("error" in rec) != case["fails"]:
                wrong.append(f"{case['name']}: fails={case['fails']} but got {rec.get('error') or repr(rec.get('output'))[:120]}")
            records.append(rec)
        records.sort(key=lambda r: r["name"])
        head = {"jinja2": JINJA_VERSION, "python": "%d.%d" % sys.version_info[:2]}
        text = json.dumps({**head, "cases": records}, ensure_ascii=False, indent=1) + "\n"
        out = GOLDEN / f"{area}.json"
        expected_files.add(out.name)
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            stale.append(out.name)
            if not check:
                out.write_text(text, encoding="utf-8")
        errors = sum("error" in r for r in records)
        print(f"{area:14} {len(records):4} cases ({errors} errors)")
        total += len(records)
    for extra in sorted(p.name for p in GOLDEN.glob("*.json")):
        if extra not in expected_files:
            stale.append(extra)
            if not check:
                (GOLDEN / extra).unlink()
    print(f"{'total':14} {total:4} cases")
    if CORPUS.is_dir():  # every template of the shared corpus has a case
        for path in sorted(CORPUS.rglob("*.j2")):
            if str(path.relative_to(CORPUS)) not in covered:
                wrong.append(f"{path.relative_to(CORPUS)}: no case in cases/corpus.yaml")
    if wrong:
        print("cases whose outcome contradicts their 'fails' marker:", *wrong, sep="\n  ")
        sys.exit(1)
    if check and stale:
        print("stale goldens:", *stale)
        sys.exit(1)


if __name__ == "__main__":
    main()
