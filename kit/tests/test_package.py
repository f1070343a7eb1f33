import importlib
import pkgutil

from packaging.version import Version

import bytewax_connector_kit


def test_version_is_pep_440() -> None:
    assert Version(bytewax_connector_kit.__version__) >= Version("3")


def test_every_module_imports() -> None:
    names = [m.name for m in pkgutil.iter_modules(bytewax_connector_kit.__path__)]
    assert set(names) == {
        "common",
        "partitioned",
        "dynamic",
        "sink_partitioned",
        "sink_dynamic",
    }
    for name in names:
        importlib.import_module(f"bytewax_connector_kit.{name}")
