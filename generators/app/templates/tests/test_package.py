import importlib.metadata
import importlib.resources

from packaging.requirements import Requirement

import <%- packageName %> as package

DIST_NAME = <%- pyString(distName) %>


def test_version_is_the_installed_distribution_version() -> None:
    assert package.__version__ == importlib.metadata.version(DIST_NAME)


def test_every_public_name_is_importable() -> None:
    missing = [name for name in package.__all__ if not hasattr(package, name)]
    assert missing == []


def test_type_information_ships_with_the_package() -> None:
    assert importlib.resources.files(package).joinpath("py.typed").is_file()


def test_depends_on_a_bytewax_release_with_the_connector_api() -> None:
    requires = importlib.metadata.requires(DIST_NAME) or []
    bytewax = [Requirement(r) for r in requires if Requirement(r).name == "bytewax"]
    assert len(bytewax) == 1
    assert "0.21.1" in bytewax[0].specifier
    assert "0.22.0" not in bytewax[0].specifier
