"""The package's tests; `tests.contract` holds the reusable connector checks."""
