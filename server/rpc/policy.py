"""Who may call which RPC: one declarative table, enforced by the authorization interceptor.

The table answers two questions for every RPC: which roles may call it, and whether the caller must belong
to the session named in the request (a committee member for experts, a session supervisor for supervisors;
operators administer every session). *When* a call is allowed (the workflow phase, being the leader, not
being recused) is the domain's decision and comes back as FAILED_PRECONDITION or PERMISSION_DENIED.
A method missing from this table is refused: new RPCs are denied until someone decides who may call them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bideval.identity.pki import Role

EXPERT = frozenset({Role.EXPERT})
SUPERVISOR = frozenset({Role.SUPERVISOR})
OPERATOR = frozenset({Role.OPERATOR})
SUPERVISOR_OR_OPERATOR = SUPERVISOR | OPERATOR
SESSION_READERS = EXPERT | SUPERVISOR | OPERATOR
ANYONE = EXPERT | SUPERVISOR | OPERATOR


@dataclass(frozen=True, slots=True)
class Rule:
    roles: frozenset[Role]
    session_member: bool  # the request names a session the caller must belong to


def _rules(service: str, rules: dict[str, Rule]) -> dict[str, Rule]:
    return {f"/bideval.v1.{service}/{method}": rule for method, rule in rules.items()}


_expert_step = Rule(EXPERT, session_member=True)

POLICY: dict[str, Rule] = {
    **_rules(
        "EvaluationService",
        {
            "ListMySessions": Rule(ANYONE, session_member=False),
            "GetSession": Rule(SESSION_READERS, session_member=True),
            "GetSheets": Rule(SESSION_READERS, session_member=True),
            "GetSummary": Rule(SESSION_READERS, session_member=True),
            "ListDocuments": Rule(SESSION_READERS, session_member=True),
            "DownloadDocument": Rule(SESSION_READERS, session_member=True),
            "SubscribeEvents": Rule(SESSION_READERS, session_member=True),
            "CheckIn": _expert_step,
            "AcceptPledge": _expert_step,
            "DeclareRecusal": _expert_step,
            "CastLeaderVote": _expert_step,
            "RequestStart": _expert_step,
            "RecordPreliminaryVerdict": _expert_step,
            "SubmitPreliminary": _expert_step,
            "RequestClarification": _expert_step,
            "RecordScore": _expert_step,
            "SubmitDetailed": _expert_step,
            "RunSummary": _expert_step,
            "ExplainDeviation": _expert_step,
            "RequestCorrection": _expert_step,
            "RequestRollback": _expert_step,
            "FinalizeRanking": _expert_step,
            "SignReport": _expert_step,
        },
    ),
    **_rules(
        "SupervisionService",
        {
            "SetRecusal": Rule(SUPERVISOR, session_member=True),
            "ReplaceMember": Rule(SUPERVISOR_OR_OPERATOR, session_member=True),
            "ApproveStart": Rule(SUPERVISOR, session_member=True),
            "ApproveClarification": Rule(SUPERVISOR, session_member=True),
            "ApproveRollback": Rule(SUPERVISOR, session_member=True),
            "PauseSession": Rule(SUPERVISOR, session_member=True),
            "ResumeSession": Rule(SUPERVISOR, session_member=True),
        },
    ),
    **_rules(
        "AdminService",
        {
            "ListSessions": Rule(OPERATOR, session_member=False),
            "RevokeCredential": Rule(OPERATOR, session_member=False),
            "RecordClarificationAnswer": Rule(OPERATOR, session_member=True),
        },
    ),
    **_rules(
        "AuditService",
        {
            "GetTreeHead": Rule(ANYONE, session_member=False),
            "GetConsistencyProof": Rule(ANYONE, session_member=False),
            "GetInclusionProof": Rule(ANYONE, session_member=False),
            "CosignTreeHead": Rule(SUPERVISOR, session_member=False),
        },
    ),
    **_rules(
        "SyncService",
        {
            # Every role that has state-changing RPCs; each change in the batch is then authorized by
            # the rule of its own method (role, session membership), exactly as if sent on its own.
            "SendChanges": Rule(EXPERT | SUPERVISOR | OPERATOR, session_member=False),
        },
    ),
    **_rules(
        "DiagnosticsService",
        {
            "Ping": Rule(ANYONE, session_member=False),
            "GetServerInfo": Rule(ANYONE, session_member=False),
        },
    ),
}

# Infrastructure services every TLS-authenticated peer may use (load balancers, grpcurl).
PUBLIC_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)


def rule_for(method: str) -> Rule | None:
    return POLICY.get(method)
