"""Print the top-level import names installed by a generated project's dependencies.

Run it with a venv holding what a generated project installs (bytewax, its
dev and docs dependency groups, its build backend), one per supported Python,
and take the union for lib/dependency-modules.ts:

    for py in 3.10 3.11 3.12; do
        uv venv -q --python $py /tmp/deps-$py
        uv pip install -q --python /tmp/deps-$py/bin/python <requirements>
        /tmp/deps-$py/bin/python scripts/dependency-modules.py
    done | sort -u

A source, sink or package of one of these names would shadow that module
when an example runs as a script.
"""

import importlib.metadata
import re

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SKIP = {"pip", "_distutils_hack", "__pycache__"}


def top_level(dist: importlib.metadata.Distribution) -> set[str]:
    names: set[str] = set()
    for file in dist.files or []:
        parts = file.parts
        if not parts or parts[0].endswith((".dist-info", ".data")) or parts[0] == "..":
            continue
        first = parts[0]
        if len(parts) == 1:
            stem = first.split(".", 1)[0]
            if first.endswith((".py", ".so", ".pyd")) and IDENTIFIER.match(stem):
                names.add(stem)
        elif IDENTIFIER.match(first):
            names.add(first)
    return names


modules: set[str] = set()
for dist in importlib.metadata.distributions():
    modules |= top_level(dist)
print("\n".join(sorted(modules - SKIP)))
