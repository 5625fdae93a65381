"""Renders one template with Infrahub's transform environment (FileSystemLoader at ROOT,
trim_blocks, lstrip_blocks, enable_async) on the JSON context in CONTEXT, N times, and prints the
renders per second: the Python side of the Go benchmark BenchmarkDeviceConfig.

usage: python3 python_rate.py ROOT TEMPLATE CONTEXT N
"""
import asyncio
import json
import sys
import time

import jinja2


def main() -> None:
    root, name, context_path, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    with open(context_path, encoding="utf-8") as f:
        context = json.load(f)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(root), trim_blocks=True, lstrip_blocks=True, enable_async=True)
    template = env.get_template(name)

    async def run() -> float:
        await template.render_async(context)  # warm up
        start = time.perf_counter()
        for _ in range(n):
            await template.render_async(context)
        return time.perf_counter() - start

    elapsed = asyncio.run(run())
    print(f"{n / elapsed:.1f}")


if __name__ == "__main__":
    main()
