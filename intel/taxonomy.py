"""The controlled vocabulary of reports: exploitation types, means of control, recruitment
methods and transport modes.

Codes are short snake_case strings stored ``|``-joined in ``Report`` (see ``intel.models``).
Each code names the CTDC field it corresponds to (Counter Trafficking Data Collaborative,
global k-anonymised dataset), so an export back to the CTDC layout needs no recoding, and
carries multilingual trigger terms (English, French, Italian, Arabic) for labelling free text.

>>> [label.code for label in label_text("She was forced into prostitution after a fake job offer")]
['sexual', 'job_offer']
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from intel.errors import CounterflowError

FACETS = ("exploitation", "control", "recruitment", "transport")


@dataclass(frozen=True)
class Term:
    """One code of one facet, with its CTDC field and its trigger words per language."""

    facet: str
    code: str
    label: str
    ctdc: str | None = None
    words: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _t(facet: str, code: str, label: str, ctdc: str | None = None, **words: tuple[str, ...]) -> Term:
    return Term(facet, code, label, ctdc, dict(words))


TERMS: tuple[Term, ...] = (
    # --- exploitation (CTDC is*/typeOf* fields) ---------------------------------------
    _t(
        "exploitation",
        "sexual",
        "sexual exploitation",
        "isSexualExploit",
        en=(
            "sexual exploitation",
            "prostitution",
            "forced prostitution",
            "sex work",
            "brothel",
            "sex trafficking",
            "pimp",
        ),
        fr=(
            "exploitation sexuelle",
            "prostitution",
            "prostitution forcée",
            "maison close",
            "proxénète",
            "proxénétisme",
        ),
        it=(
            "sfruttamento sessuale",
            "prostituzione",
            "prostituzione forzata",
            "bordello",
            "tratta sessuale",
            "sfruttatore",
        ),
        ar=("الاستغلال الجنسي", "دعارة", "الدعارة", "بيت دعارة"),
    ),
    _t(
        "exploitation",
        "forced_labour",
        "forced labour",
        "isForcedLabour",
        en=(
            "forced labour",
            "forced labor",
            "labour exploitation",
            "labor exploitation",
            "unpaid work",
            "worked without pay",
        ),
        fr=("travail forcé", "exploitation par le travail", "travail non rémunéré"),
        it=("lavoro forzato", "sfruttamento lavorativo", "caporalato", "lavoro nero"),
        ar=("العمل القسري", "السخرة", "الاستغلال في العمل"),
    ),
    _t(
        "exploitation",
        "domestic_servitude",
        "domestic servitude",
        "typeOfLabourDomesticWork",
        en=("domestic servitude", "domestic worker", "housemaid", "house girl"),
        fr=("servitude domestique", "travailleuse domestique", "bonne à tout faire"),
        it=("servitù domestica", "lavoro domestico", "collaboratrice domestica"),
        ar=("العبودية المنزلية", "عاملة منزلية", "خادمة"),
    ),
    _t(
        "exploitation",
        "begging",
        "forced begging",
        "typeOfLabourBegging",
        en=("forced begging", "begging"),
        fr=("mendicité forcée", "mendicité"),
        it=("accattonaggio", "elemosina forzata"),
        ar=("التسول",),
    ),
    _t(
        "exploitation",
        "criminal_activity",
        "forced criminal activity",
        "typeOfLabourIllicitActivities",
        en=("drug mule", "forced criminality", "forced to sell drugs"),
        fr=("criminalité forcée", "mule"),
        it=("corriere della droga", "spaccio forzato"),
        ar=("تهريب المخدرات",),
    ),
    _t(
        "exploitation",
        "forced_marriage",
        "forced marriage",
        "isForcedMarriage",
        en=("forced marriage", "child marriage", "child bride"),
        fr=("mariage forcé", "mariage précoce"),
        it=("matrimonio forzato", "sposa bambina"),
        ar=("الزواج القسري", "زواج الأطفال", "زواج القاصرات"),
    ),
    _t(
        "exploitation",
        "forced_military",
        "forced military service",
        "isForcedMilitary",
        en=("child soldier", "forced conscription", "armed group recruited"),
        fr=("enfant soldat", "enrôlement forcé"),
        it=("bambino soldato", "arruolamento forzato"),
        ar=("جنود أطفال", "التجنيد القسري"),
    ),
    _t(
        "exploitation",
        "organ_removal",
        "organ removal",
        "isOrganRemoval",
        en=("organ removal", "organ trafficking", "kidney removed", "sold a kidney"),
        fr=("prélèvement d'organes", "trafic d'organes"),
        it=("espianto di organi", "traffico di organi"),
        ar=("نزع الأعضاء", "الاتجار بالأعضاء"),
    ),
    _t(
        "exploitation",
        "slavery",
        "slavery and similar practices",
        "isSlaveryAndPractices",
        en=("slavery", "slave market", "sold as slaves", "auctioned"),
        fr=("esclavage", "marché aux esclaves", "vendus comme esclaves"),
        it=("schiavitù", "mercato degli schiavi", "venduti come schiavi"),
        ar=("العبودية", "سوق العبيد", "بيعوا كعبيد"),
    ),
    _t("exploitation", "other", "other exploitation", "isOtherExploit"),
    # --- means of control (CTDC meansOfControl*) --------------------------------------
    _t(
        "control",
        "debt_bondage",
        "debt bondage",
        "meansOfControlDebtBondage",
        en=("debt bondage", "repay the debt", "owed a debt", "debt of"),
        fr=("servitude pour dettes", "rembourser la dette", "dette de"),
        it=("servitù per debiti", "ripagare il debito", "debito di"),
        ar=("عبودية الدين", "سداد الدين", "الديون"),
    ),
    _t(
        "control",
        "takes_earnings",
        "takes earnings",
        "meansOfControlTakesEarnings",
        en=("took her earnings", "confiscated wages", "took their wages"),
        fr=("confisqué les salaires",),
        it=("trattenuto i guadagni",),
        ar=("صادر أجورهم",),
    ),
    _t(
        "control",
        "restricts_financial_access",
        "restricts financial access",
        "meansOfControlRestrictsFinancialAccess",
    ),
    _t(
        "control",
        "threats",
        "threats",
        "meansOfControlThreats",
        en=("threatened", "threats against", "threat to kill"),
        fr=("menacé", "menaces"),
        it=("minacciato", "minacce", "minacciata"),
        ar=("تهديد", "هددوا"),
    ),
    _t(
        "control",
        "psychological_abuse",
        "psychological abuse",
        "meansOfControlPsychologicalAbuse",
        en=("psychological abuse", "juju", "voodoo oath", "oath"),
        fr=("abus psychologique", "serment vaudou"),
        it=("abuso psicologico", "rito voodoo", "giuramento juju"),
        ar=("الإيذاء النفسي",),
    ),
    _t(
        "control",
        "physical_abuse",
        "physical abuse",
        "meansOfControlPhysicalAbuse",
        en=("beaten", "physical abuse", "tortured", "torture"),
        fr=("battu", "battues", "torture", "violences physiques"),
        it=("picchiato", "picchiate", "tortura", "torturati"),
        ar=("تعذيب", "ضرب", "الضرب"),
    ),
    _t(
        "control",
        "sexual_abuse",
        "sexual abuse",
        "meansOfControlSexualAbuse",
        en=("raped", "sexual abuse", "sexually abused"),
        fr=("violée", "violées", "abus sexuels"),
        it=("violentata", "violentate", "abusi sessuali"),
        ar=("اغتصاب", "الاعتداء الجنسي"),
    ),
    _t(
        "control",
        "false_promises",
        "false promises",
        "meansOfControlFalsePromises",
        en=("false promises", "promised a job", "lured"),
        fr=("fausses promesses", "promesse d'emploi", "attirées"),
        it=("false promesse", "promessa di lavoro", "adescate"),
        ar=("وعود كاذبة", "وعود زائفة"),
    ),
    _t(
        "control",
        "psychoactive_substances",
        "psychoactive substances",
        "meansOfControlPsychoactiveSubstances",
        en=("drugged",),
        fr=("droguée",),
        it=("drogata",),
        ar=("مخدر",),
    ),
    _t(
        "control",
        "restricts_movement",
        "restricts movement",
        "meansOfControlRestrictsMovement",
        en=("locked up", "held captive", "confined", "detention centre", "warehouse"),
        fr=("enfermé", "séquestré", "séquestrées", "retenus captifs"),
        it=("rinchiuse", "sequestrati", "segregate", "tenuti prigionieri"),
        ar=("احتجاز", "محتجزين", "حبس"),
    ),
    _t("control", "restricts_medical_care", "restricts medical care", "meansOfControlRestrictsMedicalCare"),
    _t(
        "control",
        "excessive_working_hours",
        "excessive working hours",
        "meansOfControlExcessiveWorkingHours",
        en=("hours a day",),
        fr=("heures par jour",),
        it=("ore al giorno",),
        ar=("ساعة يوميا",),
    ),
    _t("control", "uses_children", "uses children", "meansOfControlUsesChildren"),
    _t(
        "control",
        "threat_of_law_enforcement",
        "threat of law enforcement",
        "meansOfControlThreatOfLawEnforcement",
        en=("threatened with deportation",),
        fr=("menacé d'expulsion",),
        it=("minacciati di espulsione",),
    ),
    _t(
        "control",
        "withholds_necessities",
        "withholds necessities",
        "meansOfControlWithholdsNecessities",
        en=("denied food", "without food"),
        fr=("privés de nourriture",),
        it=("senza cibo",),
        ar=("حرمان من الطعام",),
    ),
    _t(
        "control",
        "withholds_documents",
        "withholds documents",
        "meansOfControlWithholdsDocuments",
        en=(
            "passport was taken",
            "confiscated passport",
            "confiscated their passports",
            "took their passports",
        ),
        fr=("passeport confisqué", "confisqué leurs passeports"),
        it=("passaporto sequestrato", "sequestrato i passaporti"),
        ar=("مصادرة جواز السفر", "صادروا جوازات"),
    ),
    _t("control", "other", "other means of control", "meansOfControlOther"),
    _t("control", "not_specified", "not specified", "meansOfControlNotSpecified"),
    # --- recruitment (CTDC recruiterRelation* and isAbduction) ------------------------
    _t(
        "recruitment",
        "intimate_partner",
        "intimate partner",
        "recruiterRelationIntimatePartner",
        en=("boyfriend", "lover loan"),
        fr=("petit ami", "compagnon"),
        it=("fidanzato",),
        ar=("صديقها",),
    ),
    _t(
        "recruitment",
        "friend",
        "friend or acquaintance",
        "recruiterRelationFriend",
        en=("a friend", "an acquaintance"),
        fr=("une amie", "un ami", "une connaissance"),
        it=("un'amica", "un amico", "un conoscente"),
        ar=("صديق", "صديقة"),
    ),
    _t(
        "recruitment",
        "family",
        "family or relative",
        "recruiterRelationFamily",
        en=("her aunt", "his uncle", "a relative", "her mother", "family member"),
        fr=("sa tante", "un parent", "son oncle"),
        it=("sua zia", "un parente", "suo zio"),
        ar=("أحد الأقارب", "عمتها", "خالتها"),
    ),
    _t("recruitment", "other", "other recruiter", "recruiterRelationOther"),
    _t("recruitment", "unknown", "recruiter unknown", "recruiterRelationUnknown"),
    _t(
        "recruitment",
        "abduction",
        "abduction",
        "isAbduction",
        en=("abducted", "kidnapped", "abduction"),
        fr=("enlevé", "enlevées", "enlèvement", "kidnappé"),
        it=("rapite", "rapito", "sequestro di persona"),
        ar=("اختطاف", "خطف", "اختطفوا"),
    ),
    _t(
        "recruitment",
        "job_offer",
        "false job offer",
        None,
        en=("job offer", "fake job", "offered a job", "promised work", "recruitment agency"),
        fr=("offre d'emploi", "faux emploi", "agence de recrutement"),
        it=("offerta di lavoro", "falso lavoro", "agenzia di reclutamento"),
        ar=("عرض عمل", "وظيفة وهمية", "فرصة عمل"),
    ),
    _t(
        "recruitment",
        "online",
        "online or social media",
        None,
        en=("facebook", "whatsapp", "social media", "online advert", "instagram", "tiktok"),
        fr=("réseaux sociaux", "facebook", "whatsapp"),
        it=("social network", "facebook", "whatsapp"),
        ar=("فيسبوك", "واتساب", "وسائل التواصل"),
    ),
    _t(
        "recruitment",
        "education_offer",
        "false study offer",
        None,
        en=("scholarship", "study abroad"),
        fr=("bourse d'études",),
        it=("borsa di studio",),
        ar=("منحة دراسية",),
    ),
    _t(
        "recruitment",
        "marriage_promise",
        "promise of marriage",
        None,
        en=("promise of marriage", "promised marriage"),
        fr=("promesse de mariage",),
        it=("promessa di matrimonio",),
        ar=("وعد بالزواج",),
    ),
    # --- transport (not in CTDC) ------------------------------------------------------
    _t(
        "transport",
        "boat",
        "boat",
        None,
        en=("boat", "dinghy", "vessel", "shipwreck", "capsized", "crossing the mediterranean"),
        fr=("bateau", "embarcation", "pirogue", "naufrage", "chavire"),
        it=("barcone", "gommone", "imbarcazione", "naufragio", "barca"),
        ar=("قارب", "زورق", "غرق"),
    ),
    _t(
        "transport",
        "truck",
        "truck or pick-up",
        None,
        en=("truck", "lorry", "pick-up", "pickup"),
        fr=("camion", "pick-up"),
        it=("camion", "furgone"),
        ar=("شاحنة",),
    ),
    _t(
        "transport",
        "bus",
        "bus",
        None,
        en=("bus", "coach"),
        fr=("autocar", "bus"),
        it=("autobus", "pullman"),
        ar=("حافلة",),
    ),
    _t(
        "transport",
        "air",
        "air",
        None,
        en=("flight", "airport", "plane"),
        fr=("vol", "aéroport", "avion"),
        it=("volo", "aeroporto", "aereo"),
        ar=("مطار", "طائرة"),
    ),
    _t(
        "transport",
        "foot",
        "on foot",
        None,
        en=("on foot", "walked"),
        fr=("à pied",),
        it=("a piedi",),
        ar=("سيرا على الأقدام",),
    ),
    _t(
        "transport",
        "desert_crossing",
        "desert crossing",
        None,
        en=("desert crossing", "across the sahara", "through the desert"),
        fr=("traversée du désert", "à travers le sahara"),
        it=("attraversato il deserto", "traversata del deserto"),
        ar=("عبور الصحراء", "الصحراء"),
    ),
)

_BY_FACET: dict[str, dict[str, Term]] = {}
for _term in TERMS:
    _BY_FACET.setdefault(_term.facet, {})[_term.code] = _term


def codes(facet: str) -> list[str]:
    """The codes of one facet, in taxonomy order."""
    if facet not in _BY_FACET:
        raise CounterflowError(f"facet {facet!r} is not a taxonomy facet", f"use one of {', '.join(FACETS)}")
    return list(_BY_FACET[facet])


def term(facet: str, code: str) -> Term:
    """The term for ``code`` in ``facet``; raises naming the valid codes."""
    try:
        return _BY_FACET[facet][code]
    except KeyError:
        raise CounterflowError(
            f"{facet} code {code!r} is not in the taxonomy",
            f"use one of {', '.join(codes(facet))}",
        ) from None


def ctdc_fields(facet: str) -> dict[str, str]:
    """CTDC field name -> code for one facet (the flags of the CTDC dataset)."""
    return {t.ctdc: t.code for t in _BY_FACET[facet].values() if t.ctdc}


def code_problem(facet: str, value: object) -> str | None:
    """Why ``value`` is not a stored ``facet`` value (``|``-joined codes of the facet, or blank);
    None when it is one.

    >>> code_problem("exploitation", "sexual|forced_labour") is None
    True
    >>> code_problem("transport", "nan")
    "transport 'nan' is not one of the transport codes; use boat, truck, bus, air, foot, desert_crossing"
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return f"{facet} {value!r} is not text; use {', '.join(codes(facet))}"
    table = _BY_FACET[facet]
    for part in value.split("|"):
        if part not in table:
            return f"{facet} {part!r} is not one of the {facet} codes; use {', '.join(codes(facet))}"
    return None


# Synonyms seen in spreadsheets and exports -> codes (matched after ``_key``).
_SYNONYMS: dict[str, dict[str, str]] = {
    "exploitation": {
        "sex": "sexual",
        "sexual_exploitation": "sexual",
        "sex_trafficking": "sexual",
        "prostitution": "sexual",
        "labour": "forced_labour",
        "labor": "forced_labour",
        "forced_labor": "forced_labour",
        "labour_exploitation": "forced_labour",
        "domestic": "domestic_servitude",
        "domestic_work": "domestic_servitude",
        "marriage": "forced_marriage",
        "military": "forced_military",
        "organ": "organ_removal",
        "organs": "organ_removal",
        "other_forms_of_exploitation": "other",
        "criminal": "criminal_activity",
        "slavery_and_practices": "slavery",
    },
}


def _key(value: str) -> str:
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().casefold()
    return "_".join(re.findall(r"[a-z0-9]+", text))


def normalise_code(facet: str, value: str) -> str:
    """Map a spreadsheet value ("Sexual exploitation", "forced labor") to its code.

    Raises ``CounterflowError`` naming the value and the valid codes when it is unknown.
    """
    key = _key(value)
    table = _BY_FACET.get(facet, {})
    if key in table:
        return key
    syn = _SYNONYMS.get(facet, {})
    if key in syn:
        return syn[key]
    for t in table.values():
        if _key(t.label) == key:
            return t.code
    raise CounterflowError(
        f"{facet} {value!r} is not in the taxonomy",
        f"use one of {', '.join(codes(facet))} (several separated by '|')",
    )


# --- labelling free text --------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    """A taxonomy code found in a text, with the words that triggered it."""

    facet: str
    code: str
    triggers: tuple[str, ...]


def fold(text: str) -> str:
    """Lower-case, accent-free text for matching (Arabic letters are kept; diacritics dropped)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.findall(r"\w+", kept))


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[Term, str, re.Pattern[str]]]:
    out = []
    for t in TERMS:
        for words in t.words.values():
            for w in words:
                folded = fold(w)
                if folded:
                    # Arabic words often carry the article or a clitic: allow a prefix there.
                    prefix = r"(?:\w{0,3})" if re.search(r"[\u0600-\u06ff]", folded) else ""
                    out.append((t, w, re.compile(rf"(?<!\w){prefix}{re.escape(folded)}(?!\w)")))
    return out


def label_text(text: str, facets: tuple[str, ...] = FACETS) -> list[Label]:
    """Taxonomy labels for a free text, each with the words that triggered it.

    Matching is on whole words after case and accent folding, in every language at once,
    so a French sentence quoting an English term is labelled too. Deterministic: labels come
    in taxonomy order.
    """
    folded = fold(text)
    found: dict[tuple[str, str], list[str]] = {}
    for t, word, pattern in _patterns():
        if t.facet in facets and pattern.search(folded):
            hits = found.setdefault((t.facet, t.code), [])
            if word not in hits:
                hits.append(word)
    order = {(t.facet, t.code): i for i, t in enumerate(TERMS)}
    return [Label(f, c, tuple(w)) for (f, c), w in sorted(found.items(), key=lambda kv: order[kv[0]])]
