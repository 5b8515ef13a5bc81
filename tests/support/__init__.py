"""Support code shared by the tests and the benchmarks, kept out of the package (nothing in
``src/`` exists only for tests). ``tests/`` is on ``sys.path`` for pytest (``pythonpath`` in
pyproject.toml); the benchmarks in ``bench/`` put it there themselves."""
