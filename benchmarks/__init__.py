"""corskit's speed benchmarks: one process, one run, every contender interleaved.

Run ``.venv/bin/python -m benchmarks.run`` (or ``python benchmarks/run.py``) from the repo root;
see ``benchmarks/README.md`` for the method and the latest numbers.
"""
