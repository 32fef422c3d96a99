"""Slack markup in, plain words out: what a question says once formatting is stripped.

People paste names as `code`, *bold*, links and channel references; the parser only
wants the words, so every form collapses to its visible label.
"""

from __future__ import annotations

import html
import re

_MENTION = re.compile(r"<[@!][^>]*>")  # <@U123>, <!here>, <!subteam^S1|@ops>
_LABELLED = re.compile(r"<[#]?[^|>]*\|([^>]*)>")  # <http://x|label>, <#C123|channel>
_BARE_LINK = re.compile(r"<([^>|]*)>")  # <http://x>, <#C123>
_CODE_BLOCK = re.compile(r"```(.*?)```", re.S)
_EMPHASIS = re.compile(r"(?<![\w*~`])([*~`])(?=\S)(.+?)(?<=\S)\1(?![\w*~`])")
_ITALIC = re.compile(r"(?<![A-Za-z0-9_])_(?=\S)(.+?)(?<=\S)_(?![A-Za-z0-9_])")
_QUOTE = re.compile(r"^\s*>\s?", re.M)
_SMART = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-"})


def plain_text(text: str) -> str:
    """`text` without Slack markup: mentions dropped, links and channels as their labels."""
    text = _MENTION.sub(" ", text)
    text = _LABELLED.sub(r" \1 ", text)
    text = _BARE_LINK.sub(lambda m: " " + _link_label(m.group(1)) + " ", text)
    text = html.unescape(text).translate(_SMART)
    text = _CODE_BLOCK.sub(r" \1 ", text)
    text = _QUOTE.sub("", text)
    for _ in range(2):  # nested emphasis: *`db-03`*
        text = _EMPHASIS.sub(r"\2", text)
        text = _ITALIC.sub(r"\1", text)
    return " ".join(text.split())


def _link_label(target: str) -> str:
    """A bare link shows its target: keep the last path part, a channel id shows nothing."""
    if target.startswith("#"):
        return ""
    target = re.sub(r"^[a-z]+://", "", target).rstrip("/")
    return target.rsplit("/", 1)[-1]
