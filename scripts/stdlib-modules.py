"""Print the standard-library module names of this Python, one per line.

Run it with each supported Python and take the union for lib/stdlib-modules.ts:

    for py in python3.10 python3.11 python3.12; do $py scripts/stdlib-modules.py; done | sort -u
"""

import sys

print("\n".join(sorted(sys.stdlib_module_names)))
