"""<%- docstring %>"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version(<%- pyString(distName) %>)
except PackageNotFoundError:  # imported from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "__version__",
]
