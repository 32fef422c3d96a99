"""The words a question is made of besides names: keywords, fillers and list separators.

A token in none of these sets (after spelling correction) is part of a subject phrase.
Add the keywords of a new intent to `KEYWORDS` together with its rule in `intents.RULES`.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


KEYWORDS = _words(
    """
    help commands usage example examples hi hello hey
    path paths route routes chain connected connection connects connect linked related reach link
    what if whatif simulate simulation simulated suppose imagine hypothetical hypothetically
    happen happens would will could scenario drill
    why root cause causes caused causing rca wrong broken breaking killing explain diagnose
    spof spofs single point points failure failures weak weakest spots spot links alone lone
    redundancy redundant take bring knock
    own owns owner owners ownership owned responsible call oncall contact contacts team whose
    channel escalate escalation runs maintains manages ping ask runbook runbooks playbook playbooks
    sla slas slo slos availability uptime error budget downtime nines reliability
    affect affects affected affecting effect effects impact impacts impacted impacting
    blast radius break breaks
    downstream dependents consumers hit fallout goes go went dies died fails failed fail crashes
    crashed crash offline away consequence consequences lose users user stops dark
    depend depends depending dependent dependency dependencies deps upstream prerequisite
    prerequisites rely relies relying requires require need needs built underneath behind stack
    tree use uses using calls
    status health healthy overview dashboard state sitrep incident incidents now up down outage
    outages ok okay working alive fine running degraded failing fire red good
    who which how is are does do did -> → between
    report reports no not without lose losing lost
    details detail info timeline hood come page talk wake speak message notify
    beneath underlying reason reasons keeps keep mttr mtbf mttd die
    digest digests
    subscribe unsubscribe subscription subscriptions maintenance audit sync resync confirm
    changes changed unlink soft hard open
    problem problems issue issues trouble troubles alert alerts green
    restart restarting reboot rebooting bounce reliable breach breached breaches
    violated violation missed holds covers
    belong belongs belonging arrive arrives based gets leads
    feed feeds power powers drive drives supply supplies backs underpin underpins serve serves
    wired hooked supports handles operates bug nag blame poke bother alright situation
    gone making trace changelog slow slower sluggish kill kills killed built wrote created
    fix first priorities priority risk risks register top
    burn burns burning burned burnt rate rates
    margin margins monday tuesday wednesday thursday friday saturday sunday tomorrow
    touch touches tied coupled bound recovered restored stable normal
    work way route result results outcome outcomes added removed deleted new
    survive survives writable
    """
)

FILLERS = _words(
    """
    a an the of for on in to at by from with about into onto upon over under below via
    across throughout among until till towards
    it its this that these those there here me my our we us i you your they them
    be been being was were am has have had can should shall may might must
    please pls plz tell show give list get see know find check display print
    all any anything everything something anyone everyone things thing else
    service services system systems component components node nodes server servers
    currently right just still really actually exactly also then
    happened happening going doing
    thanks thank thx cheers bot bsm
    much many more most analysis power run doing have time too again well
    rn atm asap
    as both also somehow anyway quick quickly asap urgent urgently kindly maybe perhaps fast
    where when whether same sure hmm hm um uh ok okay so like guys folks team
    map whole entire every each overall business customers clients
    database databases caches queues hosts vms machines boxes infrastructure infra hardware
    apps applications apis microservices numbers figures metrics stats
    current latest recent recently ongoing active exist exists existing
    having seeing experiencing parts part pieces piece bits
    says said saying fyi
    """
)

# Everyday phrasings of a keyword, read as that keyword before the question is split into
# words (inflections included): "what does X take down" asks what X affects, "what is X
# sitting on" what X depends on. Each is (pattern over the lower-cased text, keyword text).
SYNONYMS: tuple[tuple[str, str], ...] = (
    # "why" in the languages people around an English-speaking team fall back to
    (r"\b(?:porque|porqu[eé]|por qu[eé]|pourquoi|warum|wieso|perch[eé]|waarom)\b", "why"),
    # why: "what took X down" asks for the cause
    (
        r"^what (?:took|brought|knocked|has taken|has brought|is taking|is bringing) down\b",
        "why is down",
    ),
    (r"\bon top of\b", "on"),  # "what sits on top of X" sits on X
    # failing in slang: "goes belly up", "went south", "blows up"
    (
        r"\b(go|goes|going|went|gone) (?:belly up|south|bang|boom|poof|kaput|pear-shaped)\b",
        r"\1 down",
    ),
    (r"\b(?:blows?|blew|blown|blowing) up\b|\bexplodes\b|\bexploded\b", "fails"),
    (r"\b(go|goes|going|went|gone) (?:dark|black|silent)\b", r"\1 down"),
    # "what is left standing": what an outage leaves, the other side of what it affects
    (
        r"\bwhat(?:s| is| would be| will be) (?:left|still)"
        r" (?:standing|up|working|running|alive)\b",
        "what is affected",
    ),
    (r"\bplay (?:out|through)\b|\bgame out\b", "simulate"),
    (r"\bwhat about if\b", "what if"),
    # what-if: "pretend X and Y are down", "combined outage of X and Y"
    (
        r"\b(?:combined|joint|simultaneous|double|dual|concurrent) (?:outage|failure|loss)s?\b",
        "simulate",
    ),
    (r"\b(?:pretend|assume|assuming|presume|presuming|hypothesi[sz]e)\b", "suppose"),
    # depends: "what X cannot live without"
    (
        r"\b(?:cannot|can not|ca not|could not|would not) (?:live|work|run|function|survive)"
        r" without\b",
        "depends on",
    ),
    # why: the culprit, who is to blame
    (r"\bculprits?\b", "root cause"),
    (r"\b(?:who|what) is to blame for\b", "cause of"),
    # spof: gaps in redundancy
    (r"\bredundancy (?:gaps?|holes?)\b|\bgaps? in (?:the )?redundancy\b", "no redundancy"),
    (r"\bunprotected\b|\bnon-?redundant\b", "not redundant"),
    # sla: "how available was X"
    (r"\bhow available\b", "availability"),
    # owner: "who looks after X", "who is in charge of X", "which squad"
    (r"\b(which|what) (?:squad|crew|group|tribe|org|department|dept|people|folks)\b", r"\1 team"),
    (
        r"\b(?:looks?|looking) after\b|\bin charge of\b|\bon the hook for\b"
        r"|\baccountable for\b|\b(?:takes?|taking) care of\b|\bthe go-?to (?:person |team )?for\b",
        "owns",
    ),
    # depends: what X talks to, what it is made of
    (
        r"(?<!\bi )(?<!\bwe )(?<!\byou )\b(?:talks?|talking|speaks?|speaking) to\b"
        r"|\b(?:made|composed|built) (?:up )?(?:of|from)\b"
        r"|\bconsists? of\b|\bconsisting of\b",
        "depends on",
    ),
    # affects: phrasal verbs of taking something down with it
    (
        r"\b(?:take|takes|taking|took|taken|knocks?|knocking|knocked|brings?|bringing|brought)"
        r" (?:down|out|offline)\b",
        "affect",
    ),
    (
        r"\b(?:take|takes|taking|took|drags?|dragging|dragged|pulls?|pulling|pulled)"
        r"(?: \w+)? (?:with|along with) (?:it|them|him|her)\b",
        "affect",
    ),
    # "is it safe to restart X": what restarting it affects
    (r"\bsafe(?:ly)?\b", "affect"),
    (r"\b(?:go|goes|going|went|gone)(?: down)?(?: along)? with\b", "affect"),
    # affected: "what is hurt", "who feels it"
    (r"\b(?:hurt|hurts|harmed|suffers?|suffering|feels? (?:it|the pain))\b", "affected"),
    (r"\bdamage(?: assessment| report)?\b|\brevenue (?:at risk|impact|loss)\b", "impact"),
    (r"\b(?:cost|costs) (?:us|me|the business|the company)\b", "impact"),
    (r"\b(?:stops?|stopped|stopping|quits?) (?:working|functioning)\b", "breaks"),
    # failing: "has an outage", "falls over", "is out"
    (
        r"\b(?:has|have|had|having|suffers?|suffering|gets?|getting) (?:an? )?"
        r"(?:outage|failure|crash|meltdown)\b",
        "fails",
    ),
    (r"\b(?:falls?|fell|falling|keels?|keeled) over\b", "fails"),
    (r"\bcrash ?loop(?:s|ing|ed)?\b|\bcrashloopbackoff\b", "down"),
    (r"^what (?:broke|killed|crashed|brought down)\b", "what caused"),
    (
        r"\b(?:what|who|which \w+) (?:do|does|will|would|can|could) (?:the |our )?"
        r"(?:customers?|users?|people|clients?|shoppers?) (?:feel|notice|see|experience)\b",
        "what is affected",
    ),
    (r"\bwhat sees the (?:customers?|users?)\b", "what is affected"),
    (r"\bcheck out\b(?! (?:the|this|that|my|our|what|which|how|if|whether|who)\b)", "checkout"),
    (
        r"\b(?:lose|loses|losing|lost) (?:all )?(?:power|connectivity|its network|network)\b",
        "fails",
    ),
    (
        r"\b(is|are|was|were|gets?|got) (?:killed|stopped|shut ?down|turned off|switched off"
        r"|unplugged|powered off|pulled)\b",
        r"\1 down",
    ),
    (
        r"\b(is|are|was|were|being) (?:out|gone|dead|kaput|toast|unavailable|unreachable)\b(?! of)",
        r"\1 down",
    ),
    # depends: resting on something
    (
        r"\b(?:relying|relied|reliant|sits?|sitting|sat|rests?|resting|rested|stands?|standing"
        r"|leans?|leaning|leaned|hinges?|hinging|counts?|counting|builds?|building|runs?|running"
        r"|hosted|deployed|lives?|living|placed|located|based)"
        r" (?:on|upon)\b",
        "depends on",
    ),
    # spof: "which one thing could take X down"
    (
        r"\b(?:one|a single|single) (?:thing|component|box|node|part|piece|machine|server)\b",
        "single",
    ),
    (r"\bachilles(?:'s?)? heels?\b", "single point of failure"),
    (r"\b(?:one|a single|single) (?:failure|outage|crash|fault) away\b", "single point of failure"),
    (r"\bback to normal\b|\bback up\b|\bback online\b", "recovered"),
    (r"\bblast (?:zone|area|range)\b", "blast radius"),
    # affects/depends: what X feeds into, what feeds off X
    (r"\bfeeds? (?:into|to)\b", "affect"),
    (r"\b(?:feeds?|feeding|lives?|living) off\b", "depends on"),
    # a pronoun with "one": "who owns that one" leans on the last answer like "that"
    (r"\b(that|this|these|those|the same|same) ones?\b", r"\1"),
    # sla metrics said in full
    (
        r"\bmean time (?:to|for|of) (?:repair|recover|recovery|restore|resolve|resolution|fix)\b",
        "mttr",
    ),
    (r"\bmean time between (?:failures?|outages?|incidents?)\b", "mtbf"),
    (r"\bmean time to (?:detect|detection|notice)\b", "mttd"),
    (r"\b(?:service level (?:agreement|objective)s?)\b", "sla"),
    # sla: "did X meet its 99.9", "stay within the target"
    (
        r"\b(?:meet|meets|met|meeting|stay|stays|stayed|staying|keep|keeps|kept|remain|remained"
        r"|hold|held|hit|hits|miss|misses|missed) (?:within |inside |under |above |to |on )?"
        r"(?:its|their|the|our|his|her) (?:\d+(?:\.\d+)?%?|sla|slo|targets?|objectives?|goals?)\b",
        "sla",
    ),
    # affects: what an outage means for the business
    (r"\b(?:mean|means|meant) (?:for|to) (?:the |our |its )?\w+\b", "impact"),
    # who reported a problem is context: "db-03 errors reported by the vendor, what breaks"
    (
        r"\b(?:reported|raised|flagged|spotted|noticed|seen|announced) by"
        r" (?:the |our |a )?[\w-]+\b",
        "",
    ),
    (r"\bheads[- ]up\b", ""),  # a warning, not "up"
    # spof: "which parts can take X down on their own"
    (
        r"\bon (?:their|its|his|her|my|our) own\b|\bby (?:themselves|itself)\b"
        r"|\bsingle-?handedly\b",
        "alone",
    ),
    # "customer-facing", "user-facing" describe services: fillers
    (r"\b[a-z]+-facing\b", "services"),
)

SEPARATORS = frozenset({",", ";", "&", "+", "and", "or", "plus", "/"})

# Chat shorthand, replaced before anything else.
ALIASES = {
    "y": "why",
    "wy": "why",
    "whom": "who",
    "wat": "what",
    "wot": "what",
    "whats": "what is",
    "hows": "how is",
    "whos": "who is",
    "wheres": "where is",
    "loosing": "losing",
    "loose": "lose",
    # real words typed for a keyword, which spelling leaves alone (`english`)
    "falls": "fails",
    "falling": "failing",
    "fell": "failed",
    "dose": "does",
    "dues": "does",
    "owes": "owns",
    "im": "i am",
    "u": "you",
    "r": "are",
}

# Common English words: never resolved to a component by a partial or fuzzy match ("as
# well" must not become cdn-edge's "assets"); an exact name or title still wins.
COMMON_WORDS = FILLERS | _words(
    """
    as at be by do go if is it no of on or so to up we am an and are but can did for
    get got had has her him his how its let may not now off old one our out own put
    say see she the too two use was way who why yes yet you all any few new big top
    able about above after again against ago ahead almost alone along already although
    always another around ask asked asking away back bad because before behind being
    below best better between both bring but came come comes could day days done each
    early either end enough even ever every fact far fast feel few fine first found
    friend friends full gave give given going gone good great hand hard help high hold
    home hope hour hours idea into issue issues keep kind last late later least left
    less life like line little long look looks lot lots made make making man mean
    might mind minute more morning most move much must name near need needed never
    next nice night nothing number often once only open other others over part people
    place plan point pretty problem quite rather ready real reason right room same
    second seem seems set several shall short side since small some someone soon sort
    start still stuff such sure take taken talk tell than that their then there thing
    think though thought through till today together told tomorrow tonight took true
    try turn under until very want wanted wants watch week weekend well went were what
    where which while whole why will wish within without work world would wrong year
    yesterday yet review postmortem mortem friend payments-team lol cool nice pizza
    weather order room war coffee lunch dinner meeting call guys folks hey hi hello
    woke paged same time die dies gone dead slow slowly flaky weird strange
    checking curious wondering brb asdf test testing job everyone noon night channel
    provide provides provided providing include includes including figure figures
    ack acked noted roger lgtm wilco np yw kk internal external
    post posted share shared paste pasted drop print export send sent
    prod production staging stage dev qa uat env
    contract contracts partner partners penalty clause station breath cover covering rota
    luck wish customer user person people scanner scanners typos phone
    """
)
