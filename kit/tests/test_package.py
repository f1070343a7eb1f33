import importlib
import pkgutil

from packaging.version import Version

import bytewax_connector_kit


def test_version_is_pep_440() -> None:
    assert Version(bytewax_connector_kit.__version__) >= Version("2")


def test_every_module_imports() -> None:
    names = [m.name for m in pkgutil.iter_modules(bytewax_connector_kit.__path__)]
    assert {"common", "partitioned", "dynamic", "sink_common"} <= set(names)
    for name in names:
        importlib.import_module(f"bytewax_connector_kit.{name}")
