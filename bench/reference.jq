# bench/contacts-to-leads.map written by hand in jq (1.6): the second reference `mapc run` is
# measured against. Run as: jq -c -f bench/reference.jq contacts.jsonl
def trim: sub("^\\s+"; "") | sub("\\s+$"; "");
def blank: . == null or test("^\\s*$");
# mapc's try_int on text: trimmed; an integer, with thousands separators in groups of three, or
# integral decimal text; otherwise null.
def try_int:
  if . == null then null
  else trim
    | if test("^[+-]?[0-9]{1,3}(,[0-9]{3})+$") then gsub(","; "") else . end
    | if test("^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?$")
      then tonumber | (if . == floor then . else null end)
      else null end
  end;
def status:
  {"lead": "Open - Not Contacted",
   "marketingqualifiedlead": "Working - Contacted",
   "salesqualifiedlead": "Working - Contacted",
   "customer": "Closed - Converted",
   "other": "Closed - Not Converted"}[. // ""] // "Open - Not Contacted";

select(.email | blank | not)
| {
    HubSpot_Contact_Id__c: .hs_object_id,
    Company: (if .company | blank then "Unknown" else .company end),
    Description: (if .createdate == null then null else "Created in HubSpot on " + .createdate[0:10] end),
    Email: (.email | trim | ascii_downcase),
    FirstName: (if .firstname == null then null else (.firstname | trim | if . == "" then null else . end) end),
    HasOptedOutOfEmail: (.hs_email_optout == "true"),
    LastName: (if .lastname | blank then "Unknown" else .lastname end),
    LeadSource: (if .hs_analytics_source | blank then "Marketing Site" else .hs_analytics_source end),
    NumberOfEmployees: (.employee_count | try_int),
    Phone: .phone,
    Status: (.lifecyclestage | status)
  }
