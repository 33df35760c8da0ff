"""Update the client's English translation (``make translations``), or check it is complete (``--check``).

The client's source strings are Chinese. ``resources/i18n/bideval_en.ts`` is the source of truth for the
English; ``resources/i18n/bideval_en.qm`` is what the client loads (both are committed).

Update:

1. ``pyside6-lupdate`` extracts ``self.tr("…")``, ``QCoreApplication.translate("Context", "…")`` and
   ``QT_TRANSLATE_NOOP`` from ``app/**/*.py``;
2. a small ``ast`` pass adds what lupdate cannot see: calls of a module's wrapper
   ``def _tr(text): return QCoreApplication.translate(CONTEXT, text)`` (CONTEXT a literal or a module
   constant) and ``translate(_CONTEXT, "…")`` with a constant context;
3. each message keeps its English from the existing .ts (hand edits in Qt Linguist survive); a new message
   takes it from ``tools/translations_en.py`` (Chinese → English); anything else stays "unfinished";
   messages no longer in the sources are dropped (``-no-obsolete``);
4. ``pyside6-lrelease`` compiles the .ts into the .qm.

``--check`` fails when a message in the sources is missing from the .ts (or the .ts holds one that is gone),
when a message has no English or its English lost a ``%1`` placeholder, or when the committed .qm differs
from what lrelease makes of the committed .ts. ``--untranslated`` lists the Chinese still without English,
ready to be added to ``tools/translations_en.py``; ``--unused`` lists the dictionary's entries that no
source string needs any more, so that they can be deleted from it.
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "app"
I18N = ROOT / "resources" / "i18n"
TS_FILE = I18N / "bideval_en.ts"
QM_FILE = I18N / "bideval_en.qm"
SOURCE_LANGUAGE = "zh_CN"
TARGET_LANGUAGE = "en"

sys.path.insert(0, str(ROOT / "tools"))
from translations_en import CONTEXT_ENGLISH, ENGLISH  # noqa: E402

Key = tuple[str, str, str]
"""(context, source, disambiguation comment): what identifies a message to QTranslator."""

PLACEHOLDER = re.compile(r"%(?:\d+|n)|\{\w*\}")
"""Qt's ``%1``/``%n`` and ``str.format``'s ``{name}``: an English text must keep every one."""


@dataclass
class Message:
    context: str
    source: str
    comment: str = ""
    numerus: bool = False
    """Called with a count: English needs a singular and a plural form (``%n`` is the count)."""
    locations: set[tuple[str, int]] = field(default_factory=set)
    forms: tuple[str, ...] = ()
    """The English: one form, or (singular, plural) for a numerus message; empty while unfinished."""

    @property
    def key(self) -> Key:
        return (self.context, self.source, self.comment)


def qt_tool(name: str) -> str:
    """The PySide6 tool beside this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: install the dev dependencies (make install)")
    return found


def source_files() -> list[Path]:
    return sorted(path for path in SOURCES.rglob("*.py") if "__pycache__" not in path.parts)


def _relative(path: Path) -> str:
    """A source's path as lupdate writes it: relative to the .ts file's folder."""
    return Path(*[".."] * len(I18N.relative_to(ROOT).parts), path.relative_to(ROOT)).as_posix()


# --- extraction -------------------------------------------------------------------------------------


def run_lupdate(files: list[Path]) -> list[Message]:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.ts"
        subprocess.run(
            [
                qt_tool("pyside6-lupdate"),
                *[str(path) for path in files],
                "-ts",
                str(fresh),
                "-no-obsolete",
                "-silent",
                "-locations",
                "absolute",
                "-source-language",
                SOURCE_LANGUAGE,
                "-target-language",
                TARGET_LANGUAGE,
            ],
            check=True,
        )
        messages = read_ts(fresh)
    # lupdate wrote locations relative to the temporary folder: restate them relative to the .ts.
    for message in messages:
        message.locations = {
            (_relative(Path(name).resolve()) if Path(name).is_absolute() else _restate(fresh, name), line)
            for name, line in message.locations
        }
    return messages


def _restate(fresh_ts: Path, name: str) -> str:
    return _relative((fresh_ts.parent / name).resolve())


def _string(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


class _Extractor(ast.NodeVisitor):
    """Finds tr()/translate() calls lupdate misses because their context is not written at the call."""

    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.path = path
        self.classes: list[str] = []
        self.messages: list[Message] = []
        self.constants = {
            target.id: value
            for statement in tree.body
            if isinstance(statement, ast.Assign) and (value := _string(statement.value)) is not None
            for target in statement.targets
            if isinstance(target, ast.Name)
        }
        self.wrappers = dict(self._wrappers(tree))

    def _context(self, node: ast.expr) -> str | None:
        literal = _string(node)
        if literal is not None:
            return literal
        return self.constants.get(node.id) if isinstance(node, ast.Name) else None

    def _wrappers(self, tree: ast.Module) -> list[tuple[str, str]]:
        """Module functions ``def f(text): return QCoreApplication.translate(CONTEXT, text)``."""
        found = []
        for function in tree.body:
            if not isinstance(function, ast.FunctionDef) or not function.args.args:
                continue
            parameter = function.args.args[0].arg
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Return)
                    and isinstance(node.value, ast.Call)
                    and _called_name(node.value) == "translate"
                    and len(node.value.args) >= 2
                    and isinstance(node.value.args[1], ast.Name)
                    and node.value.args[1].id == parameter
                    and (context := self._context(node.value.args[0])) is not None
                ):
                    found.append((function.name, context))
        return found

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def visit_Call(self, node: ast.Call) -> None:
        name = _called_name(node)
        args = node.args
        if isinstance(node.func, ast.Name) and name in self.wrappers and args:
            self._add(self.wrappers[name], args[0], None, False)
        elif name in ("translate", "QT_TRANSLATE_NOOP") and len(args) >= 2:
            context = self._context(args[0])
            if context is not None:
                self._add(context, args[1], args[2] if len(args) > 2 else None, len(args) > 3)
        elif name == "tr" and isinstance(node.func, ast.Attribute) and args and self.classes:
            receiver = node.func.value
            if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
                comment = args[1] if len(args) > 1 else None
                self._add(self.classes[-1], args[0], comment, len(args) > 2)
        self.generic_visit(node)

    def _add(self, context: str, text: ast.expr, comment: ast.expr | None, numerus: bool) -> None:
        source = _string(text)
        if source is None:
            return  # a computed string: its literals must be marked with QT_TRANSLATE_NOOP to be found
        message = Message(context, source, _string(comment) or "", numerus)
        # The string's line, not the call's: lupdate records that one, so the two agree.
        message.locations.add((_relative(self.path), text.lineno))
        self.messages.append(message)


def run_ast(files: list[Path]) -> list[Message]:
    messages: list[Message] = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        extractor = _Extractor(path, tree)
        extractor.visit(tree)
        messages.extend(extractor.messages)
    return messages


def extract() -> dict[Key, Message]:
    files = source_files()
    found: dict[Key, Message] = {}
    for message in [*run_lupdate(files), *run_ast(files)]:
        known = found.setdefault(message.key, Message(message.context, message.source, message.comment))
        known.locations |= message.locations
        known.numerus = known.numerus or message.numerus
    return found


# --- the .ts file -----------------------------------------------------------------------------------


def read_ts(path: Path) -> list[Message]:
    messages = []
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for element in context.iter("message"):
            message = Message(
                name,
                element.findtext("source") or "",
                element.findtext("comment") or "",
                element.get("numerus") == "yes",
            )
            for location in element.iter("location"):
                message.locations.add((location.get("filename", ""), int(location.get("line", "0"))))
            translation = element.find("translation")
            if translation is not None and translation.get("type") not in (
                "unfinished",
                "obsolete",
                "vanished",
            ):
                if message.numerus:
                    message.forms = tuple(form.text or "" for form in translation.iter("numerusform"))
                elif translation.text:
                    message.forms = (translation.text,)
            messages.append(message)
    return messages


def write_ts(path: Path, messages: dict[Key, Message]) -> None:
    """Writes the .ts as lupdate lays it out: contexts sorted by name, messages by location."""
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<!DOCTYPE TS>",
        f'<TS version="2.1" language="{TARGET_LANGUAGE}" sourcelanguage="{SOURCE_LANGUAGE}">',
    ]
    by_context: dict[str, list[Message]] = {}
    for message in messages.values():
        by_context.setdefault(message.context, []).append(message)
    for context in sorted(by_context):
        lines += ["<context>", f"    <name>{escape(context)}</name>"]
        for message in sorted(by_context[context], key=lambda m: (sorted(m.locations), m.source)):
            lines.append('    <message numerus="yes">' if message.numerus else "    <message>")
            for name, line in sorted(message.locations):
                lines.append(
                    f'        <location filename="{escape(name, {chr(34): "&quot;"})}" line="{line}"/>'
                )
            lines.append(f"        <source>{escape(message.source)}</source>")
            if message.comment:
                lines.append(f"        <comment>{escape(message.comment)}</comment>")
            unfinished = "" if message.forms else ' type="unfinished"'
            if message.numerus:
                lines.append(f"        <translation{unfinished}>")
                for form in message.forms or ("", ""):
                    lines.append(f"            <numerusform>{escape(form)}</numerusform>")
                lines.append("        </translation>")
            else:
                text = escape(message.forms[0]) if message.forms else ""
                lines.append(f"        <translation{unfinished}>{text}</translation>")
            lines.append("    </message>")
        lines.append("</context>")
    lines.append("</TS>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def fill(messages: dict[Key, Message], existing: list[Message], refill: bool) -> None:
    """English for each message: the existing .ts's (unless ``refill``), else the dictionary's."""
    kept = {message.key: message.forms for message in existing if _complete(message, message.forms)}
    for message in messages.values():
        english = CONTEXT_ENGLISH.get((message.context, message.source)) or ENGLISH.get(message.source)
        from_dictionary: tuple[str, ...] = ()
        if english:
            forms = (english,) if isinstance(english, str) else english
            # A numerus message given one English text uses it for singular and plural alike.
            from_dictionary = forms * 2 if message.numerus and len(forms) == 1 else forms
        candidates = [from_dictionary, kept.get(message.key, ())]
        if not refill:
            candidates.reverse()
        message.forms = next((forms for forms in candidates if _complete(message, forms)), ())


def _complete(message: Message, forms: tuple[str, ...]) -> bool:
    """English for every form the message needs (English has two numerus forms)."""
    return len(forms) == (2 if message.numerus else 1) and all(forms)


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([qt_tool("pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)


# --- commands ---------------------------------------------------------------------------------------


def problems_with(messages: dict[Key, Message], committed: list[Message]) -> list[str]:
    problems = []
    committed_keys = {message.key for message in committed}
    for key in sorted(messages.keys() - committed_keys):
        problems.append(f"not in {TS_FILE.name}: [{key[0]}] {key[1]!r}")
    for key in sorted(committed_keys - messages.keys()):
        problems.append(f"no longer in the sources: [{key[0]}] {key[1]!r}")
    for message in committed:
        if message.key in messages and messages[message.key].numerus != message.numerus:
            problems.append(
                f"called with a count or not, unlike the .ts: [{message.context}] {message.source!r}"
            )
    for message in committed:
        if not _complete(message, message.forms):
            problems.append(f"no English: [{message.context}] {message.source!r}")
            continue
        wanted = sorted(PLACEHOLDER.findall(message.source))
        for form in message.forms:
            # %n may be left out of the singular ("one item"); every other placeholder must stay.
            have = sorted(PLACEHOLDER.findall(form))
            if have != wanted and not (message.numerus and have == [p for p in wanted if p != "%n"]):
                problems.append(f"placeholders differ: [{message.context}] {message.source!r}: {form!r}")
    return problems


def check() -> int:
    if not TS_FILE.exists() or not QM_FILE.exists():
        print(f"missing {TS_FILE} or {QM_FILE}: run `make translations`", file=sys.stderr)
        return 1
    committed = read_ts(TS_FILE)
    problems = problems_with(extract(), committed)
    with tempfile.TemporaryDirectory() as tmp:
        fresh_qm = Path(tmp) / QM_FILE.name
        lrelease(TS_FILE, fresh_qm)
        if fresh_qm.read_bytes() != QM_FILE.read_bytes():
            problems.append(f"{QM_FILE.name} differs from what lrelease makes of {TS_FILE.name}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s): run `make translations`", file=sys.stderr)
        return 1
    print(f"{TS_FILE.name}: {len(committed)} messages, all translated; {QM_FILE.name} up to date")
    return 0


def update(refill: bool) -> int:
    existing = read_ts(TS_FILE) if TS_FILE.exists() else []
    messages = extract()
    fill(messages, existing, refill)
    write_ts(TS_FILE, messages)
    lrelease(TS_FILE, QM_FILE)
    missing = [message for message in messages.values() if not message.forms]
    print(f"{TS_FILE.name}: {len(messages)} messages, {len(missing)} without English")
    for message in missing:
        print(f"  [{message.context}] {message.source!r}")
    return 0


def untranslated() -> int:
    messages = extract()
    fill(messages, read_ts(TS_FILE) if TS_FILE.exists() else [], refill=False)
    for source in sorted({message.source for message in messages.values() if not message.forms}):
        print(f"    {source!r}: {''!r},")
    return 0


def unused() -> int:
    """Prints the dictionary entries no message in the sources takes its English from.

    Only the dictionary: the .ts keeps English just for the messages the sources still have."""
    messages = extract().values()
    sources = {message.source for message in messages}
    pairs = {(message.context, message.source) for message in messages}
    for source in sorted(ENGLISH.keys() - sources):
        print(f"ENGLISH {source!r}")
    for context, source in sorted(CONTEXT_ENGLISH.keys() - pairs):
        print(f"CONTEXT_ENGLISH ({context!r}, {source!r})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="fail if the .ts/.qm are out of date or unfinished"
    )
    mode.add_argument(
        "--refill",
        action="store_true",
        help="take the English from translations_en.py even where the .ts has one",
    )
    mode.add_argument(
        "--untranslated", action="store_true", help="print the sources without English as dictionary lines"
    )
    mode.add_argument(
        "--unused", action="store_true", help="print the translations_en.py entries no source string needs"
    )
    args = parser.parse_args()
    if args.check:
        return check()
    if args.untranslated:
        return untranslated()
    if args.unused:
        return unused()
    return update(args.refill)


if __name__ == "__main__":
    sys.exit(main())
