#!/usr/bin/env python3
"""Generate the deterministic sample data under samples/<platform>/<object>.jsonl.

Usage:  python3 tools/gen_samples.py            (run from anywhere)

Every file is produced from its own random.Random(seed), so the output is
byte-for-byte stable across runs and Python versions (only Random.random,
randint, choice, sample and shuffle are used). The committed .jsonl files are
the output of this script; re-run it after editing and commit both.

Records are flat: keys are the field names in schemas/<platform>/<object>.json
(dotted names such as "traits.email" stay flat). Values are what the platform's
API returns: HubSpot returns every property as a JSON string or null,
Salesforce / Mailchimp / Segment / GA4 use native JSON types.

The data is deliberately messy in places (whitespace, bad dates, invalid
emails, unknown picklist values, over-long strings, duplicates, ...). Roughly
70% of the HubSpot contacts are clean. Each messy record is listed in the
MESS table below so the kinds of mess are easy to find.
"""

import datetime as dt
import hashlib
import json
import os
import random
import re
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMAS = os.path.join(ROOT, "schemas")
SAMPLES = os.path.join(ROOT, "samples")

UTC = dt.timezone.utc

# ---------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------

# locale -> people, places, phone style, language codes
LOCALES = {
    "US": {
        "country": "United States",
        "country_code": "US",
        "country_variants": ["USA", "U.S.", "US", "united states", "United States of America"],
        "first": ["James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda",
                  "Emily", "Daniel", "Ashley", "Christopher", "Jessica", "Matthew", "Sarah",
                  "Andrew", "Megan", "Joshua", "Lauren", "Tyler", "Brianna", "Kevin", "Nicole",
                  "Marcus", "Aaliyah", "Ethan", "Siobhan", "DeShawn"],
        "last": ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
                 "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas",
                 "Taylor", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
                 "Clark", "Lewis", "Walker", "O'Brien", "O'Neil", "McKenzie"],
        # city, state, postal prefix, phone area
        "cities": [("San Francisco", "CA", "941", "415"), ("Austin", "TX", "787", "512"),
                   ("New York", "NY", "100", "212"), ("Chicago", "IL", "606", "312"),
                   ("Seattle", "WA", "981", "206"), ("Boston", "MA", "021", "617"),
                   ("Denver", "CO", "802", "303"), ("Atlanta", "GA", "303", "404"),
                   ("Portland", "OR", "972", "503"), ("Raleigh", "NC", "276", "919")],
        "streets": ["{n} Market St", "{n} Oak Avenue", "{n} Main Street, Suite {s}", "{n} Pine St Apt {s}",
                    "{n} Lakeview Dr", "{n} Congress Ave, Floor {f}", "{n} Broadway"],
        "lang": ["en", "en-us"],
        "tz": ["america_slash_los_angeles", "america_slash_chicago", "america_slash_new_york", "america_slash_denver"],
        "mail": ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com"],
        "titles": [],
    },
    "UK": {
        "country": "United Kingdom",
        "country_code": "GB",
        "country_variants": ["UK", "uk", "Great Britain", "England", "U.K."],
        "first": ["Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Jack", "Emily", "Charlie",
                  "Sophie", "Thomas", "Grace", "William", "Zoë", "Freya", "Alfie", "Poppy", "Callum",
                  "Niamh", "Rhys", "Imogen", "Rory"],
        "last": ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas",
                 "Roberts", "Walker", "Wright", "Hughes", "Edwards", "Green", "Hall", "Wood",
                 "Clarke", "Patel", "O'Connor", "McAllister", "Fitzgerald", "Ahmed"],
        "cities": [("London", "Greater London", "EC", "20 7946"), ("Manchester", "Greater Manchester", "M", "161 496"),
                   ("Birmingham", "West Midlands", "B", "121 496"), ("Leeds", "West Yorkshire", "LS", "113 496"),
                   ("Bristol", "Bristol", "BS", "117 496"), ("Edinburgh", "Scotland", "EH", "131 496"),
                   ("Glasgow", "Scotland", "G", "141 496"), ("Cardiff", "Wales", "CF", "29 2018")],
        "streets": ["{n} High Street", "Flat {s}, {n} Victoria Road", "{n} Church Lane", "Unit {s}, {n} Station Road",
                    "{n} Kings Road", "{n} Queen Street"],
        "lang": ["en", "en-gb"],
        "tz": ["europe_slash_london"],
        "mail": ["gmail.com", "yahoo.co.uk", "hotmail.co.uk", "btinternet.com", "outlook.com"],
        "titles": ["Managing Director", "Head of Marketing"],
    },
    "DE": {
        "country": "Germany",
        "country_code": "DE",
        "country_variants": ["Deutschland", "DE", "germany", "GER"],
        "first": ["Lukas", "Anna", "Leon", "Lea", "Finn", "Hannah", "Jonas", "Mia", "Paul", "Lena",
                  "Felix", "Sophie", "Maximilian", "Marie", "Jürgen", "Jörg", "Uwe", "Katrin", "Björn", "Sabine"],
        "last": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
                 "Schulz", "Hoffmann", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder",
                 "Neumann", "Schwarz", "Zimmermann", "Krüger", "Weiß", "von Berg"],
        "cities": [("Berlin", "Berlin", "10", "30"), ("München", "Bayern", "80", "89"),
                   ("Hamburg", "Hamburg", "20", "40"), ("Köln", "Nordrhein-Westfalen", "50", "221"),
                   ("Frankfurt am Main", "Hessen", "60", "69"), ("Stuttgart", "Baden-Württemberg", "70", "711"),
                   ("Düsseldorf", "Nordrhein-Westfalen", "40", "211"), ("Leipzig", "Sachsen", "04", "341")],
        "streets": ["{a}straße {n}", "{a}weg {n}", "{a}allee {n}", "{a}platz {n}", "{a}str. {n}"],
        "street_a": ["Haupt", "Bahnhof", "Linden", "Garten", "Schiller", "Goethe", "Berliner", "Kant", "Mozart"],
        "lang": ["de"],
        "tz": ["europe_slash_berlin"],
        "mail": ["gmail.com", "web.de", "gmx.de", "t-online.de", "posteo.de"],
        "titles": ["Geschäftsführer", "Leiterin Marketing", "Vertriebsleiter", "Einkauf"],
    },
    "FR": {
        "country": "France",
        "country_code": "FR",
        "country_variants": ["FR", "france", "République française"],
        "first": ["Louis", "Emma", "Gabriel", "Jade", "Léo", "Louise", "Raphaël", "Alice", "Hugo",
                  "Chloé", "Arthur", "Léa", "Jules", "Manon", "Théo", "Camille", "Noémie", "Étienne",
                  "Hélène", "François"],
        "last": ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
                 "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
                 "Bertrand", "Roux", "Fontaine", "Girard", "de la Croix", "N'Diaye"],
        "cities": [("Paris", "Île-de-France", "750", "1"), ("Lyon", "Auvergne-Rhône-Alpes", "690", "4"),
                   ("Marseille", "Provence-Alpes-Côte d'Azur", "130", "4"), ("Toulouse", "Occitanie", "310", "5"),
                   ("Bordeaux", "Nouvelle-Aquitaine", "330", "5"), ("Nantes", "Pays de la Loire", "440", "2"),
                   ("Lille", "Hauts-de-France", "590", "3")],
        "streets": ["{n} rue de la République", "{n} avenue Victor Hugo", "{n} boulevard Saint-Michel",
                    "{n} rue du Faubourg Saint-Honoré", "{n} place Bellecour", "{n} quai des Chartrons"],
        "lang": ["fr"],
        "tz": ["europe_slash_paris"],
        "mail": ["gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr"],
        "titles": ["Directeur Commercial", "Responsable Marketing", "Chargée de communication"],
    },
    "ES": {
        "country": "Spain",
        "country_code": "ES",
        "country_variants": ["España", "ES", "spain", "Espana"],
        "first": ["José", "María", "Antonio", "Carmen", "Manuel", "Lucía", "Javier", "Laura", "David",
                  "Marta", "Alejandro", "Paula", "Pablo", "Sofía", "Sergio", "Elena", "Álvaro", "Nuria",
                  "Íñigo", "Begoña", "José Luis", "María José"],
        "last": ["García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
                 "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno",
                 "Muñoz", "Álvarez", "Romero", "Navarro", "Torres", "García Márquez", "Ibáñez"],
        "cities": [("Madrid", "Madrid", "280", "91"), ("Barcelona", "Cataluña", "080", "93"),
                   ("Valencia", "Comunidad Valenciana", "460", "96"), ("Sevilla", "Andalucía", "410", "95"),
                   ("Bilbao", "País Vasco", "480", "94"), ("Málaga", "Andalucía", "290", "95")],
        "streets": ["Calle Mayor, {n}", "Avenida de la Constitución {n}, {f}º", "Calle de Alcalá {n}",
                    "Paseo de Gracia {n}, {f}º {s}ª", "Gran Vía {n}", "Plaza Nueva {n}"],
        "lang": ["es"],
        "tz": ["europe_slash_madrid"],
        "mail": ["gmail.com", "hotmail.es", "yahoo.es", "telefonica.net", "outlook.es"],
        "titles": ["Director de Ventas", "Jefa de Marketing", "Gerente General"],
    },
    "IN": {
        "country": "India",
        "country_code": "IN",
        "country_variants": ["IN", "india", "Bharat"],
        "first": ["Aarav", "Priya", "Vihaan", "Ananya", "Arjun", "Diya", "Rohan", "Isha", "Aditya",
                  "Kavya", "Rahul", "Sneha", "Vikram", "Pooja", "Karthik", "Meera", "Sanjay",
                  "Lakshmi", "Nikhil", "Aishwarya"],
        "last": ["Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair", "Mehta",
                 "Joshi", "Rao", "Desai", "Chatterjee", "Banerjee", "Menon", "Pillai", "Agarwal",
                 "Kapoor", "Malhotra", "Verma"],
        "cities": [("Bengaluru", "Karnataka", "560", "80"), ("Mumbai", "Maharashtra", "400", "22"),
                   ("New Delhi", "Delhi", "110", "11"), ("Hyderabad", "Telangana", "500", "40"),
                   ("Pune", "Maharashtra", "411", "20"), ("Chennai", "Tamil Nadu", "600", "44")],
        "streets": ["{n}, MG Road", "Flat {s}, {n} Residency Road", "{n} 100 Feet Road, Indiranagar",
                    "Plot {n}, Sector {f}", "{n}, Linking Road, Bandra West", "{n}/{s} Anna Salai"],
        "lang": ["en", "hi"],
        "tz": ["asia_slash_kolkata"],
        "mail": ["gmail.com", "yahoo.co.in", "rediffmail.com", "outlook.com"],
        "titles": ["Senior Manager - Sales", "AVP Marketing"],
    },
    "BR": {
        "country": "Brazil",
        "country_code": "BR",
        "country_variants": ["Brasil", "BR", "brazil"],
        "first": ["João", "Maria", "Pedro", "Ana", "Lucas", "Juliana", "Gabriel", "Fernanda",
                  "Rafael", "Camila", "Mateus", "Beatriz", "Thiago", "Larissa", "Bruno", "Letícia",
                  "Gustavo", "Mariana", "Felipe", "Luísa"],
        "last": ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
                 "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes",
                 "Sousa", "Fernandes", "Vieira", "Barbosa", "da Silva", "Conceição"],
        "cities": [("São Paulo", "SP", "01", "11"), ("Rio de Janeiro", "RJ", "20", "21"),
                   ("Belo Horizonte", "MG", "30", "31"), ("Curitiba", "PR", "80", "41"),
                   ("Porto Alegre", "RS", "90", "51"), ("Recife", "PE", "50", "81")],
        "streets": ["Rua Augusta, {n}", "Avenida Paulista, {n} - Conj. {s}", "Rua das Flores, {n}",
                    "Av. Atlântica, {n}, apto {s}", "Rua XV de Novembro, {n}"],
        "lang": ["pt-br"],
        "tz": ["america_slash_sao_paulo"],
        "mail": ["gmail.com", "hotmail.com", "uol.com.br", "bol.com.br", "terra.com.br"],
        "titles": ["Gerente de Vendas", "Diretora de Marketing", "Analista de Compras"],
    },
    "JP": {
        "country": "Japan",
        "country_code": "JP",
        "country_variants": ["日本", "JP", "japan", "Nippon"],
        "first": ["Haruto", "Yui", "Sota", "Hina", "Yuto", "Aoi", "Riku", "Sakura", "Ren", "Mei",
                  "Takumi", "Yuna", "Kenji", "Misaki", "Daiki", "Ayaka", "Hiroshi", "Naomi", "Kaito", "Emi"],
        "last": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura",
                 "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto",
                 "Inoue", "Kimura", "Hayashi", "Shimizu", "Mori"],
        "cities": [("Tokyo", "Tokyo", "100", "3"), ("Osaka", "Osaka", "530", "6"),
                   ("Yokohama", "Kanagawa", "220", "45"), ("Nagoya", "Aichi", "450", "52"),
                   ("Fukuoka", "Fukuoka", "810", "92"), ("Kyoto", "Kyoto", "600", "75"),
                   ("Sapporo", "Hokkaido", "060", "11")],
        "streets": ["{n}-{s}-{f} Shibuya", "{n}-{s} Marunouchi, Chiyoda-ku", "{n}-{s}-{f} Umeda, Kita-ku",
                    "{n}-{s} Minatomirai, Nishi-ku", "{n}-{s}-{f} Sakae, Naka-ku"],
        "lang": ["ja"],
        "tz": ["asia_slash_tokyo"],
        "mail": ["gmail.com", "yahoo.co.jp", "docomo.ne.jp", "outlook.jp"],
        "titles": ["営業部長", "マーケティング担当"],
    },
}
LOCALE_KEYS = ["US", "UK", "DE", "FR", "ES", "IN", "BR", "JP"]
LOCALE_WEIGHTS = [34, 16, 13, 9, 8, 8, 6, 6]

TITLES = ["Marketing Manager", "VP of Sales", "CTO", "Head of Operations", "Software Engineer",
          "Account Executive", "CFO", "Procurement Lead", "Founder & CEO", "Data Analyst",
          "HR Director", "Customer Success Manager", "Product Manager", "Office Manager",
          "Growth Marketer", "Director of IT", "Sales Development Representative",
          "Chief Marketing Officer", "Operations Analyst", "Partner"]

# Fictional companies. hs_industry is a HubSpot company enum value, sf_industry a
# standard Salesforce Industry value, industry_text what reps type on contacts.
COMPANIES = [
    # name, domain, locale, hs_industry, sf_industry, industry_text, employees, founded
    ("Brightwave Analytics", "brightwave.io", "US", "COMPUTER_SOFTWARE", "Technology", "Software", 240, 2014),
    ("Harbor & Pine Logistics", "harborpine.com", "US", "LOGISTICS_AND_SUPPLY_CHAIN", "Transportation", "Logistics", 1200, 1998),
    ("Redwood Health Partners", "redwoodhealth.com", "US", "HOSPITAL_HEALTH_CARE", "Healthcare", "Healthcare", 3400, 1987),
    ("Copperline Financial", "copperline.com", "US", "FINANCIAL_SERVICES", "Finance", "Financial Services", 85, 2009),
    ("Summit Ridge Outdoor", "summitridge.com", "US", "SPORTING_GOODS", "Retail", "Retail", 60, 2011),
    ("Bluegrass Foods Co.", "bluegrassfoods.com", "US", "FOOD_PRODUCTION", "Food & Beverage", "Food", 510, 1972),
    ("Northwind Traders", "northwindtraders.com", "US", "WHOLESALE", "Retail", "Wholesale", 35, 2001),
    ("Thamesbridge Consulting Ltd", "thamesbridge.co.uk", "UK", "MANAGEMENT_CONSULTING", "Consulting", "Consulting", 45, 2006),
    ("Pennine Energy plc", "pennine-energy.co.uk", "UK", "OIL_ENERGY", "Energy", "Energy", 2200, 1991),
    ("Kestrel Digital", "kestreldigital.co.uk", "UK", "MARKETING_AND_ADVERTISING", "Media", "Marketing & Advertising", 18, 2017),
    ("Albion Insurance Group", "albioninsure.co.uk", "UK", "INSURANCE", "Insurance", "Insurance", 950, 1964),
    ("Clyde Marine Engineering", "clydemarine.co.uk", "UK", "MARITIME", "Shipping", "Maritime", 130, 1952),
    ("Hansen & Krüger GmbH", "hansen-krueger.de", "DE", "MACHINERY", "Machinery", "Maschinenbau", 320, 1968),
    ("Nordlicht Software GmbH", "nordlicht-software.de", "DE", "COMPUTER_SOFTWARE", "Technology", "Software", 75, 2012),
    ("Rheinwerk Chemie AG", "rheinwerk-chemie.de", "DE", "CHEMICALS", "Chemicals", "Chemie", 4100, 1921),
    ("Bäckerei Sonnenschein", "baeckerei-sonnenschein.de", "DE", "FOOD_BEVERAGES", "Food & Beverage", "Food & Beverages", 22, 1995),
    ("Alpenblick Reisen", "alpenblick-reisen.de", "DE", "LEISURE_TRAVEL_TOURISM", "Hospitality", "Travel", 40, 2003),
    ("Lumière Conseil SARL", "lumiere-conseil.fr", "FR", "MANAGEMENT_CONSULTING", "Consulting", "Conseil", 28, 2010),
    ("Atelier Moreau", "ateliermoreau.fr", "FR", "APPAREL_FASHION", "Apparel", "Fashion", 65, 1999),
    ("Groupe Rivage Télécom", "rivage-telecom.fr", "FR", "TELECOMMUNICATIONS", "Telecommunications", "Télécommunications", 1800, 1989),
    ("Vignobles Girard", "vignobles-girard.fr", "FR", "WINE_AND_SPIRITS", "Food & Beverage", "Wine & Spirits", 14, 1908),
    ("Néosanté", "neosante.fr", "FR", "MEDICAL_DEVICES", "Healthcare", "Medical Devices", 210, 2008),
    ("Soluciones Ibéricas S.L.", "solucionesibericas.es", "ES", "INFORMATION_TECHNOLOGY_AND_SERVICES", "Technology", "IT Services", 150, 2005),
    ("Constructora Levante", "constructoralevante.es", "ES", "CONSTRUCTION", "Construction", "Construcción", 600, 1979),
    ("Olivar del Sur", "olivardelsur.es", "ES", "FARMING", "Agriculture", "Agriculture", 30, 1990),
    ("Banco Cantábrico", "bancocantabrico.es", "ES", "BANKING", "Banking", "Banking", 5200, 1902),
    ("Estudio Gaudí Diseño", "estudiogaudi.es", "ES", "DESIGN", "Other", "Design", 12, 2015),
    ("Kaveri Software Pvt Ltd", "kaverisoft.in", "IN", "COMPUTER_SOFTWARE", "Technology", "IT / Software", 900, 2004),
    ("Ganga Textiles", "gangatextiles.in", "IN", "TEXTILES", "Apparel", "Textiles", 1500, 1983),
    ("Sahyadri Pharma", "sahyadripharma.com", "IN", "PHARMACEUTICALS", "Biotechnology", "Pharma", 700, 1996),
    ("Deccan Edutech", "deccanedutech.in", "IN", "E_LEARNING", "Education", "EdTech", 120, 2016),
    ("Indus Freight Lines", "indusfreight.in", "IN", "PACKAGE_FREIGHT_DELIVERY", "Shipping", "Freight", 340, 2000),
    ("Nuvem Tecnologia Ltda", "nuvemtec.com.br", "BR", "INFORMATION_TECHNOLOGY_AND_SERVICES", "Technology", "Tecnologia", 95, 2013),
    ("Café Serra Verde", "cafeserraverde.com.br", "BR", "FOOD_PRODUCTION", "Food & Beverage", "Alimentos", 260, 1961),
    ("Construtora Horizonte", "construtorahorizonte.com.br", "BR", "CONSTRUCTION", "Construction", "Construção", 780, 1985),
    ("Banco Atlântico Sul", "atlanticosul.com.br", "BR", "BANKING", "Banking", "Banking", 3100, 1955),
    ("Verde Energia Renovável", "verdeenergia.com.br", "BR", "RENEWABLES_ENVIRONMENT", "Energy", "Renewables", 140, 2011),
    ("Sakura Logistics K.K.", "sakura-logistics.co.jp", "JP", "LOGISTICS_AND_SUPPLY_CHAIN", "Transportation", "Logistics", 2600, 1974),
    ("Hoshino Electronics", "hoshino-elec.co.jp", "JP", "CONSUMER_ELECTRONICS", "Electronics", "Electronics", 5400, 1948),
    ("Kaze Robotics", "kazerobotics.jp", "JP", "INDUSTRIAL_AUTOMATION", "Machinery", "Robotics", 180, 2015),
    ("Midori Cosmetics", "midoricosmetics.jp", "JP", "COSMETICS", "Retail", "Cosmetics", 420, 1992),
    ("Tsubasa Games", "tsubasagames.jp", "JP", "COMPUTER_GAMES", "Entertainment", "Games", 65, 2018),
]

HS_OWNERS = ["41230988", "52339011", "61002217", "73554120", "80211456"]
SF_OWNERS_15 = ["0058d000004GxQa", "0058d000004GxRb", "0058d000005KpLc", "0058d000006Zt2d"]

FORMS = ["Contact us", "Newsletter signup", "Ebook: State of B2B Marketing 2024", "Demo request",
         "Webinar registration – Q3 product update", "Pricing page chat", "Free trial signup"]

SOURCES = ["ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA", "REFERRALS",
           "OTHER_CAMPAIGNS", "DIRECT_TRAFFIC", "OFFLINE", "PAID_SOCIAL"]
SOURCE_WEIGHTS = [22, 12, 10, 8, 9, 5, 16, 12, 6]
LIFECYCLE = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
             "customer", "evangelist", "other"]
LIFECYCLE_WEIGHTS = [15, 35, 20, 10, 8, 10, 1, 1]
LEAD_STATUS = ["NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT",
               "CONNECTED", "BAD_TIMING"]
BUYING_ROLES = ["BLOCKER", "BUDGET_HOLDER", "CHAMPION", "DECISION_MAKER", "END_USER",
                "EXECUTIVE_SPONSOR", "INFLUENCER", "LEGAL_AND_COMPLIANCE", "OTHER"]

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def load_schema(platform, obj):
    with open(os.path.join(SCHEMAS, platform, obj + ".json"), encoding="utf-8") as f:
        return json.load(f)


def weighted(rng, items, weights):
    total = sum(weights)
    x = rng.random() * total
    acc = 0
    for item, w in zip(items, weights):
        acc += w
        if x < acc:
            return item
    return items[-1]


def chance(rng, p):
    return rng.random() < p


# letters NFKD does not decompose
_FOLD = {"ø": "o", "Ø": "O", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "æ": "ae", "Æ": "Ae",
         "œ": "oe", "Œ": "Oe", "ß": "ss", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D"}


def ascii_fold(s, german=False):
    if german:
        for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue")):
            s = s.replace(a, b)
    s = "".join(_FOLD.get(c, c) for c in s)
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if ord(c) < 128)


def email_local(first, last, style, german=False):
    f = ascii_fold(first, german).lower().replace("'", "").replace(" ", "")
    l = ascii_fold(last, german).lower().replace("'", "").replace(" ", "")
    if not f:
        f = "user"
    if not l:
        l = "x"
    return {
        "first.last": f + "." + l,
        "flast": f[0] + l,
        "f.last": f[0] + "." + l,
        "firstlast": f + l,
        "first": f,
        "first_last": f + "_" + l,
        "last.first": l + "." + f,
    }[style]


def iso_ms_z(t):
    """HubSpot / Segment style: 2024-03-05T10:22:11.123Z"""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def sf_datetime(t):
    """Salesforce REST style: 2024-03-05T10:22:11.000+0000"""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d+0000" % (t.microsecond // 1000)


def mc_datetime(t):
    """Mailchimp style: 2024-03-05T10:22:11+00:00"""
    return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def rand_time(rng, start, end):
    span = int((end - start).total_seconds())
    t = start + dt.timedelta(seconds=rng.randint(0, span))
    return t.replace(microsecond=rng.randint(0, 999) * 1000)


def sf_id(prefix, rng):
    """A syntactically valid 18-character Salesforce id (15 chars + case checksum)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    body = prefix + "8d00000" + "".join(rng.choice(alphabet) for _ in range(5))
    return sf_id18(body)


def sf_id18(id15):
    assert len(id15) == 15, id15
    table = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    suffix = ""
    for chunk in range(3):
        bits = 0
        for i in range(5):
            c = id15[chunk * 5 + i]
            if "A" <= c <= "Z":
                bits |= 1 << i
        suffix += table[bits]
    return id15 + suffix


def hexstr(rng, n):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def uuid4(rng):
    h = hexstr(rng, 32)
    h = h[:12] + "4" + h[13:16] + rng.choice("89ab") + h[17:]
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def numemployees_bucket(n):
    for hi, label in ((5, "1-5"), (25, "5-25"), (50, "25-50"), (100, "50-100"), (500, "100-500"), (1000, "500-1000")):
        if n <= hi:
            return label
    return "1000+"


def postal_code(rng, loc, prefix):
    if loc == "US":
        return prefix + "%02d" % rng.randint(1, 99)
    if loc == "UK":
        return "%s%d %d%s%s" % (prefix, rng.randint(1, 9), rng.randint(1, 9), rng.choice("ABDEFGHJLNPQRSTUWXYZ"), rng.choice("ABDEFGHJLNPQRSTUWXYZ"))
    if loc == "DE":
        return prefix + "%03d" % rng.randint(0, 999)
    if loc in ("FR", "ES"):
        return prefix + "%02d" % rng.randint(1, 20)
    if loc == "IN":
        return prefix + "%03d" % rng.randint(1, 99)
    if loc == "BR":
        return "%s%03d-%03d" % (prefix, rng.randint(0, 999), rng.randint(0, 999))
    if loc == "JP":
        return "%s-%04d" % (prefix, rng.randint(1, 9999))
    return prefix


def street(rng, loc):
    L = LOCALES[loc]
    tpl = rng.choice(L["streets"])
    return tpl.format(n=rng.randint(1, 250), s=rng.randint(1, 40), f=rng.randint(1, 9),
                      a=rng.choice(L.get("street_a", ["Main"])))


def phone(rng, loc, area, mobile=False, style=None):
    """Realistic phone numbers in the formats people actually type."""
    d = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))  # noqa: E731
    if style is None:
        style = rng.randint(0, 2)
    if loc == "US":
        area = area if not mobile else rng.choice(["415", "646", "737", "206"])
        line = "01%s" % d(2)  # fictional 555-01xx range
        return ["+1 %s-555-%s" % (area, line), "(%s) 555-%s" % (area, line), "%s-555-%s" % (area, line)][style]
    if loc == "UK":
        if mobile:
            return ["+44 7700 900%s" % d(3), "07700 900%s" % d(3), "+447700900%s" % d(3)][style]
        return ["+44 %s %s" % (area, "0" + d(3)), "0%s %s" % (area, "0" + d(3)), "+44 (0)%s %s" % (area, "0" + d(3))][style]
    if loc == "DE":
        if mobile:
            return ["+49 151 %s" % d(8), "0151 %s" % d(8), "+49 (0)176 %s" % d(7)][style]
        return ["+49 %s %s" % (area, d(7)), "0%s %s" % (area, d(7)), "+49 (0)%s %s-%s" % (area, d(4), d(2))][style]
    if loc == "FR":
        if mobile:
            return ["+33 6 %s %s %s %s" % (d(2), d(2), d(2), d(2)), "06 %s %s %s %s" % (d(2), d(2), d(2), d(2)), "06%s" % d(8)][style]
        return ["+33 %s %s %s %s %s" % (area, d(2), d(2), d(2), d(2)), "0%s %s %s %s %s" % (area, d(2), d(2), d(2), d(2)), "0%s.%s.%s.%s.%s" % (area, d(2), d(2), d(2), d(2))][style]
    if loc == "ES":
        if mobile:
            return ["+34 6%s %s %s" % (d(2), d(3), d(3)), "6%s %s %s" % (d(2), d(3), d(3)), "6%s" % d(8)][style]
        return ["+34 %s %s %s" % (area + d(1), d(3), d(3)), "%s %s %s %s" % (area, d(3), d(2), d(2)), "+34%s" % (area + d(7))][style]
    if loc == "IN":
        if mobile:
            return ["+91 9%s %s" % (d(4), d(5)), "09%s %s" % (d(4), d(5)), "+91-9%s%s" % (d(4), d(5))][style]
        return ["+91 %s %s %s" % (area, d(4), d(4)), "0%s-%s%s" % (area, d(4), d(4)), "+91 %s %s" % (area, d(8))][style]
    if loc == "BR":
        if mobile:
            return ["+55 %s 9%s-%s" % (area, d(4), d(4)), "(%s) 9%s-%s" % (area, d(4), d(4)), "+55%s9%s" % (area, d(8))][style]
        return ["+55 %s %s-%s" % (area, d(4), d(4)), "(%s) %s-%s" % (area, d(4), d(4)), "+55 (%s) %s%s" % (area, d(4), d(4))][style]
    if loc == "JP":
        if mobile:
            return ["+81 90-%s-%s" % (d(4), d(4)), "090-%s-%s" % (d(4), d(4)), "080%s" % d(8)][style]
        return ["+81 %s-%s-%s" % (area, d(4), d(4)), "0%s-%s-%s" % (area, d(4), d(4)), "+81 %s %s %s" % (area, d(4), d(4))][style]
    return d(10)


def order_keys(rec, schema):
    names = [f["name"] for f in schema["fields"]]
    unknown = [k for k in rec if k not in names]
    if unknown:
        raise SystemExit("%s.%s: keys not in schema: %s" % (schema["platform"], schema["object"], unknown))
    return {k: rec[k] for k in names if k in rec}


def write_jsonl(platform, obj, records):
    schema = load_schema(platform, obj)
    path = os.path.join(SAMPLES, platform, obj + ".jsonl")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in records:
            f.write(json.dumps(order_keys(r, schema), ensure_ascii=False) + "\n")
    return path, len(records)


EMAIL_RE = re.compile(r"^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")


def is_clean_hs_contact(c):
    """A HubSpot contact whose key fields need no cleaning (used to pick synced records)."""
    e = c.get("email") or ""
    if not EMAIL_RE.match(e):
        return False
    for k in ("firstname", "lastname", "company"):
        v = c.get(k)
        if not v or v != v.strip() or len(v) > 40:
            return False
    return True


def hs_str(v):
    """HubSpot wire format: every property value is a string or null."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# ---------------------------------------------------------------------------
# People (shared across platforms so cross-platform lookups hit)
# ---------------------------------------------------------------------------


def make_person(rng, loc, company=None):
    L = LOCALES[loc]
    first = rng.choice(L["first"])
    last = rng.choice(L["last"])
    city, state, pprefix, area = rng.choice(L["cities"])
    if company is not None:
        # people mostly live where their company is
        cc = [c for c in L["cities"] if company_city(company) == c[0]]
        if cc and chance(rng, 0.7):
            city, state, pprefix, area = cc[0]
    style = weighted(rng, ["first.last", "flast", "f.last", "firstlast", "first", "first_last", "last.first"],
                     [45, 15, 10, 8, 8, 7, 7])
    if company is not None and chance(rng, 0.85):
        domain = company[1]
    else:
        domain = rng.choice(L["mail"])
        if style in ("first",):
            style = "first.last"
    local = email_local(first, last, style, german=(loc == "DE"))
    if domain in L["mail"] and chance(rng, 0.4):
        local += str(rng.randint(1, 99))
    return {
        "loc": loc, "first": first, "last": last, "email": local + "@" + domain,
        "city": city, "state": state, "zip": postal_code(rng, loc, pprefix), "area": area,
        "street": street(rng, loc), "company": company,
        "title": rng.choice(TITLES + L["titles"]) if company else (rng.choice(TITLES) if chance(rng, 0.3) else None),
        "phone": phone(rng, loc, area) if chance(rng, 0.75) else None,
        "mobile": phone(rng, loc, area, mobile=True) if chance(rng, 0.35) else None,
        "dob": dt.date(rng.randint(1958, 2001), rng.randint(1, 12), rng.randint(1, 28)) if chance(rng, 0.3) else None,
    }


_company_city = {}


def company_city(company):
    return _company_city[company[0]]


def assign_company_cities(rng):
    for c in COMPANIES:
        _company_city[c[0]] = rng.choice(LOCALES[c[2]]["cities"])[0]


def company_revenue(rng, employees):
    return int(round(employees * rng.randint(60, 260) * 1000, -5))


# ---------------------------------------------------------------------------
# HubSpot companies
# ---------------------------------------------------------------------------


def gen_hubspot_companies():
    rng = random.Random(7101)
    recs = []
    ids = {}
    t0 = dt.datetime(2020, 6, 1, tzinfo=UTC)
    t1 = dt.datetime(2024, 9, 30, tzinfo=UTC)
    next_id = 8801
    created = sorted(rand_time(rng, t0, t1) for _ in range(len(COMPANIES) + 6))
    extras = [  # companies with no contacts in the sample
        ("Greyhaven Security", "greyhavensec.com", "US", "COMPUTER_NETWORK_SECURITY", "Technology", "Security", 55, 2019),
        ("Fjord & Fell Outfitters", "fjordfell.co.uk", "UK", "SPORTING_GOODS", "Retail", "Retail", 9, 2020),
        ("Oceanic Wind Ltd", "oceanicwind.co.uk", "UK", "RENEWABLES_ENVIRONMENT", "Energy", "Renewables", 410, 2007),
    ]
    for i, c in enumerate(COMPANIES + extras):
        name, domain, loc, hs_ind, _sf_ind, _txt, emp, founded = c
        L = LOCALES[loc]
        city = _company_city.get(name) or rng.choice(L["cities"])[0]
        cityrow = [x for x in L["cities"] if x[0] == city][0]
        cd = created[i]
        lm = cd + dt.timedelta(days=rng.randint(0, 400), seconds=rng.randint(0, 86400))
        lm = min(lm, dt.datetime(2024, 11, 28, 17, 0, tzinfo=UTC)).replace(microsecond=rng.randint(0, 999) * 1000)
        rev = company_revenue(rng, emp)
        hid = str(next_id)
        next_id += rng.randint(1, 4)
        ids[name] = hid
        r = {
            "hs_object_id": hid,
            "name": name,
            "domain": domain,
            "website": "https://www." + domain if chance(rng, 0.7) else "https://" + domain,
            "phone": phone(rng, loc, cityrow[3], style=0),
            "address": street(rng, loc),
            "address2": None,
            "city": city,
            "state": cityrow[1],
            "zip": postal_code(rng, loc, cityrow[2]),
            "country": L["country"],
            "industry": hs_ind,
            "type": weighted(rng, ["PROSPECT", "PARTNER", "RESELLER", "VENDOR", "OTHER", None], [55, 8, 6, 6, 3, 22]),
            "numberofemployees": str(emp),
            "annualrevenue": str(rev),
            "founded_year": str(founded),
            "is_public": hs_str(emp > 2000 and chance(rng, 0.6)),
            "description": None,
            "lifecyclestage": weighted(rng, ["lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "other"], [30, 15, 10, 12, 30, 3]),
            "hs_lead_status": None,
            "hs_analytics_source": weighted(rng, SOURCES, SOURCE_WEIGHTS),
            "linkedin_company_page": "https://www.linkedin.com/company/" + domain.split(".")[0] if chance(rng, 0.6) else None,
            "twitterhandle": None,
            "timezone": None,
            "hubspot_owner_id": rng.choice(HS_OWNERS) if chance(rng, 0.8) else None,
            "num_associated_contacts": "0",
            "hs_num_open_deals": str(rng.randint(0, 3)),
            "total_revenue": str(rng.randint(1, 40) * 2500) if chance(rng, 0.3) else None,
            "notes_last_updated": iso_ms_z(lm) if chance(rng, 0.5) else None,
            "createdate": iso_ms_z(cd),
            "hs_lastmodifieddate": iso_ms_z(lm),
        }
        if r["lifecyclestage"] in ("lead", "marketingqualifiedlead", "salesqualifiedlead"):
            r["hs_lead_status"] = rng.choice(LEAD_STATUS)
        if chance(rng, 0.25):
            r["description"] = "%s is a %s company based in %s." % (name, _txt.lower(), city)
        recs.append(r)

    # --- mess ---------------------------------------------------------------
    by = {r["name"]: r for r in recs}
    by["Kestrel Digital"]["name"] = "Kestrel Digital "                       # trailing whitespace
    by["Kestrel Digital"]["website"] = "kestreldigital.co.uk"                # no scheme
    by["Northwind Traders"]["numberofemployees"] = None
    by["Northwind Traders"]["annualrevenue"] = ""
    by["Olivar del Sur"]["industry"] = "Agriculture"                          # label instead of enum value
    by["Tsubasa Games"]["industry"] = None
    by["Tsubasa Games"]["country"] = "日本"
    by["Summit Ridge Outdoor"]["domain"] = "https://www.summitridge.com/"      # URL typed into domain
    by["Vignobles Girard"]["lifecyclestage"] = "Customer"                     # label, not API value
    by["Deccan Edutech"]["annualrevenue"] = "1500000.50"
    by["Banco Atlântico Sul"]["country"] = "Brasil"
    del by["Café Serra Verde"]["phone"]                                       # missing keys
    del by["Café Serra Verde"]["zip"]
    by["Groupe Rivage Télécom"]["description"] = "Opérateur télécom régional – fibre & 5G. " * 3
    # a duplicate company created by a form fill: lower-case name, same domain
    dup = dict(by["Brightwave Analytics"])
    dup.update({"hs_object_id": str(next_id), "name": "brightwave analytics", "industry": None, "type": None,
                "numberofemployees": None, "annualrevenue": None, "founded_year": None, "is_public": None,
                "lifecyclestage": "lead", "hubspot_owner_id": None, "linkedin_company_page": None,
                "createdate": iso_ms_z(dt.datetime(2024, 10, 2, 9, 14, 3, 512000, tzinfo=UTC)),
                "hs_lastmodifieddate": iso_ms_z(dt.datetime(2024, 10, 2, 9, 14, 5, 7000, tzinfo=UTC)),
                "notes_last_updated": None, "total_revenue": None, "hs_num_open_deals": "0"})
    next_id += 3
    recs.append(dup)
    # a company known only by its domain (auto-created from a contact's email)
    recs.append({"hs_object_id": str(next_id), "name": None, "domain": "quietharbor.io", "website": None,
                 "city": None, "country": None, "industry": None, "numberofemployees": None,
                 "annualrevenue": None, "lifecyclestage": "lead", "hs_analytics_source": "OFFLINE",
                 "num_associated_contacts": "0", "hs_num_open_deals": "0",
                 "createdate": iso_ms_z(dt.datetime(2024, 11, 3, 14, 2, 51, 87000, tzinfo=UTC)),
                 "hs_lastmodifieddate": iso_ms_z(dt.datetime(2024, 11, 3, 14, 2, 52, 640000, tzinfo=UTC))})
    return recs, ids


# ---------------------------------------------------------------------------
# HubSpot contacts
# ---------------------------------------------------------------------------

BASE_CONTACTS = 226  # + 6 duplicates = 232 records


def gen_hubspot_contacts(company_ids):
    rng = random.Random(5101)
    people = []
    for i in range(BASE_CONTACTS):
        loc = weighted(rng, LOCALE_KEYS, LOCALE_WEIGHTS)
        if chance(rng, 0.82):
            local_cos = [c for c in COMPANIES if c[2] == loc]
            co = rng.choice(local_cos) if chance(rng, 0.9) else rng.choice(COMPANIES)
        else:
            co = None
        people.append(make_person(rng, loc, co))

    # Named unicode people (realistic, clean records)
    specials = [
        (3, "UK", "Zoë", "Fitzgerald"), (11, "ES", "José", "Ibáñez"), (19, "UK", "芳", "王"),
        (27, "UK", "Ólafur", "Guðmundsson"), (35, "DE", "Søren", "Jørgensen"), (43, "US", "Siobhan", "O'Brien"),
        (51, "FR", "Hélène", "N'Diaye"), (59, "JP", "美咲", "田中"), (67, "BR", "João", "Conceição"),
        (75, "DE", "Jürgen", "Weiß"), (83, "IN", "Aishwarya", "Raghunathan-Iyer"), (91, "US", "Mary-Kate", "D'Angelo"),
    ]
    romanized = {"芳": ("fang", "wang"), "美咲": ("misaki", "tanaka")}
    for idx, loc, first, last in specials:
        co = rng.choice([c for c in COMPANIES if c[2] == loc]) if chance(rng, 0.8) else None
        p = people[idx] = make_person(rng, loc, co)
        p["first"], p["last"] = first, last
        if first in romanized:
            f, l = romanized[first]
            dom = p["email"].split("@")[1]
            p["email"] = "%s.%s@%s" % (f, l, dom)
        else:
            dom = p["email"].split("@")[1]
            p["email"] = email_local(first, last, "first.last", german=(loc == "DE")) + "@" + dom

    # make emails unique among base people (real HubSpot enforces it)
    seen = set()
    for p in people:
        e = p["email"]
        n = 2
        while e.lower() in seen:
            local, dom = p["email"].split("@")
            e = "%s%d@%s" % (local, n, dom)
            n += 1
        p["email"] = e
        seen.add(e.lower())

    recs = []
    for p in people:
        L = LOCALES[p["loc"]]
        co = p["company"]
        life = weighted(rng, LIFECYCLE + [None], LIFECYCLE_WEIGHTS + [4])
        src = weighted(rng, SOURCES + [None], SOURCE_WEIGHTS + [12])
        emp = co[6] if co else None
        r = {
            "hs_object_id": None,  # assigned after ordering
            "email": p["email"],
            "firstname": p["first"],
            "lastname": p["last"],
            "salutation": rng.choice(["Dr.", "Mr.", "Ms.", "Mrs."]) if chance(rng, 0.06) else None,
            "company": co[0] if co else None,
            "jobtitle": p["title"],
            "phone": p["phone"],
            "mobilephone": p["mobile"],
            "website": ("https://www." + co[1] if chance(rng, 0.8) else "http://" + co[1]) if co and chance(rng, 0.55) else None,
            "address": p["street"] if chance(rng, 0.55) else None,
            "city": p["city"] if chance(rng, 0.85) else None,
            "state": p["state"] if chance(rng, 0.7) else None,
            "zip": p["zip"] if chance(rng, 0.6) else None,
            "country": L["country"] if chance(rng, 0.88) else None,
            "lifecyclestage": life,
            "hs_lead_status": rng.choice(LEAD_STATUS) if life in ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity") and chance(rng, 0.7) else None,
            "hs_analytics_source": src,
            "hs_latest_source": weighted(rng, SOURCES, SOURCE_WEIGHTS) if src else None,
            "hs_email_optout": "true" if chance(rng, 0.08) else "false",
            "hs_marketable_status": "true" if chance(rng, 0.8) else "false",
            "numemployees": numemployees_bucket(emp) if emp and chance(rng, 0.4) else None,
            "employee_count": str(emp) if emp and chance(rng, 0.45) else None,
            "industry": co[5] if co and chance(rng, 0.5) else None,
            "annualrevenue": str(company_revenue(rng, emp)) if emp and chance(rng, 0.2) else None,
            "date_of_birth": p["dob"].isoformat() if p["dob"] else None,
            "hs_language": rng.choice(L["lang"]) if chance(rng, 0.45) else None,
            "hs_timezone": rng.choice(L["tz"]) if chance(rng, 0.5) else None,
            "hubspot_owner_id": rng.choice(HS_OWNERS) if chance(rng, 0.7) else None,
            "associatedcompanyid": company_ids.get(co[0]) if co else None,
            "hs_buying_role": (";".join(sorted(rng.sample(BUYING_ROLES, rng.randint(1, 2)))) if co and chance(rng, 0.12) else None),
            "hs_linkedin_url": None,
            "first_conversion_event_name": None,
            "num_associated_deals": str(rng.randint(1, 2)) if life in ("opportunity", "customer") else "0",
            "message": None,
            "gender": None,
            "twitterhandle": None,
            "fax": None,
        }
        if r["jobtitle"] and chance(rng, 0.15):
            slug = ascii_fold(p["first"] + "-" + p["last"], p["loc"] == "DE").lower().replace("'", "").replace(" ", "-")
            r["hs_linkedin_url"] = "https://www.linkedin.com/in/%s-%s" % (slug, hexstr(rng, 6))
        if src in ("ORGANIC_SEARCH", "PAID_SEARCH", "SOCIAL_MEDIA", "PAID_SOCIAL", "REFERRALS", "EMAIL_MARKETING") or chance(rng, 0.2):
            r["first_conversion_event_name"] = rng.choice(FORMS) + ": Form"
        if chance(rng, 0.03):
            r["message"] = rng.choice(["Please call me back about pricing.", "Interested in the enterprise plan for ~50 seats",
                                       "Wir möchten eine Demo vereinbaren.", "¿Tienen soporte en español?"])
        if chance(rng, 0.03):
            r["gender"] = rng.choice(["female", "male", "Female", "non-binary"])
        if chance(rng, 0.02):
            r["twitterhandle"] = "@" + ascii_fold(p["first"]).lower() + str(rng.randint(10, 99))
        if chance(rng, 0.02):
            r["fax"] = phone(rng, p["loc"], p["area"], style=1)
        recs.append(r)

    # ------------------------------------------------------------------ mess
    # (name, count, mutation). Targets are distinct records, chosen by rng.
    long_company = ("Consolidated International Holdings of Advanced Manufacturing, Precision Engineering, "
                    "Logistics, Renewable Energy Solutions, Digital Transformation Consulting and General "
                    "Trading Services Worldwide (Europe, Middle East, Africa, Asia-Pacific and the Americas) "
                    "Limited Liability Partnership - Head Office Procurement Department (Attn: Accounts Payable)")
    long_company = (long_company + " " + "X" * 300)[:300]
    long_email = ("this.is.a.very.long.email.address.that.someone.pasted.in.from.a.spreadsheet."
                  "with.notes@mail.subdomain.example-corp.co.uk")
    assert len(long_email) == 120, len(long_email)
    long_first = "Maximilian-Alexander Friedrich Wilhelm Johannes-Christoph Lu"
    assert len(long_first) == 60, len(long_first)
    long_title = ("Senior Vice President, Global Head of Strategic Partnerships, Channel Alliances, "
                  "Business Development and Corporate Venture Investments (EMEA & APAC)")

    def m_ws_email(r):
        r["email"] = rng.choice(["  ", " ", "\t", ""]) + r["email"] + rng.choice([" ", "  ", "\n", " \t"])

    def m_ws_names(r):
        r["firstname"] = " " + (r["firstname"] or "") + "  "
        r["lastname"] = (r["lastname"] or "") + " "
        if r["company"]:
            r["company"] = "  " + r["company"]

    def m_mixed_case(r):
        local, dom = r["email"].split("@")
        style = rng.randint(0, 2)
        if style == 0:
            r["email"] = local.title() + "@" + dom.title()
        elif style == 1:
            r["email"] = r["email"].upper()
        else:
            r["email"] = local[0].upper() + local[1:] + "@" + dom.upper()

    def m_null_last(r):
        r["lastname"] = None

    def m_null_misc(r):
        r["firstname"] = None
        r["company"] = None
        r["phone"] = None

    def m_empty(r):
        for k in rng.sample(["firstname", "lastname", "company", "jobtitle", "city"], 2):
            r[k] = ""

    def m_missing_keys(r):
        for k in rng.sample(["phone", "jobtitle", "lastname", "company", "lifecyclestage", "hs_analytics_source",
                             "hs_email_optout", "country", "city", "employee_count"], rng.randint(3, 5)):
            r.pop(k, None)

    blank_emails = iter(["", "", None, None, "   ", "<missing>"])

    def m_blank_email(r):
        v = next(blank_emails)
        if v == "<missing>":
            del r["email"]
        else:
            r["email"] = v

    unknown_life = iter(["MQL", "Lead", "customer ", "SQL"])

    def m_unknown_life(r):
        r["lifecyclestage"] = next(unknown_life)

    unknown_src = iter(["TIKTOK", "LINKEDIN", "organic_search"])

    def m_unknown_src(r):
        r["hs_analytics_source"] = next(unknown_src)

    def m_unknown_status(r):
        r["hs_lead_status"] = "Contacted"

    def m_long_company(r):
        r["company"] = long_company

    def m_long_email(r):
        r["email"] = long_email

    def m_long_first(r):
        r["firstname"] = long_first

    def m_long_title(r):
        r["jobtitle"] = long_title

    bad_dates = iter(["31/02/2020", "yesterday", "2021-13-45", "04/01/1990", "1990-4-1", "0000-00-00"])

    def m_bad_date(r):
        r["date_of_birth"] = next(bad_dates)

    bad_emails = iter(["john@", "no-at-sign.com", "a b@example.com", "maria@@gmail.com", "pedro@gmail",
                       "mailto:kenji.sato@kazerobotics.jp"])

    def m_bad_email(r):
        r["email"] = next(bad_emails)

    odd_phones = iter(["+1 (555) 010-2030", "555.010.2030", "0044 20 7946 0958", "020 7946 0958 ext 12",
                       "n/a", "+49 30 1234567 / Durchwahl -22", "5550102030"])

    def m_odd_phone(r):
        r["phone"] = next(odd_phones)

    emp_counts = iter(["25", " 1,200 ", "abc", "", "50-100", "approx. 300", "12.5", "1.200"])

    def m_emp(r):
        r["employee_count"] = next(emp_counts)

    optouts = iter(["", "", None, None])

    def m_optout(r):
        r["hs_email_optout"] = next(optouts)

    def m_website(r):
        r["website"] = rng.choice(["www.example-shop", "http//broken-link.com", "linkedin.com/company/acme"])

    def m_country(r):
        loc = [k for k in LOCALE_KEYS if LOCALES[k]["country"] == r.get("country")]
        r["country"] = rng.choice(LOCALES[loc[0] if loc else "US"]["country_variants"])

    revenues = iter(["$2.5M", "2,500,000", "about 10 million"])

    def m_revenue(r):
        r["annualrevenue"] = next(revenues)

    def m_numemp(r):
        r["numemployees"] = "10-20"

    mess = [
        ("ws_email", 4, m_ws_email),
        ("ws_names", 4, m_ws_names),
        ("mixed_case_email", 4, m_mixed_case),
        ("null_lastname", 2, m_null_last),
        ("null_misc", 2, m_null_misc),
        ("empty_strings", 4, m_empty),
        ("missing_keys", 4, m_missing_keys),
        ("blank_email", 6, m_blank_email),
        ("unknown_lifecyclestage", 4, m_unknown_life),
        ("unknown_source", 3, m_unknown_src),
        ("unknown_lead_status", 1, m_unknown_status),
        ("long_company", 1, m_long_company),
        ("long_email", 1, m_long_email),
        ("long_firstname", 1, m_long_first),
        ("long_title", 1, m_long_title),
        ("bad_date", 6, m_bad_date),
        ("invalid_email", 6, m_bad_email),
        ("odd_phone", 7, m_odd_phone),
        ("employee_count", 8, m_emp),
        ("optout_blank", 4, m_optout),
        ("website", 2, m_website),
        ("country_variant", 5, m_country),
        ("revenue_text", 3, m_revenue),
        ("numemployees_unknown", 1, m_numemp),
    ]
    special_idx = {s[0] for s in specials}
    pool = [i for i in range(len(recs)) if i not in special_idx]
    total = sum(n for _, n, _ in mess)
    targets = rng.sample(pool, total)
    pos = 0
    messy = set()
    for _name, n, fn in mess:
        for i in targets[pos:pos + n]:
            fn(recs[i])
            messy.add(i)
        pos += n

    # duplicates: same person again (created later), email with different case/whitespace
    clean = [i for i in pool if i not in messy and recs[i].get("email")]
    dup_src = rng.sample(clean, 6)
    variants = [lambda e: e.upper(), lambda e: " " + e + " ", lambda e: e.title(),
                lambda e: e[0].upper() + e[1:], lambda e: e + " ", lambda e: "  " + e.upper()]
    dups = []
    for k, i in enumerate(dup_src):
        d = dict(recs[i])
        d["email"] = variants[k](recs[i]["email"])
        d["phone"] = phone(rng, "US", "212") if chance(rng, 0.3) else d.get("phone")
        d["lifecyclestage"] = rng.choice(["subscriber", "lead"])
        d["hs_lead_status"] = None
        d["hs_analytics_source"] = rng.choice(["OFFLINE", "EMAIL_MARKETING", None])
        d["first_conversion_event_name"] = rng.choice(FORMS) + ": Form"
        d["num_associated_deals"] = "0"
        if chance(rng, 0.5):
            d["jobtitle"] = None
        dups.append((i, d))

    # Platform-fidelity cases (issue 15), from a random stream of their own so every other record
    # stays as it was: values Salesforce accepts that a naive check refuses (phones with text, a
    # dot before the @), ones it refuses (an underscore in the domain), and emoji at length limits
    # (Salesforce counts UTF-16 code units: 39 x "A" + an emoji is 41).
    fidelity_rng = random.Random(1515)
    dup_idx = {i for i, _ in dups}
    quiet = [i for i in pool if i not in messy and i not in dup_idx and recs[i].get("email")]
    fidelity = [
        ("phone", "555-0101 ext. 12"), ("phone", "1-800-FLOWERS"), ("phone", "call after 5pm"),
        ("phone", "+1 (415) 555-0134 x204"), ("phone", "ask for Maria at reception"),
        ("email", "ann.lee.@example.com"), ("email", "kenji..sato@example.co.jp"), ("email", "o'brien@example.ie"),
        ("email", "x@my_domain.com"), ("email", "sales@acme_corp.example.com"), ("email", "zoë.müller@exämple.de"),
        ("firstname", "A" * 39 + "\U0001F642"), ("firstname", "Zoë \U0001F642"),
        ("firstname", "Jürgen-" + "\U0001F680" * 20),
        ("jobtitle", "Head of Growth \U0001F680 " + "x" * 110 + " \U0001F680\U0001F680"),
        ("company", "Ünïcode " + "A" * 246 + "\U0001F642"),
        ("lastname", "Nguye\u0302\u0303n"),
    ]
    for (field, value), i in zip(fidelity, fidelity_rng.sample(quiet, len(fidelity))):
        recs[i][field] = value

    ordered = list(recs)
    for i, d in dups:
        # insert the duplicate somewhere after the original
        at = [k for k, x in enumerate(ordered) if x is recs[i]][0] + 1 + rng.randint(5, 60)
        ordered.insert(min(at, len(ordered)), d)

    # ids and timestamps increase together, like a real portal
    t = dt.datetime(2021, 1, 4, 9, 0, tzinfo=UTC)
    end = dt.datetime(2024, 11, 25, 18, 0, tzinfo=UTC)
    step = (end - t) / len(ordered)
    hid = 5101
    for n, r in enumerate(ordered):
        r["hs_object_id"] = str(hid)
        hid += weighted(rng, [1, 2, 3, 7], [70, 15, 10, 5])
        cd = t + step * n + dt.timedelta(seconds=rng.randint(0, int(step.total_seconds() * 0.9)))
        cd = cd.replace(microsecond=rng.randint(0, 999) * 1000)
        lm = cd + dt.timedelta(seconds=rng.randint(30, 3600 * 24 * 200))
        lm = min(lm, end + dt.timedelta(hours=rng.randint(0, 48))).replace(microsecond=rng.randint(0, 999) * 1000)
        r["createdate"] = iso_ms_z(cd)
        r["lastmodifieddate"] = iso_ms_z(lm)
        if chance(rng, 0.6):
            fv = cd - dt.timedelta(seconds=rng.randint(60, 3600 * 24 * 30))
            r["hs_analytics_first_visit_timestamp"] = iso_ms_z(fv.replace(microsecond=rng.randint(0, 999) * 1000))
            r["hs_analytics_last_visit_timestamp"] = iso_ms_z((cd + (lm - cd) * rng.random()).replace(microsecond=rng.randint(0, 999) * 1000))
            r["hs_analytics_num_visits"] = str(rng.randint(1, 48))
        else:
            r["hs_analytics_first_visit_timestamp"] = None
            r["hs_analytics_last_visit_timestamp"] = None
            r["hs_analytics_num_visits"] = "0"
        if r.get("first_conversion_event_name"):
            r["recent_conversion_date"] = iso_ms_z((cd + (lm - cd) * rng.random()).replace(microsecond=rng.randint(0, 999) * 1000))
        else:
            r["recent_conversion_date"] = None
        r["notes_last_updated"] = iso_ms_z(lm) if chance(rng, 0.35) else None
        e = r.get("email")
        r["hs_email_domain"] = e.strip().split("@")[-1].lower() if e and "@" in e and e.strip().split("@")[-1] else None
        for k, v in list(r.items()):
            r[k] = hs_str(v)
    return ordered


# ---------------------------------------------------------------------------
# Salesforce Accounts, Leads, Contacts
# ---------------------------------------------------------------------------


def sf_common_times(rng, start, end):
    cd = rand_time(rng, start, end)
    lm = cd + dt.timedelta(seconds=rng.randint(60, 3600 * 24 * 300))
    lm = min(lm, dt.datetime(2024, 11, 26, 12, 0, tzinfo=UTC)).replace(microsecond=0)
    sm = lm + dt.timedelta(seconds=rng.randint(0, 5))
    return cd.replace(microsecond=0), lm, sm


def sf_fill(platform_obj, recs):
    """SOQL returns every selected field: fill absent ones with null, compute Name."""
    schema = load_schema("salesforce", platform_obj)
    names = [f["name"] for f in schema["fields"]]
    for r in recs:
        if "Name" in names and "FirstName" in names:
            r["Name"] = " ".join(x for x in (r.get("FirstName"), r.get("LastName")) if x)
        for n in names:
            r.setdefault(n, None)
    return recs


def sf_owner(rng):
    return sf_id18(rng.choice(SF_OWNERS_15))


def gen_sf_accounts():
    rng = random.Random(1001)
    # most HubSpot companies exist in Salesforce with the same name; a few with a
    # slightly different legal name (lookups by exact name miss); a few are absent.
    renamed = {
        "Brightwave Analytics": "Brightwave Analytics, Inc.",
        "Hansen & Krüger GmbH": "HANSEN & KRÜGER GMBH",
        "Kaveri Software Pvt Ltd": "Kaveri Software Private Limited",
        "Néosanté": "Neosante SAS",
        "Copperline Financial": "Copperline Financial ",
    }
    absent = {"Tsubasa Games", "Estudio Gaudí Diseño", "Bäckerei Sonnenschein", "Vignobles Girard",
              "Verde Energia Renovável", "Olivar del Sur"}
    sf_only = [
        ("Globex Industrial Supply", "globexindustrial.com", "US", "Manufacturing", 860),
        ("Pinnacle Retail Group", "pinnacleretail.com", "US", "Retail", 4300),
        ("Stonegate Property Management", "stonegatepm.com", "US", "Other", 70),
        ("Meridian Capital Advisors", "meridiancap.co.uk", "UK", "Finance", 25),
        ("Eisenwerk Thüringen GmbH", "eisenwerk-th.de", "DE", "Manufacturing", 1100),
        ("Cabinet Durand & Associés", "cabinet-durand.fr", "FR", "Consulting", 8),
        ("Agrícola Pampa Verde", "pampaverde.com.br", "BR", "Agriculture", 230),
    ]
    types = ["Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller",
             "Installation Partner", "Technology Partner", "Other"]
    recs = []
    ids = {}
    start = dt.datetime(2019, 3, 1, tzinfo=UTC)
    end = dt.datetime(2024, 10, 31, tzinfo=UTC)
    rows = [(c[0], c[1], c[2], c[4], c[6]) for c in COMPANIES if c[0] not in absent] + sf_only
    for n, (name, domain, loc, sf_ind, emp) in enumerate(rows):
        L = LOCALES[loc]
        city = _company_city.get(name) or rng.choice(L["cities"])[0]
        cityrow = [x for x in L["cities"] if x[0] == city][0]
        cd, lm, sm = sf_common_times(rng, start, end)
        aid = sf_id("001", rng)
        ids[name] = aid
        r = {
            "Id": aid,
            "Name": renamed.get(name, name),
            "AccountNumber": "CD%06d" % rng.randint(1000, 999999) if chance(rng, 0.5) else None,
            "Type": rng.choice(types[:3]) if chance(rng, 0.8) else rng.choice(types),
            "Industry": sf_ind if chance(rng, 0.85) else None,
            "Rating": rng.choice(["Hot", "Warm", "Cold", None]),
            "Ownership": rng.choice(["Public", "Private", "Subsidiary", None]),
            "AccountSource": rng.choice(["Web", "Partner Referral", "Purchased List", "Other", None, None]),
            "NumberOfEmployees": emp if chance(rng, 0.85) else None,
            "AnnualRevenue": float(company_revenue(rng, emp)) if chance(rng, 0.7) else None,
            "Website": rng.choice(["https://www." + domain, "www." + domain, domain, "http://" + domain]),
            "Phone": phone(rng, loc, cityrow[3], style=rng.randint(0, 1)),
            "Fax": None,
            "BillingStreet": street(rng, loc) if chance(rng, 0.7) else None,
            "BillingCity": city,
            "BillingState": cityrow[1] if chance(rng, 0.8) else None,
            "BillingPostalCode": postal_code(rng, loc, cityrow[2]) if chance(rng, 0.7) else None,
            "BillingCountry": L["country"] if chance(rng, 0.75) else rng.choice(L["country_variants"]),
            "ShippingCity": None,
            "ShippingCountry": None,
            "Sic": None,
            "TickerSymbol": None,
            "Description": None,
            "ParentId": None,
            "OwnerId": sf_owner(rng),
            "External_Id__c": "ERP-%05d" % (10000 + n * 7) if chance(rng, 0.6) else None,
            "HubSpot_Company_Id__c": None,
            "IsDeleted": False,
            "CreatedDate": sf_datetime(cd),
            "LastModifiedDate": sf_datetime(lm),
            "SystemModstamp": sf_datetime(sm),
        }
        if chance(rng, 0.3):
            r["ShippingCity"], r["ShippingCountry"] = r["BillingCity"], r["BillingCountry"]
        if emp > 3000 and chance(rng, 0.5):
            r["TickerSymbol"] = "".join(ascii_fold(w)[0] for w in name.split()[:3]).upper() + rng.choice(["", "X"])
        recs.append(r)
    # a subsidiary pointing at its parent
    child = dict(recs[[r["Name"] for r in recs].index("Pinnacle Retail Group")])
    child.update({"Id": sf_id("001", rng), "Name": "Pinnacle Retail Group - West", "ParentId": ids["Pinnacle Retail Group"],
                  "Type": "Customer - Direct", "NumberOfEmployees": 640, "External_Id__c": None, "TickerSymbol": None,
                  "BillingCity": "Portland", "BillingState": "OR"})
    recs.append(child)
    # a name collision: two accounts with the same name (lookup ambiguity)
    twin = dict(recs[[r["Name"] for r in recs].index("Northwind Traders")])
    twin.update({"Id": sf_id("001", rng), "Type": "Prospect", "BillingCity": "Seattle", "BillingState": "WA",
                 "External_Id__c": None, "AccountNumber": None, "Description": "Duplicate? created by data import 2023-02"})
    recs.append(twin)
    # messy bits
    recs[4]["Website"] = None
    recs[9]["NumberOfEmployees"] = 0
    recs[12]["Description"] = "Key account – renewal due Q1.\nContact: procurement@ only."
    return recs, ids


def gen_sf_leads(hs_contacts, account_ids):
    rng = random.Random(2002)
    src_map = {"ORGANIC_SEARCH": "Web", "PAID_SEARCH": "Web", "DIRECT_TRAFFIC": "Web", "REFERRALS": "Partner Referral",
               "OFFLINE": "Other", "EMAIL_MARKETING": "Marketing Site", "SOCIAL_MEDIA": "Marketing Site",
               "PAID_SOCIAL": "Marketing Site", "OTHER_CAMPAIGNS": "Marketing Site"}
    recs = []
    start = dt.datetime(2022, 1, 10, tzinfo=UTC)
    end = dt.datetime(2024, 11, 20, tzinfo=UTC)
    # ~18 leads previously synced from HubSpot (clean HubSpot records only)
    synced = [c for c in hs_contacts if is_clean_hs_contact(c)]
    synced = rng.sample(synced, 18)
    for c in synced:
        # created in Salesforce by the sync shortly after the HubSpot contact
        hs_cd = dt.datetime.strptime(c["createdate"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        cd = hs_cd + dt.timedelta(seconds=rng.randint(60, 3600 * 6))
        cd, lm, sm = sf_common_times(rng, cd, cd)
        status = rng.choice(["Open - Not Contacted", "Working - Contacted", "Working - Contacted", "Closed - Not Converted"])
        r = {
            "Id": sf_id("00Q", rng),
            "FirstName": c.get("firstname"),
            "LastName": c["lastname"],
            "Company": c["company"],
            "Title": (c.get("jobtitle") or None) and c["jobtitle"][:128],
            "Email": c["email"],
            "Phone": c.get("phone"),
            "MobilePhone": c.get("mobilephone"),
            "Website": c.get("website"),
            "Street": c.get("address"),
            "City": (c.get("city") or None) and c["city"][:40],
            "State": c.get("state"),
            "PostalCode": c.get("zip"),
            "Country": c.get("country"),
            "LeadSource": src_map.get(c["hs_analytics_source"].strip(), "Other") if (c.get("hs_analytics_source") or "").strip() else "Marketing Site",
            "Status": status,
            "Industry": None,
            "Rating": rng.choice(["Hot", "Warm", "Cold", None, None]),
            "NumberOfEmployees": int(c["employee_count"]) if (c.get("employee_count") or "").isdigit() else None,
            "AnnualRevenue": None,
            "HasOptedOutOfEmail": c.get("hs_email_optout") == "true",
            "DoNotCall": False,
            "Description": "Created in HubSpot on " + c["createdate"][:10],
            "IsConverted": False,
            "ConvertedDate": None,
            "ConvertedAccountId": None,
            "ConvertedContactId": None,
            "OwnerId": sf_owner(rng),
            "Account__c": account_ids.get(c["company"]),
            "External_Id__c": None,
            "HubSpot_Contact_Id__c": c["hs_object_id"],
            "IsDeleted": False,
            "CreatedDate": sf_datetime(cd),
            "LastModifiedDate": sf_datetime(lm),
            "SystemModstamp": sf_datetime(sm),
        }
        recs.append(r)
    # ~30 Salesforce-native leads (trade shows, purchased lists, phone inquiries)
    for n in range(30):
        loc = weighted(rng, LOCALE_KEYS, LOCALE_WEIGHTS)
        co = rng.choice(COMPANIES) if chance(rng, 0.5) else None
        p = make_person(rng, loc, co)
        cd, lm, sm = sf_common_times(rng, start, end)
        company = co[0] if co else rng.choice(["[not provided]", "Self-employed", "Freelance", "Riverside Dental Group",
                                                 "Oakmont Property Services", "Keller Williams Realty", "n/a"])
        status = weighted(rng, ["Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"], [40, 30, 15, 15])
        r = {
            "Id": sf_id("00Q", rng),
            "Salutation": rng.choice(["Mr.", "Ms.", "Mrs.", "Dr.", None, None, None]),
            "FirstName": p["first"],
            "LastName": p["last"],
            "Company": company,
            "Title": p["title"],
            "Email": p["email"] if chance(rng, 0.9) else None,
            "Phone": p["phone"],
            "MobilePhone": p["mobile"],
            "Website": None,
            "Street": p["street"] if chance(rng, 0.4) else None,
            "City": p["city"] if chance(rng, 0.7) else None,
            "State": p["state"] if chance(rng, 0.5) else None,
            "PostalCode": p["zip"] if chance(rng, 0.4) else None,
            "Country": LOCALES[loc]["country"] if chance(rng, 0.7) else rng.choice(LOCALES[loc]["country_variants"]),
            "LeadSource": rng.choice(["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other", "Marketing Site", None]),
            "Status": status,
            "Industry": co[4] if co and chance(rng, 0.6) else None,
            "Rating": rng.choice(["Hot", "Warm", "Cold", None]),
            "NumberOfEmployees": co[6] if co and chance(rng, 0.5) else None,
            "AnnualRevenue": float(company_revenue(rng, co[6])) if co and chance(rng, 0.3) else None,
            "HasOptedOutOfEmail": chance(rng, 0.1),
            "DoNotCall": chance(rng, 0.05),
            "Description": None,
            "IsConverted": status == "Closed - Converted",
            "ConvertedDate": None,
            "ConvertedAccountId": None,
            "ConvertedContactId": None,
            "OwnerId": sf_owner(rng),
            "Account__c": account_ids.get(co[0]) if co and chance(rng, 0.5) else None,
            "External_Id__c": "LD-%06d" % (200000 + n * 13) if chance(rng, 0.5) else None,
            "HubSpot_Contact_Id__c": None,
            "LastActivityDate": (cd + dt.timedelta(days=rng.randint(1, 60))).date().isoformat() if chance(rng, 0.4) else None,
            "IsDeleted": False,
            "CreatedDate": sf_datetime(cd),
            "LastModifiedDate": sf_datetime(lm),
            "SystemModstamp": sf_datetime(sm),
        }
        if r["IsConverted"]:
            r["ConvertedDate"] = (cd + dt.timedelta(days=rng.randint(3, 90))).date().isoformat()
            r["ConvertedAccountId"] = account_ids.get(co[0]) if co and co[0] in account_ids else sf_id("001", rng)
            r["ConvertedContactId"] = sf_id("003", rng)
        recs.append(r)
    # messy touches (things Salesforce accepts)
    recs[20]["Email"] = recs[20]["Email"].upper() if recs[20]["Email"] else "INFO@RIVERSIDEDENTAL.COM"
    recs[22]["LastName"] = "Unknown"
    recs[25]["Company"] = "[not provided]"
    recs[27]["State"] = "California"
    recs[27]["Country"] = "US"
    recs[30]["Description"] = "Met at booth #42 (SaaStr). Wants pricing for 200 seats.\nFollow up after 15/01."
    recs[33]["Phone"] = "555.010.2030"
    recs[35]["Title"] = "CEO / Founder / Chief Bottle Washer"
    # phones as people type them into Salesforce (any text up to 40 characters)
    recs[38]["Phone"] = "1-800-FLOWERS"
    recs[41]["Phone"] = "call after 5pm"
    recs[44]["FirstName"] = "A" * 39 + "\U0001F642"
    return recs


def gen_sf_contacts(account_ids):
    rng = random.Random(3003)
    recs = []
    start = dt.datetime(2019, 5, 1, tzinfo=UTC)
    end = dt.datetime(2024, 11, 15, tzinfo=UTC)
    acct_cos = [c for c in COMPANIES if c[0] in account_ids]
    departments = ["Marketing", "Sales", "Finance", "IT", "Operations", "Procurement", "Human Resources", "Executive", None]
    for n in range(52):
        co = rng.choice(acct_cos)
        loc = co[2] if chance(rng, 0.85) else weighted(rng, LOCALE_KEYS, LOCALE_WEIGHTS)
        p = make_person(rng, loc, co)
        cd, lm, sm = sf_common_times(rng, start, end)
        L = LOCALES[loc]
        bounced = chance(rng, 0.06)
        r = {
            "Id": sf_id("003", rng),
            "AccountId": account_ids[co[0]],
            "Salutation": rng.choice(["Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", None, None, None, None]),
            "FirstName": p["first"] if chance(rng, 0.95) else None,
            "LastName": p["last"],
            "Email": p["email"] if chance(rng, 0.9) else None,
            "Phone": p["phone"],
            "MobilePhone": p["mobile"],
            "HomePhone": None,
            "Fax": None,
            "Title": p["title"],
            "Department": rng.choice(departments),
            "Birthdate": p["dob"].isoformat() if p["dob"] else None,
            "MailingStreet": p["street"] if chance(rng, 0.6) else None,
            "MailingCity": p["city"] if chance(rng, 0.85) else None,
            "MailingState": p["state"] if chance(rng, 0.6) else None,
            "MailingPostalCode": p["zip"] if chance(rng, 0.6) else None,
            "MailingCountry": L["country"] if chance(rng, 0.8) else rng.choice(L["country_variants"]),
            "LeadSource": rng.choice(["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other", "Marketing Site", None, None]),
            "HasOptedOutOfEmail": chance(rng, 0.1),
            "DoNotCall": chance(rng, 0.05),
            "Description": None,
            "ReportsToId": None,
            "AssistantName": None,
            "OwnerId": sf_owner(rng),
            "IsEmailBounced": bounced,
            "EmailBouncedReason": "550 5.1.1 The email account that you tried to reach does not exist." if bounced else None,
            "EmailBouncedDate": sf_datetime(lm) if bounced else None,
            "External_Id__c": "CRM-%06d" % (500000 + n * 11) if chance(rng, 0.55) else None,
            "LastActivityDate": (cd + dt.timedelta(days=rng.randint(1, 400))).date().isoformat() if chance(rng, 0.5) else None,
            "IsDeleted": False,
            "CreatedDate": sf_datetime(cd),
            "LastModifiedDate": sf_datetime(lm),
            "SystemModstamp": sf_datetime(sm),
        }
        if r["Email"] is None and bounced:
            r["IsEmailBounced"], r["EmailBouncedReason"], r["EmailBouncedDate"] = False, None, None
        recs.append(r)
    # values Salesforce accepts that other platforms may not (the Mailchimp sample mapping warns)
    recs[10]["Phone"] = "1-800-FLOWERS"
    recs[12]["Email"] = "ann.lee.@example.com"
    # reporting lines
    for i in (5, 6, 7):
        recs[i]["ReportsToId"] = recs[4]["Id"]
        recs[i]["AccountId"] = recs[4]["AccountId"]
    recs[4]["AssistantName"] = "Claire Dubois"
    # mess Salesforce allows: mixed case emails, duplicate email on two contacts,
    # unicode names, long-ish descriptions, birthdate without other data
    recs[2]["Email"] = (recs[2]["Email"] or "j.doe@copperline.com").title()
    recs[10]["Email"] = recs[11]["Email"] = "accounts@hansen-krueger.de"
    recs[10]["AccountId"] = recs[11]["AccountId"] = account_ids["Hansen & Krüger GmbH"]
    recs[14]["FirstName"], recs[14]["LastName"] = "Zoë", "Ó Súilleabháin"
    recs[15]["FirstName"], recs[15]["LastName"] = "王", "芳"  # entered in the wrong order
    recs[18]["Email"] = "Jose.Ibanez@SolucionesIbericas.es"
    recs[18]["FirstName"], recs[18]["LastName"] = "José", "Ibáñez"
    recs[21]["Birthdate"] = "1988-02-29"
    recs[23]["Description"] = "Prefers WhatsApp. Do not email before 10:00 CET."
    recs[26]["LastName"] = "de la Fuente y Álvarez-Quiñones"
    recs[29]["MailingCountry"] = "Deutschland"
    recs[31]["HasOptedOutOfEmail"] = True
    return recs


# ---------------------------------------------------------------------------
# Mailchimp members
# ---------------------------------------------------------------------------


def gen_mailchimp_members(sf_contacts):
    rng = random.Random(4004)
    list_id = "a1b2c3d4e5"
    recs = []
    start = dt.datetime(2020, 2, 1, tzinfo=UTC)
    end = dt.datetime(2024, 11, 20, tzinfo=UTC)
    # half of the audience overlaps with Salesforce contacts (so upserts match)
    overlap = [c for c in sf_contacts if c["Email"]]
    overlap = rng.sample(overlap, 22)
    people = []
    for c in overlap:
        people.append({"email": c["Email"], "first": c["FirstName"], "last": c["LastName"],
                       "phone": c["Phone"], "cc": None, "dob": c["Birthdate"], "company": None,
                       "country": c["MailingCountry"]})
    for _ in range(26):
        loc = weighted(rng, LOCALE_KEYS, LOCALE_WEIGHTS)
        co = rng.choice(COMPANIES) if chance(rng, 0.4) else None
        p = make_person(rng, loc, co)
        people.append({"email": p["email"], "first": p["first"], "last": p["last"], "phone": p["phone"],
                       "cc": LOCALES[loc]["country_code"], "dob": p["dob"].isoformat() if p["dob"] else None,
                       "company": co[0] if co else None, "country": LOCALES[loc]["country"],
                       "addr": (p["street"], p["city"], p["state"], p["zip"], LOCALES[loc]["country_code"])})
    seen, uniq = set(), []
    for p in people:
        if p["email"].lower() not in seen:
            seen.add(p["email"].lower())
            uniq.append(p)
    people = uniq
    rng.shuffle(people)
    langs = {"US": "en", "GB": "en", "DE": "de", "FR": "fr", "ES": "es_ES", "IN": "en", "BR": "pt", "JP": "ja"}
    country_cc = {LOCALES[k]["country"]: LOCALES[k]["country_code"] for k in LOCALE_KEYS}
    for p in people:
        email = p["email"]
        status = weighted(rng, ["subscribed", "unsubscribed", "cleaned", "pending", "transactional"], [68, 14, 6, 7, 5])
        cd = rand_time(rng, start, end)
        lc = cd + dt.timedelta(seconds=rng.randint(0, 3600 * 24 * 300))
        lc = min(lc, dt.datetime(2024, 11, 27, tzinfo=UTC))
        cc = p["cc"] or country_cc.get(p["country"] or "", "")
        signup_known = chance(rng, 0.6)
        addr = ""
        if p.get("addr") and chance(rng, 0.35):
            addr = "  ".join(x for x in p["addr"] if x)
        bday = ""
        if p["dob"] and chance(rng, 0.8):
            bday = p["dob"][5:7] + "/" + p["dob"][8:10]
        lat, lon = (0, 0)
        if cc and chance(rng, 0.5):
            lat, lon = round(rng.uniform(-35, 60), 4), round(rng.uniform(-120, 140), 4)
        r = {
            "id": hashlib.md5(email.lower().encode("utf-8")).hexdigest(),
            "email_address": email,
            "unique_email_id": hexstr(rng, 10),
            "contact_id": hexstr(rng, 32),
            "full_name": " ".join(x for x in (p["first"], p["last"]) if x),
            "web_id": rng.randint(100000000, 999999999),
            "email_type": "html" if chance(rng, 0.95) else "text",
            "status": status,
            "unsubscribe_reason": rng.choice(["N/A (Unsubscribed by an admin)", "I no longer want to receive these emails",
                                              "The emails are inappropriate", "Other"]) if status == "unsubscribed" else None,
            "merge_fields.FNAME": p["first"] or "",
            "merge_fields.LNAME": p["last"] or "",
            "merge_fields.PHONE": p["phone"] or "",
            "merge_fields.ADDRESS": addr,
            "merge_fields.BIRTHDAY": bday,
            "merge_fields.COMPANY": p["company"] or "",
            "language": langs.get(cc, "") if chance(rng, 0.6) else "",
            "vip": chance(rng, 0.05),
            "member_rating": rng.randint(1, 5),
            "tags": ",".join(rng.sample(["Customer", "Newsletter", "Webinar 2024", "Trade Show", "Beta", "VIP Event"], rng.randint(0, 2))),
            "location.country_code": cc if lat else "",
            "location.latitude": lat,
            "location.longitude": lon,
            "location.timezone": "",
            "ip_signup": "%d.%d.%d.%d" % (rng.randint(23, 212), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)) if signup_known else "",
            "timestamp_signup": mc_datetime(cd) if signup_known else "",
            "ip_opt": "%d.%d.%d.%d" % (rng.randint(23, 212), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)),
            "timestamp_opt": mc_datetime(cd + dt.timedelta(seconds=rng.randint(5, 600))),
            "source": rng.choice(["API - Generic", "Hosted Signup Form", "Import", "Admin Add", "Salesforce"]),
            "email_client": rng.choice(["Gmail", "Apple Mail", "Outlook 2016", "iPhone", ""]),
            "stats.avg_open_rate": round(rng.random() * 0.8, 2),
            "stats.avg_click_rate": round(rng.random() * 0.2, 2),
            "list_id": list_id,
            "last_changed": mc_datetime(lc),
        }
        if r["unsubscribe_reason"] is None:
            del r["unsubscribe_reason"]
        recs.append(r)
    # mess Mailchimp tolerates (merge fields are free text)
    recs[3]["merge_fields.FNAME"] = " " + recs[3]["merge_fields.FNAME"] + " "
    recs[7]["merge_fields.BIRTHDAY"] = "4/1"
    recs[9]["merge_fields.PHONE"] = "ext 12"
    recs[12]["merge_fields.LNAME"] = ""
    recs[15]["language"] = "English"
    recs[18]["merge_fields.COMPANY"] = "N/A"
    recs[21]["tags"] = "Customer, customer ,Newsletter"
    return recs


# ---------------------------------------------------------------------------
# Segment identify / track
# ---------------------------------------------------------------------------


def gen_segment_identify(hs_contacts):
    rng = random.Random(6006)
    recs = []
    clean = [c for c in hs_contacts if is_clean_hs_contact(c)]
    src = rng.sample(clean, 40)
    t0 = dt.datetime(2024, 9, 1, tzinfo=UTC)
    t1 = dt.datetime(2024, 11, 27, tzinfo=UTC)
    plans = ["free", "starter", "pro", "business", "enterprise"]
    for c in src:
        t = rand_time(rng, t0, t1)
        hs_cd = dt.datetime.strptime(c["createdate"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        if t < hs_cd:
            t = hs_cd + dt.timedelta(seconds=rng.randint(5, 3600))
        known = chance(rng, 0.85)
        company = c.get("company")
        emp = c.get("employee_count") if (c.get("employee_count") or "").strip().isdigit() else None
        r = {
            "userId": ("usr_" + hexstr(rng, 12)) if known else None,
            "anonymousId": uuid4(rng) if (not known or chance(rng, 0.5)) else None,
            "messageId": "ajs-next-" + hexstr(rng, 32) if chance(rng, 0.6) else uuid4(rng),
            "timestamp": iso_ms_z(t),
            "sentAt": iso_ms_z(t + dt.timedelta(milliseconds=rng.randint(5, 900))),
            "receivedAt": iso_ms_z(t + dt.timedelta(milliseconds=rng.randint(900, 4000))),
            "context.ip": "%d.%d.%d.%d" % (rng.randint(23, 212), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)),
            "context.library.name": rng.choice(["analytics.js", "analytics-node", "analytics-python", "analytics-ios"]),
            "traits.email": c["email"],
            "traits.firstName": c.get("firstname"),
            "traits.lastName": c.get("lastname"),
            "traits.name": " ".join(x for x in (c.get("firstname"), c.get("lastname")) if x) or None,
            "traits.phone": c.get("phone"),
            "traits.title": c.get("jobtitle"),
            "traits.createdAt": c.get("createdate"),
            "traits.plan": rng.choice(plans) if chance(rng, 0.7) else None,
            "traits.company.name": company,
            "traits.company.employee_count": int(emp) if emp else None,
            "traits.address.city": c.get("city"),
            "traits.address.country": c.get("country"),
            "traits.lifecycle_stage": c.get("lifecyclestage"),
            "traits.unsubscribed": c.get("hs_email_optout") == "true",
            "traits.hubspot_contact_id": c["hs_object_id"],
        }
        if chance(rng, 0.3):
            r["context.locale"] = rng.choice(["en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "pt-BR", "ja-JP"])
        if chance(rng, 0.2):
            r["traits.website"] = c.get("website")
        # Segment drops null traits in practice; keep some keys absent
        for k in [k for k, v in r.items() if v is None and k.startswith("traits.")]:
            if chance(rng, 0.7):
                del r[k]
        recs.append(r)
    # anonymous visitors (no traits beyond what a form gives)
    for _ in range(6):
        t = rand_time(rng, t0, t1)
        recs.append({"userId": None, "anonymousId": uuid4(rng), "messageId": "ajs-next-" + hexstr(rng, 32),
                     "timestamp": iso_ms_z(t), "context.ip": "%d.%d.%d.%d" % (rng.randint(23, 212), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)),
                     "traits.email": rng.choice(["visitor%d@gmail.com" % rng.randint(100, 999), None])})
    # mess
    recs[2]["traits.email"] = recs[2]["traits.email"].upper()
    recs[5]["traits.createdAt"] = "1709634131"                # epoch seconds as a string
    recs[8]["traits.company.employee_count"] = "1,200"       # string where a number is expected
    recs[11]["traits.firstName"] = "  " + (recs[11].get("traits.firstName") or "Ana") + " "
    recs[14]["traits.birthday"] = "1990-04-01"
    recs[14]["traits.age"] = 34
    recs[17]["userId"] = None
    recs[17]["anonymousId"] = None                             # invalid: neither id
    recs[20]["timestamp"] = "2024-11-05 14:03:22"              # not ISO 8601 with T/zone
    recs[23]["traits.address.country"] = "DE"
    rng.shuffle(recs)
    return recs


def gen_segment_track(identifies):
    rng = random.Random(6116)
    users = [(r.get("userId"), r.get("anonymousId"), r.get("traits.email")) for r in identifies if r.get("userId") or r.get("anonymousId")]
    t0 = dt.datetime(2024, 9, 1, tzinfo=UTC)
    t1 = dt.datetime(2024, 11, 27, tzinfo=UTC)
    products = [("sku-1001", "Starter Plan (annual)", "Subscriptions", 290.0), ("sku-1002", "Pro Plan (monthly)", "Subscriptions", 49.0),
                ("sku-2001", "Onboarding Package", "Services", 1500.0), ("sku-3005", "Extra Seats x5", "Add-ons", 75.0),
                ("sku-4100", "API Overage 1M calls", "Usage", 19.99)]
    pages = ["/pricing", "/features", "/blog/marketing-ops-checklist", "/demo", "/signup", "/integrations/hubspot"]
    events = ["Order Completed", "Signed Up", "Product Viewed", "Form Submitted", "Trial Started",
              "Subscription Upgraded", "Checkout Started", "Product Added"]
    weights = [14, 10, 18, 12, 8, 5, 8, 10]
    recs = []
    for n in range(56):
        uid, aid, email = rng.choice(users)
        ev = weighted(rng, events, weights)
        t = rand_time(rng, t0, t1)
        path = rng.choice(pages)
        r = {
            "userId": uid,
            "anonymousId": aid if (aid and chance(rng, 0.7)) or not uid else None,
            "event": ev,
            "messageId": "ajs-next-" + hexstr(rng, 32),
            "timestamp": iso_ms_z(t),
            "sentAt": iso_ms_z(t + dt.timedelta(milliseconds=rng.randint(5, 900))),
            "receivedAt": iso_ms_z(t + dt.timedelta(milliseconds=rng.randint(900, 4000))),
            "context.ip": "%d.%d.%d.%d" % (rng.randint(23, 212), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)),
            "context.userAgent": rng.choice([
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"]),
            "context.page.url": "https://www.example.com" + path,
            "context.page.path": path,
        }
        if chance(rng, 0.35):
            r["context.campaign.source"] = rng.choice(["google", "linkedin", "newsletter", "facebook"])
            r["context.campaign.medium"] = rng.choice(["cpc", "email", "social", "paid_social"])
            r["context.campaign.name"] = rng.choice(["q4-promo", "black-friday-2024", "webinar-oct", "brand"])
        if chance(rng, 0.3):
            r["context.page.referrer"] = rng.choice(["https://www.google.com/", "https://www.linkedin.com/", "https://news.ycombinator.com/"])
        pid, pname, pcat, price = rng.choice(products)
        cur = rng.choice(["USD", "USD", "USD", "EUR", "GBP", "BRL", "JPY"])
        if ev == "Order Completed":
            qty = rng.randint(1, 3)
            total = round(price * qty, 2)
            tax = round(total * 0.08, 2)
            r.update({"properties.order_id": "ord_%06d" % rng.randint(1, 999999), "properties.total": total,
                      "properties.revenue": round(total - tax, 2), "properties.tax": tax, "properties.shipping": 0.0,
                      "properties.currency": cur, "properties.product_id": pid, "properties.sku": pid,
                      "properties.name": pname, "properties.category": pcat, "properties.price": price,
                      "properties.quantity": qty})
            if chance(rng, 0.25):
                r["properties.coupon"] = rng.choice(["WELCOME10", "BF2024"])
                r["properties.discount"] = round(total * 0.1, 2)
        elif ev in ("Product Viewed", "Product Added", "Checkout Started"):
            r.update({"properties.product_id": pid, "properties.sku": pid, "properties.name": pname,
                      "properties.category": pcat, "properties.price": price, "properties.currency": cur})
            if ev != "Product Viewed":
                r["properties.quantity"] = rng.randint(1, 4)
            if ev == "Checkout Started":
                r["properties.value"] = round(price * r["properties.quantity"], 2)
        elif ev == "Signed Up":
            r.update({"properties.plan": rng.choice(["free", "starter", "pro"]), "properties.email": email})
        elif ev == "Trial Started":
            r.update({"properties.plan": rng.choice(["pro", "business"]), "properties.value": 0.0})
        elif ev == "Subscription Upgraded":
            r.update({"properties.plan": rng.choice(["business", "enterprise"]), "properties.revenue": rng.choice([99.0, 499.0, 1299.0]),
                      "properties.currency": "USD"})
        elif ev == "Form Submitted":
            r.update({"properties.form_id": rng.choice(["contact-us", "demo-request", "newsletter"]), "properties.email": email})
        recs.append(r)
    recs.sort(key=lambda r: r["timestamp"])
    # mess
    orders = [r for r in recs if r["event"] == "Order Completed"]
    orders[0]["properties.revenue"] = "49.99"              # string number
    orders[1]["properties.currency"] = "usd"               # lower-case currency
    orders[2].pop("properties.currency", None)             # missing currency (Segment assumes USD)
    recs[5]["event"] = ""                                  # invalid: empty event name
    recs[9]["event"] = "order completed"                   # inconsistent casing
    recs[13]["userId"] = None
    recs[13]["anonymousId"] = None                         # invalid: neither id
    recs[17]["event"] = "  Signed Up "
    recs[21]["properties.quantity"] = "2"
    recs[25]["timestamp"] = "2024-10-12T09:15:00+02:00"   # offset instead of Z
    return recs


# ---------------------------------------------------------------------------
# GA4 Measurement Protocol events
# ---------------------------------------------------------------------------


def gen_ga4_events():
    rng = random.Random(4444)
    t0 = dt.datetime(2024, 11, 24, tzinfo=UTC)
    t1 = dt.datetime(2024, 11, 27, 12, 0, tzinfo=UTC)
    clients = []
    for _ in range(18):
        first = rng.randint(1700000000, 1732000000)
        clients.append(("%d.%d" % (rng.randint(100000000, 2147483647), first),
                        ("usr_" + hexstr(rng, 12)) if chance(rng, 0.5) else None,
                        rng.choice(["US", "GB", "DE", "FR", "ES", "IN", "BR", "JP"])))
    names = ["page_view", "purchase", "sign_up", "generate_lead", "login", "begin_checkout", "search", "add_to_cart"]
    weights = [30, 10, 8, 10, 10, 8, 8, 10]
    pages = [("https://www.example.com/", "Home"), ("https://www.example.com/pricing", "Pricing | Example"),
             ("https://www.example.com/features", "Features | Example"),
             ("https://www.example.com/blog/marketing-ops-checklist", "The Marketing Ops Checklist"),
             ("https://www.example.com/demo", "Book a demo")]
    recs = []
    for _ in range(54):
        cid, uid, cc = rng.choice(clients)
        name = weighted(rng, names, weights)
        t = rand_time(rng, t0, t1)
        micros = int(t.timestamp()) * 1000000 + t.microsecond + rng.randint(0, 999)
        url, title = rng.choice(pages)
        r = {
            "client_id": cid,
            "timestamp_micros": micros,
            "name": name,
            "params.session_id": str(int(t.timestamp()) - rng.randint(0, 1800)),
            "params.engagement_time_msec": rng.randint(100, 120000),
        }
        if uid:
            r["user_id"] = uid
        if name == "page_view":
            r["params.page_location"] = url
            r["params.page_title"] = title
            if chance(rng, 0.4):
                r["params.page_referrer"] = rng.choice(["https://www.google.com/", "https://www.linkedin.com/"])
        elif name == "purchase":
            v = rng.choice([49.0, 290.0, 1500.0, 75.0, 19.99])
            r.update({"params.transaction_id": "T-%06d" % rng.randint(1, 999999), "params.value": v,
                      "params.currency": rng.choice(["USD", "EUR", "GBP"]), "params.tax": round(v * 0.08, 2),
                      "params.shipping": 0.0})
            if chance(rng, 0.2):
                r["params.coupon"] = "WELCOME10"
        elif name in ("sign_up", "login"):
            r["params.method"] = rng.choice(["email", "Google", "Microsoft", "SSO"])
        elif name == "generate_lead":
            r.update({"params.value": rng.choice([50.0, 100.0, 250.0]), "params.currency": "USD",
                      "params.lead_source": rng.choice(["demo_form", "contact_form", "webinar", "chat"]),
                      "params.form_id": rng.choice(["demo-request", "contact-us", "webinar-oct"])})
        elif name in ("begin_checkout", "add_to_cart"):
            r.update({"params.value": rng.choice([49.0, 290.0, 75.0]), "params.currency": "USD"})
        elif name == "search":
            r["params.search_term"] = rng.choice(["hubspot integration", "pricing", "salesforce sync", "gdpr"])
        if chance(rng, 0.4):
            r["user_properties.plan"] = rng.choice(["free", "starter", "pro", "business"])
        if chance(rng, 0.2):
            r["user_properties.customer_tier"] = rng.choice(["smb", "mid_market", "enterprise"])
        if chance(rng, 0.25):
            r["user_location.country_id"] = cc
        if chance(rng, 0.3):
            r["device.category"] = rng.choice(["desktop", "mobile", "tablet"])
            r["device.language"] = rng.choice(["en-us", "en-gb", "de", "fr", "es", "pt-br", "ja"])
        recs.append(r)
    recs.sort(key=lambda r: r["timestamp_micros"])
    # mess: things /debug/mp/collect would flag
    recs[3]["name"] = "sign-up"                                              # hyphen not allowed
    recs[7]["name"] = "completed_the_onboarding_checklist_and_invited_team"  # > 40 chars
    recs[11]["name"] = "session_start"                                       # reserved name
    recs[15]["client_id"] = ""                                               # required, empty
    recs[19]["params.currency"] = "usd"
    recs[19]["params.value"] = "19.99"                                       # string number
    recs[23]["user_id"] = "maria.garcia@solucionesibericas.es"              # PII in user_id
    recs[27]["user_properties.lifecycle_stage"] = "marketing qualified lead - webinar attendee"  # > 36 chars
    recs[31]["params.currency"] = "EURO"
    del recs[35]["client_id"]                                                # missing required key
    recs[39]["params.debug_mode"] = True
    recs[43]["timestamp_micros"] = 1732000000000                             # milliseconds, not micros
    recs[47]["name"] = "Purchase"                                            # case matters in GA4
    return recs


# ---------------------------------------------------------------------------


def main():
    rng = random.Random(1)
    assign_company_cities(rng)
    out = []
    companies, company_ids = gen_hubspot_companies()
    contacts = gen_hubspot_contacts(company_ids)
    # num_associated_contacts on companies reflects the contacts
    counts = {}
    for c in contacts:
        if c.get("associatedcompanyid"):
            counts[c["associatedcompanyid"]] = counts.get(c["associatedcompanyid"], 0) + 1
    for co in companies:
        co["num_associated_contacts"] = str(counts.get(co["hs_object_id"], 0))
    for co in companies:
        for k, v in list(co.items()):
            co[k] = hs_str(v)
    out.append(write_jsonl("hubspot", "contact", contacts))
    out.append(write_jsonl("hubspot", "company", companies))
    accounts, account_ids = gen_sf_accounts()
    out.append(write_jsonl("salesforce", "Account", sf_fill("Account", accounts)))
    out.append(write_jsonl("salesforce", "Lead", sf_fill("Lead", gen_sf_leads(contacts, account_ids))))
    sf_contacts = sf_fill("Contact", gen_sf_contacts(account_ids))
    out.append(write_jsonl("salesforce", "Contact", sf_contacts))
    out.append(write_jsonl("mailchimp", "member", gen_mailchimp_members(sf_contacts)))
    identifies = gen_segment_identify(contacts)
    out.append(write_jsonl("segment", "identify", identifies))
    out.append(write_jsonl("segment", "track", gen_segment_track(identifies)))
    out.append(write_jsonl("ga4", "event", gen_ga4_events()))
    for path, n in out:
        print("%4d  %s" % (n, os.path.relpath(path, ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
