"""In-process demo upstreams, one module per source, for examples and tests.

Nothing here is for production: each demo keeps its records in memory.
"""
