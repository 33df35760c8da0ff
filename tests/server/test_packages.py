"""Session packages: a valid package loads; each kind of mistake is reported with its file and field."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import shutil
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bideval.domain.method import EvaluationRules, ItemKind, PriceBase, PriceFormula
from bideval.domain.setup import CreditStatus, DocumentKind, MemberKind
from server.packages import manifest as manifest_module
from server.packages.manifest import (
    MANIFEST_NAME,
    LoadedPackage,
    PackageError,
    Problem,
    bid_document_id,
    count_pdf_pages,
    load_package,
)


def fake_pdf(pages: int, tag: str) -> bytes:
    """A tiny file with PDF magic and ``pages`` page objects: all the loader looks at."""
    body = b"".join(b"%d 0 obj << /Type /Page /Parent 1 0 R >> endobj\n" % (i + 2) for i in range(pages))
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Pages /Count "
        + str(pages).encode()
        + b" >> endobj\n"
        + body
        + f"% {tag}\n%%EOF\n".encode()
    )


def valid_manifest() -> dict[str, Any]:
    return {
        "format_version": 1,
        "project": {
            "code": "TEST-001",
            "name": "测试公路工程",
            "region": "江西省吉安市",
            "project_type": "construction",
            "tenderer": "某县交通运输局",
            "agency": "某工程咨询有限公司",
            "price_cap": "1000000.00",
        },
        "venues": [
            {"id": "V1", "name": "主场评标室", "city": "吉安", "is_main": True},
            {"id": "V2", "name": "副场评标室", "city": "赣州", "is_main": False},
        ],
        "supervisors": [
            {"person_id": "S1", "name": "监督甲", "venue_id": "V1"},
            {"person_id": "S2", "name": "监督乙", "venue_id": "V2"},
        ],
        "lots": [
            {
                "code": "TEST-001-01",
                "name": "第一标段",
                "session_id": "S-TEST-1",
                "bidders": [
                    {"id": "B1", "name": "甲路桥有限公司", "price": "950000.00", "bid_file": "bids/B1.pdf"},
                    {
                        "id": "B2",
                        "name": "乙建设集团有限公司",
                        "price": "980000.50",
                        "bid_file": "bids/B2.pdf",
                        "credit": "red",
                        "machine_code": "AAAA-BBBB",
                        "upload_ip": "10.0.0.2",
                    },
                    {"id": "B3", "name": "丙公路工程有限公司", "price": "910000", "bid_file": "bids/B3.pdf"},
                ],
                "committee": [
                    {"person_id": "E1", "name": "专家一", "venue_id": "V1"},
                    {"person_id": "E2", "name": "专家二", "venue_id": "V1"},
                    {"person_id": "E3", "name": "专家三", "venue_id": "V2"},
                    {"person_id": "E4", "name": "专家四", "venue_id": "V2"},
                    {
                        "person_id": "E5",
                        "name": "业主代表",
                        "venue_id": "V1",
                        "kind": "tenderer_representative",
                    },
                    {"person_id": "E6", "name": "候补专家", "venue_id": "V2", "reserve": True},
                ],
                "documents": [
                    {"id": "tender", "kind": "tender", "title": "招标文件", "file": "docs/tender.pdf"},
                    {
                        "id": "opening",
                        "kind": "opening_record",
                        "title": "开标记录表",
                        "file": "docs/opening.pdf",
                    },
                ],
                "method": {
                    "name": "综合评估法",
                    "rules": {
                        "min_committee_size": 5,
                        "pledge_countdown_seconds": 10,
                        "deviation_threshold_percent": "30",
                        "min_valid_bids": 3,
                        "max_candidates": 3,
                        "clarification_needs_approval": True,
                        "wait_before_start_hours": 2,
                        "outage_reform_hours": 4,
                        "tie_break": "lower_price",
                    },
                    "criteria": [
                        {
                            "id": "F1",
                            "title": "投标函签字盖章",
                            "stage": "preliminary",
                            "kind": "pass_fail",
                            "category": "form",
                            "page_refs": ["tender:2"],
                        },
                        {
                            "id": "T1",
                            "title": "施工方案",
                            "stage": "detailed",
                            "kind": "score",
                            "min": "0",
                            "max": "40",
                            "step": "0.5",
                            "guidance": "科学合理",
                            "group": "技术标",
                        },
                        {
                            "id": "P1",
                            "title": "投标报价",
                            "stage": "detailed",
                            "kind": "price",
                            "max": "60",
                            "step": "0.01",
                        },
                    ],
                    "price_formula": {
                        "version": "deviation/v1",
                        "full_points": "60",
                        "base": "trimmed_mean",
                        "trim_rules": [{"min_bids": 7, "drop_highest": 1, "drop_lowest": 1}],
                        "reference_price": None,
                        "reference_factor": "1",
                        "float_point_percent": "0.75",
                        "window_below_percent": None,
                        "window_above_percent": None,
                        "price_cap": "1000000.00",
                        "out_of_window": "fixed_score",
                        "out_of_window_score": "0",
                        "deviation_rounding": "half_up",
                        "deviation_decimals": 2,
                        "mode": "linear",
                        "up_rate": "1",
                        "down_rate": "0.5",
                        "max_deduction": None,
                        "score_decimals": 2,
                        "base_decimals": 2,
                    },
                },
            }
        ],
    }


def write_package(root: Path, document: object) -> Path:
    for name, pages in (("bids/B1.pdf", 5), ("bids/B2.pdf", 6), ("bids/B3.pdf", 7), ("docs/tender.pdf", 3)):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(fake_pdf(pages, name))
    (root / "docs/opening.pdf").write_bytes(fake_pdf(1, "opening"))
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False, indent=2)
    (root / MANIFEST_NAME).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return write_package(tmp_path / "pkg", valid_manifest())


def problems_of(root: Path, document: object) -> tuple[Problem, ...]:
    write_package(root, document)
    with pytest.raises(PackageError) as excinfo:
        load_package(root)
    return excinfo.value.problems


def _walk(document: Any, dotted: str) -> tuple[Any, str | int]:
    *parents, last = dotted.split(".")
    target = document
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    return target, int(last) if last.isdigit() else last


DELETE = object()


def mutated(changes: dict[str, object]) -> dict[str, Any]:
    document = valid_manifest()
    for dotted, value in changes.items():
        target, key = _walk(document, dotted)
        if value is DELETE:
            del target[key]
        else:
            target[key] = value
    return document


# --- a valid package -----------------------------------------------------------------------------------


def test_valid_package_loads(package: Path) -> None:
    loaded = load_package(package)
    assert isinstance(loaded, LoadedPackage)
    assert loaded.root == package.resolve()
    (setup,) = loaded.setups
    assert setup.session_id == "S-TEST-1"
    assert setup.project.lot_code == "TEST-001-01"
    assert setup.project.price_cap == Decimal("1000000.00")
    assert [v.id for v in setup.venues] == ["V1", "V2"]
    assert [s.person_id for s in setup.supervisors] == ["S1", "S2"]

    b2 = setup.bidder("B2")
    assert b2.price == Decimal("980000.50")
    assert b2.credit is CreditStatus.RED
    assert (b2.machine_code, b2.upload_ip) == ("AAAA-BBBB", "10.0.0.2")
    assert b2.bid_file_sha256 == hashlib.sha256((package / "bids/B2.pdf").read_bytes()).hexdigest()
    assert setup.bidder("B1").credit is CreditStatus.NORMAL

    assert len(setup.committee()) == 5
    assert [m.person_id for m in setup.reserves()] == ["E6"]
    assert setup.committee()[4].kind is MemberKind.TENDERER_REPRESENTATIVE

    documents = {d.id: d for d in setup.documents}
    assert list(documents) == ["tender", "opening", "bid-B1", "bid-B2", "bid-B3"]
    tender = documents["tender"]
    assert tender.kind is DocumentKind.TENDER
    assert tender.pages == 3
    assert tender.size == (package / "docs/tender.pdf").stat().st_size
    assert tender.bidder_id is None
    bid = documents[bid_document_id("B3")]
    assert (bid.kind, bid.bidder_id, bid.pages) == (DocumentKind.BID, "B3", 7)
    assert bid.sha256 == setup.bidder("B3").bid_file_sha256
    assert loaded.files[("S-TEST-1", "bid-B3")] == (package / "bids/B3.pdf").resolve()
    assert loaded.files[("S-TEST-1", "tender")] == (package / "docs/tender.pdf").resolve()

    method = setup.method
    assert [c.id for c in method.criteria] == ["F1", "T1", "P1"]
    assert method.criterion("P1").kind is ItemKind.PRICE
    assert method.criterion("F1").page_refs == ("tender:2",)
    assert method.criterion("T1").step == Decimal("0.5")
    assert method.price is not None
    assert method.price.base is PriceBase.TRIMMED_MEAN
    assert method.price.float_point_percent == Decimal("0.75")
    assert method.price.trim_rules[0].drop_lowest == 1
    assert method.rules.min_committee_size == 5


def test_expected_bid_hash_is_accepted_when_it_matches(tmp_path: Path) -> None:
    root = write_package(tmp_path, valid_manifest())
    digest = hashlib.sha256((root / "bids/B1.pdf").read_bytes()).hexdigest()
    write_package(root, mutated({"lots.0.bidders.0.bid_file_sha256": digest}))
    assert load_package(root).setups[0].bidder("B1").bid_file_sha256 == digest


def test_manifest_keys_cover_every_configurable_number() -> None:
    # Adding a field to EvaluationRules or PriceFormula must be reflected in the package format.
    document = valid_manifest()["lots"][0]["method"]
    assert set(document["rules"]) == {f.name for f in dataclasses.fields(EvaluationRules)}
    assert set(document["price_formula"]) == {f.name for f in dataclasses.fields(PriceFormula)}


def test_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    root = write_package(tmp_path, valid_manifest())
    (root / MANIFEST_NAME).write_bytes(b"\xef\xbb\xbf" + (root / MANIFEST_NAME).read_bytes())
    load_package(root)


# --- one mistake, one problem --------------------------------------------------------------------------

MALFORMED: list[tuple[str, dict[str, object], str, str]] = [
    # (case id, changes, field, message fragment)
    ("missing field", {"project.name": DELETE}, "project.name", "missing required field"),
    ("empty string", {"project.tenderer": " "}, "project.tenderer", "must not be empty"),
    ("unknown field", {"lots.0.bidders.0.prise": "1"}, "lots.0.bidders.0.prise", "did you mean 'price'"),
    ("wrong type", {"venues.0.is_main": "yes"}, "venues.0.is_main", "true or false"),
    ("not an object", {"lots.0.bidders.1": "B2"}, "lots.0.bidders.1", "must be an object"),
    ("not an array", {"lots.0.committee": {}}, "lots.0.committee", "must be an array"),
    ("price as number", {"lots.0.bidders.0.price": 950000.5}, "lots.0.bidders.0.price", "not a JSON number"),
    ("price with comma", {"lots.0.bidders.0.price": "950,000"}, "lots.0.bidders.0.price", "decimal string"),
    ("price exponent", {"lots.0.bidders.0.price": "9.5E5"}, "lots.0.bidders.0.price", "decimal string"),
    ("price zero", {"lots.0.bidders.0.price": "0.00"}, "lots.0.bidders.0.price", "greater than 0"),
    ("negative cap", {"project.price_cap": "-1"}, "project.price_cap", "greater than 0"),
    ("bad enum", {"lots.0.bidders.0.credit": "grey"}, "lots.0.bidders.0.credit", '"normal", "red", "black"'),
    ("bad id", {"lots.0.bidders.0.id": "B 1"}, "lots.0.bidders.0.id", "not a valid value"),
    ("duplicate bidder", {"lots.0.bidders.1.id": "B1"}, "lots.0.bidders.1.id", "duplicate bidder id 'B1'"),
    ("duplicate venue", {"venues.1.id": "V1"}, "venues.1.id", "duplicate venue id"),
    ("duplicate member", {"lots.0.committee.5.person_id": "E1"}, "lots.0.committee.5.person_id", "duplicate"),
    (
        "duplicate criterion",
        {"lots.0.method.criteria.1.id": "F1"},
        "lots.0.method.criteria.1.id",
        "duplicate",
    ),
    ("duplicate doc id", {"lots.0.documents.1.id": "bid-B2"}, "lots.0.bidders.1.id", "duplicate document id"),
    ("unknown venue", {"lots.0.committee.0.venue_id": "V9"}, "lots.0.committee.0.venue_id", "unknown venue"),
    ("supervisor venue", {"supervisors.0.venue_id": "V9"}, "supervisors.0.venue_id", "unknown venue"),
    (
        "doc bidder",
        {"lots.0.documents.1.kind": "clarification", "lots.0.documents.1.bidder_id": "B9"},
        "lots.0.documents.1.bidder_id",
        "unknown bidder",
    ),
    (
        "bid volume",
        {"lots.0.documents.1.kind": "bid"},
        "lots.0.documents.1.bidder_id",
        "must name its bidder",
    ),
    ("no tender", {"lots.0.documents.0.kind": "clarification"}, "lots.0.documents", 'no "tender" document'),
    ("supervisor and member", {"supervisors.0.person_id": "E1"}, "lots.0.committee.0.person_id", "one role"),
    ("two main venues", {"venues.1.is_main": True}, "venues", "exactly one venue must be the main venue"),
    ("no main venue", {"venues.0.is_main": False}, "venues", "found none"),
    ("no supervisors", {"supervisors": []}, "supervisors", "must not be empty"),
    ("no bidders", {"lots.0.bidders": []}, "lots.0.bidders", "must not be empty"),
    (
        "unsupervised venue",
        {"supervisors": [{"person_id": "S1", "name": "x", "venue_id": "V1"}]},
        "lots.0.committee",
        "venue 'V2' hosts committee members but has no supervisor",
    ),
    ("even committee", {"lots.0.committee.5.reserve": False}, "lots.0.committee", "odd number"),
    (
        "committee below minimum",
        {"lots.0.method.rules.min_committee_size": 7},
        "lots.0.committee",
        "at least 7",
    ),
    (
        "too few drawn",
        {"lots.0.committee.0.kind": "tenderer_representative"},
        "lots.0.committee",
        "two thirds",
    ),
    ("min above max", {"lots.0.method.criteria.1.min": "50"}, "lots.0.method.criteria.1.min", "above max"),
    ("step zero", {"lots.0.method.criteria.1.step": "0"}, "lots.0.method.criteria.1.step", "greater than 0"),
    ("off grid", {"lots.0.method.criteria.1.step": "3"}, "lots.0.method.criteria.1.step", "not a multiple"),
    (
        "score without max",
        {"lots.0.method.criteria.1.max": DELETE},
        "lots.0.method.criteria.1.max",
        "required",
    ),
    (
        "preliminary kind",
        {"lots.0.method.criteria.0.kind": "score", "lots.0.method.criteria.0.max": "1"},
        "lots.0.method.criteria.0.kind",
        'must be "pass_fail"',
    ),
    (
        "preliminary category",
        {"lots.0.method.criteria.0.category": DELETE},
        "lots.0.method.criteria.0.category",
        "needs a category",
    ),
    (
        "detailed category",
        {"lots.0.method.criteria.1.category": "form"},
        "lots.0.method.criteria.1.category",
        "only preliminary items",
    ),
    ("price max", {"lots.0.method.criteria.2.max": "50"}, "lots.0.method.criteria.2.max", "differs from"),
    ("two price items", {"lots.0.method.criteria.1.kind": "price"}, "lots.0.method.criteria", "exactly one"),
    ("no price item", {"lots.0.method.criteria.2.kind": "score"}, "lots.0.method.criteria", "found 0"),
    (
        "price without formula",
        {"lots.0.method.price_formula": None},
        "lots.0.method.criteria.2",
        "needs a price",
    ),
    (
        "formula version",
        {"lots.0.method.price_formula.version": "deviation/v9"},
        "lots.0.method.price_formula.version",
        "unknown price formula",
    ),
    (
        "formula refused by the domain",
        {"lots.0.method.price_formula.version": "lowest-price/v1"},
        "lots.0.method.price_formula",
        "cannot be computed",
    ),
    (
        "formula field missing",
        {"lots.0.method.price_formula.up_rate": DELETE},
        "lots.0.method.price_formula.up_rate",
        "missing required field",
    ),
    (
        "trim rules missing",
        {"lots.0.method.price_formula.trim_rules": []},
        "lots.0.method.price_formula.trim_rules",
        "at least one trim rule",
    ),
    (
        "trim drops all",
        {"lots.0.method.price_formula.trim_rules.0.min_bids": 2},
        "lots.0.method.price_formula.trim_rules.0",
        "none left",
    ),
    (
        "reference missing",
        {"lots.0.method.price_formula.base": "reference"},
        "lots.0.method.price_formula.reference_price",
        "reference price",
    ),
    (
        "formula cap",
        {"lots.0.method.price_formula.price_cap": "999"},
        "lots.0.method.price_formula.price_cap",
        "differs from project.price_cap",
    ),
    (
        "rules field missing",
        {"lots.0.method.rules.tie_break": DELETE},
        "lots.0.method.rules.tie_break",
        "missing required field",
    ),
    (
        "too many candidates",
        {"lots.0.method.rules.max_candidates": 5},
        "lots.0.method.rules.max_candidates",
        "at most 3",
    ),
    (
        "bool as int",
        {"lots.0.method.rules.min_valid_bids": True},
        "lots.0.method.rules.min_valid_bids",
        "whole number",
    ),
    (
        "page ref format",
        {"lots.0.method.criteria.0.page_refs": ["page 2"]},
        "lots.0.method.criteria.0.page_refs.0",
        "not a page reference",
    ),
    (
        "page ref document",
        {"lots.0.method.criteria.0.page_refs": ["nodoc:2"]},
        "lots.0.method.criteria.0.page_refs.0",
        "unknown document",
    ),
    (
        "page ref beyond end",
        {"lots.0.method.criteria.0.page_refs": ["tender:9"]},
        "lots.0.method.criteria.0.page_refs.0",
        "only 3 pages",
    ),
    ("duplicate session", {"lots.1": None}, "lots.1.session_id", "duplicate session_id"),
    (
        "bad hash",
        {"lots.0.bidders.0.bid_file_sha256": "abc"},
        "lots.0.bidders.0.bid_file_sha256",
        "64 lowercase",
    ),
]


def _json_path(dotted: str) -> str:
    """``lots.0.bidders.3.price`` → ``lots[0].bidders[3].price``."""
    out = ""
    for part in dotted.split("."):
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


@pytest.mark.parametrize(
    ("changes", "field", "message"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_malformed_manifest_names_file_and_field(
    tmp_path: Path, changes: dict[str, object], field: str, message: str
) -> None:
    document = mutated({k: v for k, v in changes.items() if k != "lots.1"})
    if "lots.1" in changes:
        second = copy.deepcopy(document["lots"][0])
        second["code"] = "TEST-001-02"
        document["lots"].append(second)
    problems = problems_of(tmp_path, document)
    expected = _json_path(field)
    matching = [p for p in problems if p.field == expected and message in p.message]
    assert matching, f"no problem at {expected!r} mentioning {message!r}; got:\n" + "\n".join(
        map(str, problems)
    )
    assert all(p.file == MANIFEST_NAME for p in matching)
    # One mistake is reported once, at its root, not echoed by every check that depends on it.
    assert len(problems) == 1, "\n".join(map(str, problems))


def test_json_syntax_error_reports_line_and_column(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, '{\n  "format_version": 1,\n  "project": {,\n}')
    assert problem.file == MANIFEST_NAME
    assert "line 3, column 15" in problem.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"format_version": NaN}', "NaN is not allowed"),
        ("[1, 2]", "must be an object"),
    ],
)
def test_json_oddities(tmp_path: Path, text: str, message: str) -> None:
    (problem,) = problems_of(tmp_path, text)
    assert message in problem.message


def test_duplicate_json_keys_are_reported(tmp_path: Path) -> None:
    text = json.dumps(valid_manifest(), ensure_ascii=False)
    text = text.replace('"price": "950000.00"', '"price": "950000.00", "price": "1.00"', 1)
    (problem,) = problems_of(tmp_path, text)
    assert problem.field == "lots[0].bidders[0].price"
    assert "more than once" in problem.message


def test_unsupported_format_version_stops_early(tmp_path: Path) -> None:
    document = mutated({"format_version": 2, "project": DELETE})
    (problem,) = problems_of(tmp_path, document)
    assert problem.field == "format_version"


def test_non_utf8_manifest(tmp_path: Path) -> None:
    write_package(tmp_path, valid_manifest())
    (tmp_path / MANIFEST_NAME).write_bytes(json.dumps(valid_manifest(), ensure_ascii=False).encode("gbk"))
    with pytest.raises(PackageError, match="not UTF-8"):
        load_package(tmp_path)


def test_manifest_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifest_module, "MAX_MANIFEST_BYTES", 100)
    (problem,) = problems_of(tmp_path, valid_manifest())
    assert problem.file == MANIFEST_NAME
    assert "the limit is 100" in problem.message


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match=r"manifest\.json: missing"):
        load_package(tmp_path)


def test_not_a_package(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(PackageError, match="not a package directory"):
        load_package(path)


# --- files ---------------------------------------------------------------------------------------------

FileCase = Callable[[Path], None]


@pytest.mark.parametrize(
    ("bid_file", "prepare", "file", "message"),
    [
        ("bids/B9.pdf", None, "bids/B9.pdf", "file not found"),
        (
            "bids/B1.pdf",
            lambda root: (root / "bids/B1.pdf").write_text("not a pdf"),
            "bids/B1.pdf",
            "not a PDF",
        ),
        ("bids", None, "bids", "not a regular file"),
        ("../outside.pdf", None, "manifest.json", "relative path inside the package"),
        ("/etc/passwd", None, "manifest.json", "relative path inside the package"),
        ("bids\\B1.pdf", None, "manifest.json", "relative path inside the package"),
        ("C:/bids/B1.pdf", None, "manifest.json", "relative path inside the package"),
        ("bids/./B1.pdf", None, "manifest.json", "relative path inside the package"),
        (
            "bids/link.pdf",
            lambda root: (root / "bids/link.pdf").symlink_to(root.parent / "outside.pdf"),
            "bids/link.pdf",
            "outside the package",
        ),
    ],
)
def test_bad_document_files(
    tmp_path: Path, bid_file: str, prepare: FileCase | None, file: str, message: str
) -> None:
    (tmp_path / "outside.pdf").write_bytes(fake_pdf(1, "outside"))
    root = write_package(tmp_path / "pkg", mutated({"lots.0.bidders.0.bid_file": bid_file}))
    if prepare is not None:
        prepare(root)
    with pytest.raises(PackageError) as excinfo:
        load_package(root)
    (problem,) = excinfo.value.problems
    assert (problem.file, problem.field) == (file, "lots[0].bidders[0].bid_file")
    assert message in problem.message


def test_document_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifest_module, "MAX_DOCUMENT_BYTES", 1000)
    root = write_package(tmp_path, valid_manifest())
    (root / "bids/B2.pdf").write_bytes(fake_pdf(40, "big"))
    with pytest.raises(PackageError) as excinfo:
        load_package(root)
    (problem,) = excinfo.value.problems
    assert (problem.file, problem.field) == ("bids/B2.pdf", "lots[0].bidders[1].bid_file")
    assert "the limit is" in problem.message


def test_bid_hash_mismatch(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, mutated({"lots.0.bidders.2.bid_file_sha256": "0" * 64}))
    assert (problem.file, problem.field) == ("bids/B3.pdf", "lots[0].bidders[2].bid_file_sha256")
    assert "not the one the bidder uploaded" in problem.message


def test_all_problems_are_collected(tmp_path: Path) -> None:
    document = mutated(
        {
            "project.agency": DELETE,
            "venues.1.is_main": True,
            "lots.0.bidders.1.price": "-5",
            "lots.0.bidders.2.bid_file": "bids/missing.pdf",
            "lots.0.method.criteria.1.step": "0.3",
        }
    )
    problems = problems_of(tmp_path, document)
    fields = [p.field for p in problems]
    assert fields == [
        "project.agency",
        "venues",
        "lots[0].method.criteria[1].step",
        "lots[0].bidders[1].price",
        "lots[0].bidders[2].bid_file",
    ]
    text = str(PackageError(problems))
    assert text.startswith("the session package has 5 problems:")
    assert "  - manifest.json: lots[0].bidders[1].price: must be greater than 0, got -5" in text
    assert "  - bids/missing.pdf: lots[0].bidders[2].bid_file: file not found in the package" in text


def test_count_pdf_pages(tmp_path: Path) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(fake_pdf(4, "x") + b"<< /Type/Page >> << /Type /Pages >> /Type /PageLabel")
    assert count_pdf_pages(path) == 5  # "/Type/Page" counts; "/Pages" and "/PageLabel" do not
    path.write_bytes(b"")
    assert count_pdf_pages(path) == 0


# --- zip -----------------------------------------------------------------------------------------------


def _zip(source: Path, archive: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                zf.write(path, prefix + path.relative_to(source).as_posix())
    return archive


@pytest.mark.parametrize("prefix", ["", "测试项目/"])
def test_zip_loads(package: Path, tmp_path: Path, prefix: str) -> None:
    archive = _zip(package, tmp_path / "package.zip", prefix)
    loaded = load_package(archive, extract_to=tmp_path / "out")
    assert loaded.setups[0].session_id == "S-TEST-1"
    assert loaded.root == (tmp_path / "out" / prefix).resolve()
    assert loaded.files[("S-TEST-1", "tender")].read_bytes() == (package / "docs/tender.pdf").read_bytes()


def test_zip_into_temporary_directory(package: Path, tmp_path: Path) -> None:
    loaded = load_package(_zip(package, tmp_path / "package.zip"))
    try:
        assert loaded.root.is_dir()
        assert loaded.setups[0].bidder("B1").bid_file_sha256
    finally:
        shutil.rmtree(loaded.root)


def test_zip_with_unsafe_entry_is_refused_before_extraction(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("manifest.json", "{}")
        zf.writestr("../escape.pdf", b"%PDF-1.4")
    with pytest.raises(PackageError, match="unsafe path") as excinfo:
        load_package(archive, extract_to=tmp_path / "out")
    assert excinfo.value.problems[0].file == "evil.zip:../escape.pdf"
    assert not (tmp_path / "escape.pdf").exists()
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_zip_with_gbk_names(package: Path, tmp_path: Path) -> None:
    # Chinese Windows zip tools store GBK names without the UTF-8 flag.
    document = mutated({"lots.0.bidders.0.bid_file": "投标文件/甲.pdf"})
    archive = tmp_path / "gbk.zip"
    gbk_name = "投标文件/甲.pdf".encode("gbk")
    placeholder = "ABCDEFGH/IJ.pdf"
    assert len(placeholder) == len(gbk_name)
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("manifest.json", json.dumps(document, ensure_ascii=False).encode("utf-8"))
        for name in ("bids/B2.pdf", "bids/B3.pdf", "docs/tender.pdf", "docs/opening.pdf"):
            zf.writestr(name, (package / name).read_bytes())
        zf.writestr(placeholder, fake_pdf(2, "gbk"))
    # zipfile itself always writes UTF-8 names with the flag set: patch the raw bytes of the name in both
    # the local header and the central directory (the CRC covers the content only).
    data = archive.read_bytes()
    assert data.count(placeholder.encode("ascii")) == 2
    archive.write_bytes(data.replace(placeholder.encode("ascii"), gbk_name))
    loaded = load_package(archive, extract_to=tmp_path / "out")
    assert loaded.files[("S-TEST-1", "bid-B1")].name == "甲.pdf"


def test_damaged_zip(package: Path, tmp_path: Path) -> None:
    archive = _zip(package, tmp_path / "package.zip")
    data = bytearray(archive.read_bytes())
    data[60:90] = bytes(30)  # inside the first entry's compressed data
    archive.write_bytes(bytes(data))
    with pytest.raises(PackageError, match=r"package\.zip"):
        load_package(archive, extract_to=tmp_path / "out")


def test_zip_target_must_be_empty(package: Path, tmp_path: Path) -> None:
    archive = _zip(package, tmp_path / "package.zip")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        load_package(archive, extract_to=tmp_path / "out")
