"""Renders the service catalog's device_config template with Python Jinja2 (3.1) for each query
answer under answers/, as Infrahub renders a Jinja2 transform (FileSystemLoader at the
repository's root, trim_blocks, lstrip_blocks, the answer {"data": ...} as the context), into
golden/<device>.txt. Run from this folder: python3 render.py ../../../../../shared/corpus/infrahub-demo-service-catalog
The answers are our server's answers to the device_info query, node ids replaced by "<id>"."""
import json
import os
import sys

import jinja2

root = sys.argv[1]
env = jinja2.Environment(loader=jinja2.FileSystemLoader(root), trim_blocks=True, lstrip_blocks=True)
template = env.get_template("templates/device_config.j2")
for name in sorted(os.listdir("answers")):
    with open(os.path.join("answers", name), encoding="utf-8") as f:
        answer = json.load(f)
    out = template.render(**answer)
    with open(os.path.join("golden", name[: -len(".json")] + ".txt"), "w", encoding="utf-8", newline="") as f:
        f.write(out)
print(jinja2.__version__)
