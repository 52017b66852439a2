"""Let Sphinx read minnet's plain-text docstrings as they are meant.

minnet's docstrings are written to be read in the source and in `help()`: formulas such as
`|x|` or `sum |w|`, names such as `y_mean_` that end in an underscore, and indented blocks of
code or formulas after a blank line. In reStructuredText the first is a substitution, the
second a link target, the third a block quote whose deeper lines are errors. Two
autodoc-process-docstring hooks translate, so no docstring has to be written for Sphinx:

- `literal_blocks` (before napoleon) makes every indented block that follows a blank line, or
  a line ending in a colon ("Backward, with dP = g V^T:"), a literal block, as a reader of the
  source sees it: the plain-text formulas of the docstrings show in a monospace font, line by
  line, as written;
- `formula_summary` (before napoleon) sets the formulas that open a summary line in a
  monospace font, each clause on its own: "f(x) = x;  f'(x) = 1.  The ..." becomes
  "``f(x) = x``;  ``f'(x) = 1``.  The ..." (an optional "Mean squared error: " before them stays
  text);
- `list_breaks` (before napoleon) starts a "- item" list that follows a line of text without a
  blank line, as plain text often does, as a list rather than as more of that paragraph;
- `prose_types` (before napoleon) reads a numpydoc entry such as `model_ : mn.nn.Sequential,
  the trained network` as a name and its description, since napoleon would take everything
  after the colon for a type and look each word up as a class;
- `escape_markup` (after napoleon) escapes `|`, a trailing `_` and a `*` that is no emphasis
  (the product in `Q K^T * scale`, the star of `(*)` or `*args`) in ordinary text, leaving
  literal blocks, doctests, directives, field names and backquoted spans alone.
"""
import re

_SPANS = re.compile(r"(``.*?``|`[^`]*`)")
_TRAILING_UNDERSCORE = re.compile(r"(?<=[\w)\]])_(?=[\s.,;:)\]\"'>*]|$)")
_FIELD = re.compile(r"^(\s*:[^:]+:)(.*)$")
# *emphasis* and **strong** as reST reads them: a star before a non-space, a star after one
_EMPHASIS = re.compile(r"(?<![\w*])\*\*?(?=[^\s*)])[^*]*?(?<=[^\s*(])\*\*?(?![\w*])")


def _indent(line):
    return len(line) - len(line.lstrip())


# Google-style section headers ("Example:", "Returns:"): napoleon reads the block after them
_NAPOLEON_SECTIONS = {"args", "arguments", "attention", "attributes", "caution", "danger", "error", "example",
                      "examples", "hint", "important", "keyword args", "keyword arguments", "methods", "note",
                      "notes", "other parameters", "parameters", "raise", "raises", "receive", "receives",
                      "references", "return", "returns", "see also", "tip", "todo", "warn", "warning",
                      "warnings", "warns", "yield", "yields"}


def _introduces_block(line, following):
    """True for a line of text ending in ":" right above a more indented line that is no doctest."""
    text = line.strip()
    return (text.endswith(":") and not text.endswith("::") and text[:-1].strip().lower() not in _NAPOLEON_SECTIONS
            and not text.startswith((">>>", "...", ".. ", "- ", "* ")) and following.strip()
            and _indent(following) > _indent(line) and not following.lstrip().startswith(">>>"))


def literal_blocks(app, what, name, obj, options, lines):
    """Put a `::` paragraph before each indented block that a blank line, or a line of text
    ending in a colon, separates from the text before it."""
    i = 1
    while i < len(lines):
        line, before = lines[i], lines[i - 1]
        if _introduces_block(before, line):
            # "Backward, with dP = g V^T:" then the formulas: a blank line and "::" make them
            # a literal block; a blank line after the block ends it
            lines[i:i] = ["", " " * _indent(before) + "::", ""]
            i += 3
            block_indent = _indent(line)
            while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) >= block_indent):
                i += 1
            if i < len(lines) and lines[i - 1].strip():
                lines.insert(i, "")
            continue
        if line.strip() and not before.strip():
            previous = next((l for l in reversed(lines[:i]) if l.strip()), None)
            if (previous is not None and _indent(line) > _indent(previous)
                    and not previous.rstrip().endswith("::")
                    and not previous.lstrip().startswith((">>>", "...", ".. "))):
                lines[i:i] = [" " * _indent(previous) + "::", ""]
                i += 2
                # skip the block itself
                block_indent = _indent(line)
                while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) >= block_indent):
                    i += 1
                continue
        i += 1


# "[Name of the thing: ]lhs = ...", lhs without spaces (y, f(x), f(x)_i, dL/dx), up to ".  " or
# the end of the line; clauses are separated by ";  " (a semicolon and two spaces)
_FORMULA_SUMMARY = re.compile(r"^(\s*(?:[A-Z][^:=`]*: )?)([A-Za-z][\w'()/\[\]{},.^-]* = .*?)(\.(?:  |$)|$)(.*)$")


def formula_summary(app, what, name, obj, options, lines):
    """Put each formula clause at the start of the summary line in ``double backquotes``."""
    if not lines or "`" in lines[0]:
        return
    found = _FORMULA_SUMMARY.match(lines[0])
    if found:
        prefix, formulas, end, rest = found.groups()
        if formulas.endswith(";"):            # the formulas go on in the next line
            formulas, end = formulas[:-1], ";" + end
        clauses = [clause.strip() for clause in formulas.split(";  ")]
        lines[0] = prefix + ";  ".join(f"``{clause}``" for clause in clauses if clause) + end + rest


def list_breaks(app, what, name, obj, options, lines):
    """Put a blank line between a line of text and a "- item" list that follows it directly."""
    i = 1
    while i < len(lines):
        line, before = lines[i], lines[i - 1]
        if (line.lstrip().startswith("- ") and before.strip() and not before.lstrip().startswith("- ")
                and _indent(line) <= _indent(before) and not before.rstrip().endswith("::")):
            # inside a list item, a continuation line is more indented than its "- "
            item = next((l for l in reversed(lines[:i]) if l.strip() and _indent(l) <= _indent(line)), "")
            if not item.lstrip().startswith("- "):
                lines.insert(i, "")
                i += 1
        i += 1


_SECTION_NAMES = {"parameters", "other parameters", "attributes", "returns", "yields", "raises"}
_ENTRY = re.compile(r"^(\s*)([\w*\\]+(?:\s*,\s*[\w*\\]+)*)\s+:\s+(.+)$")
_TYPE_PIECE = re.compile(r"^(default\b.*|optional|[\w.\[\]()\"'`{}-]+)$")


def _is_type(text):
    """True for a numpydoc type such as "tuple of int, default (64,)" or "str or None"."""
    pieces = re.split(r",\s*|\s+or\s+|\s+of\s+", text.strip().rstrip("."))
    return all(_TYPE_PIECE.match(piece.strip()) for piece in pieces if piece.strip())


def prose_types(app, what, name, obj, options, lines):
    """In numpydoc sections, turn `name : prose` into `name` with the prose as its description."""
    section = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and re.fullmatch(r"\s*-{3,}\s*", lines[i + 1]):
            section = line.strip().lower()
            i += 2
            continue
        entry = _ENTRY.match(line) if section in _SECTION_NAMES else None
        if entry and not _is_type(entry.group(3)):
            indent, names, prose = entry.groups()
            lines[i:i + 1] = [indent + names, indent + "    " + prose]
            i += 1
        i += 1


def _escape_stars(text):
    """Escape each `*` that is not part of an *emphasis* or **strong** pair."""
    pieces, last = [], 0
    for match in _EMPHASIS.finditer(text):
        pieces += [text[last:match.start()].replace("*", r"\*"), match.group()]
        last = match.end()
    return "".join(pieces) + text[last:].replace("*", r"\*")


def _escape(text):
    parts = _SPANS.split(text)
    for k in range(0, len(parts), 2):          # even parts lie outside backquotes
        parts[k] = _escape_stars(_TRAILING_UNDERSCORE.sub(r"\\_", parts[k].replace("|", r"\|")))
    return "".join(parts)


def escape_markup(app, what, name, obj, options, lines):
    """Escape `|` and trailing underscores in prose lines (see the module docstring)."""
    literal_indent = None
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if literal_indent is not None:
            if not stripped or _indent(line) > literal_indent:
                continue
            literal_indent = None
        if line.rstrip().endswith("::"):
            literal_indent = _indent(line)
        if not stripped or stripped.startswith((">>>", "...", ".. ")):
            continue
        field = _FIELD.match(line)
        lines[i] = field.group(1) + _escape(field.group(2)) if field else _escape(line)


def setup(app):
    app.connect("autodoc-process-docstring", literal_blocks, priority=400)
    app.connect("autodoc-process-docstring", formula_summary, priority=400)
    app.connect("autodoc-process-docstring", list_breaks, priority=400)
    app.connect("autodoc-process-docstring", prose_types, priority=400)
    app.connect("autodoc-process-docstring", escape_markup, priority=600)
    return {"parallel_read_safe": True}
