"""GA4 Measurement Protocol emulator, driven as Google documents the protocol.

Google publishes no official Python client for the Measurement Protocol (its PyPI packages cover the
Admin and Data APIs; the Measurement Protocol packages on PyPI are third-party), so these checks send
the requests of Google's protocol reference with `requests` and read the replies as it describes.
"""

import requests

from contract import check, expect, expect_equal

PLATFORM = "ga4"


def collect(emulator, body, debug=False, secret=None):
    path = "/debug/mp/collect" if debug else "/mp/collect"
    params = {"measurement_id": emulator.parameters["measurement_id"], "api_secret": secret or emulator.credential}
    return requests.post(emulator.url + path, params=params, json=body, timeout=10)


@check(PLATFORM)
def collect_answers_2xx_and_records_valid_events(emulator):
    """/mp/collect: a valid request is recorded; an invalid one or a wrong api_secret also gets 2xx and vanishes."""
    valid = {"client_id": "123.456", "events": [{"name": "sign_up", "params": {"method": "contract"}}]}
    expect_equal(collect(emulator, valid).status_code, 204, "status of a valid request")
    expect_equal(collect(emulator, {"client_id": "1", "events": [{"name": "_bad"}]}).status_code, 204,
                 "status of an invalid request")
    expect_equal(collect(emulator, valid, secret="wrong").status_code, 204, "status with a wrong api_secret")
    expect_equal(emulator.records("event")["count"], 1, "events recorded")


@check(PLATFORM)
def validation_server_messages_are_complete(emulator):
    """/debug/mp/collect: validationMessages with fieldPath, description and validationCode; none when valid."""
    reply = collect(emulator, {"client_id": "1", "events": [{"name": "session_start"}, {"name": "9lives"}]}, debug=True)
    expect_equal(reply.status_code, 200, "status")
    messages = reply.json()["validationMessages"]
    expect_equal(sorted(m["validationCode"] for m in messages), ["NAME_INVALID", "NAME_RESERVED"], "codes")
    expect(all({"fieldPath", "description", "validationCode"} <= set(m) for m in messages), "message keys")
    clean = collect(emulator, {"client_id": "1", "events": [{"name": "purchase"}]}, debug=True)
    expect_equal(clean.json(), {"validationMessages": []}, "reply for a valid request")
    expect_equal(emulator.records("event")["count"], 0, "the validation server records nothing")
