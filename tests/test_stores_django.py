"""The Django client store (models, migrations, admin, ORM store), under Django's own test runner.

Django allows one settings module per process and tests/test_django.py configures the base
project without a database, so these cases run in a child process:
``python -m django test django_project.store_cases --settings=django_project.settings_store``.
When this run measures coverage, the child is measured too (COVERAGE_PROCESS_START) and its
data joins this run's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _coverage_environment(tmp_path: Path) -> dict[str, str]:
    environment = dict(os.environ)
    try:
        import coverage
    except ImportError:  # pragma: no cover
        return environment
    current = coverage.Coverage.current()
    if current is None:
        return environment
    data_file = Path(current.get_option("run:data_file")).resolve()  # type: ignore[arg-type]
    rc = tmp_path / "coverage.ini"
    rc.write_text(
        f"[run]\nsource = corskit\nbranch = True\nparallel = True\ndata_file = {data_file}\n"
    )
    environment["COVERAGE_PROCESS_START"] = str(rc)
    return environment


def test_the_django_store_cases_pass_under_djangos_test_runner(tmp_path: Path) -> None:
    environment = _coverage_environment(tmp_path)
    source = str(Path(__import__("corskit").__file__).resolve().parent.parent)
    environment["PYTHONPATH"] = os.pathsep.join(
        [source, str(HERE), *filter(None, [environment.get("PYTHONPATH")])]
    )
    run = subprocess.run(
        [
            sys.executable, "-m", "django", "test", "django_project.store_cases",
            "--settings=django_project.settings_store", "--noinput", "-v", "2",
        ],
        cwd=HERE, env=environment, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-6000:]
    assert "Ran 8 tests" in report
    assert "OK" in report
