/**
 * Top-level import names of what a generated project installs: bytewax, its
 * dev and docs dependency groups and its build backend, with everything they
 * pull in, on Python 3.10, 3.11 and 3.12 (94 names), plus hypothesis,
 * which property tests commonly bring. A package, source or sink of one of
 * these names would shadow that module when an example runs as a script.
 * Regenerate with `scripts/dependency-modules.py`; the e2e suite checks that
 * every module of the project's direct dependencies is listed.
 */
export const DEPENDENCY_MODULES: ReadonlySet<string> = new Set([
  '_cffi_backend', '_pytest', '_yaml', 'a11y_pygments', 'alabaster', 'argcomplete',
  'ast_serialize', 'attr', 'attrs', 'babel', 'backports', 'bs4', 'build', 'bytewax', 'certifi',
  'cffi', 'cfgv', 'charset_normalizer', 'colorlog', 'cryptography', 'dependency_groups', 'distlib',
  'docutils', 'exceptiongroup', 'execnet', 'filelock', 'furo', 'hatch_vcs', 'hatchling',
  'humanize', 'hypothesis', 'id', 'identify', 'idna', 'imagesize', 'importlib_metadata',
  'iniconfig', 'jaraco', 'jeepney', 'jinja2', 'keyring', 'lazy_importer', 'librt', 'markdown_it',
  'markupsafe', 'mdit_py_plugins', 'mdurl', 'more_itertools', 'mypy', 'mypy_extensions', 'mypyc',
  'myst_parser', 'nh3', 'nodeenv', 'nox', 'packaging', 'pathspec', 'platformdirs', 'pluggy',
  'pre_commit', 'prometheus_client', 'py', 'pycparser', 'pygments', 'pyproject_hooks', 'pytest',
  'pytest_timeout', 'python_discovery', 'readme_renderer', 'requests', 'requests_toolbelt',
  'rfc3986', 'rich', 'roman_numerals', 'ruff', 'secretstorage', 'setuptools', 'setuptools_scm',
  'snowballstemmer', 'soupsieve', 'sphinx', 'sphinx_basic_ng', 'sphinxcontrib', 'tomli', 'tomlkit',
  'trove_classifiers', 'twine', 'typing_extensions', 'urllib3', 'vcs_versioning', 'virtualenv',
  'xdist', 'yaml', 'zipp',
]);
