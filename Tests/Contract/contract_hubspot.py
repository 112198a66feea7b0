"""HubSpot CRM v3 emulator against HubSpot's official Python client (hubspot-api-client).

The client is generated from HubSpot's OpenAPI specs and validates every reply against them: a
required field missing from a result, a batch error or an error body makes it raise, so these checks
hold the emulator to the shapes HubSpot publishes.
"""

import types

import hubspot
from hubspot.crm.contacts import (
    ApiException,
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchReadInputSimplePublicObjectId,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
)
from urllib3.util.retry import Retry

from contract import check, expect, expect_equal, raises

PLATFORM = "hubspot"
WANTED = ["email", "firstname", "lastname", "phone", "company", "city", "lifecyclestage"]


def client(emulator, token=None, retry=None):
    # client_side_validation makes the generated models enforce the spec's required fields on every
    # reply (the client ships with it off).
    return hubspot.Client.create(access_token=token or emulator.credential, host=emulator.url, retry=retry,
                                 client_side_validation=True)


def error_model(api, error):
    """The error body parsed by the client's own `Error` model (which requires category, correlationId, message)."""
    return api.api_client.deserialize(types.SimpleNamespace(data=error.body), "Error")


def contact_count(emulator):
    return emulator.records("contact")["count"]


@check(PLATFORM)
def list_returns_every_repeated_property(emulator):
    """basic_api.get_page sends properties=a&properties=b...: every named property comes back."""
    page = client(emulator).crm.contacts.basic_api.get_page(limit=20, properties=WANTED)
    expect_equal(len(page.results), 20, "results on the page")
    for contact in page.results:
        missing = [name for name in WANTED if name not in contact.properties]
        expect(not missing, "contact %s lacks requested properties %s" % (contact.id, missing))
    logged = emulator.requests()[-1]["query"]
    expect_equal(sum(1 for item in logged if item.startswith("properties=")), len(WANTED), "repeated properties sent")


@check(PLATFORM)
def list_pages_to_the_end_with_properties(emulator):
    """get_all pages with `after` to the last page; every record once, with every requested property."""
    contacts = client(emulator).crm.contacts.get_all(properties=WANTED)
    expect_equal(len(contacts), contact_count(emulator), "contacts read through paging")
    expect_equal(len({contact.id for contact in contacts}), len(contacts), "distinct ids")
    expect(all(set(WANTED) <= set(contact.properties) for contact in contacts), "a page lost requested properties")


@check(PLATFORM)
def paging_link_keeps_every_property(emulator):
    """paging.next.link is a usable URL that asks for the same properties as the request it continues."""
    import requests

    page = client(emulator).crm.contacts.basic_api.get_page(limit=5, properties=["email", "first name", "city"])
    link = page.paging.next.link
    reply = requests.get(
        emulator.url + link if link.startswith("/") else link,
        headers={"Authorization": "Bearer " + emulator.credential}, timeout=10)
    expect_equal(reply.status_code, 200, "status of paging.next.link")
    results = reply.json()["results"]
    expect(results and all({"email", "first name", "city"} <= set(r["properties"]) for r in results),
           "the link dropped properties: %s" % link)


@check(PLATFORM)
def read_one_by_email_with_properties(emulator):
    """basic_api.get_by_id with idProperty=email and repeated properties."""
    api = client(emulator).crm.contacts.basic_api
    first = api.get_page(limit=1, properties=["email"]).results[0]
    contact = api.get_by_id(first.properties["email"].upper(), properties=["email", "firstname", "city"],
                            id_property="email")
    expect_equal(contact.id, first.id, "contact found by e-mail")
    expect({"email", "firstname", "city"} <= set(contact.properties), "properties of the contact read by e-mail")
    missing = raises(ApiException, api.get_by_id, "999999999")
    expect_equal(missing.status, 404, "status for an unknown id")
    expect_equal(error_model(api, missing).category, "OBJECT_NOT_FOUND", "category of the 404")


@check(PLATFORM)
def batch_upsert_by_email_creates_then_updates(emulator):
    """batch_api.upsert by idProperty=email: 200, results typed by the client, `new` true then false."""
    api = client(emulator).crm.contacts.batch_api
    inputs = [
        SimplePublicObjectBatchInputUpsert(
            id="contract.%d@example.com" % index, id_property="email",
            properties={"firstname": "Ada%d" % index, "lastname": "Lovelace"})
        for index in range(3)
    ]
    created = api.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=inputs))
    expect_equal(created.status, "COMPLETE", "batch status")
    expect_equal(sorted(result.new for result in created.results), [True] * 3, "new flags on create")
    again = api.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=inputs))
    expect_equal(sorted(result.new for result in again.results), [False] * 3, "new flags on update")
    found = emulator.records("contact", key="email", value="contract.1@example.com")
    expect_equal(found["count"], 1, "records for one upserted e-mail")


@check(PLATFORM)
def batch_upsert_partial_failure_parses_as_multi_status(emulator):
    """A 207 with one bad input parses into BatchResponseSimplePublicUpsertObjectWithErrors (errors as StandardError)."""
    api = client(emulator).crm.contacts.batch_api
    inputs = [
        SimplePublicObjectBatchInputUpsert(id="good.one@example.com", id_property="email",
                                           properties={"firstname": "Good"}),
        SimplePublicObjectBatchInputUpsert(id="bad.one@example.com", id_property="email",
                                           properties={"lifecyclestage": "not-a-stage"}),
    ]
    reply = api.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=inputs))
    expect_equal(type(reply).__name__, "BatchResponseSimplePublicUpsertObjectWithErrors", "reply model")
    expect_equal(reply.num_errors, 1, "numErrors")
    expect_equal(len(reply.results), 1, "results")
    error = reply.errors[0]
    expect_equal(error.category, "VALIDATION_ERROR", "error category")
    expect(error.errors and error.errors[0].message, "error details carry messages")


@check(PLATFORM)
def batch_create_conflict_is_a_complete_error(emulator):
    """batch_api.create of an existing e-mail: 409 whose body the client's Error model accepts (correlationId)."""
    api = client(emulator).crm.contacts
    existing = api.basic_api.get_page(limit=1, properties=["email"]).results[0].properties["email"]
    batch = BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[SimplePublicObjectBatchInputForCreate(properties={"email": existing, "firstname": "Twin"})])
    conflict = raises(ApiException, api.batch_api.create, batch)
    expect_equal(conflict.status, 409, "status of a duplicate create")
    model = error_model(api.batch_api, conflict)
    expect_equal(model.category, "CONFLICT", "category")
    expect(model.correlation_id, "correlationId present")


@check(PLATFORM)
def batch_create_and_update(emulator):
    """batch_api.create answers 201 with typed results; batch_api.update changes them by id."""
    api = client(emulator).crm.contacts.batch_api
    created = api.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
        SimplePublicObjectBatchInputForCreate(properties={"email": "made.%d@example.com" % i, "firstname": "M"})
        for i in range(2)
    ]))
    expect_equal(len(created.results), 2, "created results")
    updated = api.update(BatchInputSimplePublicObjectBatchInput(inputs=[
        SimplePublicObjectBatchInput(id=result.id, properties={"city": "Leeds"}) for result in created.results
    ]))
    expect_equal(sorted(r.properties.get("city") for r in updated.results), ["Leeds", "Leeds"], "updated city")


@check(PLATFORM)
def batch_read_by_email_reports_missing_ids(emulator):
    """batch_api.read with idProperty=email: found records typed, the unknown one in a 207 error."""
    api = client(emulator).crm.contacts
    known = [c.properties["email"] for c in api.basic_api.get_page(limit=2, properties=["email"]).results]
    reply = api.batch_api.read(BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=email) for email in known + ["nobody@example.com"]],
        properties=["email", "firstname"], id_property="email", properties_with_history=[]))
    expect_equal(len(reply.results), 2, "records found")
    expect_equal(reply.num_errors, 1, "numErrors")
    expect_equal(reply.errors[0].context.get("ids"), ["nobody@example.com"], "ids of the missing record")


@check(PLATFORM)
def search_pages_to_the_end(emulator):
    """search_api.do_search with a filter, a sort and properties, paged with `after` until paging is absent."""
    api = client(emulator, retry=Retry(total=8, status_forcelist=[429], backoff_factor=0.3, allowed_methods=None))
    request = PublicObjectSearchRequest(
        filter_groups=[FilterGroup(filters=[Filter(property_name="email", operator="HAS_PROPERTY")])],
        sorts=["email"], properties=["email", "city"], limit=50)
    seen = []
    total = None
    while True:
        page = api.crm.contacts.search_api.do_search(public_object_search_request=request)
        total = page.total
        seen += [result.properties["email"] for result in page.results]
        if page.paging is None:
            break
        request.after = page.paging.next.after
    expect_equal(len(seen), total, "records seen against total")
    expect_equal(seen, sorted(seen, key=str.lower), "sorted by email")


@check(PLATFORM)
def search_rate_limit_is_retried_by_the_client(emulator):
    """A burst of searches over the per-second limit: the client's urllib3 retry sees 429 and gets through."""
    api = client(emulator, retry=Retry(total=10, status_forcelist=[429], backoff_factor=0.2, allowed_methods=None))
    request = PublicObjectSearchRequest(filter_groups=[], properties=["email"], limit=1)
    # Search allows 5 a second: keep searching until the window has refused one (a busy machine may be
    # slow enough to stay under it for a while), then every search must still have succeeded.
    searches = 0
    while searches < 40 and 429 not in emulator.statuses():
        api.crm.contacts.search_api.do_search(public_object_search_request=request)
        searches += 1
    statuses = emulator.statuses()
    expect(429 in statuses, "no 429 in %d searches" % searches)
    expect_equal(statuses.count(200), searches, "searches that succeeded")


@check(PLATFORM)
def rate_limit_error_parses_with_policy(emulator):
    """Without retries a 429 reaches the caller: body has policyName and correlationId, headers the limits."""
    api = client(emulator).crm.contacts.search_api
    request = PublicObjectSearchRequest(filter_groups=[], properties=["email"], limit=1)
    error = None
    for _ in range(60):
        try:
            api.do_search(public_object_search_request=request)
        except ApiException as raised:
            error = raised
            break
    expect(error is not None and error.status == 429, "no 429 after 60 rapid searches")
    import json

    body = json.loads(error.body)
    expect_equal(body.get("errorType"), "RATE_LIMIT", "errorType")
    expect(body.get("policyName") in ("SECONDLY", "TEN_SECONDLY_ROLLING"), "policyName %r" % body.get("policyName"))
    expect(error_model(api, error).correlation_id, "correlationId")


@check(PLATFORM)
def wrong_token_is_401_with_a_complete_error(emulator):
    """An unknown bearer token: 401 UnauthorizedException whose body the Error model accepts."""
    api = client(emulator, token="not-the-token").crm.contacts.basic_api
    error = raises(ApiException, api.get_page, limit=1)
    expect_equal(error.status, 401, "status")
    expect_equal(error_model(api, error).category, "INVALID_AUTHENTICATION", "category")


@check(PLATFORM)
def properties_describe_parses(emulator):
    """crm.properties.core_api.get_all('contacts') parses into Property models (name, type, fieldType, options...)."""
    reply = client(emulator).crm.properties.core_api.get_all(object_type="contacts")
    names = {prop.name for prop in reply.results}
    expect({"email", "firstname", "lifecyclestage"} <= names, "standard properties described")
    stage = next(prop for prop in reply.results if prop.name == "lifecyclestage")
    expect_equal(stage.type, "enumeration", "type of lifecyclestage")
    expect(stage.options, "lifecyclestage options")


@check(PLATFORM)
def traced_batch_create_reports_each_failure_in_a_multi_status(emulator):
    """batch_api.create with objectWriteTraceId on every input: a duplicate is a 207 error naming its trace id."""
    api = client(emulator).crm.contacts
    existing = api.basic_api.get_page(limit=1, properties=["email"]).results[0].properties["email"]
    reply = api.batch_api.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
        SimplePublicObjectBatchInputForCreate(properties={"email": "traced.new@example.com"}, object_write_trace_id="t1"),
        SimplePublicObjectBatchInputForCreate(properties={"email": existing}, object_write_trace_id="t2"),
    ]))
    expect_equal(type(reply).__name__, "BatchResponseSimplePublicObjectWithErrors", "reply model")
    expect_equal(len(reply.results), 1, "created")
    expect_equal(reply.errors[0].category, "CONFLICT", "category")
    expect_equal(reply.errors[0].context, {"objectWriteTraceId": ["t2"]}, "context names the trace id")


@check(PLATFORM)
def server_errors_are_retried_by_the_client(emulator):
    """Two 502s in HubSpot's error shape: the client's urllib3 retry gets through on the third attempt."""
    emulator.faults(failNext=2, errorStatus=502)
    api = client(emulator, retry=Retry(total=3, status_forcelist=[502], backoff_factor=0.05, allowed_methods=None))
    page = api.crm.contacts.basic_api.get_page(limit=1)
    expect_equal(len(page.results), 1, "results after the retries")
    expect_equal(emulator.statuses(), [502, 502, 200], "statuses")
