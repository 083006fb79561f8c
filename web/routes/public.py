"""The public, anonymous tip form: ``/t/{tracking_code}`` and ``/tip``.

Privacy: no cookies are set, the client address is never read or logged, the form's text goes
straight to the tip service (encrypted there), and responses say ``Cache-Control: no-store`` and
``Referrer-Policy: no-referrer``. The rate limit is per client, known only by a keyed hash of
its address held in this process's memory (``web.tipform.TipLimiter``), under a ceiling for all.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select

from campaigns.copy.localedata import helpline_for
from campaigns.copy.messages import audience_gender
from campaigns.feedback.tips import TipInvalid, submit_tip
from intel.models import Asset, Campaign, Target
from web import i18n
from web.deps import SessionDep, SettingsDep
from web.templating import render
from web.tipform import Texts, TipLimiter

router = APIRouter()

LANGUAGE_NAMES = {
    "en": "English",
    "pcm": "Naijá",
    "yo": "Yorùbá",
    "ig": "Igbo",
    "ha": "Hausa",
    "bin": "Ẹ̀dó",
    "ar": "العربية",
    "it": "Italiano",
    "fr": "Français",
}
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def limiter(request: Request) -> TipLimiter:
    rl: TipLimiter = request.app.state.tip_limiter
    return rl


def client_address(request: Request) -> str | None:
    """The client's address, only ever handed to the limiter (which keeps a keyed hash of it)."""
    return request.client.host if request.client else None


def _asset_locale(session: SessionDep, code: str | None) -> str | None:
    if not code:
        return None
    asset = session.exec(select(Asset).where(Asset.tracking_code == code)).first()
    return asset.locale if asset else None


def _region(accept_language: str | None) -> str | None:
    """The country of the browser's first language tag that names one (``en-NG`` -> ``NG``).

    >>> _region("en-NG,en;q=0.8"), _region("fr"), _region(None)
    ('NG', None, None)
    """
    for part in (accept_language or "").split(","):
        pieces = part.split(";")[0].strip().replace("_", "-").split("-")
        if len(pieces) >= 2 and len(pieces[-1]) == 2 and pieces[-1].isalpha():
            return pieces[-1].upper()
    return None


def _contact(
    request: Request, session: SessionDep, code: str | None, locale: str = "en"
) -> dict[str, str | None]:
    """Who receives the tip, the helpline to call and whom the campaign speaks to, for the page
    (``org``, ``helpline``, ``gender``: the grammatical gender of the campaign's audience).

    Behind a campaign link: the campaign's organisation ("Paid for by") and the helpline of its
    target's country. Without one: the helpline of the country of the browser's language tag
    (``en-NG``), if any. Only a verified helpline is shown (a number a person can call), named in
    the page's language."""
    country: str | None = None
    org: str | None = None
    gender: str | None = None
    if code:
        row = session.exec(
            select(Campaign.paid_for_by, Target.country, Campaign.audience)
            .join(Asset, col(Asset.campaign_id) == col(Campaign.id))
            .join(Target, col(Target.id) == col(Asset.target_id))
            .where(Asset.tracking_code == code)
        ).first()
        if row is not None:
            org, country, audience = row
            gender = audience_gender(audience)
    if country is None:
        country = _region(request.headers.get("accept-language"))
    helpline = helpline_for(country) if country else None
    return {
        "org": org or None,
        "helpline": helpline.display_in(locale) if helpline is not None and helpline.verified else None,
        "gender": gender,
    }


def _texts(locale: str, gender: str | None = None) -> Texts:
    return Texts(i18n.gendered_gettext(locale, gender), lambda v: i18n.format_number(v, locale))


def _page(
    request: Request,
    template: str,
    *,
    locale: str,
    status: int = 200,
    **context: object,
) -> HTMLResponse:
    contact = context.get("contact")
    gender = contact.get("gender") if isinstance(contact, dict) else None
    response = render(
        request,
        template,
        status=status,
        locale=locale,
        dir=i18n.direction(locale),
        t=_texts(locale, gender),
        _=i18n.translations(locale).gettext,
        languages=[(c, LANGUAGE_NAMES[c]) for c in i18n.reviewed_locales()],
        **context,
    )
    response.headers.update(PRIVATE_HEADERS)
    return response


def _locale(request: Request, session: SessionDep, code: str | None, asked: str | None) -> str:
    return i18n.pick_locale(
        asked=asked,
        asset_locale=_asset_locale(session, code),
        accept_language=request.headers.get("accept-language"),
    )


def _form(request: Request, session: SessionDep, code: str | None, lang: str | None) -> HTMLResponse:
    locale = _locale(request, session, code, lang)
    action = f"/t/{code}" if code else "/tip"
    return _page(
        request,
        "tip_form.html",
        locale=locale,
        action=action,
        text="",
        place="",
        error=None,
        contact=_contact(request, session, code, locale),
    )


def _submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: str | None,
    text: str,
    place: str,
    lang: str | None,
) -> Response:
    locale = _locale(request, session, code, lang)
    action = f"/t/{code}" if code else "/tip"
    texts = _texts(locale)
    address = client_address(request)

    def busy() -> HTMLResponse:
        return _page(
            request,
            "tip_form.html",
            locale=locale,
            status=429,
            action=action,
            text=text,
            place=place,
            error=texts.busy,
            contact=_contact(request, session, code, locale),
        )

    if not limiter(request).admit(address):
        return busy()
    try:
        submit_tip(session, text=text, tracking_code=code, locale=locale, place=place, settings=settings)
    except TipInvalid as err:
        limiter(request).invalid(address)
        message = (
            texts.html(err.code, **err.values)
            if err.code == "too_long"
            else getattr(texts, err.code, texts.problem)
        )
        return _page(
            request,
            "tip_form.html",
            locale=locale,
            status=422,
            action=action,
            text=text,
            place=place,
            error=message,
            contact=_contact(request, session, code, locale),
        )
    if not limiter(request).spend(address):
        session.rollback()
        return busy()
    session.commit()
    response = RedirectResponse(f"{action}/thanks?lang={locale}", status_code=303)
    response.headers.update(PRIVATE_HEADERS)
    return response


@router.get("/t/{code}", response_class=HTMLResponse)
def tip_form(request: Request, session: SessionDep, code: str, lang: str | None = None) -> HTMLResponse:
    """The tip form behind a campaign link, in the language of the link's asset."""
    return _form(request, session, code, lang)


@router.post("/t/{code}")
def tip_post(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: str,
    text: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
    lang: Annotated[str | None, Form()] = None,
) -> Response:
    """Receive a tip from the form."""
    return _submit(request, session, settings, code, text, place, lang)


@router.get("/t/{code}/thanks", response_class=HTMLResponse)
def tip_thanks(request: Request, session: SessionDep, code: str, lang: str | None = None) -> HTMLResponse:
    """The thank-you page."""
    locale = _locale(request, session, code, lang)
    return _page(
        request,
        "tip_thanks.html",
        locale=locale,
        again=f"/t/{code}?lang={locale}",
        contact=_contact(request, session, code, locale),
    )


@router.get("/tip", response_class=HTMLResponse)
def tip_form_plain(request: Request, session: SessionDep, lang: str | None = None) -> HTMLResponse:
    """The tip form without a campaign link (tips stay unattributed)."""
    return _form(request, session, None, lang)


@router.post("/tip")
def tip_post_plain(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    text: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
    lang: Annotated[str | None, Form()] = None,
) -> Response:
    """Receive a tip without a campaign link."""
    return _submit(request, session, settings, None, text, place, lang)


@router.get("/tip/thanks", response_class=HTMLResponse)
def tip_thanks_plain(request: Request, session: SessionDep, lang: str | None = None) -> HTMLResponse:
    """The thank-you page (no campaign link)."""
    locale = _locale(request, session, None, lang)
    return _page(
        request,
        "tip_thanks.html",
        locale=locale,
        again=f"/tip?lang={locale}",
        contact=_contact(request, session, None, locale),
    )
