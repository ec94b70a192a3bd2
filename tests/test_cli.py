"""The corskit command: check (offline verdicts with exit codes) and lint."""

from __future__ import annotations

from pathlib import Path

import pytest

from corskit.cli import main

CONFIG = """
default = "app"

[policies.app]
origins = ["https://app.example.com"]
methods = ["GET", "PUT", "patch"]
request_headers = ["Content-Type", "Authorization"]
credentials = true
max_age = 9000

[policies.public]
origins = ["*"]

[[routes]]
path = "/public/*"
policy = "public"

[[routes]]
path = "/public/special"
policy = "app"

[[routes]]
path = "/admin/*"
exclude = true
"""


@pytest.fixture
def config(tmp_path: Path) -> str:
    file = tmp_path / "cors.toml"
    file.write_text(CONFIG)
    return str(file)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_check_allowed_preflighted_request(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        capsys,
        "check",
        "--config",
        config,
        "--origin",
        "https://app.example.com",
        "--method",
        "PUT",
        "--header",
        "authorization",
        "--credentials",
        "/api/items",
    )
    assert code == 0, out
    assert "ALLOWED" in out and "preflight: 204" in out


def test_check_blocked_header_explains_why(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        capsys,
        "check",
        "--config",
        config,
        "--origin",
        "https://app.example.com",
        "--method",
        "PUT",
        "--header",
        "x-secret",
        "/api/items",
    )
    assert code == 1
    assert "BLOCKED at the preflight" in out
    assert "Access-Control-Request-Headers names a header the policy does not allow" in out


def test_check_blocked_origin(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        capsys, "check", "--config", config, "--origin", "https://evil.example.net", "/x"
    )
    assert code == 1 and "not in the policy's allowed origins" in out


def test_check_credentials_against_wildcard_is_blocked(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(
        capsys,
        "check",
        "--config",
        config,
        "--origin",
        "https://x.example",
        "--credentials",
        "/public/data",
    )
    assert code == 1
    code, out = run(
        capsys, "check", "--config", config, "--origin", "https://x.example", "/public/data"
    )
    assert code == 0


def test_check_lowercase_method_is_case_sensitive(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(
        capsys,
        "check",
        "--config",
        config,
        "--origin",
        "https://app.example.com",
        "--method",
        "patch",
        "/x",
    )
    assert code == 0
    code, _ = run(
        capsys,
        "check",
        "--config",
        config,
        "--origin",
        "https://app.example.com",
        "--method",
        "PATCH",
        "/x",
    )
    assert code == 1


def test_check_excluded_path(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        capsys, "check", "--config", config, "--origin", "https://app.example.com", "/admin/x"
    )
    assert code == 1 and "no CORS policy" in out


def test_check_configuration_error_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[policies.a]\norigins = ["*"]\ncredentials = true\n')
    code, out = run(capsys, "check", "--config", str(bad), "--origin", "https://a.example", "/")
    assert code == 2 and "credentials" in out


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--origin", "https://app.example.com/", "/x"], "did you mean 'https://app.example.com'"),
        (["--origin", "https://app.example.com:443", "/x"], "'https://app.example.com'"),
        (["--origin", "HTTPS://APP.EXAMPLE.COM", "/x"], "'https://app.example.com'"),
        (["--origin", "https://*.example.com", "/x"], "is a pattern"),
        (["--origin", "app.example.com", "/x"], "'https://app.example.com'"),
        (["--origin", "https://app.example.com", "--header", "", "/x"], "--header"),
        (["--origin", "https://app.example.com", "--header", ": v", "/x"], "--header"),
        (["--origin", "https://app.example.com", "x"], "did you mean '/x'"),
    ],
    ids=["url", "default-port", "upper-case", "pattern", "no-scheme", "empty", "colon", "path"],
)
def test_check_refuses_what_no_browser_sends_with_exit_2(
    config: str, capsys: pytest.CaptureFixture[str], arguments: list[str], expected: str
) -> None:
    # Judging a non-canonical origin would say BLOCKED where the real page is allowed.
    code, out = run(capsys, "check", "--config", config, *arguments)
    assert code == 2
    assert expected in out and "BLOCKED" not in out


def test_check_accepts_null_and_canonical_origins(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "check", "--config", config, "--origin", "null", "/x")[0] == 1
    assert (
        run(capsys, "check", "--config", config, "--origin", "https://app.example.com", "/")[0] == 0
    )


def test_lint_warns_and_strict_fails(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "lint", config)
    assert code == 0
    assert "above Chromium's cap" in out
    assert "'patch' is case-sensitive" in out
    assert "'/public/special' is shadowed" in out
    code, _ = run(capsys, "lint", "--strict", config)
    assert code == 1


def test_lint_clean_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "ok.toml"
    file.write_text('default = "a"\n[policies.a]\norigins = ["https://a.example.com"]\n')
    assert run(capsys, "lint", "--strict", str(file)) == (0, "clean\n")
    flat = tmp_path / "flat.toml"
    flat.write_text('origins = ["https://a.example.com"]\ncredentials = true\n')
    assert run(capsys, "lint", "--strict", str(flat)) == (0, "clean\n")


def test_lint_reports_configuration_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "bad.toml"
    file.write_text('[policies.a]\norigins = ["https://a.example.com/"]\n')
    code, out = run(capsys, "lint", str(file))
    assert code == 1 and "did you mean 'https://a.example.com'" in out


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys)[0] == 2


def test_check_request_consults_a_dynamic_source() -> None:
    import corskit
    from corskit._tools.browser import BrowserRequest
    from corskit.cli import check_request

    config = corskit.Config.from_policy(
        corskit.Policy(
            origin_source=lambda origin: origin == "https://client.example.org", methods=["PUT"]
        )
    )
    allowed, lines = check_request(config, BrowserRequest("https://client.example.org", "PUT"), "/")
    assert allowed, lines
    allowed, lines = check_request(config, BrowserRequest("https://evil.example.net", "PUT"), "/")
    assert not allowed
    allowed, lines = check_request(config, BrowserRequest("https://evil.example.net"), "/")
    assert not allowed
    assert "BLOCKED: the script cannot read the response" in lines[-1]


def test_lint_flags_null_loose_regex_star_headers_safelisted_exposes_and_pna(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "risky.toml"
    file.write_text(
        "[policies.a]\n"
        'origins = ["null", "https://app.example.com", {regex = "https://a.b\\\\.example\\\\.com"}]\n'
        'request_headers = "*"\n'
        'expose_headers = ["Content-Type", "X-Id"]\n'
        "private_network = true\n"
    )
    code, out = run(capsys, "lint", str(file))
    assert code == 0
    assert "'null' is sent by sandboxed iframes" in out
    assert "unescaped '.'" in out
    assert "Authorization included" in out
    assert "'content-type' is always readable" in out
    assert "Private Network Access is legacy" in out


@pytest.mark.parametrize(
    "text",
    ['origins = []\n', 'default = "a"\n[policies.a]\nmethods = ["GET"]\n'],
    ids=["flat", "named"],
)
def test_lint_warns_about_a_policy_that_allows_no_origin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    file = tmp_path / "none.toml"
    file.write_text(text)
    code, out = run(capsys, "lint", "--strict", str(file))
    assert code == 1
    assert "origins: no origin is allowed (and no origin_source)" in out
    assert "responses only get Vary: Origin" in out


def test_lint_warns_about_a_policy_no_route_and_no_default_reaches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "unreached.toml"
    file.write_text(
        'default = "public"\n'
        '[policies.public]\norigins = ["*"]\n'
        '[policies.app]\norigins = ["https://app.example.com"]\n'
        '[policies.api]\norigins = ["https://api.example.com"]\n'
        '[[routes]]\npath = "/api/*"\npolicy = "api"\n'
    )
    code, out = run(capsys, "lint", "--strict", str(file))
    assert code == 1
    assert out.splitlines() == [
        "warning: policy 'app' is used by no route and is not the default: only views "
        "marked @cors_policy('app') get CORS"
    ]


def test_lint_warns_about_a_config_without_any_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "empty.toml"
    file.write_text("")
    assert run(capsys, "lint", str(file)) == (
        0,
        "warning: the config has no policy: no request gets CORS\n",
    )
