#!/usr/bin/env python3
"""Writes N HubSpot-like contacts as JSONL, deterministically (same N and seed, same bytes).

The records look like a HubSpot export: 46 properties per contact, every value text or null, and
the usual mess: blank and whitespace-only values, padding, upper-case emails, names with accents,
apostrophes and quotes, thousands separators and ranges in employee counts, `\\u` escapes from
exporters that write ASCII-only JSON, empty strings where another tool writes null.

Values that the destination would reject (invalid emails, over-long fields) are left out, so that
`mapc run` maps every non-skipped record and the references, which do not validate, agree with it.

usage: gen.py N [--seed S] > contacts.jsonl
"""

import json
import random
import sys

FIRST = ["Ana", "Sophie", "Imogen", "Juliana", "Liam", "Noah", "Emma", "Olivia", "Mateo", "Lucía", "José",
         "Zoë", "Łukasz", "Björn", "François", "Chloé", "Søren", "Hiroshi", "Mei", "Priya", "Arjun",
         "Fatima", "Omar", "Chen", "Yuki", "Kwame", "Amara", "Siobhán", "Seán", "Dmitri", "Olga", "Nikos",
         "Ingrid", "Lars", "Ava", "Mia", "Ethan", "Lucas", "Hannah", "Jürgen", "Renée", "Ximena", "Thảo",
         "田中", "Александр", "Robert \"Bob\"", "Mary-Jane", "Jean-Luc", "D'Arcy", "Anne Marie"]
LAST = ["Silva", "Weber", "Taylor", "Ribeiro", "Smith", "Johnson", "García", "Müller", "Schmidt", "Rossi",
        "Dubois", "Nowak", "Kowalski", "Andersson", "Jensen", "Tanaka", "Wang", "Patel", "Singh", "Khan",
        "Okafor", "Mensah", "O'Brien", "O'Connor", "MacDonald", "van der Berg", "de la Cruz", "Nguyễn",
        "Ødegaard", "Öztürk", "Żółć", "Brontë", "St. James", "Smith-Jones", "Иванова", "鈴木", "Lee",
        "Kim", "Park", "Costa", "Santos", "Ferreira", "Moreau", "Fischer", "Wagner", "Becker", "Hoffmann"]
DOMAINS = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "gmx.de", "web.de", "orange.fr",
           "hotmail.co.uk", "icloud.com", "proton.me", "acme.io", "globex.com", "initech.example",
           "umbrella-corp.net", "example.org", "company.co.jp", "firma.pl", "empresa.com.br"]
COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella Corporation", "Hooli", "Stark Industries",
             "Wayne Enterprises", "Sahyadri Pharma", "Müller & Söhne GmbH", "Société Générale de Café",
             "Acme \"Global\" Ltd", "Tyrell Corp.", "Cyberdyne Systems", "Soylent", "Vandelay Industries",
             "Pied Piper", "Dunder Mifflin", "Los Pollos Hermanos", "株式会社サンプル", "Ølbryggeriet AS",
             "Back\\Slash Consulting", "Blue Sky Ventures", "Northwind Traders", "Contoso", "Fabrikam"]
TITLES = ["Office Manager", "Growth Marketer", "CMO", "VP Sales", "Head of Marketing Operations",
          "Software Engineer", "Founder & CEO", "Directeur Général", "Einkäufer", "Product Manager", None]
CITIES = [("Leipzig", "Sachsen", "Germany"), ("Manchester", "Greater Manchester", "United Kingdom"),
          ("Recife", "PE", "Brazil"), ("Boston", "MA", "United States"), ("Lyon", "Auvergne-Rhône-Alpes", "France"),
          ("Kraków", "Małopolskie", "Poland"), ("Osaka", "Osaka", "Japan"), ("Austin", "TX", "USA"),
          ("São Paulo", "SP", "Brasil"), ("Zürich", "ZH", "Switzerland")]
STAGES = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
          "evangelist", "other"]
# This portal keeps its original source in Salesforce's Lead Source values (a synced property).
SOURCES = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other", "Marketing Site"]
HS_SOURCES = ["ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA", "REFERRALS", "OTHER_CAMPAIGNS",
              "DIRECT_TRAFFIC", "OFFLINE", "PAID_SOCIAL"]
EMPLOYEES = ["250", "12", "5000", "1,200", " 42 ", "", "n/a", "50-100", "12.0", "0", "87", "1,250,000", "10000"]
EVENTS = ["Ebook: State of B2B Marketing 2024: Form", "Demo request: Form", "Newsletter sign-up",
          "Webinar \"Scaling ABM\" registration", "Contact us: Form"]
MESSAGES = ["Please call me back.", "Hi,\nwe'd like a demo next week.\nThanks!", "Interested in pricing for 50 seats",
            "Tab\tseparated\tnotes", "Prix? Merci — Zoë", "C:\\Users\\admin\\export.csv attached", "👍 sounds good"]


def pick(r, values, null=0.0, empty=0.0):
    x = r.random()
    if x < null:
        return None
    if x < null + empty:
        return ""
    return r.choice(values)


def pad(r, s, p):
    if s is None or r.random() >= p:
        return s
    return r.choice([" ", "  ", "\t", " \t"]) + s + r.choice(["", " ", "  "])


def timestamp(r, year_from=2019):
    y = r.randint(year_from, 2024)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (y, r.randint(1, 12), r.randint(1, 28), r.randint(0, 23),
                                                    r.randint(0, 59), r.randint(0, 59), r.randint(0, 999))


def phone(r):
    return r.choice([
        "+1 %03d 555 %04d" % (r.randint(200, 999), r.randint(0, 9999)),
        "(%03d) 555-%04d" % (r.randint(200, 999), r.randint(0, 9999)),
        "+49 (0)341 %04d-%02d" % (r.randint(1000, 9999), r.randint(0, 99)),
        "+44 20 %04d %04d" % (r.randint(0, 9999), r.randint(0, 9999)),
        "+55 81 %04d-%04d" % (r.randint(0, 9999), r.randint(0, 9999)),
        "0%d.%02d.%02d.%02d.%02d" % (r.randint(1, 9), r.randint(0, 99), r.randint(0, 99), r.randint(0, 99), r.randint(0, 99)),
    ])


def contact(r, i):
    first = pick(r, FIRST, null=0.06, empty=0.03)
    last = pick(r, LAST, null=0.04, empty=0.03)
    local = "%s.%s%d" % (r.choice(["ana", "sophie", "liam", "j", "info", "mateo", "priya", "k"]),
                         r.choice(["silva", "weber", "smith", "o-brien", "tanaka", "x"]), r.randint(1, 9999))
    email = local + "@" + r.choice(DOMAINS)
    x = r.random()
    if x < 0.02:
        email = None
    elif x < 0.035:
        email = ""
    elif x < 0.04:
        email = "   "
    else:
        if r.random() < 0.15:
            email = email.upper() if r.random() < 0.5 else email.capitalize()
        email = pad(r, email, 0.1)
    city, state, country = r.choice(CITIES)
    created = timestamp(r)
    x = r.random()
    if x < 0.02:
        created = None
    elif x < 0.03:
        created = ""
    elif x < 0.06:
        created = str(r.randint(1546300800000, 1735603200000))  # epoch milliseconds, as some exports write
    optout = pick(r, ["false"] * 7 + ["true", "TRUE", "False"], null=0.08, empty=0.05)
    return {
        "hs_object_id": str(100000 + i),
        "email": email,
        "firstname": pad(r, first, 0.1),
        "lastname": pad(r, last, 0.05),
        "salutation": pick(r, ["Mr.", "Ms.", "Dr.", "Prof."], null=0.8),
        "company": pad(r, pick(r, COMPANIES + ["   "], null=0.2, empty=0.06), 0.05),
        "jobtitle": pick(r, TITLES, null=0.3),
        "phone": pick(r, [phone(r)], null=0.3, empty=0.05),
        "mobilephone": pick(r, [phone(r)], null=0.6),
        "fax": None,
        "website": pick(r, ["https://www.acme.io/", "http://globex.com", "initech.example", "www.hooli.xyz"], null=0.7),
        "hs_linkedin_url": pick(r, ["https://www.linkedin.com/in/someone-%d" % r.randint(1, 99999)], null=0.7),
        "twitterhandle": pick(r, ["@acme", "@growth_hacker"], null=0.9),
        "address": pick(r, ["Goetheplatz 248", "Av. Atlântica, 145, apto 19", "1 Main St", "221B Baker Street"], null=0.4),
        "city": city,
        "state": state,
        "zip": pick(r, ["M1 5RH", "50844-861", "02110", "04109", "75001"], null=0.3),
        "country": country,
        "lifecyclestage": pick(r, STAGES, null=0.1, empty=0.05),
        "hs_lead_status": pick(r, ["NEW", "OPEN", "IN_PROGRESS", "UNQUALIFIED", "CONNECTED"], null=0.5),
        "hs_analytics_source": pick(r, SOURCES, null=0.15, empty=0.1),
        "hs_latest_source": pick(r, HS_SOURCES, null=0.2),
        "hs_buying_role": pick(r, ["DECISION_MAKER", "BUDGET_HOLDER;CHAMPION", "END_USER"], null=0.8),
        "hs_email_optout": optout,
        "hs_marketable_status": pick(r, ["true", "false"]),
        "numemployees": pick(r, ["1-5", "5-25", "25-50", "50-100", "100-500", "1000+"], null=0.5),
        "employee_count": pick(r, EMPLOYEES, null=0.3),
        "industry": pick(r, ["COMPUTER_SOFTWARE", "BANKING", "RETAIL", "INSURANCE"], null=0.6),
        "annualrevenue": pick(r, ["1000000", "250000.50", "", "1,200,000"], null=0.6),
        "date_of_birth": pick(r, ["1985-04-12", "yesterday", "12/03/1990"], null=0.9),
        "gender": None,
        "hs_language": pick(r, ["en", "en-gb", "de", "pt-br", "fr"], null=0.3),
        "hs_timezone": pick(r, ["europe_slash_berlin", "america_slash_new_york"], null=0.6),
        "message": pick(r, MESSAGES, null=0.7),
        "hubspot_owner_id": str(r.randint(10000000, 99999999)),
        "associatedcompanyid": pick(r, [str(r.randint(1000, 99999))], null=0.5),
        "hs_email_domain": email.strip().split("@")[-1].lower() if email and "@" in email else None,
        "hs_analytics_num_visits": str(r.randint(0, 80)),
        "hs_analytics_first_visit_timestamp": pick(r, [timestamp(r)], null=0.3),
        "hs_analytics_last_visit_timestamp": pick(r, [timestamp(r)], null=0.3),
        "first_conversion_event_name": pick(r, EVENTS, null=0.4),
        "recent_conversion_date": pick(r, [timestamp(r)], null=0.4),
        "num_associated_deals": str(r.randint(0, 3)),
        "notes_last_updated": pick(r, [timestamp(r)], null=0.4),
        "createdate": created,
        "lastmodifieddate": timestamp(r, 2021),
    }


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    n = int(args[0])
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 7
    r = random.Random(seed)
    out = sys.stdout
    chunk = []
    for i in range(n):
        c = contact(r, i)
        # Most exporters write UTF-8 with ", " and ": "; some write ASCII-only JSON with \u escapes,
        # some write compact JSON.
        style = r.random()
        if style < 0.05:
            line = json.dumps(c, ensure_ascii=True)
        elif style < 0.15:
            line = json.dumps(c, ensure_ascii=False, separators=(",", ":"))
        else:
            line = json.dumps(c, ensure_ascii=False)
        chunk.append(line)
        if len(chunk) == 10000:
            out.write("\n".join(chunk) + "\n")
            chunk = []
    if chunk:
        out.write("\n".join(chunk) + "\n")


if __name__ == "__main__":
    main()
