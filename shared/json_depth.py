"""How deeply JSON nests, told before any parser recurses into it.

Python's ``json`` (and the parsers behind Powertools and pydantic) recurse once per level: about a
thousand levels (4 KB of brackets) raise ``RecursionError``, a 500 over HTTP and "not JSON" on a queue.
No document this system reads nests anywhere near ``MAX_JSON_DEPTH``, so every body is checked against
it first, here and only here: one linear scan of the brackets outside strings, no parsing and no
recursion. Malformed JSON is left for the parser to refuse; this only says whether it is too deep.
"""

from __future__ import annotations

import re

MAX_JSON_DEPTH = 64  # levels of objects and arrays: {"a": [1]} is 2
TOO_DEEP = f"nested too deeply (more than {MAX_JSON_DEPTH} levels)"

# The only characters that change depth or string state; everything between them is skipped in C.
_SIGNIFICANT = re.compile(rb'[\[\]{}"\\]')
_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
_QUOTE = ord('"')
_BACKSLASH = ord("\\")


def too_deep(document: str | bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``document`` opens more than ``limit`` objects or arrays inside one another.

    Brackets inside strings do not count (an escaped quote does not end a string). Stops at the first
    level over the limit, so a hostile body costs at most one pass over its bytes."""
    raw = document.encode("utf-8", "surrogatepass") if isinstance(document, str) else document
    if raw.count(b"[") + raw.count(b"{") <= limit:  # most bodies: no scan at all
        return False
    depth = 0
    in_string = False
    skip_to = 0  # the character after a backslash is escaped, whatever it is
    for match in _SIGNIFICANT.finditer(raw):
        at = match.start()
        if at < skip_to:
            continue
        char = raw[at]
        if in_string:
            if char == _BACKSLASH:
                skip_to = at + 2
            elif char == _QUOTE:
                in_string = False
        elif char == _QUOTE:
            in_string = True
        elif char in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif char in _CLOSE:
            depth -= 1
    return False
