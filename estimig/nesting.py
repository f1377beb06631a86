"""How deeply a source text nests, measured with the tokenizer before any parser sees it.

LibCST's native parser crashes the whole process (a segfault, not an exception) on about 1,500
nested brackets, and deep expression chains (`a + a + ...`, `x.f().g()...`, `not not ...`, long
implicit string concatenations) make every tree walk after it hit Python's recursion limit or run
for minutes. The tokenizer handles any depth, so a file is measured first: the depth of its deepest
expression tree is estimated as the brackets open at a token plus the chained operators at each of
those levels (a `,`, `:`, `;` or `=` at a level starts a new expression there). Real code stays
far below the limit; a file above it is reported and never parsed.
"""

from __future__ import annotations

import io
import tokenize

# Well below where the analysis fails (about 300 nested lists, 500 chained operators).
MAX_DEPTH = 200
MESSAGE = f"too deeply nested to analyse (more than {MAX_DEPTH} levels); left as it was"

_OPEN, _CLOSE = "([{", ")]}"
# Tokens that end one expression and start the next at the same bracket level.
_SEPARATORS = frozenset({",", ":", ";", "=", "->", ":=", "+=", "-=", "*=", "/=", "//=", "%=", "@=", "&=", "|=",
                         "^=", ">>=", "<<=", "**="})
_KEYWORD_OPERATORS = frozenset({"and", "or", "not", "if", "else", "lambda", "await", "in", "is"})


# The parser survives 1,000 nested brackets and chains of 1,000 operators (what recurses too deeply
# below that raises RecursionError, which the engine reports the same way), and every level of
# nesting needs one of these characters or words; so a text with fewer of them in all needs no
# tokenizing (most files: counting is a few C-speed scans).
_CAN_NEST = (*"([{.+-*/%@&|^~<>'\"", "not", "and", "or", "if", "lambda", "await", " in", " is")
_SAFE_COUNT = 1000


def too_deep(code: str) -> int | None:
    """The line where `code` first nests deeper than MAX_DEPTH, or None (also for a text too small
    to nest deep enough to crash the parser: the engine reports a RecursionError the same way)."""
    if sum(code.count(text) for text in _CAN_NEST) <= _SAFE_COUNT:
        return None
    chains = [0]  # chained operators at each open bracket level, outermost first
    depth = 0  # len(chains) - 1 + sum(chains), kept as it changes
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            kind, text = token.type, token.string
            if kind == tokenize.OP and text in _OPEN:
                chains[-1] += 1  # a call or subscript after a name is one more link
                chains.append(0)
                depth += 2
            elif kind == tokenize.OP and text in _CLOSE:
                if len(chains) > 1:
                    depth -= 1 + chains.pop()
            elif (kind == tokenize.OP and text in _SEPARATORS) or kind == tokenize.NEWLINE:
                depth -= chains[-1]
                chains[-1] = 0
            elif kind == tokenize.OP or kind == tokenize.STRING or (kind == tokenize.NAME and text in _KEYWORD_OPERATORS):
                chains[-1] += 1
                depth += 1
            if depth > MAX_DEPTH:
                return token.start[0]
    except SyntaxError as exc:  # Python 3.12's C tokenizer refuses more than 200 nested brackets itself
        return (exc.lineno or 1) if "nested" in str(exc) else None
    except tokenize.TokenError:
        return None  # unterminated brackets or strings: the parser reports it
    return None
