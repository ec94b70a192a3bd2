"""What real browsers let a script do against corskit, scenario by scenario.

Every scenario runs in Chromium, Firefox ESR and WebKitGTK (the ``engine`` fixture of
conftest.py). Each test opens a page on one origin (http://127.0.0.1:<page port> unless it says
otherwise), runs ``fetch`` against the API on http://localhost:<api port> and asserts what the
browser allowed: whether fetch resolved or rejected with the engine's TypeError (and, where the
driver shows the console, the engine logged a CORS block), and what the script could read. The
server-side recorder (outside corskit) counts the requests that reached the server: it proves a
rejection was the browser's CORS verdict, not a network failure, and shows when the browser
skipped or reused a preflight. Every allowed scenario has a negative control: the same request
under a policy that does not allow it is blocked. Where engines legitimately differ, the test
reads ``harness.traits`` (engines.TRAITS) and states each engine's behaviour; corskit's own
answers must be accepted by all three.
"""

from __future__ import annotations

import time

import pytest

import corskit

pytestmark = pytest.mark.browser

JSON_POST = {
    "method": "POST",
    "headers": {"Content-Type": "application/json"},
    "body": '{"hello": "world"}',
}
SESSION_COOKIE = "sid=s3cr3t-session"
BEARER = {"Authorization": "Bearer t0k3n"}


def methods_seen(harness, url):
    return harness.methods_seen(url)


# -- simple requests ------------------------------------------------------------------------


def test_simple_get_allowed_script_reads_body(harness):
    url = harness.api("basic")
    result = harness.allowed(url)
    assert result.json()["method"] == "GET"
    assert methods_seen(harness, url) == ["GET"], "a simple GET needs no preflight"


def test_simple_get_from_unlisted_origin_is_blocked(harness):
    url = harness.api("elsewhere")
    harness.blocked(url)
    # CORS protects reading, not the server: the request reached the app, the answer is hidden.
    assert methods_seen(harness, url) == ["GET"]


# -- preflighted JSON POST ------------------------------------------------------------------


def test_json_post_preflighted_and_allowed(harness):
    url = harness.api("json")
    echo = harness.allowed(url, **JSON_POST).json()
    assert echo["method"] == "POST"
    assert echo["content_type"] == "application/json"
    assert echo["body"] == '{"hello": "world"}'
    assert methods_seen(harness, url) == ["OPTIONS", "POST"]


def test_json_post_allowed_by_the_default_request_headers(harness):
    url = harness.api("basic")  # request_headers left at its default, Content-Type
    assert harness.allowed(url, **JSON_POST).json()["method"] == "POST"
    assert methods_seen(harness, url) == ["OPTIONS", "POST"]


def test_json_post_blocked_when_content_type_not_in_request_headers(harness):
    url = harness.api("no-headers")
    harness.blocked(url, **JSON_POST)
    # The preflight failed, so the browser never sent the POST.
    assert methods_seen(harness, url) == ["OPTIONS"]


# -- methods --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_put_and_delete_allowed_when_listed(harness, method):
    url = harness.api("json")
    assert harness.allowed(url, method=method).json()["method"] == method
    assert methods_seen(harness, url) == ["OPTIONS", method]


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_put_and_delete_blocked_when_not_listed(harness, method):
    url = harness.api("basic")  # default methods: GET, HEAD, POST
    harness.blocked(url, method=method)
    assert methods_seen(harness, url) == ["OPTIONS"]


def test_lowercase_delete_is_normalized_by_the_browser_and_allowed(harness):
    url = harness.api("json")
    assert harness.allowed(url, method="delete").json()["method"] == "DELETE"


def test_lowercase_patch_allowed_by_policy_listing_lowercase_patch(harness):
    url = harness.api("patch-lower")
    # Fetch normalizes only DELETE, GET, HEAD, OPTIONS, POST, PUT: 'patch' goes out as is.
    assert harness.allowed(url, method="patch").json()["method"] == "patch"
    assert methods_seen(harness, url) == ["OPTIONS", "patch"]


def test_lowercase_patch_blocked_by_policy_listing_uppercase_patch(harness):
    url = harness.api("patch-upper")
    harness.blocked(url, method="patch")
    assert methods_seen(harness, url) == ["OPTIONS"]


def test_uppercase_patch_allowed_by_policy_listing_uppercase_patch(harness):
    # Control for the test above: the 'PATCH' policy does work for 'PATCH'.
    url = harness.api("patch-upper")
    assert harness.allowed(url, method="PATCH").json()["method"] == "PATCH"


def test_uppercase_patch_blocked_by_policy_listing_lowercase_patch(harness):
    url = harness.api("patch-lower")
    harness.blocked(url, method="PATCH")
    assert methods_seen(harness, url) == ["OPTIONS"]


# -- request headers ------------------------------------------------------------------------


def test_custom_request_header_allowed_when_listed(harness):
    url = harness.api("custom")
    assert harness.allowed(url, headers={"X-Custom": "42"}).json()["x_custom"] == "42"


def test_custom_request_header_blocked_when_not_listed(harness):
    url = harness.api("basic")
    harness.blocked(url, headers={"X-Custom": "42"})
    assert methods_seen(harness, url) == ["OPTIONS"]


def test_authorization_allowed_by_wildcard_request_headers_without_credentials(harness):
    url = harness.api("auth-star")
    echo = harness.allowed(url, headers={**BEARER, "X-Custom": "1"}).json()
    assert echo["authorization"] == "Bearer t0k3n"
    assert echo["x_custom"] == "1"


def test_authorization_blocked_by_bare_wildcard_allow_headers(harness):
    # Negative control, hand-written server: per the Fetch Standard,
    # 'Access-Control-Allow-Headers: *' alone does not cover Authorization. This is why corskit
    # must name it ('*, authorization').
    url = harness.raw("star-headers")
    if harness.traits.star_covers_authorization:
        # Engine difference: Firefox ESR and WebKitGTK, as shipped, still let '*' cover it.
        result = harness.allowed(url, headers=BEARER)
        assert result.json() == {"cookie": None}
        assert methods_seen(harness, url) == ["OPTIONS", "GET"]
        (_, hit) = harness.hits(url)
        assert hit.headers.get("authorization") == "Bearer t0k3n"
        harness.note("'*' covered Authorization")
    else:
        # Chromium with CorsNonWildcardRequestHeadersSupport: spec-strict.
        harness.blocked(url, headers=BEARER)
        assert methods_seen(harness, url) == ["OPTIONS"]
        harness.note("'*' did not cover Authorization")
    # ... while the same server does allow a header that '*' covers, in every engine.
    harness.allowed(harness.raw("star-headers") + "-custom", headers={"X-Custom": "1"})


def test_authorization_allowed_by_wildcard_request_headers_with_credentials(harness):
    url = harness.api("auth-star-cred")
    echo = harness.allowed(url, credentials="include", headers={**BEARER, "X-Custom": "1"}).json()
    assert echo["authorization"] == "Bearer t0k3n"
    assert echo["x_custom"] == "1"


def test_authorization_blocked_with_credentials_when_not_listed(harness):
    url = harness.api("auth-other-cred")  # request_headers=["X-Other"]
    harness.blocked(url, credentials="include", headers=BEARER)
    assert methods_seen(harness, url) == ["OPTIONS"]


# -- credentials and cookies ----------------------------------------------------------------


def test_credentialed_fetch_with_cookie_allowed(harness):
    harness.set_session_cookie()
    url = harness.api("cred")
    assert harness.allowed(url, credentials="include").json()["cookie"] == SESSION_COOKIE


def test_credentialed_fetch_blocked_when_policy_disallows_credentials(harness):
    harness.set_session_cookie()
    url = harness.api("basic")  # the origin is allowed, credentials are not
    harness.blocked(url, credentials="include")
    # The cookie was sent and the app answered: only reading the answer was refused.
    (hit,) = harness.hits(url)
    assert hit.headers.get("cookie") == SESSION_COOKIE
    # Control: the same policy answers the same request without credentials (and no cookie).
    assert harness.allowed(url).json()["cookie"] is None


def test_credentialed_fetch_blocked_for_unlisted_origin(harness):
    # 'cred' lists http://127.0.0.1:<first page port>; this page is on the second port.
    harness.open(harness.page_origin_on("127.0.0.1", port_index=1))
    harness.set_session_cookie()
    url = harness.api("cred")
    harness.blocked(url, credentials="include")
    (hit,) = harness.hits(url)
    assert hit.headers.get("cookie") == SESSION_COOKIE


def test_cookie_set_by_credentialed_response_is_sent_back(harness):
    login = harness.login_url("cred")
    harness.allowed(login, credentials="include", method="POST")
    url = harness.api("cred")
    cookie = harness.allowed(url, credentials="include").json()["cookie"]
    if harness.traits.stores_cross_site_cookies:
        assert cookie == SESSION_COOKIE
        harness.note("cookie sent back")
    else:
        # Engine difference: WebKitGTK's default cookie policy ('no third party') drops a
        # cookie set by a cross-site response; the credentialed reads are allowed all the same.
        assert cookie is None
        harness.note("cookie dropped, not sent")


def test_credentials_header_the_app_set_itself_is_not_doubled(harness):
    # Two "Access-Control-Allow-Credentials: true" lines read as "true, true": blocked.
    harness.set_session_cookie()
    url = harness.api("cred", "own-credentials")
    assert harness.allowed(url, credentials="include").json()["cookie"] == SESSION_COOKIE


def test_wildcard_origin_with_credentials_refused_by_corskit_and_blocked_by_browser(harness):
    # corskit refuses to build the policy a careless server would need ...
    with pytest.raises(corskit.ConfigError):
        corskit.Policy(origins=["*"], credentials=True)
    # ... and the browser shows why: a hand-written server answering
    # 'Access-Control-Allow-Origin: *' with 'Access-Control-Allow-Credentials: true'
    # is refused for a credentialed fetch,
    harness.set_session_cookie()
    wrong = harness.raw("star-credentials")
    harness.blocked(wrong, credentials="include")
    assert len(harness.hits(wrong)) == 1
    # while the same server echoing the origin (what corskit does) is allowed.
    right = harness.raw("echo-credentials")
    assert harness.allowed(right, credentials="include").json()["cookie"] == SESSION_COOKIE


# -- exposed response headers ---------------------------------------------------------------


def test_exposed_header_readable_and_unexposed_header_hidden(harness):
    result = harness.allowed(harness.api("expose"))
    assert result.headers["x-exposed"] == "exposed-value"
    assert result.headers["x-hidden"] is None
    assert result.headers["content-type"] == "application/json"  # safelisted


def test_headers_hidden_when_policy_exposes_none(harness):
    result = harness.allowed(harness.api("basic"))
    assert result.headers["x-exposed"] is None
    assert result.headers["x-hidden"] is None
    assert result.headers["content-type"] == "application/json"


# -- preflight cache ------------------------------------------------------------------------


def test_preflight_cached_within_max_age(harness):
    url = harness.api("cache")  # max_age=600
    harness.allowed(url, **JSON_POST)
    harness.allowed(url, **JSON_POST)
    # All three engines reuse the cached preflight from the second request on (Firefox ESR
    # included: it does not wait for a third), and keep reusing it.
    assert methods_seen(harness, url) == ["OPTIONS", "POST", "POST"]
    harness.allowed(url, **JSON_POST)
    assert methods_seen(harness, url) == ["OPTIONS", "POST", "POST", "POST"]


def test_preflight_not_cached_with_max_age_zero(harness):
    url = harness.api("nocache")  # max_age=0
    harness.allowed(url, **JSON_POST)
    harness.allowed(url, **JSON_POST)
    assert methods_seen(harness, url) == ["OPTIONS", "POST", "OPTIONS", "POST"]


def test_preflight_cache_expires_after_max_age(harness):
    url = harness.api("expire")  # max_age=1
    harness.allowed(url, **JSON_POST)
    time.sleep(1.2)  # unavoidable: the browser's cache entry expires with the clock
    harness.allowed(url, **JSON_POST)
    assert methods_seen(harness, url) == ["OPTIONS", "POST", "OPTIONS", "POST"]


# -- errors ---------------------------------------------------------------------------------


def test_app_500_readable_by_script(harness):
    result = harness.allowed(harness.api("basic", "status500"), status=500)
    assert result.body == "app error 500"


def test_app_exception_answered_with_readable_500(harness):
    url = harness.api("basic", "raise")
    harness.allowed(url, status=500)
    # corskit sent the 500 and let the exception propagate (to be logged).
    (hit,) = harness.hits(url)
    assert isinstance(hit.error, RuntimeError)


def test_app_500_blocked_for_unlisted_origin(harness):
    url = harness.api("elsewhere", "status500")
    harness.blocked(url)
    assert methods_seen(harness, url) == ["GET"]


def test_app_exception_blocked_for_unlisted_origin(harness):
    url = harness.api("elsewhere", "raise")
    harness.blocked(url)
    (hit,) = harness.hits(url)
    assert isinstance(hit.error, RuntimeError)


# -- origin patterns ------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["app.localhost", "a.b.localhost"])
def test_wildcard_subdomain_pattern_allows_subdomain_page(harness, host):
    harness.open(harness.page_origin_on(host))
    harness.allowed(harness.api("sub"))


def test_wildcard_subdomain_pattern_blocks_apex_page(harness):
    harness.open(harness.page_origin_on("localhost"))
    harness.blocked(harness.api("sub"))


def test_wildcard_subdomain_pattern_blocks_other_port(harness):
    harness.open(harness.page_origin_on("app.localhost", port_index=1))
    harness.blocked(harness.api("sub"))


def test_wildcard_subdomain_pattern_with_credentials_allows_subdomain_page(harness):
    # *.localhost is loopback, so corskit accepts plain http here even with credentials.
    harness.open(harness.page_origin_on("app.localhost"))
    harness.set_session_cookie("http://app.localhost")
    result = harness.allowed(harness.api("sub-cred"), credentials="include")
    assert result.json()["cookie"] == SESSION_COOKIE


def test_wildcard_subdomain_pattern_with_credentials_blocks_apex_page(harness):
    harness.open(harness.page_origin_on("localhost"))
    harness.blocked(harness.api("sub-cred"), credentials="include")


@pytest.mark.parametrize("port_index", [0, 1])
def test_any_port_pattern_allows_page_on_any_port(harness, port_index):
    harness.open(harness.page_origin_on("127.0.0.1", port_index))
    harness.allowed(harness.api("anyport"))


def test_any_port_pattern_for_other_host_blocks_page(harness):
    harness.open(harness.page_origin_on("127.0.0.1"))
    harness.blocked(harness.api("anyport-other-host"))
