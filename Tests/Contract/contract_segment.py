"""Segment Tracking API emulator against Segment's official Python library (segment-analytics-python)."""

import gzip
import zlib

import requests
from segment.analytics import Client
from segment.analytics.request import APIError, post

from contract import check, expect, expect_equal, raises

PLATFORM = "segment"


def send_through_the_library(emulator, compressed):
    """Identifies and tracks 20 users through a queued client and flushes; returns the errors it reported."""
    errors = []
    analytics = Client(emulator.credential, host=emulator.url, gzip=compressed, upload_interval=0.05,
                       on_error=lambda error, batch: errors.append(error), max_retries=2)
    for index in range(20):
        analytics.identify("user-%d" % index, {"email": "user%d@example.com" % index, "plan": "pro"})
        analytics.track("user-%d" % index, "Signed Up", {"source": "contract"})
    analytics.flush()
    analytics.join()
    return errors


@check(PLATFORM)
def gzip_batches_from_the_library_are_stored(emulator):
    """Client(gzip=True) sends Content-Encoding: gzip batches: all accepted, every message stored once."""
    errors = send_through_the_library(emulator, compressed=True)
    expect_equal(errors, [], "errors reported by the library")
    expect_equal(emulator.records("identify")["count"], 20, "identify messages stored")
    expect_equal(emulator.records("track")["count"], 20, "track messages stored")
    expect(all(status == 200 for status in emulator.statuses()), "statuses %s" % emulator.statuses())


@check(PLATFORM)
def plain_batches_from_the_library_are_stored(emulator):
    """Client(gzip=False): the same messages, uncompressed."""
    errors = send_through_the_library(emulator, compressed=False)
    expect_equal(errors, [], "errors reported by the library")
    stored = emulator.records("track", key="messageId")
    expect_equal(stored["count"], 20, "track messages stored")
    fields = stored["records"][0]["fields"]
    expect_equal(fields["context"]["library"]["name"], "analytics-python", "context.library kept")


@check(PLATFORM)
def rate_limit_retry_after_is_honoured(emulator):
    """A 429 with Retry-After: the library waits it out, re-sends, and reports nothing lost."""
    emulator.faults(rateLimitNext=1)
    errors = send_through_the_library(emulator, compressed=True)
    expect_equal(errors, [], "errors reported by the library")
    expect_equal(emulator.statuses()[0], 429, "first answer")
    expect_equal(emulator.records("track")["count"], 20, "track messages stored after the retry")


@check(PLATFORM)
def errors_carry_code_and_message(emulator):
    """An oversized message: 400 whose body the library reads as {code, message} (not 'unknown')."""
    message = {"type": "track", "userId": "u1", "event": "Big", "properties": {"blob": "x" * 40_000}}
    for compressed in (False, True):
        error = raises(APIError, post, emulator.credential, emulator.url, compressed, batch=[message])
        expect_equal(error.status, 400, "status")
        expect(error.code not in ("unknown", None, ""), "the library could not read the error body: %s" % error)
        expect(error.message, "message")


@check(PLATFORM)
def corrupt_gzip_is_400_and_a_gzip_bomb_413(emulator):
    """A corrupt gzip body gets 400; one inflating past the sandbox's bound gets 413 without being held in memory."""
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    auth = (emulator.credential, "")
    corrupt = requests.post(emulator.url + "/v1/batch", data=b"\x1f\x8b\x08\x00not really gzip", headers=headers,
                            auth=auth, timeout=10)
    expect_equal(corrupt.status_code, 400, "status of a corrupt body")
    expect("code" in corrupt.json(), "error body %s" % corrupt.text)

    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    bomb = b"".join(compressor.compress(chunk) for _ in range(48)) + compressor.flush()
    expect(len(bomb) < 1 << 20, "bomb is %d bytes" % len(bomb))
    exploded = requests.post(emulator.url + "/v1/batch", data=bomb, headers=headers, auth=auth, timeout=30)
    expect_equal(exploded.status_code, 413, "status of a body inflating to 48 MiB (the sandbox stops at 16 MiB)")
    expect_equal(emulator.records("track")["count"], 0, "nothing stored")

    small = gzip.compress(b'{"batch": [{"type": "track", "userId": "u", "event": "E", "messageId": "m1"}]}')
    accepted = requests.post(emulator.url + "/v1/batch", data=small, headers=headers, auth=auth, timeout=10)
    expect_equal(accepted.status_code, 200, "status of a well-formed gzip body after the bomb")


@check(PLATFORM)
def server_errors_are_retried_by_the_library(emulator):
    """A 500 in Segment's shape is retryable for the library: it re-sends and reports nothing lost."""
    emulator.faults(failNext=1, errorStatus=500)
    errors = send_through_the_library(emulator, compressed=True)
    expect_equal(errors, [], "errors reported by the library")
    expect_equal(emulator.statuses()[:2], [500, 200], "statuses")
    expect_equal(emulator.records("identify")["count"], 20, "identify messages stored")
