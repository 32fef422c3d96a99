"""The held-out phrasing split (corpus/heldout.yaml): never used to tune the parser.

Written before the parser work of issue 14 and scored once then, on the demo map:
BEFORE (parser of main at ef56a18, scored once): 115 phrasings, understood 79.1%,
answered 68.3% of 82 understood questions, clarified 87.5% of 8 non-questions. (Two of
the unanswered were the scorer's: it built the conversation without the incidents use
case, as the composition root does not.)
MIDWAY (once, by mistake, after the first round of changes and before the tuning corpus
existed): understood 99.1%, answered 96.1% of 103, clarified 100%.
AFTER (end of the work): 115 phrasings, understood 100%, answered 100% of 104, clarified
100% of 8. The scorer then compared command answers (incident, audit, ...) by intent only
and counted "No incident #4" (the demo store holds no incidents) as the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

HELD_OUT = "heldout.yaml"


def test_held_out_split_is_understood_and_answered(corpus_score: Callable[[str, int], Any]) -> None:
    corpus_score(HELD_OUT, 100)


# Second held-out split (corpus/heldout2.yaml): written by another hand from the demo map,
# README.md and docs/ only, without reading the parser, its tests or the tuning split.
# BEFORE (parser of talk at bd34a20, scored once, nothing changed for it yet): 176
# phrasings, understood 90.9%, answered 95.7% of 140, clarified 88.2% of 17.
# AFTER (general rules, none naming a held-out phrasing; tests/handlers/test_general_rules.py
# shows them on phrasings of its own): understood 100%, answered 100% of 152, clarified
# 100% of 17. Rules: trailing context naming who it is for or who is asking; "on which ..
# runs X" and "from what depends X"; "what is under/below X"; "how does A .. depend on B";
# "which single/lone .."; -ing/-ed forms of keywords; a three-letter keyword without its
# vowel; spelling keeps the first letter; a letter or two alone is no name; plain words
# beside a question without subjects are dropped unless in a name's position; a follow-up
# may change only the period; "recent map changes", "what is incident N about"; everyday
# maintenance and subscription lists; commands ignore a closing "?" and "please".
HELD_OUT_2 = "heldout2.yaml"


def test_second_held_out_split_is_understood_and_answered(
    corpus_score: Callable[[str, int], Any],
) -> None:
    corpus_score(HELD_OUT_2, 150)


# Third held-out split (corpus/heldout3.yaml): written from the demo map, README.md and
# docs/ only, by a hand that never saw the parser, its tests or the other corpora.
# BEFORE (parser of main at c529218, scored once, nothing changed for it yet): 165
# phrasings, understood 88.5%, answered 95.0% of 121, clarified 100% of 16.
# AFTER (general mechanisms, none naming a held-out phrasing; tests/handlers/
# test_general_rules.py and tests/sla/test_windows.py show them on phrasings of their own):
# understood 100%, answered 100% of 139, clarified 100% of 16. Mechanisms: a synonym
# lexicon of phrasal verbs, slang and spelled-out metrics read as keywords
# (vocabulary.SYNONYMS: "take down", "sitting on", "looks after", "mean time to repair");
# everyday verbs as weak rules; an intent read only from a synonym or a weak rule, with no
# word that resolves or looks like a name, is chat; scope and kind words ("whole map",
# "every service", "databases") are fillers and spof without a subject covers the whole
# map; commands are recognised by their noun anywhere and rebuilt in their own grammar
# with the parser's window (intents.command_words); day-and-month ranges ("from 1 to 15
# november") are windows; two keywords run together are split; long fillers are
# corrected and common English words never are; a leading channel reference addresses,
# it is not a subject; "that one" is a pronoun; "hows", "wy" shorthand.
HELD_OUT_3 = "heldout3.yaml"


def test_third_held_out_split_is_understood_and_answered(
    corpus_score: Callable[[str, int], Any],
) -> None:
    corpus_score(HELD_OUT_3, 160)


# Fourth held-out split (corpus/heldout4.yaml): written by a fourth hand after the second
# round of parser work, from the demo map, README.md and docs/ only, without reading the
# parser, its tests or any other corpus; scored once, after that round, with nothing changed
# for it: 183 phrasings, understood 94.0%, answered 98.6% of 148, clarified 93.8% of 16.
# AFTER (general rules, none naming a held-out phrasing; tests/handlers/
# test_general_rules.py shows them on phrasings of its own): understood 100%, answered
# 100% of 158, clarified 100% of 16. Rules: alert boilerplate ("[FIRING:n]", "(key=value)",
# CamelCase alert names the map does not know) is dropped; "which services do we lose",
# "what X means for the business", "user-facing" as a filler; "at risk" with a named
# component is what it affects (margins without one); who reported a problem is context;
# "who i must call"; "on its own"/"by itself" is alone, and alone with an affect verb is a
# spof; "meet/stay within its 99.9" is sla; "in/during/with incident N"; "what is this
# channel subscribed to"; "i am on call" is chat; follow-ups "how does it reach X" (a path
# from the thread's subject) and "and with X down as well" (added to the earlier failure).
HELD_OUT_4 = "heldout4.yaml"


def test_fourth_held_out_split_is_understood_and_answered(
    corpus_score: Callable[[str, int], Any],
) -> None:
    corpus_score(HELD_OUT_4, 150)


# Fifth held-out split (corpus/heldout5.yaml): written by a fifth hand after the third round
# of parser work, from the demo map, README.md and docs/ only, without reading the parser,
# its tests or any other corpus; scored once, after that round, with nothing changed for it:
# 176 phrasings, understood 90.9%, answered 97.8% of 136, clarified 100% of 16. Blind scores
# so far: 90.9% (split 2), 88.5% (3), 94.0% (4), 90.9% (5): rules added per round do not
# carry to the next hand, and issue 14 stays open until a split scored blind meets the bar.
HELD_OUT_5 = "heldout5.yaml"


# After the fourth round (general mechanisms, tests/handlers/test_general_rules.py): split 5
# understood 100%, answered 100% of 152, clarified 100% of 16. It is training data now.
def test_fifth_held_out_split_is_understood_and_answered(
    corpus_score: Callable[[str, int], Any],
) -> None:
    corpus_score(HELD_OUT_5, 150)


# Held-out splits 6 and 7 (corpus/heldout6.yaml, a night-shift SRE's phrasings, and
# corpus/heldout7.yaml, people across the company): written from the demo map, README.md
# and docs/ only, before the intent model existed, and never read while building it; the
# model's trainer leaves them out (handlers.train_intents.BLIND). Scored once, blind:
# rules alone: split 6 understood 94.0%, answered 90.9% of 164, clarified 100% of 17;
#              split 7 understood 85.3%, answered 96.3% of 134, clarified 100% of 16.
# rules + intent model: split 6 understood 95.5%, answered 91.0% of 167, clarified 100%;
#              split 7 understood 90.2%, answered 95.8% of 143, clarified 100%.
# Below the bar, so the fourth round of parser work read their misses (they are spent as
# blind splits): a time said in passing is context; beside a resolved subject only words
# shaped like names are reported; several failing components are a what-if; a message of
# several clauses is read clause by clause; quarters without a year and "since the 1st" are
# windows; words around a name, kind words that make a name unique, titles holding "and";
# incident numbers anywhere; alert labels naming a component; follow-up openers ("ok and
# if", "same question for", "path from X to it"). After it: split 6 understood 100%,
# answered 100% of 175; split 7 understood 98.9%, answered 99.4% of 158 (one ambiguous
# "Frankfurt" beside a title that does not name it, asked back).
HELD_OUT_6 = "heldout6.yaml"
HELD_OUT_7 = "heldout7.yaml"


def test_sixth_held_out_split(corpus_score: Callable[[str, int], Any]) -> None:
    corpus_score(HELD_OUT_6, 180)


@pytest.mark.xfail(
    strict=True,
    reason="heldout7 after the fourth round: understood 98.9%, answered 99.4% (one asked back)",
)
def test_seventh_held_out_split(corpus_score: Callable[[str, int], Any]) -> None:
    corpus_score(HELD_OUT_7, 180)


# Held-out splits 8 (an incident channel at night and the morning after) and 9 (a global
# company: non-native English, phones, new joiners, finance, DR planning): written from the
# demo map, README.md and docs/ only, before the fourth round of parser work, and never
# read while doing it; the intent model's trainer left them out. Split 10 (long messages,
# pasted notifications, executives, auditors), written the same way, was tuning data for
# that round. Scored once, blind, after it (rules + intent model, at 38f7c20):
# split 8: understood 95.4%, answered 100% of 162, clarified 93.8% of 16;
# split 9: understood 86.7%, answered 98.6% of 146, clarified 81.2% of 16.
# Below the bar (97%, every understood question answered): issue 14 stays open; splits 8
# and 9 are spent as blind splits. The fifth round read their misses (general mechanisms,
# tests/handlers/test_general_rules.py::test_fifth_round_mechanisms): words of a title in
# any order, a component and its parts, CamelCase map names, bare alert labels, numbers and
# priorities never names, news and acknowledgements are chat, date ranges with times and
# zones, "by which way", "X needs to work", a watched service in a what-if. After it:
# split 8 understood 97.4%, answered 100% of 165, clarified 100% of 16; split 9 97.4%,
# 100% of 164, 100% of 16; split 10 97.4%, 100% of 164, 100% of 16 (training data now).
HELD_OUT_8 = "heldout8.yaml"
HELD_OUT_9 = "heldout9.yaml"
HELD_OUT_10 = "heldout10.yaml"


@pytest.mark.parametrize("split", [HELD_OUT_8, HELD_OUT_9, HELD_OUT_10])
def test_splits_of_the_fourth_and_fifth_rounds(
    corpus_score: Callable[[str, int], Any], split: str
) -> None:
    corpus_score(split, 180)


# Held-out splits 11 (night on-call: terse, typos, pasted alerts; managers asking for SLA
# reports at length) and 12 (non-native English, new joiners naming titles, vendors and
# places, subjects described rather than named): written from the demo map, README.md and
# docs/ only, and never read while the sixth round of parser work was done; the intent
# model's trainer left them out.
# Split 12 was scored once, blind, before that round (at 3127346): understood 92.0%,
# answered 100% of 160, clarified 93.8% of 16. Its misses led the sixth round
# (tests/handlers/test_general_rules.py::test_sixth_round_mechanisms): vendor and product
# labels as names, kind words, a keyword inside a title ("Route 53"), real English words
# never corrected into keywords (pyspellchecker's counts), embedded questions, foreign
# "why", a statement naming only everyday words of a title is chat, a link described by
# its two ends, the outcome watched after a failure, "from X until Y".
# Split 11 was scored once, blind, after that round (at 2b617f8), with nothing changed for
# it: 198 phrasings, understood 98.5%, answered 100% of 165, clarified 100% of 16. Four of
# the 165 name components the map lacks (`absent`: "db-07", "the jenkins server"); their
# answer is "I don't know ..." with suggestions, which the scorer of that day counted as
# unanswered (97.6%); it now checks that the answer names exactly the absent phrases.
# Its three misses ("both go dark, whats left standing", "hows everything looking rn",
# "runbook for dns?") led to: "go dark" and "what is left standing", the shorthand of
# question words in a statement's test, everyday words reported as unknown only when very
# close to a name, "runbook" asks the owner answer. After it (both splits training data):
# split 11 understood 100%, answered 100% of 168; split 12 99.5%, 100% of 173.
HELD_OUT_11 = "heldout11.yaml"
HELD_OUT_12 = "heldout12.yaml"


@pytest.mark.parametrize("split", [HELD_OUT_11, HELD_OUT_12])
def test_splits_of_the_sixth_round(corpus_score: Callable[[str, int], Any], split: str) -> None:
    corpus_score(split, 190)
