/**
 * Every version the generated project pins or requires, in one table, so a
 * release of a tool is one edit here and never a hunt through templates.
 */

/** The Bytewax release line the generated connector code is written against. */
export const BYTEWAX_REQUIREMENT = 'bytewax>=0.21.1,<0.22';

/** Python versions bytewax 0.21.1 ships wheels for, oldest first. */
export const SUPPORTED_PYTHONS = ['3.10', '3.11', '3.12'] as const;
export type PythonVersion = (typeof SUPPORTED_PYTHONS)[number];

/** Lower bounds for the build backend, the `dev` dependency group and the task runner. */
export const PYTHON_TOOLS = {
  hatchling: '1.27',
  hatchVcs: '0.4',
  build: '1.2',
  /** The Sphinx theme of the `docs` group. */
  furo: '2024.8.6',
  mypy: '1.18',
  /** Markdown pages for Sphinx; 4.0 is the newest line that still runs on Python 3.10. */
  mystParser: '4.0',
  nox: '2025.2.9',
  packaging: '24.0',
  /** The first pip that installs dependency groups (`--group`, PEP 735). */
  pip: '25.1',
  preCommit: '4.0',
  pytest: '8.3',
  pytestTimeout: '2.3',
  /** `pytest -n 2`: the contract suites run on two workers, on free ports. */
  pytestXdist: '3.6',
  ruff: '0.14',
  /** 8.1 is the newest line that still runs on Python 3.10 (9.x needs 3.11). */
  sphinx: '8.1',
  twine: '6.1',
} as const;

/** The generated project's `dev` dependency group: what its lint, tests and build need. */
export const DEV_GROUP = [
  `build>=${PYTHON_TOOLS.build}`,
  `mypy>=${PYTHON_TOOLS.mypy}`,
  // In .venv, so `nox` works in the activated venv whatever installed it (uv or pip).
  `nox>=${PYTHON_TOOLS.nox}`,
  `packaging>=${PYTHON_TOOLS.packaging}`,
  `pre-commit>=${PYTHON_TOOLS.preCommit}`,
  `pytest>=${PYTHON_TOOLS.pytest}`,
  `pytest-timeout>=${PYTHON_TOOLS.pytestTimeout}`,
  `pytest-xdist>=${PYTHON_TOOLS.pytestXdist}`,
  `ruff>=${PYTHON_TOOLS.ruff}`,
  `twine>=${PYTHON_TOOLS.twine}`,
] as const;

/**
 * The generated project's `docs` dependency group (with the `docs` slice):
 * Sphinx with Markdown pages, autodoc with napoleon (Google docstrings) and
 * doctest from Sphinx itself, and the theme. Lower bounds only, so uv and
 * pip pick Sphinx 8.1 on Python 3.10 and the newest on 3.11 and up.
 */
export const DOCS_GROUP = [
  `furo>=${PYTHON_TOOLS.furo}`,
  `myst-parser>=${PYTHON_TOOLS.mystParser}`,
  `sphinx>=${PYTHON_TOOLS.sphinx}`,
] as const;

/** Tools the generated CI installs by itself, pinned exactly. */
export const CI_TOOLS = {
  zizmor: '1.32.0',
  /** Installs a project with uv.lock in CI (`uv sync --locked`). */
  uv: '0.13.9',
} as const;

/** Hook repositories and revisions for the generated `.pre-commit-config.yaml`. */
export const PRE_COMMIT_HOOKS = {
  preCommitHooks: { repo: 'https://github.com/pre-commit/pre-commit-hooks', rev: 'v6.0.0' },
  ruff: { repo: 'https://github.com/astral-sh/ruff-pre-commit', rev: 'v0.17.6' },
  mypy: { repo: 'https://github.com/pre-commit/mirrors-mypy', rev: 'v2.4.1' },
  typos: { repo: 'https://github.com/crate-ci/typos', rev: 'v1.52.0' },
  zizmor: { repo: 'https://github.com/zizmorcore/zizmor-pre-commit', rev: `v${CI_TOOLS.zizmor}` },
} as const;

/** The supported Python versions from `minimum` up, oldest first. */
export function pythonRange(minimum: PythonVersion): PythonVersion[] {
  return SUPPORTED_PYTHONS.slice(SUPPORTED_PYTHONS.indexOf(minimum));
}

/** A GitHub Action pinned to the full commit SHA of a release. */
export interface ActionPin {
  /** `owner/repo`, as written before the `@` of a `uses:` line. */
  readonly uses: string;
  /** The 40-hex commit the release tag points to: tags can move, commits cannot. */
  readonly sha: string;
  /** The release at that commit, written as a comment after the SHA (and read by Dependabot). */
  readonly version: string;
}

/**
 * The actions the generated workflows use, pinned by commit. Dependabot's
 * github-actions updates in the generated project move these forward there;
 * bump them here so new projects start current.
 */
export const ACTIONS = {
  checkout: { uses: 'actions/checkout', sha: '3d3c42e5aac5ba805825da76410c181273ba90b1', version: 'v7.0.1' },
  setupPython: { uses: 'actions/setup-python', sha: '5fda3b95a4ea91299a34e894583c3862153e4b97', version: 'v7.0.0' },
  uploadArtifact: { uses: 'actions/upload-artifact', sha: '043fb46d1a93c77aae656e7c1c64a875d1fc6a0a', version: 'v7.0.1' },
  downloadArtifact: { uses: 'actions/download-artifact', sha: '3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c', version: 'v8.0.1' },
  pypiPublish: { uses: 'pypa/gh-action-pypi-publish', sha: 'dc37677b2e1c63e2034f94d8a5b11f265b73ba33', version: 'v1.14.2' },
  uploadPagesArtifact: { uses: 'actions/upload-pages-artifact', sha: 'fc324d3547104276b827a68afc52ff2a11cc49c9', version: 'v5.0.0' },
  deployPages: { uses: 'actions/deploy-pages', sha: '368f82528645a54fb793d4d04e342629a3f51346', version: 'v5.0.1' },
} as const satisfies Readonly<Record<string, ActionPin>>;
