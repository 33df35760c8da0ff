"""The demo package: builds, loads without a single problem, and looks like the real thing."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from bideval.domain.method import ItemKind, PriceBase, ReviewStage
from bideval.domain.setup import CreditStatus, DocumentKind, MemberKind, SessionSetup
from server.packages.demo import PRICE_CAP, build_demo_package, rmb_uppercase
from server.packages.manifest import LoadedPackage, bid_document_id, load_package


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> LoadedPackage:
    return load_package(build_demo_package(tmp_path_factory.mktemp("demo")))


@pytest.fixture(scope="module")
def setup(demo: LoadedPackage) -> SessionSetup:
    (only,) = demo.setups
    return only


def test_project_and_lot(setup: SessionSetup) -> None:
    project = setup.project
    assert "江西省吉安市" in project.region
    assert "公路" in project.name
    assert project.tenderer.endswith("交通运输局")
    assert project.price_cap == PRICE_CAP == Decimal("12800000.00")


def test_bidders(setup: SessionSetup) -> None:
    assert len(setup.bidders) == 7
    prices = [b.price for b in setup.bidders]
    assert all(Decimal("11400000") <= p <= Decimal("12600000") for p in prices)
    assert len(set(prices)) == 7
    assert all(p < PRICE_CAP for p in prices)
    assert all(("路桥" in b.name or "建设" in b.name or "公路" in b.name) for b in setup.bidders)
    # The deliberately suspicious pair shares electronic fingerprints.
    b03, b05 = setup.bidder("B03"), setup.bidder("B05")
    assert (b03.machine_code, b03.upload_ip) == (b05.machine_code, b05.upload_ip)
    assert abs(b03.price - b05.price) < Decimal("2000")
    others = [b.machine_code for b in setup.bidders if b.id not in ("B03", "B05")]
    assert len(set(others)) == len(others)
    assert b03.machine_code not in others
    assert setup.bidder("B02").credit is CreditStatus.RED


def test_venues_committee_and_supervisors(setup: SessionSetup) -> None:
    main = [v for v in setup.venues if v.is_main]
    assert len(main) == 1
    assert "评标室" in main[0].name
    sub = [v for v in setup.venues if not v.is_main]
    assert len(sub) == 1
    assert sub[0].city != main[0].city
    committee = setup.committee()
    assert [m.person_id for m in committee] == ["E01", "E02", "E03", "E04", "E05"]
    assert sum(m.venue_id == main[0].id for m in committee) == 3
    assert sum(m.venue_id == sub[0].id for m in committee) == 2
    assert [m.kind for m in committee].count(MemberKind.TENDERER_REPRESENTATIVE) == 1
    assert [m.person_id for m in setup.reserves()] == ["E06", "E07"]
    assert sorted((s.person_id, s.venue_id) for s in setup.supervisors) == [
        ("S01", main[0].id),
        ("S02", sub[0].id),
    ]


def test_method(setup: SessionSetup) -> None:
    method = setup.method
    preliminary = method.preliminary_items()
    assert {c.category for c in preliminary} == {"form", "qualification", "responsiveness"}
    assert any("公路工程施工总承包二级及以上" in c.guidance for c in preliminary)
    detailed = method.detailed_items()
    assert sum(c.max_points for c in detailed) == 100
    kinds = {c.kind for c in detailed}
    assert kinds >= {ItemKind.SCORE, ItemKind.OBJECTIVE, ItemKind.DEDUCT, ItemKind.VOTE, ItemKind.PRICE}
    assert all(c.step == Decimal("0.5") for c in detailed if c.kind is ItemKind.SCORE)
    assert all(c.stage is ReviewStage.DETAILED for c in method.entered_items())
    price = method.price
    assert price is not None
    assert (price.version, price.full_points, price.base) == (
        "deviation/v1",
        Decimal(60),
        PriceBase.TRIMMED_MEAN,
    )
    assert price.float_point_percent == Decimal("0.75")
    assert (price.up_rate, price.down_rate) == (Decimal(1), Decimal("0.5"))
    rules = {r.min_bids: (r.drop_highest, r.drop_lowest) for r in price.trim_rules}
    assert rules[6] == (1, 0)
    assert rules[7] == (1, 1)
    assert method.criterion("P1").max_points == price.full_points


def test_documents_are_real_pdfs(demo: LoadedPackage, setup: SessionSetup) -> None:
    documents = {d.id: d for d in setup.documents}
    assert documents["tender"].kind is DocumentKind.TENDER
    assert documents["tender"].pages == 8
    assert documents["opening-record"].kind is DocumentKind.OPENING_RECORD
    for bidder in setup.bidders:
        document = documents[bid_document_id(bidder.id)]
        assert document.pages >= 5
        path = demo.files[(setup.session_id, document.id)]
        data = path.read_bytes()
        assert data.startswith(b"%PDF-")
        assert b"STSong-Light" in data
        assert hashlib.sha256(data).hexdigest() == bidder.bid_file_sha256 == document.sha256
    # Page references point into the tender document, inside its page range.
    for criterion in setup.method.criteria:
        for ref in criterion.page_refs:
            doc_id, page = ref.split(":")
            assert 1 <= int(page) <= documents[doc_id].pages


def test_build_is_reproducible(tmp_path: Path) -> None:
    first = build_demo_package(tmp_path / "a")
    second = build_demo_package(tmp_path / "b")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(files) == 10  # manifest, tender, opening record, 7 bids
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("11986500.00", "壹仟壹佰玖拾捌万陆仟伍佰元整"),
        ("12800000", "壹仟贰佰捌拾万元整"),
        ("10005000.50", "壹仟万零伍仟元伍角"),
        ("12305000", "壹仟贰佰叁拾万零伍仟元整"),
        ("100000001", "壹亿零壹元整"),
        ("1010.05", "壹仟零壹拾元零伍分"),
        ("100000", "壹拾万元整"),
        ("80000", "捌万元整"),
        ("0.35", "叁角伍分"),
        ("0", "零元整"),
    ],
)
def test_rmb_uppercase(amount: str, words: str) -> None:
    assert rmb_uppercase(Decimal(amount)) == words
