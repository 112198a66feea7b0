"""Mailchimp Marketing emulator against Mailchimp's official Python client (mailchimp-marketing)."""

import hashlib
import json

import mailchimp_marketing
from mailchimp_marketing.api_client import ApiClientError

from contract import check, expect, expect_equal, raises

PLATFORM = "mailchimp"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def client(emulator, key=None):
    api = mailchimp_marketing.Client()
    api.set_config({"api_key": key or emulator.credential, "server": emulator.credential.rsplit("-", 1)[-1]})
    api.api_client.host = emulator.url + "/3.0"
    return api


def list_id(emulator):
    return emulator.parameters["list"]


def problem(error):
    """The problem document of an ApiClientError, checked to be complete."""
    body = error.text if isinstance(error.text, dict) else json.loads(error.text)
    expect(PROBLEM_KEYS <= set(body), "problem document lacks %s" % sorted(PROBLEM_KEYS - set(body)))
    expect_equal(body["status"], error.status_code, "status in the problem document")
    return body


def subscriber_hash(email):
    return hashlib.md5(email.lower().encode()).hexdigest()


@check(PLATFORM)
def ping_answers_health_status(emulator):
    """ping.get(), the first call of Mailchimp's quick start."""
    expect_equal(client(emulator).ping.get().get("health_status"), "Everything's Chimpy!", "health_status")


@check(PLATFORM)
def members_page_to_the_end_by_offset(emulator):
    """get_list_members_info with count/offset until total_items: every member once."""
    api = client(emulator).lists
    members, offset = [], 0
    while True:
        page = api.get_list_members_info(list_id(emulator), count=7, offset=offset)
        members += page["members"]
        offset += 7
        if offset >= page["total_items"]:
            break
    expect_equal(len(members), emulator.records("member")["count"], "members read")
    expect_equal(len({member["id"] for member in members}), len(members), "distinct ids")
    expect(all(member["id"] == subscriber_hash(member["email_address"]) for member in members), "id = md5(email)")


@check(PLATFORM)
def fields_and_exclude_fields_filter_the_reply(emulator):
    """fields= and exclude_fields= (comma lists the client joins) keep or drop dotted paths of the reply."""
    api = client(emulator).lists
    page = api.get_list_members_info(list_id(emulator), count=3,
                                     fields=["members.email_address", "members.merge_fields.FNAME", "total_items"])
    expect_equal(sorted(page), ["members", "total_items"], "top-level keys with fields=")
    for member in page["members"]:
        expect_equal(sorted(member), ["email_address", "merge_fields"], "member keys with fields=")
        expect_equal(sorted(member["merge_fields"]), ["FNAME"], "merge_fields keys with fields=")
    trimmed = api.get_list_members_info(list_id(emulator), count=3, exclude_fields=["members.stats", "_links"])
    expect("_links" not in trimmed and "total_items" in trimmed, "top-level keys with exclude_fields=")
    expect(all("stats" not in member and "email_address" in member for member in trimmed["members"]),
           "member keys with exclude_fields=")


@check(PLATFORM)
def put_member_adds_then_updates(emulator):
    """set_list_member (PUT add-or-update): status_if_new applies only when the member is new."""
    api = client(emulator).lists
    email = "contract.member@example.com"
    created = api.set_list_member(list_id(emulator), subscriber_hash(email), {
        "email_address": email, "status_if_new": "subscribed", "merge_fields": {"FNAME": "Ada"}})
    expect_equal(created["status"], "subscribed", "status on create")
    updated = api.set_list_member(list_id(emulator), subscriber_hash(email), {
        "email_address": email, "status_if_new": "pending", "merge_fields": {"FNAME": "Grace"}})
    expect_equal(updated["status"], "subscribed", "status kept on update")
    expect_equal(updated["merge_fields"]["FNAME"], "Grace", "FNAME updated")
    read = api.get_list_member(list_id(emulator), email)
    expect_equal(read["id"], subscriber_hash(email), "member read back by e-mail")


@check(PLATFORM)
def update_member_changes_the_address_and_keeps_the_contact_id(emulator):
    """update_list_member (PATCH): a new email_address moves the member to its new hash, contact_id stays;
    an address another member has is refused with a problem document."""
    api = client(emulator).lists
    old, new = "contract.moving@example.com", "contract.moved@example.com"
    created = api.set_list_member(list_id(emulator), subscriber_hash(old), {
        "email_address": old, "status_if_new": "subscribed", "merge_fields": {"FNAME": "Ada"}})
    moved = api.update_list_member(list_id(emulator), subscriber_hash(old), {"email_address": new})
    expect_equal(moved["id"], subscriber_hash(new), "id after the address change")
    expect_equal(moved["contact_id"], created["contact_id"], "contact_id kept")
    expect_equal(moved["merge_fields"]["FNAME"], "Ada", "other fields kept")
    gone = raises(ApiClientError, api.get_list_member, list_id(emulator), old)
    expect_equal(gone.status_code, 404, "the old address is no longer a member")
    existing = api.get_list_members_info(list_id(emulator), count=1)["members"][0]["email_address"]
    taken = raises(ApiClientError, api.update_list_member, list_id(emulator), subscriber_hash(new), {"email_address": existing})
    expect_equal(taken.status_code, 400, "status for an address already in the audience")
    problem(taken)


@check(PLATFORM)
def batch_subscribe_reports_new_updated_and_errors(emulator):
    """batch_list_members: new_members, updated_members and per-member errors with error_code, answered 200."""
    api = client(emulator).lists
    existing = api.get_list_members_info(list_id(emulator), count=1)["members"][0]["email_address"]
    reply = api.batch_list_members(list_id(emulator), {"update_existing": True, "members": [
        {"email_address": "batch.new@example.com", "status": "subscribed"},
        {"email_address": existing, "status": "subscribed", "merge_fields": {"COMPANY": "Updated"}},
        {"email_address": "not an address", "status": "subscribed"},
    ]})
    expect_equal(len(reply["new_members"]), 1, "new_members")
    expect_equal(len(reply["updated_members"]), 1, "updated_members")
    expect_equal(reply["error_count"], 1, "error_count")
    error = reply["errors"][0]
    expect({"email_address", "error", "error_code"} <= set(error), "error keys %s" % sorted(error))


@check(PLATFORM)
def unknown_member_is_a_problem_document(emulator):
    """get_list_member of an unknown member: ApiClientError 404 with type/title/status/detail/instance."""
    error = raises(ApiClientError, client(emulator).lists.get_list_member, list_id(emulator), "nobody@example.com")
    expect_equal(error.status_code, 404, "status")
    expect_equal(problem(error)["title"], "Resource Not Found", "title")


@check(PLATFORM)
def invalid_member_lists_field_errors(emulator):
    """A PUT with a bad value: 400 problem document with errors [{field, message}]."""
    email = "fields@example.com"
    error = raises(ApiClientError, client(emulator).lists.set_list_member, list_id(emulator), subscriber_hash(email),
                   {"email_address": email, "status_if_new": "subscribed", "language": "much-too-long-language"})
    body = problem(error)
    expect_equal(error.status_code, 400, "status")
    expect(body.get("errors") and {"field", "message"} <= set(body["errors"][0]), "errors %r" % body.get("errors"))


@check(PLATFORM)
def oauth_bearer_token_is_accepted(emulator):
    """set_config with access_token: the client sends Authorization: Bearer, which Mailchimp accepts."""
    api = mailchimp_marketing.Client()
    api.set_config({"access_token": emulator.credential, "server": "us1"})
    api.api_client.host = emulator.url + "/3.0"
    expect_equal(api.lists.get_list_members_info(list_id(emulator), count=1)["total_items"],
                 emulator.records("member")["count"], "total_items with a bearer token")


@check(PLATFORM)
def wrong_key_is_401(emulator):
    """A wrong API key: 401 problem document titled API Key Invalid."""
    error = raises(ApiClientError, client(emulator, key="wrongkey-us1").lists.get_list_members_info, list_id(emulator))
    expect_equal(error.status_code, 401, "status")
    expect_equal(problem(error)["title"], "API Key Invalid", "title")


@check(PLATFORM)
def too_many_requests_is_a_problem_document(emulator):
    """Over the connection limit: 429 problem document."""
    emulator.faults(rateLimitNext=1)
    error = raises(ApiClientError, client(emulator).lists.get_list_members_info, list_id(emulator))
    expect_equal(error.status_code, 429, "status")
    expect_equal(problem(error)["title"], "Too Many Requests", "title")
