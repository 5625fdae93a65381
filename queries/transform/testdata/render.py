"""Renders the golden of the transform test with Python Jinja2 3.1, in Infrahub's environment
of Jinja2 transforms (backend/infrahub/git/integrator.py render_jinja2_template: the SDK's
Jinja2Template over the commit's folder, FileSystemLoader, trim_blocks and lstrip_blocks) and
its context {"data": <the query's data>} (backend/infrahub/transformations/tasks.py).

Run from queries/transform:  python3 testdata/render.py
It writes testdata/device.golden; the Go tests compare to it and never run Python.
"""
import json

import jinja2

with open("testdata/device_data.json", encoding="utf-8") as f:
    data = json.load(f)
env = jinja2.Environment(loader=jinja2.FileSystemLoader("testdata/repo"), trim_blocks=True, lstrip_blocks=True)
out = env.get_template("templates/device.j2").render(data=data)
with open("testdata/device.golden", "w", encoding="utf-8", newline="") as f:
    f.write(out)
print(jinja2.__version__)
