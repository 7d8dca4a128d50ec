"""What the words of a user's sheet mean to sheetfunnel: column headers to fields, activity
names to activity types. English and French, and the headers of common CRM exports (HubSpot,
Salesforce, Pipedrive, Zoho); case, accents and punctuation ignored.

`sheetfunnel init` maps a new sheet with it, and a run uses it to suggest the closest activity
types of a name that matches none.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from .config import Config

#: Contact field -> headers meaning it, best first.
# fmt: off
FIELD_HEADERS: dict[str, tuple[str, ...]] = {
    "key": (
        "email", "e mail", "email address", "e mail address", "adresse email",
        "adresse e mail", "adresse mail", "courriel", "mail", "work email", "contact email",
        "primary email", "email 1", "email professionnel", "e mail professionnel",
    ),
    "name": (
        "name", "full name", "contact name", "nom complet", "nom et prenom", "prenom nom",
        "nom du contact", "contact", "person", "personne", "nom", "last name",
    ),
    "company": (
        "company", "company name", "account name", "account", "organization",
        "organisation", "organization name", "organisation name", "societe", "entreprise",
        "nom de l entreprise", "nom de la societe", "raison sociale", "compte", "employer",
    ),
    "title": (
        "job title", "title", "position", "job position", "role", "fonction", "poste",
        "intitule du poste", "titre", "job role",
    ),
    "company_size": (
        "company size", "number of employees", "employees", "no of employees",
        "nb of employees", "employee count", "headcount", "effectif", "effectifs",
        "taille", "taille entreprise", "taille de l entreprise", "nombre de salaries",
        "nombre d employes", "nb salaries", "organization employees", "size",
    ),
    "sector": (
        "sector", "industry", "secteur", "secteur d activite", "industrie", "vertical",
        "activite", "domaine",
    ),
    "country": (
        "country", "country region", "pays", "mailing country", "billing country",
        "country name",
    ),
    "source": (
        "source", "original source", "lead source", "contact source", "origine",
        "source du lead", "source du contact", "canal", "channel", "source d acquisition",
        "provenance",
    ),
    "owner": (
        "owner", "contact owner", "lead owner", "account owner", "deal owner", "sales rep",
        "sales agent", "assigned to", "owner name", "commercial", "proprietaire",
        "proprietaire du contact", "responsable", "charge d affaires", "vendeur",
    ),
    "created": (
        "created", "create date", "created date", "created time", "created at",
        "date created", "creation date", "date de creation", "cree le", "date d entree",
        "date d ajout", "added", "added on", "first seen",
    ),
}

#: Headers of a column that already holds a stage of the user's: offered as the override
#: column (commented), never taken for sheetfunnel's own Stage column.
STAGE_HEADERS = (
    "stage override", "lifecycle stage", "lead status", "deal stage", "pipeline stage",
    "stage", "status", "statut", "etape", "etape du cycle de vie", "phase", "cycle de vie",
    "statut du lead", "lead stage", "etape (manuelle)",
)

#: Activity log columns -> headers meaning them.
LOG_HEADERS: dict[str, tuple[str, ...]] = {
    "contact": FIELD_HEADERS["key"],
    "type": (
        "activity", "activity type", "type", "action", "event", "event type",
        "interaction", "type d activite", "activite", "evenement", "type d action",
        "type d interaction", "touchpoint", "subject", "objet",
    ),
    "date": (
        "date", "activity date", "event date", "timestamp", "date de l activite",
        "date et heure", "date heure", "when", "quand", "jour", "created", "date time",
    ),
}

#: Activity type id -> texts a log uses for it.
TYPE_NAMES: dict[str, tuple[str, ...]] = {
    "email_open": (
        "email open", "email opened", "opened email", "open", "opened", "ouverture email",
        "ouverture e mail", "ouverture mail", "ouverture", "email ouvert", "mail ouvert",
        "marketing email opened", "ouverture newsletter",
    ),
    "email_click": (
        "email click", "email clicked", "clicked", "click", "clic", "clic email",
        "clic e mail", "clic mail", "clic sur lien", "lien clique", "clic newsletter",
    ),
    "page_visit": (
        "page visit", "site visit", "visit", "website visit", "page view", "pageview",
        "visite", "visite site", "visite du site", "visite site web", "visite page",
        "visite web", "page vue", "page consultee",
    ),
    "content_download": (
        "download", "content download", "whitepaper download", "ebook download",
        "telechargement", "livre blanc", "telechargement livre blanc", "brochure",
        "telechargement contenu", "telechargement brochure", "guide telecharge",
    ),
    "webinar": (
        "webinar", "webinar attended", "webinaire", "webinaire suivi", "webinar registration",
        "inscription webinaire", "participation webinaire", "event attended", "trade show",
        "visite salon", "salon", "evenement", "conference", "stand salon",
    ),
    "form_submit": (
        "form", "form submit", "form submission", "form submitted", "formulaire",
        "formulaire rempli", "formulaire envoye", "soumission formulaire",
        "formulaire de contact", "contact form", "inscription", "sign up", "signup",
    ),
    "call": (
        "call", "phone call", "call logged", "appel", "appel telephonique", "telephone",
        "coup de fil", "appel sortant", "appel entrant",
    ),
    "meeting": (
        "meeting", "meeting booked", "rendez vous", "rdv", "reunion", "rencontre",
        "visio", "rendez vous client",
    ),
    "demo_request": (
        "demo", "demo request", "demo requested", "request a demo", "demande de demo",
        "demande demo", "demo demandee", "demonstration", "demande de demonstration",
    ),
    "quote_request": (
        "quote", "quote request", "quote requested", "request for quote", "rfq",
        "pricing request", "devis", "demande de devis", "demande devis", "devis demande",
        "demande de prix", "demande de tarif",
    ),
    "purchase": (
        "purchase", "order", "won", "closed won", "deal won", "achat", "commande",
        "signature", "contrat signe", "gagne", "vente",
    ),
    "unsubscribe": (
        "unsubscribe", "unsubscribed", "opt out", "opted out", "desabonnement",
        "desinscription", "desabonne", "desinscrit",
    ),
    "bounce": (
        "bounce", "hard bounce", "bounced", "email bounced", "rebond", "email invalide",
        "adresse invalide", "npai",
    ),
}

#: Counter or flag columns of a contacts-only export -> activity type.
COUNTER_HEADERS: dict[str, tuple[str, ...]] = {
    "form_submit": (
        "number of form submissions", "form submissions", "forms submitted",
        "nombre de formulaires", "formulaires remplis", "formulaires",
    ),
    "email_open": (
        "marketing emails opened", "emails opened", "email opens", "number of email opens",
        "emails ouverts", "nombre d ouvertures", "ouvertures",
    ),
    "email_click": (
        "marketing emails clicked", "emails clicked", "email clicks", "number of email clicks",
        "clics", "nombre de clics", "emails cliques",
    ),
    "page_visit": (
        "number of pageviews", "pageviews", "page views", "number of page views",
        "number of sessions", "sessions", "pages vues", "visites", "nombre de visites",
    ),
    "content_download": (
        "downloads", "content downloads", "number of downloads", "telechargements",
        "nombre de telechargements",
    ),
    "webinar": (
        "webinars attended", "number of webinars", "webinars", "webinaires",
        "webinaires suivis",
    ),
    "call": ("calls", "number of calls", "appels", "nombre d appels"),
    "meeting": ("meetings", "number of meetings", "rendez vous", "reunions", "rdv"),
    "demo_request": (
        "demo requested", "demo request", "requested a demo", "demande de demo", "demo demandee",
    ),
    "quote_request": (
        "quote requested", "quote request", "requested a quote", "demande de devis",
        "devis demande",
    ),
    "purchase": ("customer", "purchased", "client", "a achete"),
    "unsubscribe": (
        "unsubscribed", "unsubscribed from all email", "opted out of email", "opted out",
        "desabonne", "desinscrit",
    ),
    "bounce": ("email bounced", "hard bounced", "bounced", "email invalide", "npai"),
}
# fmt: on

FUZZY_CUTOFF = 0.86


def fold(text: object) -> str:
    """Lower case, no accents, punctuation as spaces: "Adresse e-mail" -> "adresse e mail"."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


#: Words CRM exports put around a header: "Person - Email - Work" (Pipedrive) is an e-mail.
_PREFIXES = ("person", "contact", "lead", "organization", "organisation", "account", "deal")
_SUFFIXES = ("work", "home", "other", "value", "1", "principal", "pro")


def variants(folded: str) -> list[str]:
    """`folded`, then without a CRM's entity prefix and a kind suffix."""
    out = [folded]
    words = folded.split()
    if len(words) > 1 and words[0] in _PREFIXES:
        words = words[1:]
        out.append(" ".join(words))
    if len(words) > 1 and words[-1] in _SUFFIXES:
        out.append(" ".join(words[:-1]))
    return out


def match_one(
    text: str, vocabulary: Mapping[str, Sequence[str]], *, fuzzy: bool = True
) -> tuple[str, bool] | None:
    """The one entry of `vocabulary` whose words `text` is: (id, exact?), or None.

    Exact (after `fold`) first; else a close fuzzy match, but only when no other entry comes
    close too (an ambiguous guess is worse than none).
    """
    folded = fold(text)
    if not folded:
        return None
    for variant in variants(folded):
        for name, words in vocabulary.items():
            if variant in words:
                return name, True
    if not fuzzy:
        return None
    best = ranked(folded, vocabulary)
    if not best or best[0][1] < FUZZY_CUTOFF:
        return None
    if len(best) > 1 and best[1][1] >= best[0][1] - 0.05:
        return None
    return best[0][0], False


def ranked(folded: str, vocabulary: Mapping[str, Sequence[str]]) -> list[tuple[str, float]]:
    """Entries by their closest word's similarity to `folded`, best first."""
    scores = []
    for name, words in vocabulary.items():
        best = max(difflib.SequenceMatcher(None, folded, w).ratio() for w in words)
        scores.append((name, best))
    return sorted(scores, key=lambda s: -s[1])


def closest_types(text: str, config: Config, n: int = 2) -> list[str]:
    """The activity types of `config` a log text most likely means, for a "did you mean"."""
    words: dict[str, list[str]] = {}
    for type_id, at in config.activity_types.items():
        own = [type_id, type_id.replace("_", " "), *(at.labels), at.label or ""]
        words[type_id] = [fold(w) for w in own if w] + list(TYPE_NAMES.get(type_id, ()))
    for label, type_id in config.activities.labels.items():
        words.setdefault(type_id, []).append(fold(label))
    exact = match_one(text, words, fuzzy=False)
    if exact:
        return [exact[0]]
    folded = fold(text)
    scored = [(t, s) for t, s in ranked(folded, words) if s >= 0.6]
    return [t for t, _ in scored[:n]]


def known_texts(config: Config) -> set[str]:
    """Every log text `config` already maps, folded."""
    out = {fold(t) for t in config.activities.labels}
    for type_id, at in config.activity_types.items():
        out |= {fold(t) for t in (type_id, type_id.replace("_", " "), *at.labels, at.label or "")}
    return out - {""}


def first_match(
    headers: Iterable[str],
    words: Sequence[str],
    taken: set[str] = frozenset(),  # type: ignore[assignment]
) -> str | None:
    """The header (not in `taken`) whose folded text comes first in `words`."""
    best: tuple[int, str] | None = None
    for header in headers:
        if header in taken:
            continue
        for i, variant in enumerate(variants(fold(header))):
            if variant in words:
                rank = words.index(variant) + 1000 * i  # the header as written wins
                if best is None or rank < best[0]:
                    best = (rank, header)
                break
    return best[1] if best else None
