"""Read and validate a session package: ``manifest.json`` plus the document files it names.

The format is described in ``docs/session-package.md``. Validation collects every problem it can find
instead of stopping at the first, because an operator fixing a package by hand should see the whole list
in one go. Each check runs only on data that parsed cleanly, so one mistake is reported once, at its root
(a bidder with a malformed price is not also reported as "price must be positive").
"""

from __future__ import annotations

import difflib
import enum
import hashlib
import json
import mmap
import re
import shutil
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import TypeVar

from bideval.domain.errors import InvalidArgument
from bideval.domain.method import (
    Criterion,
    DeductionMode,
    DeviationRounding,
    EvaluationMethod,
    EvaluationRules,
    ItemKind,
    OutOfWindowRule,
    PreliminaryCategory,
    PriceBase,
    PriceFormula,
    ReviewStage,
    TrimRule,
)
from bideval.domain.pricing import FORMULA_VERSIONS, PricedBid, compute_price_scores
from bideval.domain.setup import (
    Bidder,
    CreditStatus,
    Document,
    DocumentKind,
    Member,
    MemberKind,
    Project,
    ProjectType,
    SessionSetup,
    Supervisor,
    Venue,
)

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1
MAX_MANIFEST_BYTES = 5 * 1024 * 1024
MAX_DOCUMENT_BYTES = 200 * 1024 * 1024
# A zip is refused before extraction if its entries declare more than this in total (zip bombs).
MAX_ZIP_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
# The price formulas the domain implements; the package names one of them by version string.
KNOWN_FORMULA_VERSIONS = frozenset(FORMULA_VERSIONS)
# Kinds whose criterion carries points, so ``max`` must be stated.
POINT_KINDS = frozenset({ItemKind.SCORE, ItemKind.DEDUCT, ItemKind.OBJECTIVE, ItemKind.PRICE})

# Ids end up in URLs, file names and log lines: keep them short and plain.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Plain decimal notation only: no exponent, no NaN/Infinity, no thousands separators.
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_PAGE_REF = re.compile(r"(?P<doc>[^:]+):(?P<page>[1-9][0-9]*)")
# A page object's dictionary; "/Type /Pages" (the page tree nodes) must not match.
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z0-9])")

E = TypeVar("E", bound=enum.Enum)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a package: the file it is in, the JSON path of the field, what is wrong."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class PackageError(Exception):
    """A package that cannot be imported; ``problems`` lists everything found, in manifest order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        count = len(self.problems)
        lines = [f"the session package has {count} problem{'s' if count != 1 else ''}:"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(lines)


@dataclass(frozen=True)
class LoadedPackage:
    """A validated package: one SessionSetup per lot and where each document's file is on disk."""

    root: Path  # the package directory (for a zip: where it was extracted)
    setups: tuple[SessionSetup, ...]
    files: Mapping[tuple[str, str], Path]  # (session_id, document_id) → absolute path


# --- JSON helpers --------------------------------------------------------------------------------------


class _JsonObject(dict[str, object]):
    """A JSON object that remembers keys given twice (``json`` would silently keep the last one)."""

    duplicates: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, object]]) -> _JsonObject:
    obj = _JsonObject(pairs)
    counts = Counter(key for key, _ in pairs)
    obj.duplicates = tuple(key for key, n in counts.items() if n > 1)
    return obj


def _reject_constant(name: str) -> object:
    # NaN and Infinity are not JSON; Python accepts them by default.
    raise ValueError(f"{name} is not allowed in JSON")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


@dataclass(frozen=True, slots=True)
class _FileInfo:
    path: Path
    sha256: str
    size: int
    pages: int


def count_pdf_pages(path: Path) -> int:
    """Count page objects without a PDF library; 0 when the count cannot be read this way.

    A cheap heuristic that is exact for files that store page dictionaries uncompressed (reportlab, most
    bid-file tools). Files that keep pages inside compressed object streams (PDF 1.5+) report 0, meaning
    "unknown", and the viewer counts them itself.
    """
    with path.open("rb") as handle:
        if path.stat().st_size == 0:
            return 0
        # mmap lets the regex scan a 200 MB file without reading it into Python memory.
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return sum(1 for _ in _PDF_PAGE.finditer(data))


# --- the reader ----------------------------------------------------------------------------------------


class _Reader:
    """Walks the manifest, turning it into domain objects and collecting problems with their JSON paths.

    Getters always return a value of the right type (a placeholder when the field is wrong) and report the
    problem; callers compare ``mark()`` before and after to know whether an object parsed cleanly.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self._file_cache: dict[Path, _FileInfo | None] = {}

    # bookkeeping

    def add(self, field: str, message: str, file: str = MANIFEST_NAME) -> None:
        self.problems.append(Problem(file, field, message))

    def mark(self) -> int:
        return len(self.problems)

    def clean_since(self, mark: int) -> bool:
        return len(self.problems) == mark

    # structure

    def obj(
        self, value: object, path: str, required: Collection[str], optional: Collection[str] = ()
    ) -> Mapping[str, object] | None:
        if not isinstance(value, dict):
            self.add(path, f"must be an object, not {_json_type(value)}")
            return None
        for key in getattr(value, "duplicates", ()):
            self.add(_join(path, key), "field given more than once")
        for key in required:
            if key not in value:
                self.add(_join(path, key), "missing required field")
        known = [*required, *optional]
        for key in value:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.add(_join(path, key), f"unknown field{hint}")
        return value

    def array(self, o: Mapping[str, object], key: str, path: str, *, required: bool = True) -> list[object]:
        if key not in o:
            return []
        value = o[key]
        if not isinstance(value, list):
            self.add(_join(path, key), f"must be an array, not {_json_type(value)}")
            return []
        if required and not value:
            self.add(_join(path, key), "must not be empty")
        return value

    # scalars; a missing required key was already reported by obj(), so getters stay quiet about it

    def text(
        self,
        o: Mapping[str, object],
        key: str,
        path: str,
        *,
        pattern: re.Pattern[str] | None = None,
        default: str | None = None,
    ) -> str:
        if key not in o:
            return "" if default is None else default
        value = o[key]
        field = _join(path, key)
        if not isinstance(value, str):
            self.add(field, f"must be a string, not {_json_type(value)}")
            return ""
        if default is None and not value.strip():
            self.add(field, "must not be empty")
        elif pattern is not None and not pattern.fullmatch(value):
            self.add(field, f"{value!r} is not a valid value here (expected {pattern.pattern})")
        return value

    def ident(self, o: Mapping[str, object], key: str, path: str) -> str:
        return self.text(o, key, path, pattern=_ID)

    def optional_ident(self, o: Mapping[str, object], key: str, path: str) -> str | None:
        if o.get(key) is None:
            return None
        return self.ident(o, key, path)

    def integer(
        self, o: Mapping[str, object], key: str, path: str, *, minimum: int = 0, maximum: int | None = None
    ) -> int:
        if key not in o:
            return minimum
        value = o[key]
        field = _join(path, key)
        if not isinstance(value, int) or isinstance(value, bool):
            self.add(field, f"must be a whole number, not {_json_type(value)}")
            return minimum
        if value < minimum or (maximum is not None and value > maximum):
            upper = "" if maximum is None else f" and at most {maximum}"
            self.add(field, f"must be at least {minimum}{upper}, got {value}")
        return value

    def boolean(self, o: Mapping[str, object], key: str, path: str, *, default: bool = False) -> bool:
        if key not in o:
            return default
        value = o[key]
        if not isinstance(value, bool):
            self.add(_join(path, key), f"must be true or false, not {_json_type(value)}")
            return default
        return value

    def decimal(
        self,
        o: Mapping[str, object],
        key: str,
        path: str,
        *,
        positive: bool = False,
        non_negative: bool = False,
        default: Decimal = Decimal("0"),
    ) -> Decimal:
        if key not in o:
            return default
        number = self._decimal_value(o[key], _join(path, key), positive, non_negative)
        return default if number is None else number

    def nullable_decimal(
        self,
        o: Mapping[str, object],
        key: str,
        path: str,
        *,
        positive: bool = False,
        non_negative: bool = False,
    ) -> Decimal | None:
        value = o.get(key)
        if value is None:
            return None
        return self._decimal_value(value, _join(path, key), positive, non_negative)

    def _decimal_value(self, value: object, field: str, positive: bool, non_negative: bool) -> Decimal | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            # A JSON number would be read as a binary float: 0.1 + 0.2 != 0.3 and cents get lost.
            self.add(field, f'must be a decimal string such as "{value}", not a JSON number')
            return None
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
            shown = repr(value) if isinstance(value, str) else _json_type(value)
            self.add(field, f'{shown} is not a decimal string such as "11986500.00"')
            return None
        number = Decimal(value)
        if positive and number <= 0:
            self.add(field, f"must be greater than 0, got {value}")
        elif non_negative and number < 0:
            self.add(field, f"must not be negative, got {value}")
        return number

    def choice(
        self, o: Mapping[str, object], key: str, path: str, cls: type[E], default: E | None = None
    ) -> E:
        placeholder = default if default is not None else next(iter(cls))
        if key not in o:
            return placeholder
        value = o[key]
        allowed = [member.value for member in cls]
        if value not in allowed:
            listed = ", ".join(f'"{a}"' for a in allowed)
            self.add(_join(path, key), f"{value!r} is not one of {listed}")
            return placeholder
        return cls(value)

    def unique(self, ids: Sequence[tuple[str, str]], what: str) -> None:
        """Report each repeated id at every place after its first use; ``ids`` is ``(field, id)``."""
        seen: dict[str, str] = {}
        for field, value in ids:
            if value in seen:
                self.add(field, f"duplicate {what} {value!r} (first used at {seen[value]})")
            else:
                seen[value] = field

    # files

    def file(self, o: Mapping[str, object], key: str, path: str) -> _FileInfo | None:
        """Check a document file reference: a safe relative path to a PDF of acceptable size."""
        field = _join(path, key)
        if key not in o:
            return None
        value = o[key]
        if not isinstance(value, str) or not value:
            self.add(field, f"must be a file path string, not {_json_type(value)}")
            return None
        name = PurePosixPath(value)
        if (
            "\\" in value
            or name.is_absolute()
            or ":" in name.parts[0]
            or any(part in ("..", ".", "") for part in value.split("/"))
        ):
            # Relative POSIX paths only: a package must never make the server read outside its directory.
            self.add(
                field, f"{value!r} must be a relative path inside the package (no '..', '/', '\\', 'C:')"
            )
            return None
        full = self.root / name
        try:
            resolved = full.resolve(strict=True)
        except (FileNotFoundError, NotADirectoryError):
            self.add(field, "file not found in the package", file=value)
            return None
        if not resolved.is_relative_to(self.root.resolve()):
            self.add(field, "file is a link pointing outside the package", file=value)
            return None
        if resolved in self._file_cache:
            return self._file_cache[resolved]
        info = self._inspect(resolved, field, value)
        self._file_cache[resolved] = info
        return info

    def _inspect(self, resolved: Path, field: str, shown: str) -> _FileInfo | None:
        if not resolved.is_file():
            self.add(field, "is not a regular file", file=shown)
            return None
        size = resolved.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            message = f"file is {size:,} bytes; the limit is {MAX_DOCUMENT_BYTES:,} bytes"
            self.add(field, message, file=shown)
            return None
        with resolved.open("rb") as handle:
            magic = handle.read(5)
            if magic != b"%PDF-":
                self.add(field, "is not a PDF file (it does not start with %PDF-)", file=shown)
                return None
            handle.seek(0)
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        return _FileInfo(resolved, digest, size, count_pdf_pages(resolved))


# --- sections ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ProjectFields:
    code: str
    name: str
    region: str
    project_type: ProjectType
    tenderer: str
    agency: str
    price_cap: Decimal | None


def _read_project(r: _Reader, value: object) -> _ProjectFields | None:
    path = "project"
    mark = r.mark()
    o = r.obj(value, path, ("code", "name", "region", "project_type", "tenderer", "agency", "price_cap"))
    if o is None:
        return None
    fields = _ProjectFields(
        code=r.text(o, "code", path),
        name=r.text(o, "name", path),
        region=r.text(o, "region", path),
        project_type=r.choice(o, "project_type", path, ProjectType),
        tenderer=r.text(o, "tenderer", path),
        agency=r.text(o, "agency", path),
        price_cap=r.nullable_decimal(o, "price_cap", path, positive=True),
    )
    return fields if r.clean_since(mark) else None


def _read_venues(r: _Reader, values: list[object]) -> dict[str, Venue] | None:
    mark = r.mark()
    venues: list[tuple[str, Venue]] = []
    for i, value in enumerate(values):
        path = f"venues[{i}]"
        o = r.obj(value, path, ("id", "name", "city", "is_main"))
        if o is None:
            continue
        venue = Venue(
            id=r.ident(o, "id", path),
            name=r.text(o, "name", path),
            city=r.text(o, "city", path),
            is_main=r.boolean(o, "is_main", path),
        )
        venues.append((path, venue))
    if not r.clean_since(mark):
        return None
    r.unique([(f"{p}.id", v.id) for p, v in venues], "venue id")
    mains = [p for p, v in venues if v.is_main]
    if venues and len(mains) != 1:
        where = ", ".join(mains) if mains else "none"
        r.add("venues", f"exactly one venue must be the main venue (is_main: true); found {where}")
    return {v.id: v for _, v in venues} if r.clean_since(mark) else None


def _read_supervisors(
    r: _Reader, values: list[object], venues: Mapping[str, Venue] | None
) -> tuple[Supervisor, ...] | None:
    start = r.mark()
    supervisors: list[tuple[str, Supervisor]] = []
    for i, value in enumerate(values):
        path = f"supervisors[{i}]"
        mark = r.mark()
        o = r.obj(value, path, ("person_id", "name", "venue_id"))
        if o is None:
            continue
        supervisor = Supervisor(
            person_id=r.ident(o, "person_id", path),
            name=r.text(o, "name", path),
            venue_id=r.ident(o, "venue_id", path),
        )
        if r.clean_since(mark) and venues is not None and supervisor.venue_id not in venues:
            r.add(f"{path}.venue_id", f"unknown venue {supervisor.venue_id!r}")
        supervisors.append((path, supervisor))
    r.unique([(f"{p}.person_id", s.person_id) for p, s in supervisors], "supervisor person_id")
    return tuple(s for _, s in supervisors) if r.clean_since(start) else None


_RULE_FIELDS = (
    "min_committee_size",
    "pledge_countdown_seconds",
    "deviation_threshold_percent",
    "min_valid_bids",
    "max_candidates",
    "clarification_needs_approval",
    "wait_before_start_hours",
    "outage_reform_hours",
    "tie_break",
)


def _read_rules(r: _Reader, value: object, path: str) -> EvaluationRules | None:
    # Every configurable number is required: a silently inherited default would be a province's practice
    # applied to another province's project.
    mark = r.mark()
    o = r.obj(value, path, _RULE_FIELDS)
    if o is None:
        return None
    rules = EvaluationRules(
        min_committee_size=r.integer(o, "min_committee_size", path, minimum=3),
        pledge_countdown_seconds=r.integer(o, "pledge_countdown_seconds", path, maximum=600),
        deviation_threshold_percent=r.decimal(o, "deviation_threshold_percent", path, positive=True),
        min_valid_bids=r.integer(o, "min_valid_bids", path, minimum=1),
        # 条例 Art. 53: no more than three ranked candidates.
        max_candidates=r.integer(o, "max_candidates", path, minimum=1, maximum=3),
        clarification_needs_approval=r.boolean(o, "clarification_needs_approval", path),
        wait_before_start_hours=r.integer(o, "wait_before_start_hours", path),
        outage_reform_hours=r.integer(o, "outage_reform_hours", path),
        tie_break=r.text(o, "tie_break", path),
    )
    return rules if r.clean_since(mark) else None


_CRITERION_REQUIRED = ("id", "title", "stage", "kind")
_CRITERION_OPTIONAL = ("category", "min", "max", "step", "guidance", "page_refs", "group")


def _read_criterion(r: _Reader, value: object, path: str) -> Criterion | None:
    mark = r.mark()
    o = r.obj(value, path, _CRITERION_REQUIRED, _CRITERION_OPTIONAL)
    if o is None:
        return None
    stage = r.choice(o, "stage", path, ReviewStage)
    kind = r.choice(o, "kind", path, ItemKind)
    category = None if o.get("category") is None else r.choice(o, "category", path, PreliminaryCategory)
    page_refs: list[str] = []
    for j, ref in enumerate(r.array(o, "page_refs", path, required=False)):
        if isinstance(ref, str) and _PAGE_REF.fullmatch(ref):
            page_refs.append(ref)
        else:
            r.add(f"{path}.page_refs[{j}]", f'{ref!r} is not a page reference like "tender:12"')
    criterion = Criterion(
        id=r.ident(o, "id", path),
        title=r.text(o, "title", path),
        stage=stage,
        kind=kind,
        category=category,
        min_points=r.decimal(o, "min", path, non_negative=True),
        max_points=r.decimal(o, "max", path, non_negative=True),
        step=r.decimal(o, "step", path, positive=True, default=Decimal("0.5")),
        guidance=r.text(o, "guidance", path, default=""),
        page_refs=tuple(page_refs),
        group=r.text(o, "group", path, default=""),
    )
    if not r.clean_since(mark):
        return None
    if stage is ReviewStage.PRELIMINARY:
        if kind is not ItemKind.PASS_FAIL:
            r.add(f"{path}.kind", f'a preliminary item must be "pass_fail", not "{kind}"')
        if category is None:
            r.add(
                f"{path}.category",
                "a preliminary item needs a category (form, qualification, responsiveness)",
            )
    elif category is not None:
        r.add(f"{path}.category", "only preliminary items have a category")
    if kind in POINT_KINDS and "max" not in o:
        r.add(f"{path}.max", f'required for "{kind}" items (the full mark)')
    elif kind in POINT_KINDS and criterion.max_points <= 0:
        r.add(f"{path}.max", f'a "{kind}" item must carry points (max > 0)')
    if criterion.min_points > criterion.max_points:
        r.add(f"{path}.min", f"min {criterion.min_points} is above max {criterion.max_points}")
    elif (criterion.max_points - criterion.min_points) % criterion.step != 0:
        r.add(
            f"{path}.step",
            f"max − min ({criterion.max_points - criterion.min_points}) is not a multiple of step "
            f"{criterion.step}: the top of the range would be unreachable",
        )
    return criterion if r.clean_since(mark) else None


_FORMULA_FIELDS = (
    "version",
    "full_points",
    "base",
    "trim_rules",
    "reference_price",
    "reference_factor",
    "float_point_percent",
    "window_below_percent",
    "window_above_percent",
    "price_cap",
    "out_of_window",
    "out_of_window_score",
    "deviation_rounding",
    "deviation_decimals",
    "mode",
    "up_rate",
    "down_rate",
    "max_deduction",
    "score_decimals",
    "base_decimals",
)


def _read_trim_rules(r: _Reader, o: Mapping[str, object], path: str) -> tuple[TrimRule, ...]:
    rules: list[tuple[str, TrimRule]] = []
    for j, value in enumerate(r.array(o, "trim_rules", path, required=False)):
        rule_path = f"{path}.trim_rules[{j}]"
        mark = r.mark()
        t = r.obj(value, rule_path, ("min_bids", "drop_highest", "drop_lowest"))
        if t is None:
            continue
        rule = TrimRule(
            min_bids=r.integer(t, "min_bids", rule_path, minimum=1),
            drop_highest=r.integer(t, "drop_highest", rule_path),
            drop_lowest=r.integer(t, "drop_lowest", rule_path),
        )
        if r.clean_since(mark) and rule.drop_highest + rule.drop_lowest >= rule.min_bids:
            r.add(
                rule_path,
                f"drops {rule.drop_highest + rule.drop_lowest} of {rule.min_bids} prices: none left",
            )
        rules.append((rule_path, rule))
    r.unique([(f"{p}.min_bids", str(t.min_bids)) for p, t in rules], "trim rule for min_bids")
    return tuple(t for _, t in rules)


def _read_formula(r: _Reader, value: object, path: str) -> PriceFormula | None:
    # Every parameter is required (nullable ones as null): each of them moves results by a point or more.
    mark = r.mark()
    o = r.obj(value, path, _FORMULA_FIELDS)
    if o is None:
        return None
    version = r.text(o, "version", path)
    if version and version not in KNOWN_FORMULA_VERSIONS:
        known = ", ".join(f'"{v}"' for v in sorted(KNOWN_FORMULA_VERSIONS))
        r.add(f"{path}.version", f"unknown price formula {version!r}; known: {known}")
    formula = PriceFormula(
        version=version,
        full_points=r.decimal(o, "full_points", path, positive=True),
        base=r.choice(o, "base", path, PriceBase),
        trim_rules=_read_trim_rules(r, o, path),
        reference_price=r.nullable_decimal(o, "reference_price", path, positive=True),
        reference_factor=r.decimal(o, "reference_factor", path, positive=True, default=Decimal("1")),
        float_point_percent=r.nullable_decimal(o, "float_point_percent", path, non_negative=True),
        window_below_percent=r.nullable_decimal(o, "window_below_percent", path, non_negative=True),
        window_above_percent=r.nullable_decimal(o, "window_above_percent", path, non_negative=True),
        price_cap=r.nullable_decimal(o, "price_cap", path, positive=True),
        out_of_window=r.choice(o, "out_of_window", path, OutOfWindowRule),
        out_of_window_score=r.decimal(o, "out_of_window_score", path, non_negative=True),
        deviation_rounding=r.choice(o, "deviation_rounding", path, DeviationRounding),
        deviation_decimals=r.integer(o, "deviation_decimals", path, maximum=6),
        mode=r.choice(o, "mode", path, DeductionMode),
        up_rate=r.decimal(o, "up_rate", path, non_negative=True),
        down_rate=r.decimal(o, "down_rate", path, non_negative=True),
        max_deduction=r.nullable_decimal(o, "max_deduction", path, non_negative=True),
        score_decimals=r.integer(o, "score_decimals", path, maximum=6),
        base_decimals=r.integer(o, "base_decimals", path, maximum=6),
    )
    if not r.clean_since(mark):
        return None
    if formula.base is PriceBase.TRIMMED_MEAN and not formula.trim_rules:
        r.add(f"{path}.trim_rules", 'base "trimmed_mean" needs at least one trim rule')
    if formula.base is PriceBase.REFERENCE and formula.reference_price is None:
        r.add(f"{path}.reference_price", 'base "reference" needs the reference price (标底)')
    if formula.float_point_percent is not None and formula.float_point_percent >= 100:
        r.add(f"{path}.float_point_percent", "must be below 100 (it is a percent)")
    if formula.out_of_window_score > formula.full_points:
        r.add(f"{path}.out_of_window_score", "must not exceed full_points")
    return formula if r.clean_since(mark) else None


def _read_method(r: _Reader, value: object, path: str) -> EvaluationMethod | None:
    mark = r.mark()
    o = r.obj(value, path, ("name", "rules", "criteria", "price_formula"))
    if o is None:
        return None
    name = r.text(o, "name", path)
    rules = _read_rules(r, o.get("rules"), f"{path}.rules") if "rules" in o else None
    raw_criteria = r.array(o, "criteria", path)
    criteria = [_read_criterion(r, c, f"{path}.criteria[{i}]") for i, c in enumerate(raw_criteria)]
    formula = (
        None
        if o.get("price_formula") is None
        else _read_formula(r, o["price_formula"], f"{path}.price_formula")
    )
    parsed = [c for c in criteria if c is not None]
    r.unique(
        [(f"{path}.criteria[{i}].id", c.id) for i, c in enumerate(criteria) if c is not None], "criterion id"
    )
    if len(parsed) == len(criteria) and (formula is not None or o.get("price_formula") is None):
        price_items = [(i, c) for i, c in enumerate(criteria) if c is not None and c.kind is ItemKind.PRICE]
        if formula is None and price_items:
            r.add(f"{path}.criteria[{price_items[0][0]}]", 'a "price" item needs a price_formula')
        elif formula is not None and len(price_items) != 1:
            r.add(
                f"{path}.criteria",
                f'a price_formula needs exactly one "price" item, found {len(price_items)}',
            )
        elif formula is not None:
            i, item = price_items[0]
            if item.max_points != formula.full_points:
                r.add(
                    f"{path}.criteria[{i}].max",
                    f"the price item's max {item.max_points} differs from price_formula.full_points "
                    f"{formula.full_points}",
                )
    if not r.clean_since(mark) or rules is None:
        return None
    return EvaluationMethod(name=name, criteria=tuple(parsed), price=formula, rules=rules)


# --- lots ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Package:
    """The package-level sections each lot refers to; None where that section did not parse."""

    project: _ProjectFields | None
    venues: Mapping[str, Venue] | None
    supervisors: tuple[Supervisor, ...] | None


def _read_bidders(r: _Reader, o: Mapping[str, object], path: str) -> list[tuple[str, Bidder, _FileInfo]]:
    bidders: list[tuple[str, Bidder, _FileInfo]] = []
    for i, value in enumerate(r.array(o, "bidders", path)):
        b_path = f"{path}.bidders[{i}]"
        mark = r.mark()
        b = r.obj(
            value,
            b_path,
            ("id", "name", "price", "bid_file"),
            ("bid_file_sha256", "credit", "machine_code", "upload_ip"),
        )
        if b is None:
            continue
        bidder_id = r.ident(b, "id", b_path)
        name = r.text(b, "name", b_path)
        price = r.decimal(b, "price", b_path, positive=True)
        expected = b.get("bid_file_sha256")
        if expected is not None and not (isinstance(expected, str) and _SHA256.fullmatch(expected)):
            r.add(f"{b_path}.bid_file_sha256", "must be 64 lowercase hex digits")
            expected = None
        credit = r.choice(b, "credit", b_path, CreditStatus, default=CreditStatus.NORMAL)
        machine_code = r.text(b, "machine_code", b_path, default="")
        upload_ip = r.text(b, "upload_ip", b_path, default="")
        info = r.file(b, "bid_file", b_path)
        if info is not None and expected is not None and info.sha256 != expected:
            r.add(
                f"{b_path}.bid_file_sha256",
                f"the bid file's SHA-256 is {info.sha256}, the manifest expects {expected}: "
                "the file is not the one the bidder uploaded",
                file=str(b.get("bid_file")),
            )
        if info is None or not r.clean_since(mark):
            continue
        bidder = Bidder(
            id=bidder_id,
            name=name,
            price=price,
            bid_file_sha256=info.sha256,
            credit=credit,
            machine_code=machine_code,
            upload_ip=upload_ip,
        )
        bidders.append((b_path, bidder, info))
    r.unique([(f"{p}.id", b.id) for p, b, _ in bidders], "bidder id")
    # Keep only the first of a repeated id, so the problem is not echoed as a duplicate bid document.
    first: dict[str, tuple[str, Bidder, _FileInfo]] = {}
    for entry in bidders:
        first.setdefault(entry[1].id, entry)
    return list(first.values())


def _read_members(
    r: _Reader, o: Mapping[str, object], path: str, package: _Package, rules: EvaluationRules | None
) -> list[Member]:
    start = r.mark()
    raw = r.array(o, "committee", path)
    members: list[tuple[str, Member]] = []
    for i, value in enumerate(raw):
        m_path = f"{path}.committee[{i}]"
        mark = r.mark()
        m = r.obj(value, m_path, ("person_id", "name", "venue_id"), ("kind", "reserve"))
        if m is None:
            continue
        member = Member(
            person_id=r.ident(m, "person_id", m_path),
            name=r.text(m, "name", m_path),
            venue_id=r.ident(m, "venue_id", m_path),
            kind=r.choice(m, "kind", m_path, MemberKind, default=MemberKind.DRAWN_EXPERT),
            reserve=r.boolean(m, "reserve", m_path),
        )
        if not r.clean_since(mark):
            continue
        if package.venues is not None and member.venue_id not in package.venues:
            r.add(f"{m_path}.venue_id", f"unknown venue {member.venue_id!r}")
        if any(s.person_id == member.person_id for s in package.supervisors or ()):
            r.add(f"{m_path}.person_id", f"{member.person_id!r} is also a supervisor; one person, one role")
        members.append((m_path, member))
    r.unique([(f"{p}.person_id", m.person_id) for p, m in members], "committee person_id")
    if not r.clean_since(start):
        return [m for _, m in members]  # counts over a partly unreadable list would mislead
    committee = [m for _, m in members if not m.reserve]
    size = len(committee)
    field = f"{path}.committee"
    if size % 2 == 0:
        r.add(field, f"the committee (reserves excluded) must have an odd number of members, has {size}")
    if rules is not None and size < rules.min_committee_size:
        r.add(
            field, f"the committee has {size} members; the rules require at least {rules.min_committee_size}"
        )
    drawn = sum(1 for m in committee if m.kind is MemberKind.DRAWN_EXPERT)
    if size and drawn * 3 < size * 2:
        r.add(field, f"only {drawn} of {size} members are drawn experts; at least two thirds must be")
    if package.supervisors is not None and package.venues is not None:
        supervised = {s.venue_id for s in package.supervisors}
        for venue_id in sorted({m.venue_id for m in committee} - supervised):
            if venue_id in package.venues:
                r.add(field, f"venue {venue_id!r} hosts committee members but has no supervisor")
    return [m for _, m in members]


def _read_documents(
    r: _Reader, o: Mapping[str, object], path: str, bidder_ids: Collection[str] | None
) -> list[tuple[str, Document, _FileInfo]]:
    documents: list[tuple[str, Document, _FileInfo]] = []
    for i, value in enumerate(r.array(o, "documents", path)):
        d_path = f"{path}.documents[{i}]"
        mark = r.mark()
        d = r.obj(value, d_path, ("id", "kind", "title", "file"), ("bidder_id",))
        if d is None:
            continue
        doc_id = r.ident(d, "id", d_path)
        kind = r.choice(d, "kind", d_path, DocumentKind)
        title = r.text(d, "title", d_path)
        bidder_id = r.optional_ident(d, "bidder_id", d_path)
        info = r.file(d, "file", d_path)
        if bidder_id is not None and bidder_ids is not None and bidder_id not in bidder_ids:
            r.add(f"{d_path}.bidder_id", f"unknown bidder {bidder_id!r}")
        if kind is DocumentKind.BID and bidder_id is None:
            r.add(f"{d_path}.bidder_id", "an extra bid volume must name its bidder")
        if kind in (DocumentKind.TENDER, DocumentKind.OPENING_RECORD) and bidder_id is not None:
            r.add(f"{d_path}.bidder_id", f'a "{kind}" document belongs to no bidder')
        if info is None or not r.clean_since(mark):
            continue
        # The path names the id field: that is what a duplicate is reported against.
        document = Document(
            id=doc_id,
            kind=kind,
            title=title,
            sha256=info.sha256,
            size=info.size,
            bidder_id=bidder_id,
            pages=info.pages,
        )
        documents.append((f"{d_path}.id", document, info))
    return documents


def bid_document_id(bidder_id: str) -> str:
    """The document id under which a bidder's main bid file (``bid_file``) appears in the session."""
    return f"bid-{bidder_id}"


_LOT_FIELDS = ("code", "name", "session_id", "bidders", "committee", "documents", "method")


def _read_lot(
    r: _Reader, value: object, path: str, package: _Package
) -> tuple[SessionSetup, dict[str, Path]] | None:
    mark = r.mark()
    o = r.obj(value, path, _LOT_FIELDS)
    if o is None:
        return None
    code = r.text(o, "code", path)
    name = r.text(o, "name", path)
    session_id = r.ident(o, "session_id", path)
    method = _read_method(r, o["method"], f"{path}.method") if "method" in o else None
    # Cross-references are checked only against sections that read cleanly, so that one broken bidder
    # or document is not echoed as "unknown bidder" or "unknown document" elsewhere.
    section = r.mark()
    bidders = _read_bidders(r, o, path)
    bidder_ids = {b.id for _, b, _ in bidders} if r.clean_since(section) else None
    members = _read_members(r, o, path, package, method.rules if method is not None else None)
    section = r.mark()
    explicit = _read_documents(r, o, path, bidder_ids)
    documents_clean = r.clean_since(section) and bidder_ids is not None
    bid_documents = [
        (
            f"{b_path}.id",
            Document(
                id=bid_document_id(bidder.id),
                kind=DocumentKind.BID,
                title=f"{bidder.name} 投标文件",
                sha256=info.sha256,
                size=info.size,
                bidder_id=bidder.id,
                pages=info.pages,
            ),
            info,
        )
        for b_path, bidder, info in bidders
    ]
    documents = explicit + bid_documents
    r.unique([(p, d.id) for p, d, _ in documents], "document id")
    if explicit and not any(d.kind is DocumentKind.TENDER for _, d, _ in explicit):
        r.add(f"{path}.documents", 'no "tender" document (招标文件): experts need the evaluation standard')
    if method is not None and documents_clean:
        pages = {d.id: d.pages for _, d, _ in documents}
        for i, criterion in enumerate(method.criteria):
            for j, ref in enumerate(criterion.page_refs):
                match = _PAGE_REF.fullmatch(ref)
                if match is None:
                    continue
                doc_id, page = match["doc"], int(match["page"])
                ref_field = f"{path}.method.criteria[{i}].page_refs[{j}]"
                if doc_id not in pages:
                    r.add(ref_field, f"unknown document {doc_id!r}")
                elif 0 < pages[doc_id] < page:
                    r.add(ref_field, f"document {doc_id!r} has only {pages[doc_id]} pages")
        cap = None if package.project is None else package.project.price_cap
        if (
            package.project is not None
            and method.price is not None
            and method.price.price_cap not in (None, cap)
        ):
            r.add(
                f"{path}.method.price_formula.price_cap",
                f"{method.price.price_cap} differs from project.price_cap {cap}",
            )
    if method is not None and method.price is not None and bidders and r.clean_since(mark):
        # A dry run of the domain's own formula with this lot's prices: a method the formula refuses is
        # better refused at import than discovered after the committee has scored every bid.
        try:
            compute_price_scores(method.price, [PricedBid(b.id, b.price) for _, b, _ in bidders])
        except InvalidArgument as exc:
            r.add(f"{path}.method.price_formula", f"the price formula cannot be computed: {exc}")
    project = package.project
    supervisors = package.supervisors
    if not r.clean_since(mark) or method is None or project is None or package.venues is None:
        return None
    if supervisors is None:
        return None
    setup = SessionSetup(
        session_id=session_id,
        project=Project(
            code=project.code,
            name=project.name,
            region=project.region,
            project_type=project.project_type,
            tenderer=project.tenderer,
            agency=project.agency,
            lot_code=code,
            lot_name=name,
            price_cap=project.price_cap,
        ),
        venues=tuple(package.venues.values()),
        bidders=tuple(b for _, b, _ in bidders),
        members=tuple(members),
        supervisors=supervisors,
        method=method,
        documents=tuple(d for _, d, _ in documents),
    )
    return setup, {d.id: info.path for _, d, info in documents}


def _read_manifest(r: _Reader, document: object) -> LoadedPackage | None:
    if isinstance(document, dict):
        version = document.get("format_version")
        if version != FORMAT_VERSION or isinstance(version, bool):
            # Reading the rest against the wrong format would bury this one real problem under noise.
            message = f"unsupported format_version {version!r}; this server reads {FORMAT_VERSION}"
            r.add("format_version", message)
            return None
    top = r.obj(document, "", ("format_version", "project", "venues", "supervisors", "lots"))
    if top is None:
        return None
    project = _read_project(r, top["project"]) if "project" in top else None
    # A section counts as read only if nothing in it, the array itself included, had a problem: checks
    # that depend on it (unknown venue, unsupervised venue) would otherwise echo its problems.
    mark = r.mark()
    venues = _read_venues(r, r.array(top, "venues", ""))
    venues = venues if r.clean_since(mark) else None
    mark = r.mark()
    supervisors = _read_supervisors(r, r.array(top, "supervisors", ""), venues)
    supervisors = supervisors if r.clean_since(mark) else None
    # Lots are read even when a package-level section failed, so that the list of problems is complete.
    package = _Package(project, venues, supervisors)
    lots = [_read_lot(r, lot, f"lots[{i}]", package) for i, lot in enumerate(r.array(top, "lots", ""))]
    numbered = [(i, lot[0]) for i, lot in enumerate(lots) if lot is not None]
    r.unique([(f"lots[{i}].session_id", s.session_id) for i, s in numbered], "session_id")
    r.unique([(f"lots[{i}].code", s.project.lot_code) for i, s in numbered], "lot code")
    parsed = [lot for lot in lots if lot is not None]
    if r.problems:
        return None
    files = {(s.session_id, doc_id): p for s, paths in parsed for doc_id, p in paths.items()}
    return LoadedPackage(root=r.root, setups=tuple(s for s, _ in parsed), files=files)


# --- entry points --------------------------------------------------------------------------------------


def _load_json(r: _Reader, manifest: Path) -> object:
    try:
        size = manifest.stat().st_size
    except FileNotFoundError:
        r.add("", "missing: a package needs manifest.json at its top level")
        return None
    if size > MAX_MANIFEST_BYTES:
        r.add("", f"is {size} bytes; the limit is {MAX_MANIFEST_BYTES} (documents belong in separate files)")
        return None
    try:
        # utf-8-sig: Windows editors like to start UTF-8 files with a byte-order mark.
        text = manifest.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        r.add("", f"is not UTF-8 text (byte {exc.start}); save it as UTF-8")
        return None
    try:
        return json.loads(text, object_pairs_hook=_object_pairs, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        r.add("", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
    except ValueError as exc:  # from _reject_constant
        r.add("", f"invalid JSON: {exc}")
    return None


def _zip_entry_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:
        return info.filename
    # Without the UTF-8 flag, zipfile decoded the name as CP437; Chinese Windows tools write GBK and many
    # others write UTF-8 without setting the flag. Recover the raw bytes and try those first.
    raw = info.filename.encode("cp437")
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _extract_zip(archive: Path, target: Path) -> Path:
    """Extract ``archive`` into ``target`` after checking every entry; returns the package root."""
    problems: list[Problem] = []

    def refuse(message: str, entry: str = "") -> None:
        problems.append(Problem(f"{archive.name}:{entry}" if entry else archive.name, "", message))

    try:
        with zipfile.ZipFile(archive) as zf:
            entries = [(info, _zip_entry_name(info)) for info in zf.infolist()]
            if len(entries) > MAX_ZIP_ENTRIES:
                refuse(f"has {len(entries)} entries; the limit is {MAX_ZIP_ENTRIES}")
            total = 0
            for info, name in entries:
                parts = name.rstrip("/").split("/")
                if "\\" in name or name.startswith("/") or ":" in parts[0] or ".." in parts:
                    refuse("unsafe path in the archive (absolute, '..', '\\' or a drive letter)", name)
                elif (info.external_attr >> 16) & 0o170000 == 0o120000:
                    refuse("symbolic links are not allowed in a package", name)
                elif info.flag_bits & 0x1:
                    refuse("encrypted entries are not supported", name)
                elif info.file_size > MAX_DOCUMENT_BYTES:
                    refuse(f"is {info.file_size} bytes; the limit is {MAX_DOCUMENT_BYTES}", name)
                total += info.file_size
            if total > MAX_ZIP_TOTAL_BYTES:
                refuse(f"would extract to {total} bytes; the limit is {MAX_ZIP_TOTAL_BYTES}")
            if problems:
                raise PackageError(problems)
            for info, name in entries:
                destination = target.joinpath(*name.rstrip("/").split("/"))
                if info.is_dir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as source, destination.open("wb") as sink:
                    shutil.copyfileobj(source, sink)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise PackageError([Problem(archive.name, "", f"damaged zip archive: {exc}")]) from None
    if (target / MANIFEST_NAME).exists():
        return target
    # Zipping a folder usually yields "folder/manifest.json": accept one wrapping directory.
    children = list(target.iterdir())
    if len(children) == 1 and (children[0] / MANIFEST_NAME).exists():
        return children[0]
    raise PackageError([Problem(archive.name, "", f"no {MANIFEST_NAME} at the top of the archive")])


def load_package(path: Path, extract_to: Path | None = None) -> LoadedPackage:
    """Load and validate a package directory or ``.zip``; raise PackageError listing every problem.

    A zip is extracted into ``extract_to`` (which must be empty or absent) or, by default, into a new
    temporary directory that the caller owns (``LoadedPackage.root``) and removes after importing; a
    temporary directory is removed here when the package is refused.
    """
    if path.is_dir():
        return _load_root(path.resolve())
    if not (path.is_file() and zipfile.is_zipfile(path)):
        raise PackageError([Problem(path.name, "", "not a package directory or a .zip archive")])
    if extract_to is None:
        target = Path(tempfile.mkdtemp(prefix="bideval-package-"))
    else:
        if extract_to.exists() and any(extract_to.iterdir()):
            raise ValueError(f"{extract_to} is not empty; extract a package into an empty directory")
        extract_to.mkdir(parents=True, exist_ok=True)
        target = extract_to
    try:
        return _load_root(_extract_zip(path, target).resolve())
    except PackageError:
        if extract_to is None:
            shutil.rmtree(target, ignore_errors=True)
        raise


def _load_root(root: Path) -> LoadedPackage:
    reader = _Reader(root)
    document = _load_json(reader, root / MANIFEST_NAME)
    loaded = _read_manifest(reader, document) if not reader.problems else None
    if loaded is None:
        # _read_manifest returns None only after recording at least one problem.
        raise PackageError(reader.problems)
    return loaded
