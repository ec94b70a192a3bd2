"""Red-team findings on request origins: one serialization, whatever Python's ipaddress prints.

Python 3.13 changed ``str(IPv6Address)`` for IPv4-mapped addresses to the dotted form
(``::ffff:1.2.3.4``). corskit compared a request's bracketed host with that text, so on 3.13 it
refused the spelling browsers send (``[::ffff:102:304]``, WHATWG URL serializes hex pieces
only) and accepted the dotted one, which no browser sends and which the regex breadth check
(its grammar reads IPv6 hosts as hex digits and colons) never judged: a regex that admits only
dotted hosts was "admits nothing" at start-up and a grant at request time.
"""

from __future__ import annotations

import ipaddress

import pytest

import corskit
from corskit._core.model.origins import parse_request_origin

_PLAIN_STR = ipaddress.IPv6Address.__str__


def _python_313_str(self: ipaddress.IPv6Address) -> str:
    """What Python 3.13's ipaddress prints (gh-87799): IPv4-mapped addresses dotted."""
    mapped = self.ipv4_mapped
    if mapped is not None:
        return f"::ffff:{mapped}"
    return _PLAIN_STR(self)


@pytest.fixture(params=["this Python", "Python 3.13"])
def ipaddress_printing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.param == "Python 3.13":
        monkeypatch.setattr(ipaddress.IPv6Address, "__str__", _python_313_str)


@pytest.mark.usefixtures("ipaddress_printing")
def test_an_ipv4_mapped_origin_is_read_as_browsers_serialize_it() -> None:
    assert parse_request_origin("https://[::ffff:102:304]") is not None
    assert parse_request_origin("https://[::ffff:7f00:1]:8443") is not None
    assert parse_request_origin("https://[::ffff:1.2.3.4]") is None
    assert parse_request_origin("https://[::ffff:127.0.0.1]") is None


@pytest.mark.usefixtures("ipaddress_printing")
def test_a_configured_ipv4_mapped_origin_matches_what_browsers_send() -> None:
    for written in ("https://[::ffff:1.2.3.4]", "https://[::ffff:102:304]"):
        policy = corskit.Policy(origins=[written])
        assert policy.matcher.exact == {"https://[::ffff:102:304]"}, written


@pytest.mark.usefixtures("ipaddress_printing")
def test_a_regex_never_grants_a_dotted_ipv6_host_it_was_not_judged_on() -> None:
    policy = corskit.Policy(
        origins=[corskit.Regex(r"https://\[::ffff:[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+\]")],
        credentials=True,
    )
    assert not policy.matcher.matches_parsed("https://[::ffff:1.2.3.4]")
