"""Why a cross-origin request was denied.

Every denial the engine makes carries one of these codes. The codes are stable (they appear
in logs, events and metrics); the sentence is for humans reading a debug log or `corskit check`.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Reason"]


class Reason(Enum):
    """A stable code for a denial, with a one-line human explanation."""

    ORIGIN_NOT_ALLOWED = "origin_not_allowed"
    ORIGIN_MALFORMED = "origin_malformed"
    ORIGIN_REPEATED = "origin_repeated"
    ORIGIN_SOURCE_FAILED = "origin_source_failed"
    STORE_UNAVAILABLE = "store_unavailable"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    METHOD_MALFORMED = "method_malformed"
    HEADER_NOT_ALLOWED = "header_not_allowed"
    HEADERS_MALFORMED = "headers_malformed"
    HEADERS_TOO_MANY = "headers_too_many"
    WEBSOCKET_ORIGIN_NOT_ALLOWED = "websocket_origin_not_allowed"
    POLICY_AMBIGUOUS = "policy_ambiguous"

    @property
    def explanation(self) -> str:
        return _EXPLANATIONS[self]


_EXPLANATIONS: dict[Reason, str] = {
    Reason.ORIGIN_NOT_ALLOWED: "the Origin is not in the policy's allowed origins",
    Reason.ORIGIN_MALFORMED: "the Origin header is not a serialized origin (scheme://host[:port])",
    Reason.ORIGIN_REPEATED: "the request carried more than one Origin header; browsers send one",
    Reason.ORIGIN_SOURCE_FAILED: "the dynamic origin source failed, so the origin was refused",
    Reason.STORE_UNAVAILABLE: (
        "the origin store could not be reached in time, so its origins are refused until it is back"
    ),
    Reason.METHOD_NOT_ALLOWED: (
        "Access-Control-Request-Method names a method the policy does not allow"
    ),
    Reason.METHOD_MALFORMED: (
        "Access-Control-Request-Method is missing, repeated or not a method token"
    ),
    Reason.HEADER_NOT_ALLOWED: (
        "Access-Control-Request-Headers names a header the policy does not allow"
    ),
    Reason.HEADERS_MALFORMED: "Access-Control-Request-Headers is not a list of header names",
    Reason.HEADERS_TOO_MANY: "Access-Control-Request-Headers is longer than corskit will read",
    Reason.WEBSOCKET_ORIGIN_NOT_ALLOWED: "the WebSocket handshake's Origin is not allowed",
    Reason.POLICY_AMBIGUOUS: (
        "the view the framework would run is not known yet, and the policies of the views it "
        "could run answer differently"
    ),
}
