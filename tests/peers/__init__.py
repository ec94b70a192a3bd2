"""The peers' own test suites, run through corskit.compat (see conftest.py and expectations.toml)."""
