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
    spof spofs single point points failure failures weak weakest spots spot links alone
    redundancy redundant take bring knock
    own owns owner owners ownership owned responsible call oncall contact contacts team whose
    channel escalate escalation runs maintains manages ping ask
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
    digest digests
    subscribe unsubscribe subscription subscriptions maintenance audit sync resync confirm
    changes changed unlink soft hard open
    risk margin margins monday tuesday wednesday thursday friday saturday sunday tomorrow
    """
)

FILLERS = _words(
    """
    a an the of for on in to at by from with about into onto upon over under via
    it its this that these those there here me my our we us i you your they them
    be been being was were am has have had can should shall may might must
    please pls plz tell show give list get see know find check display print
    all any anything everything something anyone everyone things thing else
    service services system systems component components node nodes server servers
    currently right just still really actually exactly also then
    happened happening going doing
    thanks thank thx cheers bot bsm
    much many more most analysis power run doing have time too again well
    """
)

SEPARATORS = frozenset({",", ";", "&", "+", "and", "or", "plus", "/"})

# Chat shorthand, replaced before anything else.
ALIASES = {"y": "why", "wat": "what", "wot": "what", "whats": "what is", "u": "you", "r": "are"}
