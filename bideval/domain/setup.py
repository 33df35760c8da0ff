"""What an operator sets up before a session starts: project, lot, bidders, committee, venues, documents.

A session evaluates one lot (标段) of one project. A package with several lots becomes several sessions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from bideval.domain.method import EvaluationMethod


class ProjectType(enum.StrEnum):
    CONSTRUCTION = "construction"  # 工程建设
    GOVERNMENT_PROCUREMENT = "government_procurement"  # 政府采购
    OTHER = "other"


class CreditStatus(enum.StrEnum):
    """Credit list status shown during preliminary review (红黑名单)."""

    NORMAL = "normal"
    RED = "red"  # 红名单 (commended)
    BLACK = "black"  # 黑名单 (barred / dishonest)


class MemberKind(enum.StrEnum):
    DRAWN_EXPERT = "drawn_expert"  # 随机抽取的专家
    TENDERER_REPRESENTATIVE = "tenderer_representative"  # 招标人代表


class DocumentKind(enum.StrEnum):
    TENDER = "tender"  # 招标文件
    BID = "bid"  # 投标文件
    OPENING_RECORD = "opening_record"  # 开标记录表
    CLARIFICATION = "clarification"  # 澄清文件


@dataclass(frozen=True, slots=True)
class Project:
    code: str
    name: str
    region: str
    project_type: ProjectType
    tenderer: str
    agency: str
    lot_code: str
    lot_name: str
    price_cap: Decimal | None = None  # 最高投标限价


@dataclass(frozen=True, slots=True)
class Venue:
    id: str
    name: str
    city: str
    is_main: bool


@dataclass(frozen=True, slots=True)
class Bidder:
    id: str
    name: str
    price: Decimal
    bid_file_sha256: str
    credit: CreditStatus = CreditStatus.NORMAL
    # Electronic fingerprints recorded by the trading platform at upload (for collusion warnings).
    machine_code: str = ""
    upload_ip: str = ""


@dataclass(frozen=True, slots=True)
class Member:
    """A committee member or a reserve (候补) who may be drawn as a replacement."""

    person_id: str
    name: str
    venue_id: str
    kind: MemberKind = MemberKind.DRAWN_EXPERT
    reserve: bool = False


@dataclass(frozen=True, slots=True)
class Supervisor:
    person_id: str
    name: str
    venue_id: str


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    kind: DocumentKind
    title: str
    sha256: str
    size: int
    bidder_id: str | None = None
    pages: int = 0


@dataclass(frozen=True, slots=True)
class SessionSetup:
    """Everything imported for one session; immutable once the session exists."""

    session_id: str
    project: Project
    venues: tuple[Venue, ...]
    bidders: tuple[Bidder, ...]
    members: tuple[Member, ...]  # committee and reserves
    supervisors: tuple[Supervisor, ...]
    method: EvaluationMethod
    documents: tuple[Document, ...] = ()

    def committee(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if not m.reserve)

    def reserves(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.reserve)

    def bidder(self, bidder_id: str) -> Bidder:
        for bidder in self.bidders:
            if bidder.id == bidder_id:
                return bidder
        raise KeyError(bidder_id)
