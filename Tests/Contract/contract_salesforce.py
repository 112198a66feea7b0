"""Salesforce REST emulator against simple-salesforce, the Python client Salesforce's docs point to.

simple-salesforce always builds `https://<instance>` URLs (Salesforce is HTTPS only); the session
below carries them to the sandbox's plain-HTTP port unchanged otherwise, so every path, header and
body is the client's own.
"""

import gzip
import json
import zlib
from urllib.parse import urlsplit

import requests
from simple_salesforce import (
    Salesforce,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from contract import check, expect, expect_equal, raises

PLATFORM = "salesforce"
VERSION = "59.0"
UPSERT = "composite/sobjects/Lead/External_Id__c"


class PlainHTTPSession(requests.Session):
    """Sends the client's https://<sandbox> URLs to the sandbox over plain HTTP."""

    def __init__(self, netloc):
        super().__init__()
        self.prefix = "https://" + netloc

    def request(self, method, url, *args, **kwargs):
        if url.startswith(self.prefix):
            url = "http://" + url[len("https://"):]
        return super().request(method, url, *args, **kwargs)


def client(emulator, token=None):
    netloc = urlsplit(emulator.url).netloc
    return Salesforce(instance_url=emulator.url, session_id=token or emulator.credential, version=VERSION,
                      session=PlainHTTPSession(netloc))


def lead(index, **fields):
    record = {"attributes": {"type": "Lead"}, "External_Id__c": "contract-%04d" % index,
              "LastName": "Contract %d" % index, "Company": "Contract Ltd", "Status": "Open - Not Contacted"}
    record.update(fields)
    return record


def upsert(sf, records, **kwargs):
    return sf.restful(UPSERT, method="PATCH", json={"allOrNone": False, "records": records}, **kwargs)


@check(PLATFORM)
def query_all_follows_next_records_url_to_the_end(emulator):
    """query_all with Sforce-Query-Options batchSize=200 follows nextRecordsUrl until done; totalSize matches."""
    sf = client(emulator)
    for start in range(0, 450, 200):
        results = upsert(sf, [lead(index) for index in range(start, min(start + 200, 450))])
        expect(all(result["success"] for result in results), "setup upsert failed: %s" % results[:2])
    everything = sf.query_all("SELECT Id, Email, SystemModstamp FROM Lead",
                              headers={"Sforce-Query-Options": "batchSize=200"})
    count = emulator.records("Lead")["count"]
    expect_equal(everything["totalSize"], count, "totalSize")
    expect_equal(len(everything["records"]), count, "records read")
    expect_equal(len({record["Id"] for record in everything["records"]}), count, "distinct ids")
    expect(all(record["attributes"]["type"] == "Lead" for record in everything["records"]), "attributes.type")
    pages = [entry for entry in emulator.requests() if entry["path"].rsplit("/", 2)[-2] == "query"]
    expect(len(pages) >= 2, "query_more was never called (%d requests)" % len(pages))


@check(PLATFORM)
def collections_upsert_results_in_request_order(emulator):
    """A collections upsert answers 200 with one SaveResult per record, in order, `created` then not."""
    sf = client(emulator)
    first = upsert(sf, [lead(1), lead(2)])
    expect_equal([(r["success"], r["created"]) for r in first], [(True, True), (True, True)], "first upsert")
    second = upsert(sf, [lead(2, City="York"), lead(1)])
    expect_equal([(r["success"], r["created"]) for r in second], [(True, False), (True, False)], "second upsert")
    expect_equal(second[1]["id"], first[0]["id"], "ids follow the request order")


@check(PLATFORM)
def collections_per_record_errors_have_status_code_message_fields(emulator):
    """A record Salesforce refuses gets success=false and errors [{statusCode, message, fields}]; others are saved."""
    sf = client(emulator)
    results = upsert(sf, [lead(1), lead(2, LastName=None), lead(3, Status="Not A Status")])
    expect_equal([r["success"] for r in results], [True, False, False], "success flags")
    for result in results[1:]:
        error = result["errors"][0]
        expect({"statusCode", "message", "fields"} <= set(error), "per-record error keys %s" % sorted(error))
    expect_equal(results[1]["errors"][0]["statusCode"], "REQUIRED_FIELD_MISSING", "missing LastName")
    expect_equal(results[1]["errors"][0]["fields"], ["LastName"], "fields of the missing LastName")


@check(PLATFORM)
def collections_over_200_records_is_malformed(emulator):
    """201 records in one collections call: 400 SalesforceMalformedRequest with [{message, errorCode}]."""
    sf = client(emulator)
    error = raises(SalesforceMalformedRequest, upsert, sf, [lead(index) for index in range(201)])
    expect_equal(error.status, 400, "status")
    expect_equal(error.content[0]["errorCode"], "EXCEEDED_ID_LIMIT", "errorCode")


@check(PLATFORM)
def malformed_soql_is_parsed_by_the_client(emulator):
    """Bad SOQL: SalesforceMalformedRequest whose content is Salesforce's [{message, errorCode}] list."""
    sf = client(emulator)
    error = raises(SalesforceMalformedRequest, sf.query, "SELEKT Id FROM Lead")
    expect_equal(error.status, 400, "status")
    expect_equal(error.content[0]["errorCode"], "MALFORMED_QUERY", "errorCode")
    expect(error.content[0]["message"], "message")
    unknown = raises(SalesforceMalformedRequest, sf.query, "SELECT Id, Shoe_Size__c FROM Lead")
    expect_equal(unknown.content[0]["errorCode"], "INVALID_FIELD", "errorCode of an unknown column")
    no_type = raises(SalesforceMalformedRequest, sf.query, "SELECT Id FROM Gadget__c")
    expect_equal(no_type.content[0]["errorCode"], "INVALID_TYPE", "errorCode of an unknown sObject")


@check(PLATFORM)
def expired_session_is_401_invalid_session_id(emulator):
    """A wrong token: SalesforceExpiredSession carrying errorCode INVALID_SESSION_ID."""
    sf = client(emulator, token="00Dexpired")
    error = raises(SalesforceExpiredSession, sf.query, "SELECT Id FROM Lead")
    expect_equal(error.content[0]["errorCode"], "INVALID_SESSION_ID", "errorCode")


@check(PLATFORM)
def describe_lists_fields_and_external_ids(emulator):
    """sf.Lead.describe(): field descriptions with types and the externalId flags mapc upserts by."""
    described = client(emulator).Lead.describe()
    fields = {field["name"]: field for field in described["fields"]}
    expect_equal(described["name"], "Lead", "name")
    expect(fields["External_Id__c"]["externalId"], "External_Id__c is an external id")
    expect_equal(fields["Email"]["type"], "email", "type of Email")
    missing = raises(SalesforceResourceNotFound, client(emulator).Gadget__c.describe)
    expect_equal(missing.content[0]["errorCode"], "NOT_FOUND", "errorCode of an unknown sObject")


@check(PLATFORM)
def limit_info_header_is_read_by_the_client(emulator):
    """Sforce-Limit-Info on every reply: the client's api_usage parses api-usage=used/total."""
    sf = client(emulator)
    sf.query("SELECT Id FROM Lead LIMIT 1")
    usage = sf.api_usage.get("api-usage")
    expect(usage is not None and usage.total > 0 and usage.used >= 1, "api_usage %r" % sf.api_usage)
    limits = sf.limits()
    expect(limits["DailyApiRequests"]["Max"] >= limits["DailyApiRequests"]["Remaining"], "limits()")


@check(PLATFORM)
def request_limit_exceeded_is_refused_request(emulator):
    """Over the allocation: 403 SalesforceRefusedRequest with errorCode REQUEST_LIMIT_EXCEEDED."""
    emulator.faults(rateLimitNext=1)
    error = raises(SalesforceRefusedRequest, client(emulator).query, "SELECT Id FROM Lead")
    expect_equal(error.status, 403, "status")
    expect_equal(error.content[0]["errorCode"], "REQUEST_LIMIT_EXCEEDED", "errorCode")


@check(PLATFORM)
def compressed_requests_are_accepted(emulator):
    """Salesforce documents Content-Encoding gzip and deflate on requests: both upsert like plain JSON."""
    sf = client(emulator)
    body = json.dumps({"allOrNone": False, "records": [lead(1), lead(2)]}).encode()
    zipped = sf.restful(UPSERT, method="PATCH", data=gzip.compress(body), headers={"Content-Encoding": "gzip"})
    expect_equal([r["success"] for r in zipped], [True, True], "gzip upsert")
    body = json.dumps({"allOrNone": False, "records": [lead(3)]}).encode()
    deflated = sf.restful(UPSERT, method="PATCH", data=zlib.compress(body), headers={"Content-Encoding": "deflate"})
    expect_equal([r["created"] for r in deflated], [True], "deflate upsert")
    broken = raises(SalesforceMalformedRequest, sf.restful, UPSERT, method="PATCH", data=b"\x1f\x8b\x08not gzip",
                    headers={"Content-Encoding": "gzip"})
    expect_equal(broken.status, 400, "status of a corrupt gzip body")


@check(PLATFORM)
def upsert_by_a_field_that_is_no_external_id_names_it(emulator):
    """Upserting by a field that is not an external id: SalesforceResourceNotFound naming the field in `fields`."""
    sf = client(emulator)
    error = raises(SalesforceResourceNotFound, sf.restful, "composite/sobjects/Lead/LastName", method="PATCH",
                   json={"allOrNone": False, "records": [lead(1)]})
    expect_equal(error.content[0]["errorCode"], "NOT_FOUND", "errorCode")
    expect_equal(error.content[0].get("fields"), ["LastName"], "fields")
