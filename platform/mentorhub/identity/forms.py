"""What the identity pages take from a form or a query, field by field, with each field's
rules (`mentorhub.web.forms`): read with `read_form` / `read_query`, so a bad value is a
400 naming the field and never reaches the database."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

import msgspec

from mentorhub.core.paging import MAX_QUERY
from mentorhub.identity.models import Role
from mentorhub.identity.roster import ROSTER_MAX_BYTES
from mentorhub.identity.services import SSO_FIELDS
from mentorhub.web.forms import IDENTIFIER, LINE, SECRET, TEXT, URL, choice, field

#: Longest comment an approver may send with a decision.
COMMENT_MAX = 2000
#: Longest account name passed on to a provider as `login_hint`.
LOGIN_HINT_MAX = 320

RoleName = Literal["tenant_admin", "coordinator", "mentor", "mentee"]
assert set(get_args(RoleName)) == set(Role), "RoleName lists every role"


class SsoFields(msgspec.Struct, kw_only=True):
    """The single sign-on settings form (`services.SsoForm` once read)."""

    issuer: Annotated[str, field("Issuer URL", kind=URL, max_length=SSO_FIELDS["issuer"][2])] = ""
    client_id: Annotated[
        str, field("Client ID", kind=IDENTIFIER, max_length=SSO_FIELDS["client_id"][2])
    ] = ""
    client_secret: Annotated[
        str, field("Client secret", kind=SECRET, max_length=SSO_FIELDS["client_secret"][2])
    ] = ""
    scopes: Annotated[
        str, field("Scopes", kind=IDENTIFIER, max_length=SSO_FIELDS["scopes"][2])
    ] = ""
    membership: Annotated[
        str,
        field(
            "Membership claim", kind=IDENTIFIER, max_length=SSO_FIELDS["membership_claim"][2]
        ),
    ] = ""


#: A single sign-on problem's field (`services.SsoForm`) → the form's field.
SSO_FORM_KEYS = {"membership_claim": "membership"}


class SsoTest(msgspec.Struct, kw_only=True):
    """The test sign-in form: an account to sign in with at the provider, optionally."""

    login_hint: Annotated[
        str, field("Account to sign in with", kind=IDENTIFIER, max_length=LOGIN_HINT_MAX)
    ] = ""


class RosterUpload(msgspec.Struct, kw_only=True):
    roster: Annotated[
        bytes, field("Roster file", max_length=ROSTER_MAX_BYTES, required=True)
    ] = b""


class ListQuery(msgspec.Struct, kw_only=True):
    """A long list's query: a search (members) and a page. The page is read by
    `paging.page_number`, which takes anything that is not a page number as the first page
    (it only chooses what is shown); its text is still checked like any other."""

    q: Annotated[str, field("Search", kind=LINE, max_length=MAX_QUERY)] = ""
    page: Annotated[str, field("Page", kind=IDENTIFIER, max_length=20)] = ""


class RolesForm(ListQuery, kw_only=True):
    """A member's roles (every ticked box), and the list page to go back to."""

    roles: Annotated[
        list[RoleName],
        choice("Roles must be chosen from tenant admin, coordinator, mentor and mentee"),
    ] = []


class Decision(msgspec.Struct, kw_only=True):
    """An approver's decision through their one-time link."""

    decision: Annotated[Literal["approve", "decline"], choice("Choose approve or decline")]
    comment: Annotated[str, field("Comment", kind=TEXT, max_length=COMMENT_MAX)] = ""


class LoginQuery(msgspec.Struct, kw_only=True):
    """`/login?login_hint=`: the account to suggest at the provider."""

    login_hint: Annotated[
        str, field("Login hint", kind=IDENTIFIER, max_length=LOGIN_HINT_MAX)
    ] = ""


class CallbackAnswer(msgspec.Struct, kw_only=True):
    """A provider's answer at the sign-in callback (RFC 6749 §4.1.2, RFC 9207's `iss`):
    checked before anything is looked up or recorded."""

    state: Annotated[str, field("State", kind=IDENTIFIER, max_length=200)] = ""
    code: Annotated[str, field("Code", kind=IDENTIFIER, max_length=4096)] = ""
    iss: Annotated[str, field("Issuer", kind=URL, max_length=500)] = ""
    error: Annotated[str, field("Error", kind=IDENTIFIER, max_length=200)] = ""
    error_description: Annotated[
        str, field("Error description", kind=LINE, max_length=2000)
    ] = ""
    error_uri: Annotated[str, field("Error URI", kind=URL, max_length=2000)] = ""
    session_state: Annotated[str, field("Session state", kind=IDENTIFIER, max_length=500)] = ""


__all__ = [
    "COMMENT_MAX",
    "CallbackAnswer",
    "Decision",
    "ListQuery",
    "LoginQuery",
    "RolesForm",
    "RosterUpload",
    "SsoFields",
    "SsoTest",
]
