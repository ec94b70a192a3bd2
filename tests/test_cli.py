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
    assert "header 'x-secret' is not in policy 'app' request_headers [Content-Type, Authorization]" in out
    assert "fix: add 'x-secret' to policies.app.request_headers" in out


def test_check_blocked_origin(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    # The denial names the origin, the policy and its origins, and the fix (issue #9 item 2).
    code, out = run(
        capsys, "check", "--config", config, "--origin", "https://evil.example.net", "/x"
    )
    assert code == 1
    assert (
        "origin 'https://evil.example.net' is not in policy 'app' origins "
        "[https://app.example.com]" in out
    )
    assert "fix: add 'https://evil.example.net' to policies.app.origins" in out


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
    assert "BLOCKED: the script cannot read the response" in lines[-2]
    assert "and its origin source refused it" in lines[-2]
    assert lines[-1] == "fix: add 'https://evil.example.net' to policies.default.origins"


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
        "marked @cors_policy('app') get CORS; to give it every path no route names, set "
        "default = 'app'"
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
# -- check: what applied, and the smallest change that allows a denied request ---------------


def check(capsys: pytest.CaptureFixture[str], config: str, *argv: str) -> tuple[int, str]:
    return run(capsys, "check", "--config", config, *argv)


def test_check_names_the_route_and_policy_that_applied(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = check(capsys, config, "--origin", "https://x.example", "/public/data")
    assert code == 0
    assert "policy: 'public' (chosen by routes[0], path = '/public/*')" in out
    assert "origin: https://x.example" in out
    code, out = check(capsys, config, "--origin", "https://app.example.com", "/api/items")
    assert code == 0 and "policy: 'app' (the default policy: no route matches)" in out
    code, out = check(capsys, config, "--origin", "https://app.example.com", "/admin/users")
    assert code == 1
    assert "policy: none (excluded by routes[2], path = '/admin/*')" in out
    assert "fix: /admin/users is same-origin only" in out


def test_check_fix_for_several_denials_is_every_change_needed_in_order(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = check(
        capsys,
        config,
        "--origin",
        "https://x.example",
        "--method",
        "DELETE",
        "--header",
        "x-secret",
        "--header",
        "authorization",
        "/api/items",
    )
    assert code == 1
    assert (
        "fix: add 'https://x.example' to policies.app.origins; then add 'DELETE' to "
        "policies.app.methods; then add 'x-secret' to policies.app.request_headers"
    ) in out


def test_check_fix_for_credentials(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = check(
        capsys, config, "--origin", "https://x.example", "--credentials", "/public/data"
    )
    assert code == 1
    assert "policy 'public' allows any origin, '*', which browsers refuse with credentials" in out
    assert (
        "fix: replace '*' in policies.public.origins by 'https://x.example' and set "
        "policies.public.credentials = true"
    ) in out


def test_check_fix_for_a_policy_without_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "c.toml"
    file.write_text('default = "api"\n[policies.api]\norigins = ["https://app.example.com"]\n')
    code, out = check(
        capsys, str(file), "--origin", "https://app.example.com", "--credentials", "/x"
    )
    assert code == 1
    assert "policy 'api' has credentials = false" in out
    assert "fix: set policies.api.credentials = true" in out


def test_check_fix_that_corskit_would_refuse_says_so(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Adding a plain-http origin to a credentialed policy is a ConfigError: the fix says it.
    code, out = check(capsys, config, "--origin", "http://x.example", "--credentials", "/x")
    assert code == 1
    assert "fix: add 'http://x.example' to policies.app.origins; but corskit refuses that" in out
    assert "dangerously_allow_insecure_origins" in out


def test_check_without_route_or_default_says_what_to_add(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "c.toml"
    file.write_text(
        '[policies.api]\norigins = ["https://a.example.com"]\n'
        '[[routes]]\npath = "/api/*"\npolicy = "api"\n'
    )
    code, out = check(capsys, str(file), "--origin", "https://a.example.com", "/other")
    assert code == 1
    assert "no route matches and the config has no default policy" in out
    assert "fix: add a [[routes]] entry for /other" in out


@pytest.mark.parametrize(
    ("given", "routed"),
    [
        ("/admin/x?cors=1", "/admin/x"),
        ("/%61dmin/x", "/admin/x"),
        ("/admin%2Fx", "/admin/x"),
        ("/admin/x#frag", "/admin/x"),
    ],
)
def test_check_routes_the_path_a_server_passes(
    config: str, capsys: pytest.CaptureFixture[str], given: str, routed: str
) -> None:
    # Issue #12 item 9: percent-decoded, without the query, as ASGI scope["path"] / PATH_INFO.
    code, out = check(capsys, config, "--origin", "https://app.example.com", given)
    assert code == 1, out
    assert f"path: {routed} (as a server passes {given!r})" in out
    assert "excluded by routes[2]" in out


def test_check_query_and_encoding_reach_the_same_policy(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in ("/api/items?x=1", "/api/%69tems", "/public/d%61ta?x=1"):
        code, out = check(capsys, config, "--origin", "https://app.example.com", path)
        assert code == 0, out
    code, out = check(capsys, config, "--origin", "https://x.example", "/public/d%61ta?q")
    assert code == 0 and "chosen by routes[0]" in out


@pytest.fixture
def app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A Python app module in the current directory, as `corskit check --config mod:attr` sees."""
    name = f"corskit_app_{abs(hash(tmp_path)) % 10**8}"
    (tmp_path / f"{name}.py").write_text(
        "import corskit\n"
        "policy = corskit.Policy(origins=['https://app.example.com'], methods=['PUT'])\n"
        "config = corskit.Config(policies={'api': policy}, default='api')\n"
        "document = {'policies': {'d': {'origins': ['https://d.example.com']}}, 'default': 'd'}\n"
        "class Settings:\n"
        "    cors = config\n"
        "number = 3\n"
    )
    monkeypatch.chdir(tmp_path)
    return name


@pytest.mark.parametrize(
    ("attribute", "origin", "policy"),
    [
        ("config", "https://app.example.com", "'api'"),
        ("policy", "https://app.example.com", "'default'"),
        ("document", "https://d.example.com", "'d'"),
        ("Settings.cors", "https://app.example.com", "'api'"),
    ],
)
def test_check_reads_a_python_apps_config(
    app_module: str,
    capsys: pytest.CaptureFixture[str],
    attribute: str,
    origin: str,
    policy: str,
) -> None:
    code, out = check(capsys, f"{app_module}:{attribute}", "--origin", origin, "/x")
    assert code == 0, out
    assert f"policy: {policy}" in out


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("{module}:nothing", "has no attribute 'nothing'"),
        ("{module}:confi", "did you mean 'config'?"),
        ("{module}:number", "is not a corskit.Config, a corskit.Policy or a dict"),
        ("no_such_module_xyz:config", "names module 'no_such_module_xyz', which cannot be"),
        ("{module}_broken:config", "importing"),
    ],
)
def test_check_python_config_errors_exit_2_and_teach(
    app_module: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: str, expected: str
) -> None:
    (tmp_path / f"{app_module}_broken.py").write_text("raise RuntimeError('boom')\n")
    code, out = check(capsys, spec.format(module=app_module), "--origin", "https://a.b", "/x")
    assert code == 2
    assert "configuration error: --config" in out and expected in out


def test_check_python_config_refused_at_import_shows_corskits_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "corskit_bad_app.py").write_text(
        "import corskit\npolicy = corskit.Policy(origins=['*'], credentials=True)\n"
    )
    monkeypatch.chdir(tmp_path)
    code, out = check(capsys, "corskit_bad_app:policy", "--origin", "https://a.b", "/x")
    assert code == 2 and "credentials" in out


def test_check_prefers_an_existing_file_over_a_module_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cors:toml").write_text(
        'default = "a"\n[policies.a]\norigins = ["https://a.example.com"]\n'
    )
    code, out = check(capsys, "cors:toml", "--origin", "https://a.example.com", "/x")
    assert code == 0, out


# -- docs/debugging.md: its check sessions and python examples run as shown -------------------

DEBUGGING = Path(__file__).resolve().parent.parent / "docs" / "debugging.md"


def _fenced(kind: str) -> list[str]:
    import re

    text = DEBUGGING.read_text(encoding="utf-8")
    return re.findall(rf"^```{kind}[ \t]*\n(.*?)^```[ \t]*$", text, re.DOTALL | re.MULTILINE)


def _check_sessions() -> list[tuple[str, str]]:
    sessions = []
    for block in _fenced("console"):
        command, _, output = block.partition("\n")
        if command.startswith("$ corskit check ") and output.strip():
            sessions.append((command.removeprefix("$ corskit "), output))
    return sessions


def test_debugging_guide_shows_check_sessions() -> None:
    assert len(_check_sessions()) >= 4


@pytest.mark.parametrize(("command", "output"), _check_sessions())
def test_debugging_guide_check_session_prints_what_it_shows(
    command: str,
    output: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import shlex

    (tmp_path / "cors.toml").write_text(_fenced("toml")[0])
    monkeypatch.chdir(tmp_path)
    code, out = run(capsys, *shlex.split(command))
    assert out == output
    assert code == (0 if "\nALLOWED" in output else 1)


@pytest.mark.parametrize("block", _fenced("python run"), ids=lambda block: block.split("\n")[0])
def test_debugging_guide_python_example_runs(block: str) -> None:
    exec(compile(block, str(DEBUGGING), "exec"), {"__name__": "__docs_example__"})
