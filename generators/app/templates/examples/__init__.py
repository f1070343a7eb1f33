"""Example dataflows, one per source: `python -m bytewax.run examples.NAME:flow`."""
