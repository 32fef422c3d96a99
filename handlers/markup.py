"""Slack markup in, plain words out: what a question says once formatting is stripped.

People paste names as `code`, *bold*, links and channel references; the parser only
wants the words, so every form collapses to its visible label.

Every pattern runs in time linear in the text: an unclosed opener scans only up to the
next character that could start or end markup (`<` or `>` for links, its own marker for
emphasis), so thousands of unclosed `<@` or `*a ` cannot make a question slow.
"""

from __future__ import annotations

import html
import re

_MENTION = re.compile(r"<[@!][^<>]*>")  # <@U123>, <!here>, <!subteam^S1|@ops>
_LABELLED = re.compile(r"<#?[^<|>]*\|([^<>]*)>")  # <http://x|label>, <#C123|channel>
_BARE_LINK = re.compile(r"<([^<>|]*)>")  # <http://x>, <#C123>
_CODE_BLOCK = re.compile(r"```(.*?)```", re.S)
_QUOTE = re.compile(r"^[ \t]*>[ \t]?", re.M)
_SMART = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-"})


def _span(marker: str, word: str) -> re.Pattern[str]:
    """`marker`text`marker` on one line, not glued to a `word` character on either side.

    The marker may occur inside the text only between two word characters (`_my_db_`), so
    a scan from an opener stops at the next free marker and scans never overlap.
    """
    m = re.escape(marker)
    inner = rf"(?:[^{m}\n]|(?<=[A-Za-z0-9]){m}(?=[A-Za-z0-9]))"
    return re.compile(rf"(?<!{word}){m}(?=\S)({inner}+?)(?<=\S){m}(?!{word})")


# Bold, strike and code may touch each other (*`db-03`*); italic only stops at word characters.
_EMPHASIS = tuple(_span(marker, r"[\w*~`]") for marker in "*~`")
_ITALIC = _span("_", "[A-Za-z0-9_]")


# `:eyes:`, `:+1:`, `:skin-tone-2:`: a letter, `+` or `_` inside, so "10:30:00" stays;
# bounded (100 characters), so a long run after a colon is scanned once.
_SHORTCODE = re.compile(
    r"(?<![\w:]):(?=[a-z0-9_+'\-]{0,99}[a-z_+])[a-z0-9_+'\-]{1,100}:(?!\w)", re.I
)
_PICTOGRAPH = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")
_BOT_PREFIX = re.compile(r"^\s*(?:/bsm|@bsm|bsm)\b[:,]?\s*", re.I)


def tidy(text: str) -> str:
    """What every surface hands the parser: no emoji (shortcodes or pictographs), no code
    fences or inline code marks, no quote markers, no leading `/bsm`; channel and user
    references stay (commands read their ids). The one place surfaces' text is cleaned."""
    for _ in range(2):  # `:+1::skin-tone-2:` shares a colon
        text = _SHORTCODE.sub(" ", text)
    text = _PICTOGRAPH.sub(" ", text)
    text = text.replace("```", " ").translate(_SMART)
    text = _QUOTE.sub("", text)
    text = re.sub(r"(?<!\w)`([^`\n]+)`(?!\w)", r"\1", text)
    text = _BOT_PREFIX.sub("", text)
    return " ".join(text.split())


def plain_text(text: str) -> str:
    """`text` without Slack markup: mentions dropped, links and channels as their labels."""
    text = _MENTION.sub(" ", text)
    text = _LABELLED.sub(r" \1 ", text)
    text = _BARE_LINK.sub(lambda m: " " + _link_label(m.group(1)) + " ", text)
    text = html.unescape(text).translate(_SMART)
    text = _CODE_BLOCK.sub(r" \1 ", text)
    text = _QUOTE.sub("", text)
    for _ in range(2):  # nested emphasis: *`db-03`*
        for pattern in (*_EMPHASIS, _ITALIC):
            text = pattern.sub(r"\1", text)
    return " ".join(text.split())


def _link_label(target: str) -> str:
    """A bare link shows its target: keep the last path part, a channel id shows nothing."""
    if target.startswith("#"):
        return ""
    target = re.sub(r"^[a-z]+://", "", target).rstrip("/")
    return target.rsplit("/", 1)[-1]
