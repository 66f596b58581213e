"""A schemathesis check (loaded with SCHEMATHESIS_HOOKS=hooks, PYTHONPATH=deploy/fuzz): every
error answer is an RFC 9457 problem document, so a caller always learns what went wrong."""

import json

import schemathesis


@schemathesis.check
def problem_json_errors(ctx, response, case):
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    documented = (
        case.operation.definition.raw.get("responses", {})
        .get(str(response.status_code), {})
        .get("content", {})
    )
    if content_type.startswith("text/html") and "text/html" in documented:
        return None  # a page for a person, as the operation says (an unsubscribe link's)
    if not content_type.startswith("application/problem+json"):
        raise AssertionError(
            f"{response.status_code} answered with {content_type!r}, not application/problem+json"
        )
    body = json.loads(response.content)
    missing = {"title", "status"} - set(body)
    if missing or body["status"] != response.status_code:
        raise AssertionError(f"problem document without {sorted(missing)} or a wrong status")
    return None
