"""``corskit clients`` and ``corskit origins``: exit codes, JSON, and teaching errors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from corskit.cli import main
from corskit.sources import open_store

from stores import SHARED_BACKENDS, Backend, backend_for

SPA = "https://spa.example.org"


@pytest.fixture(params=SHARED_BACKENDS)
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with backend_for(request.param, request, tmp_path) as opened:
        yield opened


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_the_commands_of_the_contract(shared: Backend, capsys: pytest.CaptureFixture[str]) -> None:
    store = ["--store", str(shared.url)]
    status, out, _ = run(
        capsys, "clients", "add", "spa", "--origin", SPA, "--origin", "HTTPS://B.example",
        "--name", "The SPA", *store,
    )  # fmt: skip
    assert status == 0
    assert "added spa (The SPA) [enabled]: https://b.example, https://spa.example.org" in out
    status, out, _ = run(capsys, "origins", "add", "spa", "https://c.example", *store)
    assert status == 0
    assert "https://c.example" in out
    status, out, _ = run(capsys, "origins", "remove", "spa", "https://b.example", *store)
    assert status == 0
    status, out, _ = run(capsys, "clients", "list", "--json", *store)
    assert status == 0
    assert json.loads(out) == [
        {
            "id": "spa",
            "name": "The SPA",
            "enabled": True,
            "origins": ["https://c.example", "https://spa.example.org"],
        }
    ]
    with open_store(str(shared.url)) as reader:
        assert reader.is_allowed("https://c.example")
    status, out, _ = run(capsys, "clients", "disable", "spa", "--json", *store)
    assert (status, json.loads(out)["enabled"]) == (0, False)
    status, out, _ = run(capsys, "clients", "enable", "spa", *store)
    assert (status, "[enabled]" in out) == (0, True)
    status, out, _ = run(capsys, "clients", "remove", "spa", "--json", *store)
    assert (status, json.loads(out)) == (0, {"removed": "spa"})
    status, out, _ = run(capsys, "clients", "list", *store)
    assert status == 0
    assert "no clients" in out


def test_a_bad_origin_is_refused_with_every_problem_and_nothing_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store", f"sqlite:///{tmp_path.as_posix().lstrip('/')}/c.db", "--json"]
    status, out, err = run(
        capsys, "clients", "add", "spa", "--origin", "https://a.example/",
        "--origin", "https://*.example.com", *store,
    )  # fmt: skip
    assert status == 1
    assert "did you mean 'https://a.example'?" in err
    assert "nothing was changed" in err
    problems = json.loads(out)["error"]["problems"]
    assert [p["field"] for p in problems] == ["origins[0]", "origins[1]"]
    assert all(p["fix"] for p in problems)
    status, out, _ = run(capsys, "clients", "list", *store)
    assert json.loads(out) == []


@pytest.mark.parametrize(
    ("argv", "status", "says"),
    [
        (["clients", "remove", "nobody"], 1, "no client 'nobody'"),
        (["origins", "add", "nobody", SPA], 1, "no client 'nobody'"),
        (["origins", "remove", "spa", "https://x.example"], 1, "has no origin"),
        (["clients", "add", "spa", "--origin", SPA], 1, "exists already"),
        (["clients", "add", "new", "--origin", "http://intranet.example"], 1, "plain-http"),
    ],
)
def test_refusals_exit_1_with_a_teaching_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], status: int, says: str
) -> None:
    url = f"sqlite:///{tmp_path.as_posix().lstrip('/')}/c.db"
    open_store(url).add_client("spa", [SPA])
    got, out, err = run(capsys, *argv, "--store", url)
    assert got == status
    assert says in err
    assert "Traceback" not in err + out


def test_insecure_origins_need_the_dangerous_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path.as_posix().lstrip('/')}/c.db"
    status, _, err = run(
        capsys, "clients", "add", "intranet", "--origin", "http://intranet.example",
        "--store", url,
    )  # fmt: skip
    assert status == 1
    assert "--dangerously-allow-insecure-origins" in err  # the refusal names the flag to pass
    status, out, _ = run(
        capsys, "clients", "add", "intranet", "--origin", "http://intranet.example",
        "--dangerously-allow-insecure-origins", "--store", url,
    )  # fmt: skip
    assert status == 0
    assert "http://intranet.example" in out


def test_the_store_comes_from_the_environment_or_the_error_says_how(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CORSKIT_STORE", raising=False)
    status, _, err = run(capsys, "clients", "list")
    assert status == 2
    assert "--store URL" in err
    assert "CORSKIT_STORE" in err
    monkeypatch.setenv("CORSKIT_STORE", f"sqlite:///{tmp_path.as_posix().lstrip('/')}/c.db")
    assert run(capsys, "clients", "list")[0] == 0


def test_an_unknown_store_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "clients", "list", "--store", "mysql://db/x")
    assert status == 2
    assert "names no store" in err


def test_an_unreachable_store_exits_3_without_a_traceback_or_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(
        capsys, "clients", "add", "spa", "--origin", SPA,
        "--store", "postgresql://app:s3cret@127.0.0.1:1/db",
    )  # fmt: skip
    assert status == 3
    assert "cannot be used" in err
    assert "nothing was changed" in err
    assert "s3cret" not in err + out


def test_the_console_command_runs_as_a_process_without_tracebacks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path.as_posix().lstrip('/')}/c.db"
    command = [sys.executable, "-m", "corskit.cli"]
    added = subprocess.run(
        [*command, "clients", "add", "spa", "--origin", SPA, "--store", url],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    broken = subprocess.run(
        [*command, "clients", "add", "x", "--origin", "nonsense", "--store", url],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert broken.returncode == 1
    assert "Traceback" not in broken.stderr
    assert "has no scheme" in broken.stderr
    usage = subprocess.run(
        [*command, "clients", "frobnicate"], capture_output=True, text=True, timeout=60, check=False
    )
    assert usage.returncode == 2
    assert "Traceback" not in usage.stderr


def test_a_sqlite_store_in_a_missing_directory_exits_3_with_the_hint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path.as_posix().lstrip('/')}/no/such/dir/clients.db"
    status, _, err = run(capsys, "clients", "list", "--store", url)
    assert status == 3
    assert "does its directory exist" in err and "Traceback" not in err
    assert not (tmp_path / "no").exists()  # a store the user names is not created for them
