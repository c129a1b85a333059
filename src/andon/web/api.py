"""The JSON API under ``/api/v1``: every page's data, from the same queries as the pages.

Authentication: ``Authorization: Bearer andon_<id>_<secret>`` (``andon tokens create``), or
the browser's session cookie. A write through the session cookie must also send the session's
CSRF token in ``X-CSRF-Token`` (a token-authenticated client has no cookie to abuse). The
OpenAPI document is ``/api/v1/openapi.json`` (authenticated like the rest); ``/api/docs``
renders it as a page.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from pydantic import BaseModel, Field

from andon.web import actions, auth, extras, queries
from andon.web.app import WebContext


class MuteIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Why the alerts are muted.")
    expires_at: datetime = Field(description="When the mute ends (ISO 8601 with offset).")


class ExemptIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Why this is public on purpose.")
    owner: str = Field(min_length=1, max_length=500, description="Who answers for it.")
    expires_at: datetime = Field(description="When the exemption ends (ISO 8601 with offset).")
    rule_only: bool = Field(True, description="Exempt from this finding's rule only.")


def router(ctx: WebContext, app: FastAPI) -> APIRouter:
    """The ``/api/v1`` routes of one app."""

    def reader(request: Request) -> auth.Principal:
        who = ctx.principal(request)
        if who is None:
            raise HTTPException(
                401, "authentication required", headers={"WWW-Authenticate": "Bearer"}
            )
        return who

    def writer(request: Request, who: Annotated[auth.Principal, Depends(reader)]) -> auth.Principal:
        if who.via == "session" and not auth.same(
            request.headers.get("x-csrf-token", ""), who.csrf
        ):
            raise HTTPException(403, "missing or wrong X-CSRF-Token")
        if not who.can_act:
            raise HTTPException(403, f"{who.name} is a {who.role.value}: operators only")
        return who

    Reader = Annotated[auth.Principal, Depends(reader)]
    Writer = Annotated[auth.Principal, Depends(writer)]
    r = APIRouter(prefix="/api/v1", tags=["api"])

    @r.get("/openapi.json", include_in_schema=False)
    def openapi(who: Reader) -> dict[str, Any]:
        return app.openapi()

    @r.get("/me", summary="Who is asking, and their role")
    def me(who: Reader) -> dict[str, Any]:
        return {"name": who.name, "role": who.role.value, "via": who.via}

    @r.get("/overview", summary="Open exposures, trend, coverage, detection latency")
    def overview(who: Reader) -> dict[str, Any]:
        return queries.overview(ctx.store, ctx.caches)

    @r.get("/filters", summary="Values the findings filters offer")
    def filters(who: Reader) -> dict[str, Any]:
        return dict(queries.filter_choices(ctx.store, ctx.caches))

    @r.get("/findings", summary="Current findings, most severe first (keyset pagination)")
    def findings(
        who: Reader,
        severity: Annotated[str, Query(max_length=16)] = "",
        rule: Annotated[str, Query(max_length=200)] = "",
        account: Annotated[str, Query(max_length=200)] = "",
        region: Annotated[str, Query(max_length=64)] = "",
        status: Annotated[str, Query(max_length=16)] = "",
        exemption: Annotated[str, Query(max_length=16)] = "",
        q: Annotated[str, Query(max_length=200, description="Resource uid or name contains")] = "",
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        cursor: Annotated[str, Query(max_length=2000)] = "",
    ) -> dict[str, Any]:
        f = queries.FindingFilter(severity, rule, account, region, status, exemption, q)
        limit = min(limit, ctx.settings.max_page_size)
        return queries.findings_page(
            ctx.store, ctx.caches, f, limit=limit, cursor=cursor or None
        ).to_dict()

    @r.get("/findings/{finding_id}", summary="One finding with timeline and remediation")
    def finding(who: Reader, finding_id: str) -> dict[str, Any]:
        detail: dict[str, Any] = queries.jsonable(queries.finding_detail(ctx.store, finding_id))
        return detail

    @r.get("/scans", summary="Scan history with durations and gaps")
    def scans(
        who: Reader,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        before: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    ) -> dict[str, Any]:
        return queries.scans(ctx.store, limit=limit, before=before)

    @r.post("/findings/{finding_id}/mutes", status_code=201, summary="Mute a finding")
    def mute(who: Writer, finding_id: str, body: MuteIn) -> dict[str, Any]:
        made = actions.mute(ctx.store, who, finding_id, body.reason, body.expires_at)
        result: dict[str, Any] = queries.jsonable(extras.to_dict(made))
        return result

    @r.post("/findings/{finding_id}/exemptions", status_code=201, summary="Exempt a finding")
    def exempt(who: Writer, finding_id: str, body: ExemptIn) -> dict[str, Any]:
        made = actions.exempt(
            ctx.store,
            who,
            finding_id,
            reason=body.reason,
            owner=body.owner,
            expires=body.expires_at,
            rule_only=body.rule_only,
        )
        result: dict[str, Any] = queries.jsonable(extras.to_dict(made))
        return result

    @r.post("/findings/{finding_id}/plans", status_code=201, summary="Make a fix plan")
    def plan(who: Writer, finding_id: str) -> dict[str, Any]:
        return {"plan_id": actions.plan(ctx.store, who, finding_id)}

    @r.post("/plans/{plan_id}/approve", summary="Approve a fix plan")
    def approve(who: Writer, plan_id: str) -> dict[str, Any]:
        result: dict[str, Any] = queries.jsonable(
            extras.to_dict(actions.approve(ctx.store, who, plan_id))
        )
        return result

    return r
