"""Babel extractor for the domain's responses (``locales/babel.cfg`` maps it to bot/domain).

Each response text and button title becomes a message with the response name as context
(``msgctxt``), so the same Swedish sentence in two responses can be translated apart, and a
translator sees which response and channel a text belongs to.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

import yaml

Extracted = tuple[int, str, tuple[str, str], list[str]]


def _scalar(node: yaml.Node | None) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def _get(mapping: yaml.MappingNode, key: str) -> yaml.Node | None:
    for key_node, value_node in mapping.value:
        if _scalar(key_node) == key:
            return value_node  # type: ignore[no-any-return]
    return None


def _variation_messages(name: str, variation: yaml.MappingNode) -> Iterator[Extracted]:
    channel = _scalar(_get(variation, "channel"))
    comment = [f"response {name}" + (f", channel {channel}" if channel else "")]
    text = _get(variation, "text")
    if _scalar(text):
        yield text.start_mark.line + 1, "pgettext", (name, str(_scalar(text))), comment  # type: ignore[union-attr]
    buttons = _get(variation, "buttons")
    if isinstance(buttons, yaml.SequenceNode):
        for button in buttons.value:
            title = _get(button, "title") if isinstance(button, yaml.MappingNode) else None
            if _scalar(title):
                yield (title.start_mark.line + 1, "pgettext",  # type: ignore[union-attr]
                       (name, str(_scalar(title))), [*comment, "button title"])


def extract_domain_responses(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    root = yaml.compose(fileobj.read().decode("utf-8"))
    if not isinstance(root, yaml.MappingNode):
        return
    responses = _get(root, "responses")
    if not isinstance(responses, yaml.MappingNode):
        return
    for name_node, variations in responses.value:
        name = _scalar(name_node)
        if name is None or not isinstance(variations, yaml.SequenceNode):
            continue
        for variation in variations.value:
            if isinstance(variation, yaml.MappingNode):
                yield from _variation_messages(name, variation)
