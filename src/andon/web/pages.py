"""The server-rendered pages: login, overview, findings, one finding, scans, API docs.

Each page reads through :mod:`andon.web.queries` (the API's twin) and renders a Jinja2
template with autoescape on; every form carries a CSRF token; a page without a login
redirects to ``/login``. Actions (mute, exempt, plan, approve) answer with a redirect to the
page that shows their effect.
"""

import secrets
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from andon.web import actions, auth, charts, queries
from andon.web.app import PRE_LOGIN_COOKIE, SESSION_COOKIE, WebContext

NOTICES = {
    "muted": "The finding is muted.",
    "exempted": "The exemption is recorded.",
    "planned": "A fix plan is saved.",
    "approved": "The fix plan is approved.",
}


class LoginRequired(Exception):
    """Raised by the page dependency when nobody is logged in."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def render(
    ctx: WebContext, request: Request, name: str, *, status: int = 200, **values: Any
) -> HTMLResponse:
    html = ctx.env.get_template(name).render(
        path=request.url.path, banner=ctx.settings.banner, **values
    )
    return HTMLResponse(html, status_code=status)


def error_page(ctx: WebContext, request: Request, status: int, message: str) -> HTMLResponse:
    who = ctx.principal(request)
    return render(ctx, request, "error.html", status=status, who=who, message=message)


def _safe_next(target: str) -> str:
    """Only local paths: never redirect a login to another site."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _check_csrf(who: auth.Principal, token: str) -> None:
    if who.via != "session" or not auth.same(token, who.csrf):
        raise actions.Forbidden("the form expired or did not come from this site: reload it")


def router(ctx: WebContext, app: FastAPI) -> APIRouter:
    """The page routes of one app."""

    def user(request: Request) -> auth.Principal:
        who = ctx.principal(request)
        if who is None:
            target = request.url.path
            if request.url.query:
                target += "?" + request.url.query
            raise LoginRequired(target)
        return who

    async def to_login(request: Request, exc: Exception) -> Response:
        target = exc.target if isinstance(exc, LoginRequired) else "/"
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    app.add_exception_handler(LoginRequired, to_login)
    User = Annotated[auth.Principal, Depends(user)]
    r = APIRouter(include_in_schema=False)

    # -- login -------------------------------------------------------------------------

    def login_form(request: Request, nxt: str, error: str = "", status: int = 200) -> Response:
        pre = request.cookies.get(PRE_LOGIN_COOKIE, "")
        fresh = len(pre) != 43
        if fresh:
            pre = secrets.token_urlsafe(32)
        response = render(
            ctx,
            request,
            "login.html",
            status=status,
            who=None,
            csrf=auth.login_csrf(ctx.secret, pre),
            next=_safe_next(nxt),
            error=error,
        )
        if fresh:
            response.set_cookie(
                PRE_LOGIN_COOKIE,
                pre,
                httponly=True,
                samesite="strict",
                secure=ctx.settings.secure_cookies,
            )
        return response

    @r.get("/login")
    def login_page(request: Request, next: str = "/") -> Response:
        return login_form(request, next)

    @r.post("/login")
    def login(
        request: Request,
        name: Annotated[str, Form(max_length=128)] = "",
        password: Annotated[str, Form(max_length=1024)] = "",
        csrf: Annotated[str, Form(max_length=128)] = "",
        next: Annotated[str, Form(max_length=2000)] = "/",
    ) -> Response:
        pre = request.cookies.get(PRE_LOGIN_COOKIE, "")
        if not pre or not auth.same(csrf, auth.login_csrf(ctx.secret, pre)):
            return login_form(request, next, "The form expired: please try again.", 403)
        client = request.client.host if request.client else "unknown"
        keys = (f"user:{name}", f"addr:{client}")
        if ctx.limiter.blocked(*keys):
            return login_form(request, next, "Too many failed logins: wait a few minutes.", 429)
        found = auth.authenticate(ctx.store, name, password, ctx.hasher)
        if found is None:
            ctx.limiter.failed(*keys)
            return login_form(request, next, "Wrong user name or password.", 401)
        ctx.limiter.succeeded(*keys)
        session_id = auth.create_session(ctx.store, found, ctx.settings.session_ttl)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            auth.sign(ctx.secret, session_id),
            max_age=int(ctx.settings.session_ttl.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=ctx.settings.secure_cookies,
        )
        response.delete_cookie(PRE_LOGIN_COOKIE)
        return response

    @r.post("/logout")
    def logout(request: Request, who: User, csrf: Annotated[str, Form()] = "") -> Response:
        _check_csrf(who, csrf)
        session_id = auth.unsign(ctx.secret, request.cookies.get(SESSION_COOKIE, ""))
        if session_id:
            auth.end_session(ctx.store, session_id)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # -- reading -----------------------------------------------------------------------

    @r.get("/")
    def overview(request: Request, who: User) -> Response:
        data = queries.overview(ctx.store, ctx.caches)
        return render(
            ctx,
            request,
            "overview.html",
            who=who,
            data=data,
            severity_chart=charts.bars(data["open_by_severity"], label="open by severity"),
            trend_chart=charts.trend(data["trend"], label="open exposures over time"),
        )

    @r.get("/findings")
    def findings(
        request: Request,
        who: User,
        severity: str = "",
        rule: str = "",
        account: str = "",
        region: str = "",
        status: str = "",
        exemption: str = "",
        q: Annotated[str, Query(max_length=200)] = "",
        cursor: Annotated[str, Query(max_length=2000)] = "",
    ) -> Response:
        f = queries.FindingFilter(severity, rule, account, region, status, exemption, q)
        page = queries.findings_page(
            ctx.store, ctx.caches, f, limit=ctx.settings.page_size, cursor=cursor or None
        )
        params = f.params()
        next_url = (
            "/findings?" + urlencode({**params, "cursor": page.next_cursor})
            if page.next_cursor
            else ""
        )
        first_url = "/findings?" + urlencode(params) if cursor else ""
        return render(
            ctx,
            request,
            "findings.html",
            who=who,
            page=page,
            f=f,
            choices=queries.filter_choices(ctx.store, ctx.caches),
            next_url=next_url,
            first_url=first_url,
        )

    @r.get("/findings/{finding_id}")
    def finding(request: Request, who: User, finding_id: str, done: str = "") -> Response:
        detail = queries.finding_detail(ctx.store, finding_id)
        return render(
            ctx,
            request,
            "finding.html",
            who=who,
            d=detail,
            notice=NOTICES.get(done, ""),
            today=ctx.store.now().date().isoformat(),
        )

    @r.get("/scans")
    def scans(
        request: Request, who: User, before: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None
    ) -> Response:
        data = queries.scans(ctx.store, limit=100, before=before)
        return render(ctx, request, "scans.html", who=who, data=data)

    @r.get("/api/docs")
    def api_docs(request: Request, who: User) -> Response:
        return render(ctx, request, "api_docs.html", who=who, schema=app.openapi())

    # -- actions -----------------------------------------------------------------------

    def done(finding_id: str, what: str) -> Response:
        return RedirectResponse(f"/findings/{quote(finding_id, safe='')}?done={what}", 303)

    @r.post("/findings/{finding_id}/mute")
    def mute(
        who: User,
        finding_id: str,
        reason: Annotated[str, Form(max_length=1000)] = "",
        expires: Annotated[str, Form(max_length=40)] = "",
        csrf: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        _check_csrf(who, csrf)
        actions.mute(ctx.store, who, finding_id, reason, expires)
        return done(finding_id, "muted")

    @r.post("/findings/{finding_id}/exempt")
    def exempt(
        who: User,
        finding_id: str,
        reason: Annotated[str, Form(max_length=1000)] = "",
        owner: Annotated[str, Form(max_length=1000)] = "",
        expires: Annotated[str, Form(max_length=40)] = "",
        scope: Annotated[str, Form(max_length=16)] = "rule",
        csrf: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        _check_csrf(who, csrf)
        actions.exempt(
            ctx.store,
            who,
            finding_id,
            reason=reason,
            owner=owner,
            expires=expires,
            rule_only=scope != "resource",
        )
        return done(finding_id, "exempted")

    @r.post("/findings/{finding_id}/plan")
    def plan(
        who: User, finding_id: str, csrf: Annotated[str, Form(max_length=128)] = ""
    ) -> Response:
        _check_csrf(who, csrf)
        actions.plan(ctx.store, who, finding_id)
        return done(finding_id, "planned")

    @r.post("/plans/{plan_id}/approve")
    def approve(
        who: User,
        plan_id: str,
        finding: Annotated[str, Form(max_length=64)] = "",
        csrf: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        _check_csrf(who, csrf)
        actions.approve(ctx.store, who, plan_id)
        if finding:
            return done(finding, "approved")
        return RedirectResponse("/", 303)

    @r.get("/healthz")
    def healthz() -> Response:
        return Response("ok", media_type="text/plain")

    return r
