"""Let Sphinx read minnet's plain-text docstrings as they are meant.

minnet's docstrings are written to be read in the source and in `help()`: formulas such as
`|x|` or `sum |w|`, names such as `y_mean_` that end in an underscore, and indented blocks of
code or formulas after a blank line. In reStructuredText the first is a substitution, the
second a link target, the third a block quote whose deeper lines are errors. Two
autodoc-process-docstring hooks translate, so no docstring has to be written for Sphinx:

- `literal_blocks` (before napoleon) makes every indented block that follows a blank line a
  literal block, as a reader of the source sees it;
- `prose_types` (before napoleon) reads a numpydoc entry such as `model_ : mn.nn.Sequential,
  the trained network` as a name and its description, since napoleon would take everything
  after the colon for a type and look each word up as a class;
- `escape_markup` (after napoleon) escapes `|` and a trailing `_` in ordinary text, leaving
  literal blocks, doctests, directives, field names and backquoted spans alone.
"""
import re

_SPANS = re.compile(r"(``.*?``|`[^`]*`)")
_TRAILING_UNDERSCORE = re.compile(r"(?<=[\w)\]])_(?=[\s.,;:)\]\"'>]|$)")
_FIELD = re.compile(r"^(\s*:[^:]+:)(.*)$")


def _indent(line):
    return len(line) - len(line.lstrip())


def literal_blocks(app, what, name, obj, options, lines):
    """Put a `::` paragraph before each indented block that a blank line separates from text."""
    i = 1
    while i < len(lines):
        line, before = lines[i], lines[i - 1]
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


def _escape(text):
    parts = _SPANS.split(text)
    for k in range(0, len(parts), 2):          # even parts lie outside backquotes
        parts[k] = _TRAILING_UNDERSCORE.sub(r"\\_", parts[k].replace("|", r"\|"))
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
    app.connect("autodoc-process-docstring", prose_types, priority=400)
    app.connect("autodoc-process-docstring", escape_markup, priority=600)
    return {"parallel_read_safe": True}
