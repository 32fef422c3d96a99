"""Intent parsing: what is being asked, and which phrases name the subjects.

A question is cleaned of Slack markup, lower-cased and split into tokens. Known map names
and titles are recognised first (so a title word such as "status" is never read as a
keyword); misspelt keywords are corrected against the keyword vocabulary; every run of
remaining words that are not keywords becomes a subject phrase (`@` in the template).
Intent rules are regular expressions over that template ("what does @ affect ?"),
tried in order. Later intents plug in by adding a `Rule` to `RULES` and their words to
`vocabulary.KEYWORDS`. Before that, trailing context after a clause break ("..., asking
for a friend", "for the postmortem", "thanks") is cut, and a window phrase ("in
september", "past 24h", "since monday", "from 2026-11-01 to 2026-11-15", "this week
Europe/Berlin") is taken out as the period, read later by `impact.windows`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from handlers.intent_model import IntentJudge
from handlers.markup import plain_text
from handlers.names import NameIndex, words_of
from handlers.spelling import correct
from handlers.vocabulary import ALIASES, FILLERS, KEYWORDS, SEPARATORS, SYNONYMS

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
    r"|(?:(?:over |for |in |during )?(?:the )?(?:last|past|previous) )?"
    r"(\d+) ?(d|w|h|days?|weeks?|hours?)\b(?: ago)?"
    r"|(?:this|current) (week|month|quarter|year)|(?:last|previous) (week|month|quarter|year)"
    r"|(today|yesterday))\b"
)
_MONTH_WORDS = (
    "january|february|march|april|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
_DAY = r"\d{4}-\d{2}-\d{2}(?:t[\d:]+z?| \d{1,2}:\d{2}(?::\d{2})?)?"
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
_DAY_MONTH = rf"(?:{_ORDINAL} (?:{_MONTH_WORDS})|(?:{_MONTH_WORDS}) {_ORDINAL})"
_ZONES = r"utc|gmt|cet|cest|eet|wet|bst|est|edt|cst|cdt|mst|mdt|pst|pdt|ist|[a-z]+/[a-z_]+"
# Windows the grammar of `impact.windows` reads, kept as typed (the period is the phrase).
_WINDOW = re.compile(
    rf"(?:\b(?:in|for|during|over|of) )?(?:the )?(?P<w>"
    rf"\bsince (?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|yesterday|today|midnight"
    rf"|last (?:week|month|quarter)|{_DAY}"
    rf"|(?:the )?\d{{1,2}}(?:st|nd|rd|th)(?: of (?:the|this) month)?)"
    rf"|\b(?:(?:from|between) |(?:the )?period (?:of |from )?)?{_DAY}"
    rf" (?:to|until|till|and|through|-) {_DAY}|\b{_DAY}\.\.{_DAY}"
    rf"|\b(?:from|between) (?:{_DAY_MONTH}(?: \d{{4}})?|{_ORDINAL}) (?:to|until|till|and)"
    rf" {_DAY_MONTH}"
    rf"(?: \d{{4}})?"
    rf"|\b(?:{_MONTH_WORDS})(?: \d{{4}})?|\b\d{{4}}-\d{{2}}(?!-)|\b\d{{4}}-q[1-4]"
    rf"|\bq[1-4](?: \d{{4}})?|\b\d{{4}} q[1-4]"
    rf"|\b(?:last|past|previous) (?:\d+ ?)?(?:h|hrs?|hours?)|\b(?:this|last|previous) quarter"
    rf")\b(?P<z>,? \(?(?:in )?(?:{_ZONES})\b\)?)?"
)
_ZONE_AFTER = re.compile(rf" (?:in )?((?:{_ZONES}))\b")
# A time said in passing ("down since 10 min", "since around 01:40 cet", "paged at 3am",
# "for 20 minutes now"): when it started, not a subject and not a period to report on.
_IN_PASSING = re.compile(
    r"\b(?:since|from|at|around|about|for|starting|started) "
    r"(?:(?:around|about|approx\.?|approximately|roughly|like|ca\.?|already|the last|the past) )?"
    rf"(?:\d+ ?(?:secs?|seconds?|mins?|minutes?|m)\b|\d{{1,2}}(?= (?:{_ZONES})\b)"
    r"|\d{1,2}[:.]\d{2}(?: ?[ap]\.?m\b\.?)?|\d{1,2} ?[ap]\.?m\b\.?"
    r"|(?:an?|one|half an?|a few|a couple of|couple) (?:secs?|seconds?|mins?|minutes?|hours?)\b)"
    rf"(?: ago| now)?(?: (?:{_ZONES})\b)?"
    r"|\b\d+ ?(?:secs?|seconds?|mins?|minutes?) ago\b"
    r"|\b\d{1,2}(?::\d{2})? ?[ap]\.?m\b\.?|\b(?:p[0-5]|sev ?-?[0-5])\b"
)
_DEPTH = re.compile(r"\b(?:depth|levels?|deep)\s*(\d+)\b|\b(\d+)\s*(?:levels?|deep)\b")


@dataclass(frozen=True, slots=True)
class Rule:
    """An intent and the template patterns that ask for it."""

    intent: str
    pattern: re.Pattern[str]
    weak: bool = False  # everyday words: without a subject, the question is chat


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
    context: str = ""  # trailing context cut off ("..., asking for a friend"), as typed
    # the intent rests only on everyday phrasings (`vocabulary.SYNONYMS`): without a
    # subject that resolves or looks like a name, it is chat ("who looks after the plants")
    weak: bool = False


def _rule(intent: str, *alternatives: str, weak: bool = False) -> Rule:
    return Rule(intent, re.compile("|".join(f"(?:{a})" for a in alternatives)), weak)


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


# What to fix first and the risk register: small entries of their own, tried first.
PRIORITY_RULES: list[Rule] = [
    _rule(
        "priorities",
        r"\bfix first\b",
        r"\bwhat (?:should|do|must) (?:we|i) fix\b",
        r"^(?:bsm )?priorities\b",
        r"\bfix priorit",
    ),
    _rule("risks", r"\btop risks?\b", r"\brisk register\b", r"^(?:bsm )?risks\b"),
]

RULES: list[Rule] = [
    *PRIORITY_RULES,
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
    _rule(
        "subscriptions",
        _LEAD + r"subscriptions\b",
        r"^(?:what|which|any|are there)\b(?!.*@).*\bsubscriptions\b",
        _LEAD + r"subscription list\b",
    ),
    _rule("subscribe", _LEAD + r"subscribe\b"),
    _rule(
        "maintenance", _LEAD + r"maintenance\b", _LEAD + r"(?:take|put|pull) @ (?:out|offline)\b"
    ),
    _rule(
        "incident",
        _LEAD + r"incident @(?: [?!])*$",
        r"^(?:what|how) (?:is|was) (?:the )?incident @",
        r"\b(?:about|of|on|in|during|with) incident @(?!.*@)",
        r"\b(?:details?|info|more|news|update|timeline) "
        r"(?:on |about |of |for )?(?:the )?incident\b",
    ),
    # redundancy at risk: "what is at risk?", "margins for checkout"
    # "X is down, what is at risk" asks what X affects (the affects rule below)
    _rule("margins", r"^(?!.*@).*\bat risk\b", r"\bat risk (?:for|in|of|on) @", r"\bmargins?\b"),
    # error-budget burn: "what is burning?", "burn rate for payments"
    _rule("burn", r"\bburn(?:s|ing|ed|t)?\b", r"\bburn.?rates?\b"),
    # change-risk preview: "risk db-03 at saturday 02:00 for 2h", or a what-if with a when
    _rule(
        "risk",
        _LEAD + r"risk\b",
        r"\bwhat ?if\b.*\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|tomorrow|tonight)\b",
    ),
    _rule("incidents", _LEAD + r"incidents?\b"),
    _rule(
        "audit",
        _LEAD + r"audit\b",
        r"\bwho (?:did|changed|touched|edited|modified) what\b",
    ),
    _rule("sync", _LEAD + r"(?:sync|resync)\b"),
    _rule(
        "changes",
        _LEAD + r"changes\b",
        r"^what (?:has |have |is )?changed\b",
        r"^(?:@ )?changes\b",  # "recent map changes"
        r"\b(?:new|added|removed|deleted) (?:dependencies|dependency|components?|services?|edges?)"
        r"\b(?!.*@)",
    ),
    _rule(  # non-native order: "on what is relying X", "from what depends X"
        "depends",
        rf"{_WHO}.*{_RELY} (?:the )?@ (?:to|in order to|for) (?:work|run|function|operate|start)\b",
        rf"^(?:on|upon) (?:what|which)\b.*(?:{_RELY}|\b(?:runs?|running|built|hosted|based)\b)",
        r"^from (?:what|which)\b.*\bdepend",
    ),
    _rule(
        "path",
        r"\bpaths?\b",
        r"\broutes?\b(?=.*@.*@)",
        r"^[^@]*@[^@]*@.*\b(?:routes?|chain|hops)\b",  # anchored: linear on a long paste
        rf"\bhow @ (?:\w+ )?(?:ends? up |comes? to |came to )?{_RELY} (?:on |upon )?@",
        r"@ ?(?:->|→) ?@",
        r"\bhow (?:\w+ )?(?:arrives?|gets?|reach(?:es)?|goes|leads?) (?:from )?@ (?:to|at) @",
        r"\bchain\b(?=.*@.*@)",
        rf"@ (?:do|does|is|are )?(?:still )?{_RELY} (?:on |upon )?(?:@|\bon\b)(?=.*@)",
        rf"\b(?:do|does|is|are|can|could) @ (?:still )?{_RELY} (?:on |upon )?@",
        r"\bhow (?:is|are|does|do) @ (?:connected|linked|related|reach|depend|tied|coupled"
        r"|wired|hooked|bound) (?:up )?(?:to |on |with |into )?@",
        r"\bhow @ (?:reach(?:es)?|gets? to|connects? to|leads? to|arrives? at|is tied to) @",
        r"\b(?:is|are) @ (?:still )?(?:connected|linked|related) (?:to |with )?@",
        r"\b(?:is|are) @ and @ (?:still )?(?:connected|linked|related)\b",
        rf"\bhow (?:is|are|does|do) @ .*{_RELY} (?:to |on |upon |with )?@",
        r"\b(?:between|connects?|connection|link) @ (?:and|to|with) @",
        r"\bfrom @ (?:to|until|till|up to|down to|all the way to|through to|towards) @",
        r"\b(?:by|in|through) (?:which|what) (?:way|route|path|means)\b(?=.*@.*@)",
        # "how does it reach X": from the subject of the thread (handlers.followups)
        r"\bhow (?:is|are|does|do|did|would|could) (?:it|that|this|they|them|those|these) "
        r"(?:\w+ )?(?:reach(?:es)?|get to|gets to|connect(?:s|ed)? to|lead to|leads to"
        r"|link(?:s|ed)? to|affect|impact|touch) @(?: [?!])*$",
    ),
    _rule(
        "path",
        r"^trace (?:from )?@ (?:to|and) @",
        r"\bwhat (?:links|connects|ties|joins) @ (?:with|to|and) @",
        weak=True,
    ),
    _rule(
        "whatif",
        r"\bwhat ?if\b",
        r"\bsimulat",
        r"\bsuppose\b",
        r"\bimagine\b",
        r"\bhypothetical",
        r"\bwhat (?:would|will|could) happen\b",
        r"\bwhat happens\b(?!.*\bdownstream\b)",
        r"\bscenario\b",
        r"\bdrill\b",
    ),
    _rule(
        "why",
        r"\bwhy\b",
        r"\broot ?causes?\b",
        r"\brca\b",
        r"\bcause of\b",
        r"\b(?:the|a) (?:cause|reason) (?:that|for|behind|why)\b",
        r"\bcaused\b",
        r"\bwhat is (?:wrong|broken|up) with\b",
        r"\b(?:anything|something) (?:wrong|broken|off|weird) with\b",
        r"\bwhat is (?:causing|breaking|killing)\b",
        r"\bexplain\b",
        r"\bdiagnos",
        r"\breasons?\b",
        r"\bkeeps? (?:failing|crashing|dying|flapping|breaking|going down)\b",
        r"\bhow come\b",
    ),
    _rule(
        "why",
        r"\bwhat is making @ (?:fail|break|slow|degrade|go down|go red)",
        r"\bbehind (?:the |this |that )?@ (?:outages?|failures?|incidents?|problems?|issues?)\b",
        r"\bwhere (?:does|do|did|is) .*\bcom(?:e|es|ing) from\b",
        weak=True,
    ),
    _rule(
        "spof",
        r"\bspofs?\b",
        r"\bsingle points? of failures?\b",
        r"\bsingle points?\b",
        r"\b(?:which|what) (?:single|lone)\b",
        r"\bweak(?:est)? (?:spots?|points?|links?)\b",
        r"\bwhat (?:alone )?(?:can|could|would) "
        r"(?:take|bring|knock) @ down\b",
        r"\bno redundancy\b",
        # "which parts alone can take X down": "alone" with an affect verb
        r"\balone\b.*\b(?:affect|take|bring|knock|break|kill)\b"
        r"|\b(?:affect|take|bring|knock|break|kill)\b.*\balone\b",
        r"\b(?:is|are) @ (?:really )?redundant\b",
        r"\bnot redundant\b",
    ),
    _rule(
        "owner",
        r"\bowns?\b",
        r"\bowners?\b",
        r"\bownership\b",
        r"\bowned\b",
        r"\bresponsible\b",
        r"(?<!\bi )(?<!\bi am )(?<!\bwe )(?<!\bwe are )(?<!\bbe )\bon ?call\b",  # "i am on call"
        r"\bcontacts?\b",
        r"\bwhich team\b",
        r"\bwhat team\b",
        r"\bwhose\b",
        r"\bwhich channel\b",
        r"\bwhat channel\b",
        r"\bescalat",
        r"\b(?:runbooks?|playbooks?|run ?books?)\b",
        r"\bwho (?:runs|maintains|manages)\b",
        r"^who (?:has|holds|got|covers) @",
        r"\bbelongs? to\b|\bto who\b",
        r"\bwho (?:(?:do|should|can|could|must|shall) )?(?:i|we)"
        r"(?: (?:must|should|need to|have to|can|could|shall|do|ought to))? "
        r"(?:ping|call|ask|page|contact|talk|speak|wake|message|notify)\b",
        r"\bwho (?:to|do i) (?:ping|call|page|contact)\b",
        r"\bpage (?:the )?(?:team|owner|someone)\b",
        r"\bteam (?:for|of|behind)\b",
    ),
    _rule(
        "owner",
        r"\bwho (?:supports|handles|operates|built|wrote|created)\b",
        r"\bwho (?:do|should|can|could) (?:i|we) (?:bug|nag|blame|poke|bother)\b",
        weak=True,
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
        r"\breliab(?:ility|le)\b",
        r"\b(?:breach|breached|breaches|violated|violation|missed)\b",
        r"\bmttr\b",
        r"\bmtbf\b",
        r"\bmttd\b",
        r"\bbudget\b",
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
        rf"{_WHO}.*{_RELY} (?:on |upon |at |of )?(?:the )?@",
        rf"{_WHO}.*{_RELY} (?:on|upon|at) (?:it|that|this|them|those|these) ?\??$",
        rf"{_RELY} (?:on |upon |at )@",
        r"\bwhat (?:goes|would go|will go|fails|would fail|stops) (?:down|dark)?\b",
        r"\bwhat (?:would|will|could|might) (?:be|go|get) (?:down|broken|affected|impacted|hit)\b"
        r"(?=.*@)",
        r"\b(?:if|when) @ (?:goes|go|went|is|were|was|are|gets|got) "
        r"(?:down|offline|away|broken|cut|unavailable|unreachable)\b",
        # "session cache down, what service broken??": a failure reported, then its effect
        r"^(?:\S+ ){0,3}@ (?:is |are |was )?(?:down|broken|offline)\b.*\b(?:what|which)\b"
        r"(?!.*\b(?:status|health|why|cause)\b).*\b(?:broken|down|impacted|affected|lose|losing|lost"
        r"|hit|dead|failing|stops?)\b",
        r"^@ (?:is |are )?(?:down|broken|offline)(?: !)*$",  # "payment-gateway down": a report
        r"\bif @ (?:dies|died|fails|failed|crashes|crashed)\b",
        r"@ (?:going|goes|went) (?:down|offline|away|dark)\b",
        r"\bconsequences?\b",
        r"\bwhat (?:is|would be|will be|are) the (?:results?|outcomes?)\b",
        r"\bat risk\b",
        # "which services do we lose", "what would users lose"
        r"\b(?:what|which)\b.*\b(?:we|i|you|they|users?|customers?)"
        r" (?:are |is |will |would |might |do |did )?(?:lose|lost|losing)\b",
        r"\bwhat (?:would|will) (?:we|i) lose\b",
        r"\busers? of @",
        r"\bwhat (?:does|do|would|will|did|could) (?:@|that|this|it) (?:touch|hit)\b",
        r"\bwhich(?: \w+){1,3} (?:does|do|would|will|did|could) (?:@|that|this|it) (?:touch|hit)\b",
    ),
    _rule("affects", r"\bwhat does @ (?:feed|power|drive|supply|back|underpin|serve)\b", weak=True),
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
        r"\bbeneath\b",
        r"\bwhat is (?:under|below)\b(?! maintenance)",
        r"\bunder the hood\b",
        r"\bunderlying\b",
        r"\bbehind\b",
        r"\bstack\b",
        r"\bdependency tree\b",
        r"\btree\b",
        r"\bwhat does @ use\b",
        r"^what (?:\w+ )?(?:is|are) @ (?:still )?on\W*$",
        r"\b(?:what|which)\b.*\b(?:do|does|did) @ (?:still )?(?:use|need|require|call)\b(?! @)",
        r"\buses\b",
    ),
    _rule(
        "depends",
        r"^what (?:all )?(?:feeds|powers|drives|supplies|backs|underpins) (?:the )?@",
        r"^what (?:is|are) @ (?:connected|linked|wired|hooked) (?:up )?(?:to|with|into)\W*$",
        weak=True,
    ),
    _rule(
        "status",
        r"\bstatus\b",
        r"\bhealth",
        r"\bhow (?:is|are) (?:everything|things|we|it|@)(?!\S)",
        r"\bhow is it going\b",
        r"\bhow (?:is|are) (?:going|doing) @",
        r"\bhow are we doing\b",
        r"\bis @ (?:still )?(?:ok|okay|up|down|healthy|working|"
        r"alive|fine|running|broken|degraded|alright|slow)\b",
        # an embedded question: "my manager asks if X is working", "not sure whether X is up"
        r"(?:\b(?:asks?|asking|asked|know|knows|wonder|wondering|check|checking|tell|see|sure)"
        r" (?:me |us )?(?:if|whether)|\bwhether) @ (?:is|are) (?:still )?(?:ok|okay|up|down"
        r"|healthy|working|alive|fine|running|broken|degraded|alright|slow|normal|back)\b",
        r"\b(?:is|are) @ (?:in|under) maintenance\b",
        r"\b(?:is|are) @ (?:really |fully |now |finally )?(?:back|recovered|restored|stable)\b",
        r"^(?:\S+ )?(?:is|are) (?:it|that|this|they) (?:still |really |now )?"
        r"(?:ok|okay|up|down|fine|healthy|working|back|recovered)\b",
        r"\bwhat is (?:down|broken|failing|on fire|red|degraded|slow)\b",
        r"^what is wrong\W*$",
        r"\b(?:is|are) @ (?:having|seeing|experiencing) (?:any )?"
        r"(?:issues?|problems?|troubles?|errors?|outages?)\b",
        r"^(?:(?:are|is) (?:there )?)?(?:any|which|what)(?: \w+){0,2}"
        r" (?:services?|systems?|components?) (?:are |is )?"
        r"(?:down|broken|failing|degraded|red|impacted|affected)\b(?!.*@)",
        r"\b(?:any|some) (?:problems?|issues?|troubles?|errors?|outages?) (?:with|in|on|at|for)\b",
        r"\b(?:any|anything|something|everything|all) (?:down|broken|failing|ok|red|on fire"
        r"|green|fine|good|healthy|working)\b",
        r"^(?:(?:are|is) (?:there|we seeing) )?(?:any )?(?:\w+ )?"
        r"(?:problems?|issues?|troubles?|alerts?)(?: (?:right )?(?:now|today|atm|rn))? ?\??$",
        r"\boverview\b",
        r"\bdashboard\b",
        r"\bstate of\b",
        r"\bsitrep\b",
        r"\bincidents? now\b",
        r"\bup\b",
        r"\bdown\b",
        r"\boutages?\b",
        r"\ball good\b",
        r"\bare we (?:good|ok|fine|up|green)\b",
        r"\bok ?[?!]",
        r"\b(?:is|are) @ ok\b",
        r"^(?:all|everything|things|we) ok\b",
    ),
    _rule(
        "status",
        r"\bsituation\b",
        r"\bwhat is (?:going on|happening) (?:with|at|in|to) @",
        weak=True,
    ),
]


# Commands recognised by their noun anywhere, when no rule above read the question: the
# command's words are then rebuilt from the question (`command_words`).
NOUN_RULES: list[Rule] = [
    _rule("audit", r"\baudit\b"),
    _rule("incidents", r"\bincidents?\b"),
    _rule("maintenance", r"\bmaintenance\b"),
    _rule("subscriptions", r"\bsubscriptions?\b"),
    _rule("changes", r"\bchang(?:es|ed|elog)\b"),
]

_LISTS = {"incidents": "incidents", "changes": "changes", "audit": "audit"}
_MAINTENANCE_VERB = re.compile(r"^.*?\bmaintenance(?: window)?(?: (?:on|for|of))?\b\s*", re.I)


def command_words(text: str, question: Question, names: NameIndex | None) -> str:
    """The command `question` read from `text`, in its own grammar: a listing (incidents,
    changes, audit) is its verb, the exact names typed (audit) and the window the parser
    took ("what changed in the map since yesterday" -> "changes since yesterday"); a
    maintenance request starts at its subject ("start a maintenance window on X for 90m"
    -> "maintenance X for 90m"). A command typed in its grammar stays as typed."""
    clean = _normalise(plain_text(text))
    verb = _LISTS.get(question.intent)
    if question.intent == "incident" and not re.match(_LEAD + r"incident #?\d+\W*$", clean):
        number = _INCIDENT_NUMBER.search(clean)
        return f"incident {number[1]}" if number else text
    if question.intent == "subscriptions" and not re.match(_LEAD + r"subscriptions?\b", clean):
        channels = [w for w in text.split() if w.startswith(("<#", "#"))]
        return " ".join(["subscriptions", *channels[:1]])
    if verb is None and question.intent == "maintenance":
        if re.match(_LEAD + r"maintenance\b", clean):
            return text
        return "maintenance " + _MAINTENANCE_VERB.sub("", plain_text(text), count=1)
    if verb is None or re.match(_LEAD + verb + r"\b(?:\W*$| \S+\W*$)", clean):
        return text
    rest, _ = _take_period(clean)
    named = [
        w
        for w in _TOKEN.findall(rest)
        if verb == "audit" and names is not None and w not in FILLERS and names.exact(w)
    ]
    period = question.period or ""
    if re.fullmatch(r"(?:this|last)-(?:week|month|quarter|year)", period):
        period = period.replace("-", " ")
    return " ".join([verb, *named, period]).strip()


# Trailing context after a clause break: who is asking, what it is for, thanks.
_CONTEXT = re.compile(
    r"(?:[,.;:!?\n]|\s-+)\s*(?:(?:i|we) )?"
    r"(?:asking for\b|for a friend\b|need (?:it|this|that) for\b"
    r"|for (?:the|our|a|my) (?:postmortem|post-mortem|post mortem|review|report|retro|drill"
    r"|change|incident|cab|meeting|call|standup|ticket|doc)\b"
    r"|for (?:the|our|my|a) (?:[\w-]+ ){0,2}(?:folks|team|people|guys|crew|squad|on-?call)\b"
    r"|(?:[\w#|-]+ ){0,5}(?:(?:is|are|was|were|keeps?) )?"
    r"(?:asking|calling|pinging|chasing|waiting|(?:calls?|pings?|pages?|bugs?) (?:me|us))\b"
    r"|just (?:checking|curious|asking|wondering)\b|the \w+(?: team)? (?:is|are|was) asking\b"
    r"|(?:thanks?|thx|ty|cheers|tia)\b|(?:just )?(?:woke|got paged)\b|context:).*$",
    re.S,
)


# A channel reference leading a question addresses the channel ("<#C1|inc-x> what does db-03
# affect"): it is not a subject. Elsewhere it stays, as its label.
_ADDRESSED = re.compile(r"^\s*(?:<#[A-Z0-9]+(?:\|[^<>]*)?>\s*)+(?=\S)")


# Alert boilerplate pasted with a question is context, not subject: a state in brackets
# ("[FIRING:2]", "[RESOLVED]"), labels in parentheses ("(severity=critical, team=x)") and
# CamelCase alert names ("DiskAlmostFull") unless the map knows the word.
_ALERT_STATE = re.compile(r"\[\s*[A-Za-z]+(?:\s*:\s*\d+)?\s*\]")
_ALERT_LABELS = re.compile(
    r"\(\s*[\w.-]+\s*=[^()]*\)|(?:(?<=\s)|^)(?:[a-z_]+=(?:\"[^\"]*\"|[^\s,]+)[\s,]*)+", re.I
)
_LABEL_VALUE = re.compile(r"=\s*\"?([\w.\-:/]+)")


def _named_labels(labels: str, names: NameIndex | None) -> str:
    """The label values of `labels` that are names of the map ("instance=\"db-02\""), the
    rest dropped: the alert's subject stays, its severity and team do not."""
    if names is None:
        return " "
    found = []
    for value in _LABEL_VALUE.findall(labels):
        host = value.split(":")[0]
        for candidate in (host, host.split(".")[0]):  # db-02.fra-dc1:9100 is db-02
            if names.exact(candidate.casefold()):
                found.append(candidate)
                break
    return " " + " ".join(found) + " "


_CAMEL = re.compile(r"(?<![\w.\-])[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+(?![\w.\-])")


def _without_alert(text: str, names: NameIndex | None) -> str:
    text = _ALERT_LABELS.sub(
        lambda m: _named_labels(m.group(0), names), _ALERT_STATE.sub(" ", text)
    )
    return _CAMEL.sub(
        lambda m: m.group(0) if names is not None and names.resolve(m.group(0).casefold()) else " ",
        text,
    )


def parse(text: str, names: NameIndex | None = None, judge: IntentJudge | None = None) -> Question:
    """Parse one question; never raises. Unparseable text gives intent "unknown". With a
    `judge`, the intent model weighs the rules' reading (`intent_model`).

    A message of several sentences or clauses whose whole does not read as a question the
    bot can answer ("Customers can't log in. Why is Customer Accounts down?", "is X up?
    orders stuck in reservation") is read clause by clause: the clause that asks a question
    with its subjects named is the question, the rest is context."""
    text = text[:MAX_QUESTION]
    whole = _parse_text(text, names, judge)
    if names is None or len(text) > MAX_CLAUSE_READING:
        return whole  # a long paste is read once: its cost stays linear in its length
    settled = _settled(whole, names) and whole.intent not in COMMAND_INTENTS
    clauses = _CLAUSE.split(plain_text(text))
    if len(clauses) > MAX_CLAUSES or (settled and len(clauses) < 2):
        return whole
    if settled:
        sentences = _SENTENCE.split(plain_text(text))
        return (
            _asked_clause(whole, sentences, text, names, judge)
            # "kafka consumers lagging on the orders topic, is the event bus ok?"
            or (
                len(clauses) > len(sentences)
                and _asked_clause(
                    whole,
                    [c for c in clauses if "?" not in c or _ASKING.match(c)],
                    text,
                    names,
                    judge,
                )
            )
            or whole
        )
    found: Question | None = None
    for clause in clauses:
        if not clause or not clause.strip(" ?!.,;:-"):
            continue
        asked = _parse_text(clause, names, judge)
        if not asked.explicit or not _settled(asked, names):
            continue
        if whole.intent in COMMAND_INTENTS and (
            asked.intent in COMMAND_INTENTS or not names.resolve_all(asked.phrases).names
        ):
            continue  # a command stays one, unless a clause asks about a named subject
        if found is None or "?" in clause:  # the first, or the first that asks with a "?"
            found = replace(asked, context=text)
        if "?" in clause:
            break
    return found or whole


def _asked_clause(
    whole: Question, clauses: list[str], text: str, names: NameIndex, judge: IntentJudge | None
) -> Question | None:
    """The clause with a "?" that asks about some of the subjects the whole message names
    ("Checkout is throwing errors. Is the Payments API healthy?"): the rest tells the story."""
    named = set(names.resolve_all(whole.phrases).names)
    told = [c for c in clauses if "?" not in c and c.strip()]
    for clause in clauses:
        if "?" not in clause:
            continue
        asked = _parse_text(clause, names, judge)
        if not asked.explicit or not _settled(asked, names):
            continue
        own = set(names.resolve_all(asked.phrases).names)
        if own and (
            own < named
            # "db-03 is down - what do customers feel? need it for the status page": the
            # reading came from a sentence that tells, the "?" one asks
            or (own == named and asked.intent != whole.intent and not any(map(_ORDERS.match, told)))
        ):
            return replace(asked, context=text)
    return None


_ORDERS = re.compile(
    r"^\W*(?:pls |please |and |then |also |now )*(?:show|list|give|tell|explain|trace|check|find"
    r"|get|display|draw|simulate)\b",
    re.I,
)


MAX_CLAUSES = 12
# Characters of a keyword template the rules read: some rules relate two words anywhere in
# it ("which .. depends"), which costs the square of its length; a longer template is read
# by its two ends (a keyword-dense 40,000-character message: under 1 s instead of 25 s).
RULE_WINDOW = 2_000
MAX_CLAUSE_READING = 2_000  # characters: real questions, stories included, are shorter
_SENTENCE = re.compile(r"(?<=[.?!;])\s+|\n+")
_CLAUSE = re.compile(r"(?<=[.?!;])\s+|\n+|(?<=[\w)\]*_`'\"])[,:]\s+|\s+(?:-{1,2}|\u2014|\u2013)\s+")
# Subjects an intent needs named to be answered (a listing, status or sla: none).
_NEEDED = {"path": 2, "affects": 1, "whatif": 1, "depends": 1, "why": 1, "owner": 1}


def _settled(question: Question, names: NameIndex) -> bool:
    """Whether `question` can be answered as read: an intent with a handler, and its
    subject phrases resolved (after the words around them are screened off)."""
    if question.intent in ("unknown", "help"):
        return False
    if question.intent in COMMAND_INTENTS:
        return True
    needed = _NEEDED.get(question.intent, 0)
    resolution = names.screen(
        names.resolve_all(question.phrases), named=in_name_position(question, needed > 0)
    )
    return resolution.ok and len(resolution.names) >= needed


def _parse_text(text: str, names: NameIndex | None, judge: IntentJudge | None) -> Question:
    clean = _normalise(plain_text(_without_alert(_ADDRESSED.sub("", text), names)))
    cut = _CONTEXT.search(clean)
    if cut is None or not cut.start():
        return _judged(_parse(clean, names), text, names, judge)
    cut_off = replace(_parse(clean[: cut.start()], names), context=cut.group(0))
    return _judged(cut_off, text, names, judge)


# A follow-up's opening ("what about X?", "and X?", "same for X"): its intent is the
# thread's (handlers.followups), never the model's.
FOLLOW_UP = re.compile(
    r"^\W*(?:and|so|ok|okay|also|then)?\s*(?:what|how) about\b"
    r"|^\W*(?:(?:ok|okay|so|alright|right|then|hm+|thx|thanks)\W+)?and\b"
    r"|^\W*(?:(?:ok|okay|and)\W+)*(?:the )?same (?:\w+ )?for\b"
)


def _judged(
    asked: Question, text: str, names: NameIndex | None, judge: IntentJudge | None
) -> Question:
    """`asked` with the intent `intent_model.judge` settles on between the rules' reading
    and the model's."""
    if judge is None or (asked.intent == "unknown" and FOLLOW_UP.search(text.casefold())):
        return asked
    named = sum(
        1 for p in asked.phrases if names is None or names.resolve(p) or names.looks_like_name(p)
    )
    intent = judge.judge(asked.intent, named, plain_text(text))
    if intent == asked.intent:
        return asked
    if intent in COMMAND_INTENTS or intent == "help":  # read in their own grammar
        return Question(intent, (), asked.template, asked.period, asked.depth)
    # A reading the rules found none for is not a keyword's: a follow-up in a thread
    # ("what about X?") still takes the thread's intent (handlers.followups).
    explicit = asked.explicit and asked.intent != "unknown"
    return replace(asked, intent=intent, explicit=explicit, weak=False)


_INCIDENT_NUMBER = re.compile(r"\b(?:incident|inc)\W+(?:no\.? |nr\.? |number |id )?#? ?(\d+)\b")


def _parse(clean: str, names: NameIndex | None) -> Question:
    clean, period = _take_period(_IN_PASSING.sub(" ", clean))
    if _INCIDENT_NUMBER.search(clean) and not re.match(_LEAD + r"incidents\b", clean):
        return Question("incident", (), clean, period)  # "can you pull up incident 305"
    clean, depth = _take_depth(clean)
    read = _with_synonyms(clean)
    template, phrases = _template(_TOKEN.findall(read), names)
    template, phrases = _between_its_ends(template, phrases, names)
    asked = _intent(template, phrases, period, depth, names)
    if read == clean or asked.intent in ("unknown", "help"):
        return asked
    plain = _intent(*_template(_TOKEN.findall(clean), names), period, depth, names)
    return replace(asked, weak=plain.intent != asked.intent)


_BETWEEN = re.compile(
    r"@( (?:\w+ ){0,2}(?:between|connecting|linking|joining) (?:the )?@ (?:and|with|to) (?:the )?@)"
)


def _between_its_ends(
    template: str, phrases: tuple[str, ...], names: NameIndex | None
) -> tuple[str, tuple[str, ...]]:
    """ "the direct connect between the frankfurt colo and aws": a link described by its
    two ends, which its title names (dx-link: "Direct Connect fra-dc1 <-> eu-central-1"), is
    one subject; the ends are words about it, not subjects of a path."""
    found = _BETWEEN.search(template) if names is not None else None
    if found is None or names is None:
        return template, phrases
    at = template[: found.start()].count("@")
    if at + 2 >= len(phrases):
        return template, phrases
    link = names.resolve(phrases[at])
    ends = [names.resolve(p) for p in phrases[at + 1 : at + 3]]
    if len(link) != 1 or any(len(e) != 1 for e in ends):
        return template, phrases
    if not all(names.says(link[0], words_of(e[0])) for e in ends):
        return template, phrases
    kept = phrases[: at + 1] + phrases[at + 3 :]
    return template[: found.start(1)] + template[found.end(1) :], kept


def _intent(
    template: str,
    phrases: tuple[str, ...],
    period: str | None,
    depth: int | None,
    names: NameIndex | None,
) -> Question:
    """The question a keyword template asks: the first rule that matches it."""
    if (asked := report_question(template, phrases, period, depth)) is not None:
        return asked
    # "is the @ service ok", "what does our @ depend on": rules read past the words around a
    # name (the template kept says where names stand: `in_name_position`)
    read = _AROUND_NAME.sub("@", template)
    if len(read) > RULE_WINDOW:  # a long paste: its opening and its end say what it asks
        read = f"{read[: RULE_WINDOW // 2]} . {read[-RULE_WINDOW // 2 :]}"
    if _FOCUS.search(read) and len(phrases) >= 2:
        # "what happens to checkout if redis-02 dies": redis-02 fails, checkout is watched
        args = {"focus": phrases[0]}
        phrases = phrases[1:]
        template = _FOCUS.sub("what if", read, count=1)
        return Question("whatif", phrases, template, period, depth, args=args)
    if _WATCHED.search(read) and len(phrases) >= 2 and _JOINT_WORDS.search(read):
        # "kafka-01 and kafka-02 fail at once. the event bus survives?": the last is watched
        args = {"focus": phrases[-1]}
        return Question("whatif", phrases[:-1], template, period, depth, args=args)
    for rule in RULES:
        if rule.pattern.search(read):
            if rule.intent in COMMAND_INTENTS:  # the handler reads the command text itself
                return Question(rule.intent, (), template, period, depth)
            return Question(rule.intent, phrases, template, period, depth, weak=rule.weak)
    for rule in NOUN_RULES:  # a command named by its noun anywhere: "what incidents are on"
        if rule.pattern.search(read):
            return Question(rule.intent, (), template, period, depth)
    intent = "affects" if _bare_names(template, phrases, names) else "unknown"
    return Question(intent, phrases, template, period, depth, explicit=False)


_ASKING = re.compile(
    r"^\W*(?:(?:hey|hi|hello|pls|please|so|ok|okay|and|quick|urgent)\W+)*"
    r"(?:(?:to|for|from|with|by|of|on|in|at|since|until) )?(?:what|which|who|whom|whose"
    r"|whats|wat|wot|wht|wich|whos|hows|wheres|wy|y"  # the shorthand of `vocabulary.ALIASES`
    r"|why|how|is|are|was|were|does|do|did|can|could|will|would|should|when|where|show|list|give"
    r"|tell|check|find|get|explain|simulate|trace|status|sla|slo|uptime|availability|affects?"
    r"|depends?|deps|impact|path|owners?|spofs?|blast|what-?if|help|any|anything|overall|health"
    r"|every|all)\b"
)


def statement(text: str) -> bool:
    """Whether `text` tells rather than asks: no "?", and it does not open with a question
    word or a request ("the coffee machine is down again", "fyi: db-02 is back")."""
    clean = _normalise(plain_text(text))
    if "?" in clean:
        return False
    return not any(_ASKING.match(c) or _ASKED.search(c) for c in _CLAUSE.split(clean) if c)


_ASKED = re.compile(
    r"\b(?:give|show|list|tell|send|pull up|need|post|share|paste|drop|print|export|generate"
    r"|prepare|fetch|grab)\b.*\b(?:me|us|the|a|every|all)\b"
)


_JOINT = re.compile(
    r"\b(?:together|at once|(?:at )?(?:the )?same time|simultaneous(?:ly)?|concurrent(?:ly)?"
    r"|both|combined|in parallel|in one go|fail|fails|failed|failing|die|dies|died|dying"
    r"|crash(?:es|ed|ing)?|(?:go|goes|went|going|are|were|is|was) (?:down|offline|out|away|dark)"
    r"|down|lost|losing|lose|cut|unavailable|unreachable)\b"
)


def joint_failure(text: str) -> bool:
    """Whether a question naming several components has them fail ("db-01 and db-03 fail
    together", "both down at once"): a what-if, not "what does each affect"."""
    return _JOINT.search(_normalise(plain_text(text))) is not None


_AROUND_NAME = re.compile(
    r"\b(?:the|a|an|our|your|my) @|@ (?:service|services|system|app|application|component)\b"
)
_WATCHED = re.compile(
    r"@ (?:still )?(?:survives?|writable|alive|standing)\b[^@]*$"
    r"|\b(?:is|does|will|would|can|do) @ (?:still )?(?:up|ok|working|works?|survives?|breaks?"
    r"|stops?|fails?|go down|goes down|dies?)\b[^@]*$"
    # "if the fraud scoring falls, the payments stop or not?": a failure, then the outcome
    r"|\b(?:if|when|once|should)\b[^@]*@[^@]*\b(?:fails?|failing|dies|down|crash(?:es|ed)?"
    r"|stops?|breaks?|unavailable)\b[^@]*[,;] (?:then )?@ (?:will |would )?(?:still )?"
    r"(?:stops?|breaks?|fails?|goes down|go down|dies|die|survives?|works?|keeps? working)"
    r"(?: or not)?\W*$"
)
_JOINT_WORDS = re.compile(
    r"\b(?:fail|fails|die|dies|crash|crashes|down|what ?if|suppose|imagine)\b"
)
_FOCUS = re.compile(r"\bwhat (?:happens|would happen|will happen|happened) to @ (?:if|when)\b")
_TAKE_OUT = re.compile(
    r"^(?:please |pls |can you |could you )*(?:take|put|pull) (\S+) "
    r"(?:out(?: of (?:service|rotation))?|offline|down|(?:in|into|under) maintenance) "
    r"for (an? hour|half an hour|an? day|\d+ ?[a-z]+)\b[,;:.]?\s*(.*)$",
    re.I | re.S,
)
_SPOKEN = {"an hour": "1h", "a hour": "1h", "half an hour": "30m", "a day": "1d", "an day": "1d"}


_IN_MAINTENANCE = re.compile(  # "anything in maintenance right now?": the list
    r"^(?:is |are )?(?:there )?(?:anything|something|what|which \S+|who)(?: is| are)? "
    r"(?:in|under) maintenance\b[^a-z0-9]*(?:(?:right )?now|today|currently|atm|rn)?\W*$",
    re.I,
)


_SUBSCRIBED = re.compile(  # "which channels are subscribed to notices?": the list
    r"^(?:which|what|who)(?: \S+)? (?:is|are) (?:subscribed|following|getting notices)\b[^\n]*$"
    # "what is this channel subscribed to?", "what does our room follow"
    r"|^(?:which|what)(?: \S+)? (?:is|are|does|do) (?:this|the|our|my|your) (?:channel|room)"
    r"(?: (?:still|currently|now))? (?:subscribed|following|follow|watching|watch|get notices)"
    r"(?: (?:to|for|about|on))?\W*$"
    # "which channels get notices?"
    r"|^(?:which|what)(?: \S+)? (?:get|gets|getting|receive|receives|receiving) (?:the |our |bot )?"
    r"(?:outage )?(?:notices|notifications)\b[^\n]*$",
    re.I,
)


def command_text(text: str) -> str:
    """A command said in everyday words, in the command's own grammar:
    "take cache-02 out for an hour, disk swap" -> "maintenance cache-02 for 1h disk swap"."""
    if _IN_MAINTENANCE.match(text.strip()):
        return "maintenance list"
    if _SUBSCRIBED.match(text.strip()):
        return "subscriptions"
    match = _TAKE_OUT.match(text.strip())
    if match is None:
        return text
    length = _SPOKEN.get(match[2].casefold(), match[2])
    return f"maintenance {match[1]} for {length} {match[3]}".strip()


_REPORT_WORD = re.compile(r"(?:^|\s)reports?(?:\s|$)")
_CALENDAR = re.compile(  # a calendar period, as the window phrase or in the old hyphen form
    r"^(?:(?:last|this|previous)[ -](?:month|quarter|year)"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*(?: \d{4})?"
    r"|\d{4}(?:-\d{2}|-q\d)?)$"
)
_PERIOD_PHRASE = re.compile(
    r"^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*$|^\d{4}(?:-\d{2}|-q\d)?$"
)


def report_question(
    template: str, phrases: tuple[str, ...], period: str | None, depth: int | None
) -> Question | None:
    """ "report october", "sla report for payments last quarter": the SLA report file.

    A report of a calendar period (a month name, YYYY-MM, YYYY-Qn, YYYY, last/this
    month/quarter/year); a rolling window ("sla report checkout 30d") stays an `sla` answer.
    """
    if not _REPORT_WORD.search(template):
        return None
    named = [w for p in phrases for w in p.split() if _PERIOD_PHRASE.match(w)]
    if not named and not (period and _CALENDAR.match(" ".join(period.casefold().split()))):
        return None
    rest = (" ".join(w for w in p.split() if w not in named) for p in phrases)
    subjects = tuple(p for p in rest if p)
    args = {"period": named[0]} if named else {}
    return Question("report", subjects, template, period, depth, args=args)


_NAME_PLACE = re.compile(r"\b(?:of|for|is|are|about|on|with|to|from) @|^[^@\s]+ @")
_EVERYTHING = re.compile(r"\b(?:all|every|each) (?:business )?services?\b|\beverything\b")


def in_name_position(question: Question, needs_subject: bool) -> bool:
    """Whether an unknown plain word is most likely a name the user meant: the intent needs
    a subject, or the phrase stands where a name goes ("status of X", "is X up", "sla X")
    and the question does not ask about everything; "how are we doing overall" does not."""
    if needs_subject:
        return True
    template = question.template
    return _NAME_PLACE.search(template) is not None and not _EVERYTHING.search(template)


def _bare_names(template: str, phrases: tuple[str, ...], names: NameIndex | None) -> bool:
    """Only names, no keyword: a question about their impact, when they look like names."""
    if "@" not in template or not set(template.split()) <= {"@", "and", "?", "!"}:
        return False
    if names is not None and any(len(p) < 3 and names.exact(p) is None for p in phrases):
        return False  # "k", "ok": a letter or two alone is not a name
    return names is None or all(names.resolve(p) or names.suggest(p) for p in phrases)


def _normalise(text: str) -> str:
    text = text.casefold().replace("\u2019", "'")
    for pattern, repl in _CONTRACTIONS:
        text = pattern.sub(repl, text)
    return text


_DATE_ASIDE = re.compile(
    rf"\((?=[^()]*(?:\d|\b(?:{_MONTH_WORDS})\b))(?:\s|,|-|\d{{1,4}}(?:st|nd|rd|th)?|\b(?:{_MONTH_WORDS}|may|to|and|from|until|till"
    rf"|through|the|in|{_ZONES})\b)+\)"
)


def _take_period(text: str) -> tuple[str, str | None]:
    text = _DATE_ASIDE.sub(" ", text)  # "Q3 2026 (1 July to 30 September, UTC)": said twice
    window = _WINDOW.search(text)
    if window is not None:
        zone = (window["z"] or "").strip(" ,()")
        period = " ".join(p for p in (window["w"], zone) if p)
        if re.fullmatch(r"(?:last|past|previous) (?:h|hrs?|hours?)", window["w"]):
            period = "last 1 hours"  # "the past hour"
        # "the period 2026-10-01 00:00 to 2026-10-31 23:59": a range, in the window grammar
        period = re.sub(rf"^(?:(?:the )?period (?:of |from )?)?(?={_DAY} )", "from ", period)
        return text[: window.start()] + " " + text[window.end() :], period
    match = _PERIOD.search(text)
    if match is None:
        return text, None
    zone = _ZONE_AFTER.match(text, match.end())
    if zone is not None:  # "this week Europe/Berlin": the phrase form, which carries a zone
        phrase = " ".join(match.group(0).split()) + " " + zone[1]
        return text[: match.start()] + " " + text[zone.end() :], phrase
    number, unit, number2, unit2, this, last, day = match.groups()
    if number or number2:
        u = (unit or unit2 or "d")[0]
        period = f"{number or number2}{u}"
    elif this or last:
        period = f"{'this' if this else 'last'}-{this or last}"
    else:
        period = day
    return text[: match.start()] + " " + text[match.end() :], period


_SYNONYMS = tuple(
    (re.compile(rf"(?<![\w.\-])(?:{pattern})(?![\w.\-])"), keyword) for pattern, keyword in SYNONYMS
)


def _with_synonyms(text: str) -> str:
    """`text` with everyday phrasings of keywords (`vocabulary.SYNONYMS`) read as them."""
    for pattern, keyword in _SYNONYMS:
        text = pattern.sub(keyword, text)
    return text


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
    return _collapse(_with_kind_words(marks, names))


def _with_kind_words(marks: list[str], names: NameIndex | None) -> list[str]:
    """A kind word after a subject phrase joins it when then it names one component, and
    another than without it: "the Catalogue database" is catalog-db, though "catalogue"
    alone is three names."""
    if names is None:
        return marks
    for i in range(1, len(marks)):
        word = marks[i]
        if word.startswith("@") or word not in FILLERS or not marks[i - 1].startswith("@"):
            continue
        if marks[i - 1].endswith("\x00"):
            # "the payments database": a name said with a kind word another one is called by
            named = marks[i - 1][1:-1]
            joined = names.resolve(f"{named} {word}")
            if len(joined) == 1 and joined != names.resolve(named):
                marks[i - 1], marks[i] = f"@{named} {word}\x00", ""
            continue
        start = i - 1
        while (
            start > 0 and marks[start - 1].startswith("@") and not marks[start - 1].endswith("\x00")
        ):
            start -= 1
        run = " ".join(m[1:] for m in marks[start:i])
        # "the accounts database": the kind word picks accounts-db, though "accounts" alone
        # reads as the business service Customer Accounts
        joined = names.resolve(f"{run} {word}")
        if len(joined) == 1 and names.resolve(run) != joined:
            marks[i] = "@" + word
    return [mark for mark in marks if mark]


def _split_keywords(token: str, names: NameIndex | None) -> list[str]:
    """`blast-radius` and `what-if` are keywords typed with a hyphen, `blastradius` and
    `rootcause` run together; names stay whole."""
    token = ALIASES.get(token, token)
    parts = token.split("-")
    if names is not None and names.exact(token):
        return [token]
    if len(parts) == 1:
        return _run_together(token) or token.split()
    words = KEYWORDS | FILLERS
    return parts if all(p in words or correct(p) for p in parts) else [token]


def _run_together(token: str) -> list[str] | None:
    """Two keywords typed as one word ("blastradius" -> blast radius), else None."""
    if len(token) < 7 or not token.isalpha() or token in KEYWORDS or token in FILLERS:
        return None
    for cut in range(3, len(token) - 2):
        left, right = token[:cut], token[cut:]
        if left in KEYWORDS and right in KEYWORDS:
            return [left, right]
    return None


def _entity_at(tokens: list[str], i: int, names: NameIndex | None) -> int:
    """Length of the longest exact name or title starting at token i (0 when none)."""
    if names is None:
        return 0
    for size in range(min(names.longest, len(tokens) - i), 0, -1):
        words = tokens[i : i + size]
        if size == 1 and (words[0] in KEYWORDS or words[0] in FILLERS):
            continue  # a component called "status" must not swallow the keyword
        if words[0] in SEPARATORS or words[-1] in SEPARATORS:
            continue
        # a list is not one name, but a title may hold an "and" ("Marketing and subscriber
        # database"): only a title of three words or more matched whole
        if any(w in SEPARATORS and (w != "and" or size < 3) for w in words[1:-1]):
            continue
        if names.exact(" ".join(words)) is not None:
            return size
    return _keyword_in_name(tokens, i, names)


def _keyword_in_name(tokens: list[str], i: int, names: NameIndex) -> int:
    """2 when a keyword at i and the word after it that is no name of its own are one
    component's words ("Route 53" of "DNS (Route 53 zones and resolvers)"), else 0."""
    if i + 1 >= len(tokens) or tokens[i] not in KEYWORDS:
        return 0
    after = tokens[i + 1]
    if not after.isalnum() or after in KEYWORDS or after in FILLERS or names.resolve(after):
        return 0
    found = names.resolve(f"{tokens[i]} {after}")
    return 2 if len(found) == 1 and names.says(found[0], (tokens[i], after)) else 0


def _classify(token: str, names: NameIndex | None) -> str:
    if token in SEPARATORS or token in KEYWORDS or token in FILLERS or token in "?!":
        return token
    protected = names.vocabulary if names is not None else frozenset()
    if token not in protected and token.endswith("s") and token[:-1] in protected:
        return "@" + token[:-1]  # "both core routers": the word of the names, in the plural
    fixed = None if token in protected else correct(token) or _stem(token)
    return fixed if fixed is not None else "@" + token


def _stem(token: str) -> str | None:
    """The keyword an -ing or -ed form is made from: "owning" -> "own", "paged" -> "page"."""
    for suffix in ("ing", "ed"):
        if token.endswith(suffix) and len(token) > len(suffix) + 2:
            base = token[: -len(suffix)]
            for stem in (base, base + "e", base[:-1] if base[-1:] == base[-2:-1] else ""):
                if stem in KEYWORDS:
                    return stem
    return None


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
