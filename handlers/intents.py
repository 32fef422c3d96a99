"""Intent parsing: what is being asked, and which phrases name the subjects.

A question is cleaned of Slack markup, lower-cased and split into tokens. Known map names
and titles are recognised first (so a title word such as "status" is never read as a
keyword); misspelt keywords are corrected against the keyword vocabulary; every run of
remaining words that are not keywords becomes a subject phrase (`@` in the template).
Intent rules are regular expressions over that template ("what does @ affect ?"),
tried in order. Later intents plug in by adding a `Rule` to `RULES` and a word to `WORDS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from handlers.markup import plain_text
from handlers.names import NameIndex
from handlers.spelling import correct
from handlers.vocabulary import ALIASES, FILLERS, KEYWORDS, SEPARATORS

# Slack refuses longer messages; anything longer came from elsewhere and is cut before the
# parser's work (markup, spelling, name matching) can grow with it.
MAX_QUESTION = 40_000

_TOKEN = re.compile(r"->|→|[a-z0-9][a-z0-9._\-/]*[a-z0-9]|[a-z0-9]|[,;&+?!]")
_CONTRACTIONS = (
    (re.compile(r"\b(\w+)'s\b"), r"\1 is"),
    (re.compile(r"\b(\w+)n't\b"), r"\1 not"),
    (re.compile(r"\b(\w+)'(re|ll|d|ve|m)\b"), r"\1"),
)
_PERIOD = re.compile(
    r"\b(?:(?:over |for |in |during )?(?:the )?(?:last|past|previous) "
    r"(\d+) ?(day|week|month|hour)s?"
    r"|(\d+) ?(d|w|h|days?|weeks?|hours?)\b(?: ago)?"
    r"|(?:this|current) (week|month|quarter|year)|(?:last|previous) (week|month|quarter|year)"
    r"|(today|yesterday))\b"
)
_DEPTH = re.compile(r"\b(?:depth|levels?|deep)\s*(\d+)\b|\b(\d+)\s*(?:levels?|deep)\b")


@dataclass(frozen=True, slots=True)
class Rule:
    """An intent and the template patterns that ask for it."""

    intent: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Question:
    """A parsed question: the intent, subject phrases in order, and intent arguments."""

    intent: str
    phrases: tuple[str, ...] = ()
    template: str = ""
    period: str | None = None  # sla: "7d", "this-month", ...
    depth: int | None = None  # depends: levels to show
    explicit: bool = True  # False when no keyword said what was asked
    args: dict[str, str] = field(default_factory=dict)


def _rule(intent: str, *alternatives: str) -> Rule:
    return Rule(intent, re.compile("|".join(f"(?:{a})" for a in alternatives)))


# Commands with their own small grammar (channels, times): no subject phrases to resolve.
COMMAND_INTENTS = frozenset(
    {
        "digest",
        "subscribe",
        "unsubscribe",
        "subscriptions",
        "maintenance",
        "incidents",
        "incident",
        "audit",
        "sync",
        "changes",
        "link",
        "unlink",
        "risk",  # change-risk preview: components, a start and a length
        "margins",  # redundancy at risk: reads its own "for NAME"
    }
)
# What may come before a command verb: "/bsm please show me the open incidents".
_LEAD = r"^(?:(?:bsm|please|pls|plz|show|list|get|give|me|the|all|any|our|open|current) )*"

_WHO = r"\b(?:who|what|which|anything|anyone|everything|things|services|else)\b"
_RELY = (
    r"\b(?:depends?|depending|dependent|rel(?:y|ies|ying)|uses?|using|needs?|calls?|requires?)\b"
)

RULES: list[Rule] = [
    _rule(
        "help",
        r"^(?:help|commands|usage|examples?|\?|hi|hello|hey)(?: ?[?!])*$",
        r"^what can (?:you|i) (?:do|ask)",
        r"^how do (?:i|you) (?:use|work)",
        r"^help me\b(?!.*@)",
    ),
    _rule("digest", r"^(?:bsm )?digests?\b"),
    _rule("unlink", _LEAD + r"unlink\b"),
    _rule("link", _LEAD + r"link\b(?=.*(?:->|→))"),
    _rule("unsubscribe", _LEAD + r"unsubscribe\b"),
    _rule("subscriptions", _LEAD + r"subscriptions\b", _LEAD + r"subscription list\b"),
    _rule("subscribe", _LEAD + r"subscribe\b"),
    _rule("maintenance", _LEAD + r"maintenance\b"),
    # redundancy at risk: "what is at risk?", "margins for checkout"
    _rule("margins", r"\bat risk\b", r"\bmargins?\b"),
    # change-risk preview: "risk db-03 at saturday 02:00 for 2h", or a what-if with a when
    _rule(
        "risk",
        _LEAD + r"risk\b",
        r"\bwhat ?if\b.*\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|tomorrow|tonight)\b",
    ),
    _rule("incident", _LEAD + r"incident @"),
    _rule("incidents", _LEAD + r"incidents?\b"),
    _rule("audit", _LEAD + r"audit\b"),
    _rule("sync", _LEAD + r"(?:sync|resync)\b"),
    _rule("changes", _LEAD + r"changes\b", r"^what (?:has |have |is )?changed\b"),
    _rule(
        "path",
        r"\bpaths?\b",
        r"\broutes?\b(?=.*@.*@)",
        r"->|→",
        r"\bchain\b(?=.*@.*@)",
        rf"@ (?:do|does|is|are )?(?:still )?{_RELY} (?:on |upon )?(?:@|\bon\b)(?=.*@)",
        rf"\b(?:do|does|is|are|can|could) @ (?:still )?{_RELY} (?:on |upon )?@",
        r"\bhow (?:is|are|does|do) @ (?:connected|linked|related|reach|depend) (?:to |on |with )?@",
        r"\b(?:between|connects?|connection|link) @ (?:and|to|with) @",
        r"\bfrom @ to @",
    ),
    _rule(
        "whatif",
        r"\bwhat ?if\b",
        r"\bsimulat",
        r"\bsuppose\b",
        r"\bimagine\b",
        r"\bhypothetical",
        r"\bwhat (?:would|will|could) happen\b",
        r"\bwhat happens\b",
        r"\bscenario\b",
        r"\bdrill\b",
    ),
    _rule(
        "why",
        r"\bwhy\b",
        r"\broot ?causes?\b",
        r"\brca\b",
        r"\bcause of\b",
        r"\bcaused\b",
        r"\bwhat is (?:wrong|broken|up) with\b",
        r"\bwhat is (?:causing|breaking|killing)\b",
        r"\bexplain\b",
        r"\bdiagnos",
    ),
    _rule(
        "spof",
        r"\bspofs?\b",
        r"\bsingle points? of failures?\b",
        r"\bsingle points?\b",
        r"\bweak(?:est)? (?:spots?|points?|links?)\b",
        r"\bwhat (?:alone )?(?:can|could|would) "
        r"(?:take|bring|knock) @ down\b",
        r"\bno redundancy\b",
        r"\bnot redundant\b",
    ),
    _rule(
        "owner",
        r"\bowns?\b",
        r"\bowners?\b",
        r"\bownership\b",
        r"\bowned\b",
        r"\bresponsible\b",
        r"\bon ?call\b",
        r"\bcontacts?\b",
        r"\bwhich team\b",
        r"\bwhat team\b",
        r"\bwhose\b",
        r"\bwhich channel\b",
        r"\bwhat channel\b",
        r"\bescalat",
        r"\bwho (?:runs|maintains|manages)\b",
        r"\bwho (?:do|should) i (?:ping|call|ask)\b",
        r"\bteam (?:for|of|behind)\b",
    ),
    _rule(
        "sla",
        r"\bslas?\b",
        r"\bslos?\b",
        r"\bavailability\b",
        r"\buptime\b",
        r"\berror budget",
        r"\bdowntime\b",
        r"\bnines\b",
        r"\breliability\b",
    ),
    _rule(
        "affects",
        r"\b[ae]ffect",
        r"\bimpact",
        r"\bblast\b",
        r"\bradius\b",
        r"\bbreaks?\b",
        r"\bdownstream\b",
        r"\bdependents\b",
        r"\bconsumers\b",
        r"\bhit by\b",
        r"\bfallout\b",
        rf"{_WHO}.*{_RELY} (?:on |upon )?@",
        rf"{_RELY} (?:on |upon )@",
        r"\bwhat (?:goes|would go|will go|fails|would fail|stops) (?:down|dark)?\b",
        r"\b(?:if|when) @ (?:goes|go|went|is|were|was) (?:down|offline|away)\b",
        r"\bif @ (?:dies|died|fails|failed|crashes|crashed)\b",
        r"\bconsequences?\b",
        r"\bwhat (?:would|will) (?:we|i) lose\b",
        r"\busers? of @",
    ),
    _rule(
        "depends",
        r"\bdepend",
        r"\bdeps\b",
        r"\bupstream\b",
        r"\bprerequisites?\b",
        r"\brel(?:y|ies) on\b",
        r"\brequires?\b",
        r"\bneeds?\b",
        r"\bbuilt on\b",
        r"\bruns on\b",
        r"\bunderneath\b",
        r"\bbehind\b",
        r"\bstack\b",
        r"\bdependency tree\b",
        r"\btree\b",
        r"\bwhat does @ use\b",
        r"\buses\b",
    ),
    _rule(
        "status",
        r"\bstatus\b",
        r"\bhealth",
        r"\bhow (?:is|are) (?:everything|things|we|it|@)(?!\S)",
        r"\bhow is it going\b",
        r"\bhow are we doing\b",
        r"\bis @ (?:ok|okay|up|down|healthy|working|"
        r"alive|fine|running|broken|degraded)\b",
        r"\b(?:is|are) @ (?:in|under) maintenance\b",
        r"\bwhat is (?:down|broken|failing|on fire|red)\b",
        r"\b(?:any|anything|something|everything) (?:down|broken|failing|ok|red|on fire)\b",
        r"\boverview\b",
        r"\bdashboard\b",
        r"\bstate of\b",
        r"\bsitrep\b",
        r"\bincidents? now\b",
        r"\bup\b",
        r"\bdown\b",
        r"\boutages?\b",
        r"\ball good\b",
        r"\bok\b",
    ),
]


def parse(text: str, names: NameIndex | None = None) -> Question:
    """Parse one question; never raises. Unparseable text gives intent "unknown"."""
    clean = _normalise(plain_text(text[:MAX_QUESTION]))
    clean, period = _take_period(clean)
    clean, depth = _take_depth(clean)
    tokens = _TOKEN.findall(clean)
    template, phrases = _template(tokens, names)
    for rule in RULES:
        if rule.pattern.search(template):
            if rule.intent in COMMAND_INTENTS:  # the handler reads the command text itself
                return Question(rule.intent, (), template, period, depth)
            return Question(rule.intent, phrases, template, period, depth)
    intent = "affects" if _bare_names(template, phrases, names) else "unknown"
    return Question(intent, phrases, template, period, depth, explicit=False)


def _bare_names(template: str, phrases: tuple[str, ...], names: NameIndex | None) -> bool:
    """Only names, no keyword: a question about their impact, when they look like names."""
    if "@" not in template or not set(template.split()) <= {"@", "and", "?", "!"}:
        return False
    return names is None or all(names.resolve(p) or names.suggest(p) for p in phrases)


def _normalise(text: str) -> str:
    text = text.casefold()
    for pattern, repl in _CONTRACTIONS:
        text = pattern.sub(repl, text)
    return text


def _take_period(text: str) -> tuple[str, str | None]:
    match = _PERIOD.search(text)
    if match is None:
        return text, None
    number, unit, number2, unit2, this, last, day = match.groups()
    if number or number2:
        u = (unit or unit2 or "d")[0]
        period = f"{number or number2}{u}"
    elif this or last:
        period = f"{'this' if this else 'last'}-{this or last}"
    else:
        period = day
    return text[: match.start()] + " " + text[match.end() :], period


def _take_depth(text: str) -> tuple[str, int | None]:
    match = _DEPTH.search(text)
    if match is None:
        return text, None
    depth = int(match.group(1) or match.group(2))
    return text[: match.start()] + " " + text[match.end() :], depth


def _template(tokens: list[str], names: NameIndex | None) -> tuple[str, tuple[str, ...]]:
    """The keyword template of `tokens` and the subject phrases it replaced by `@`."""
    marks: list[str] = []  # keyword, separator, or "@" + phrase
    tokens = [t for token in tokens for t in _split_keywords(token, names)]
    i = 0
    while i < len(tokens):
        span = _entity_at(tokens, i, names)
        if span:
            marks.append("@" + " ".join(tokens[i : i + span]) + "\x00")
            i += span
            continue
        marks.append(_classify(tokens[i], names))
        i += 1
    return _collapse(marks)


def _split_keywords(token: str, names: NameIndex | None) -> list[str]:
    """`blast-radius` and `what-if` are keywords typed with a hyphen; names stay whole."""
    token = ALIASES.get(token, token)
    parts = token.split("-")
    if len(parts) == 1 or (names is not None and names.exact(token)):
        return token.split()
    words = KEYWORDS | FILLERS
    return parts if all(p in words or correct(p) for p in parts) else [token]


def _entity_at(tokens: list[str], i: int, names: NameIndex | None) -> int:
    """Length of the longest exact name or title starting at token i (0 when none)."""
    if names is None:
        return 0
    for size in range(min(names.longest, len(tokens) - i), 0, -1):
        words = tokens[i : i + size]
        if size == 1 and (words[0] in KEYWORDS or words[0] in FILLERS):
            continue  # a component called "status" must not swallow the keyword
        if any(w in SEPARATORS for w in words[1:]) or words[0] in SEPARATORS:
            continue
        if names.exact(" ".join(words)) is not None:
            return size
    return 0


def _classify(token: str, names: NameIndex | None) -> str:
    if token in SEPARATORS or token in KEYWORDS or token in FILLERS or token in "?!":
        return token
    protected = names.vocabulary if names is not None else frozenset()
    fixed = None if token in protected else correct(token)
    return fixed if fixed is not None else "@" + token


def _collapse(marks: list[str]) -> tuple[str, tuple[str, ...]]:
    """Join subject words into phrases; entity marks (ending in NUL) stand alone."""
    template: list[str] = []
    phrases: list[str] = []
    open_run = False
    for mark in marks:
        if not mark.startswith("@"):
            template.append(mark)
            open_run = False
            continue
        entity = mark.endswith("\x00")
        word = mark[1:].rstrip("\x00")
        if open_run and not entity:
            phrases[-1] += " " + word
        else:
            phrases.append(word)
            template.append("@")
        open_run = not entity
    text = " ".join(template)
    text = re.sub(r"@(?: ?(?:,|;|&|\+|and|or|plus)? ?@)+", _list_mark, text)
    return text, tuple(phrases)


def _list_mark(match: re.Match[str]) -> str:
    """A list of subjects stays "@ and @" (path needs two) but never grows longer."""
    return "@ and @"
