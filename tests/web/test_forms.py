"""The one text check (`core/text.py`), the one decoder (`web/forms.py`), the one problem
type (`core/problems.py`) and the forms macros: examples, and properties over generated
text (hypothesis)."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Annotated, Literal

import jinja2
import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentorhub.core.problems import Problem, Problems, from_lines
from mentorhub.core.text import (
    EMAIL,
    IDENTIFIER,
    INVISIBLE,
    KINDS,
    LINE,
    NAME,
    SECRET,
    TEXT,
    URL,
    BadText,
    TextKind,
    clean_text,
)
from mentorhub.matching.criteria import InputError
from mentorhub.schemes.errors import FactsError, SchemeError
from mentorhub.web.forms import FormErrors, choice, decode, field, values_of

STRICT: tuple[TextKind, ...] = (NAME, EMAIL, IDENTIFIER, URL, SECRET)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

# --- examples ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "longest", "message"),
    [
        ("x" * 256, IDENTIFIER, 255, "Client ID must be 255 characters or fewer"),
        ("ab\x00c", IDENTIFIER, 255, "Client ID must not contain control characters"),
        ("a\tb", LINE, None, "Client ID must not contain control characters"),
        ("ab\u202ec", IDENTIFIER, None, "Client ID must not contain invisible formatting"),
        ("ab\u2066c", NAME, None, "Client ID must not contain invisible formatting"),
        ("a\ufeffb", URL, None, "Client ID must not contain invisible formatting"),
        ("a\u2028b", TEXT, None, "Client ID must not contain control characters"),
        ("no-at-sign.org", EMAIL, None, "Client ID must be an e-mail address"),
        ("a@b", EMAIL, None, "Client ID must be an e-mail address"),
        ("a b@example.org", EMAIL, None, "Client ID must be an e-mail address"),
        ("a@-x.org", EMAIL, None, "Client ID must be an e-mail address"),
        ("a" * 65 + "@example.org", EMAIL, None, "Client ID must be an e-mail address"),
        ("a@" + "b" * 250 + ".org", EMAIL, None, "Client ID must be 254 characters or fewer"),
    ],
)
def test_a_refusal_names_the_field_and_says_what_is_wrong(
    value: str, kind: TextKind, longest: int | None, message: str
) -> None:
    with pytest.raises(BadText) as refused:
        clean_text(value, label="Client ID", kind=kind, max_length=longest)
    assert refused.value.message.startswith(message)


def test_text_is_trimmed_normalised_and_kept() -> None:
    assert clean_text("  e\u0301  ", label="Name", kind=NAME) == "\u00e9"
    assert clean_text("line one\r\n\tline two", label="Comment", kind=TEXT) == (
        "line one\r\n\tline two"
    )
    words = "مرحبا \u200f👩\u200d💻"
    assert clean_text(words, label="Comment", kind=TEXT) == words
    assert clean_text("Zoë O'Brien-Smith", label="Name", kind=NAME) == "Zoë O'Brien-Smith"
    address = "Ünïcødé@exämple.org"
    assert clean_text(address, label="E-mail", kind=EMAIL) == address
    # A secret is what the provider checks, byte for byte: never normalised.
    assert clean_text("e\u0301", label="Secret", kind=SECRET) == "e\u0301"
    assert clean_text("", label="Name") == ""
    with pytest.raises(BadText, match=r"^Name is needed$"):
        clean_text("   ", label="Name", required=True)


class Example(msgspec.Struct, kw_only=True):
    issuer: Annotated[str, field("Issuer URL", kind=URL, max_length=50)] = ""
    client_id: Annotated[str, field("Client ID", kind=IDENTIFIER, max_length=10, required=True)]
    secret: Annotated[str, field("Client secret", kind=SECRET, max_length=20)] = ""
    decision: Annotated[Literal["approve", "decline"], choice("Choose approve or decline")]
    roles: list[Literal["mentor", "mentee"]] = []
    page: Annotated[int, field("Page", minimum=1, maximum=100)] = 1
    claim: Annotated[str, field("Claim", kind=IDENTIFIER, max_length=10)] = msgspec.field(
        default="", name="membership"
    )
    upload: Annotated[bytes, field("Roster file", max_length=8)] = b""


def test_the_decoder_takes_a_good_form() -> None:
    got = decode(
        {
            "client_id": [" abc "],
            "decision": ["decline"],
            "roles": ["mentor", "mentee", ""],
            "page": ["7"],
            "membership": ["status"],
            "upload": [b"a,b\n"],
            "_csrf_token": ["ignored"],
        },
        Example,
    )
    assert got == Example(
        client_id="abc",
        decision="decline",
        roles=["mentor", "mentee"],
        page=7,
        claim="status",
        upload=b"a,b\n",
    )
    assert values_of(got) == {
        "issuer": "",
        "client_id": "abc",
        "decision": "decline",
        "roles": ["mentor", "mentee"],
        "page": 7,
        "membership": "status",
    }


def test_the_decoder_lists_every_problem_by_field() -> None:
    with pytest.raises(FormErrors) as caught:
        decode(
            {
                "issuer": ["https://x\x00"],
                "client_id": ["x" * 11],
                "secret": ["s\u200b"],
                "decision": ["maybe"],
                "roles": ["mentor", "admin"],
                "page": ["0"],
                "membership": ["a\u202eb"],
                "upload": [b"123456789"],
            },
            Example,
        )
    errors = caught.value
    assert [(p.path, p.message) for p in errors.problems] == [
        ("issuer", "Issuer URL must not contain control characters, such as a NUL byte or a "
         "line break"),
        ("client_id", "Client ID must be 10 characters or fewer"),
        ("secret", "Client secret must not contain invisible formatting characters "
         "(text-direction or zero-width characters)"),
        ("decision", "Choose approve or decline"),
        ("roles", "Roles must be one of: mentee, mentor"),
        ("page", "Page must be a whole number from 1 to 100"),
        ("membership", "Claim must not contain invisible formatting characters "
         "(text-direction or zero-width characters)"),
        ("upload", "Roster file must be 8 bytes or smaller"),
    ]
    assert errors.first("page") == "Page must be a whole number from 1 to 100"
    # What was typed comes back to be shown (unprintable characters dropped), never a secret.
    assert errors.values["issuer"] == "https://x"
    assert errors.values["client_id"] == "x" * 11
    assert "secret" not in errors.values and "upload" not in errors.values


def test_missing_required_fields_are_named() -> None:
    with pytest.raises(FormErrors) as caught:
        decode({}, Example)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("client_id", "Client ID is needed"),
        ("decision", "Choose approve or decline"),
    ]


def test_one_problem_type_across_areas() -> None:
    problem = Problem(file="tenants/ahep.toml", path="scheme.version", message="must be ≥ 1")
    assert str(problem) == "tenants/ahep.toml: scheme.version: must be ≥ 1"
    assert str(Problem(path="line 4", message="bad")) == "line 4: bad"
    assert isinstance(SchemeError([problem]), Problems)
    assert issubclass(FormErrors, Problems)
    assert InputError(["criteria[1].name: 'a' is already used", "criteria: missing"]).found == [
        Problem(path="criteria[1].name", message="'a' is already used"),
        Problem(path="criteria", message="missing"),
    ]
    assert FactsError(["meeting held on 2027-01-01, before matching"]).found == [
        Problem(message="meeting held on 2027-01-01, before matching")
    ]
    assert from_lines(["input: must be a JSON object"], file="in.json") == [
        Problem(path="input", message="must be a JSON object", file="in.json")
    ]


def test_the_forms_macros_tie_each_message_to_its_field() -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    page = env.from_string(
        '{% from "macros/forms.html" import error_summary, input, textarea, radios %}'
        "{{ error_summary(errors, anchors={'decision': 'approve'}) }}"
        "{{ radios('decision', 'Your decision', [('approve', 'Approve', 'approve'),"
        " ('decline', 'Decline', 'decline')], errors=errors) }}"
        "{{ textarea('comment', 'Comment', errors=errors, value='<b>', hint='Optional.') }}"
        "{{ input('name', 'Name', errors=errors, value='Zoë') }}"
    ).render(
        errors=FormErrors(
            [
                Problem(path="decision", message="Choose approve or decline"),
                Problem(path="comment", message="Comment must be 2,000 characters or fewer"),
            ]
        )
    )
    assert page.index('role="alert"') < page.index("<fieldset")
    assert '<a href="#approve">Choose approve or decline</a>' in page
    assert '<a href="#comment">Comment must be 2,000 characters or fewer</a>' in page
    assert '<fieldset id="decision" aria-describedby="decision-error" aria-invalid="true">' in page
    assert '<label for="approve">Approve</label>' in page
    assert 'aria-describedby="comment-hint comment-error" aria-invalid="true">&lt;b&gt;' in page
    assert '<input id="name" name="name" type="text" value="Zoë">' in page  # no error: plain


# --- properties over generated text -------------------------------------------------------

any_text = st.text(max_size=80)
kinds = st.sampled_from(KINDS)


@given(value=any_text, kind=kinds, longest=st.one_of(st.none(), st.integers(0, 40)))
def test_what_passes_is_storable_clean_and_stable(
    value: str, kind: TextKind, longest: int | None
) -> None:
    try:
        cleaned = clean_text(value, label="Field", kind=kind, max_length=longest)
    except BadText as exc:
        assert exc.message.startswith("Field ")
        return
    cleaned.encode("utf-8")  # no lone surrogate: PostgreSQL can take it
    assert "\x00" not in cleaned
    allowed = "\t\n\r" if kind == TEXT else ""
    assert not any(
        unicodedata.category(c) in {"Cc", "Cs", "Zl", "Zp"} and c not in allowed
        for c in cleaned
    )
    if kind in STRICT:
        assert not INVISIBLE & set(cleaned)
    if longest is not None:
        assert len(cleaned) <= longest
    if kind != SECRET:
        assert unicodedata.is_normalized("NFC", cleaned)
    assert cleaned == cleaned.strip()
    assert clean_text(cleaned, label="Field", kind=kind, max_length=longest) == cleaned


@given(before=any_text, after=any_text, kind=kinds)
def test_a_nul_byte_is_always_refused(before: str, after: str, kind: TextKind) -> None:
    with pytest.raises(BadText, match="must not contain control characters"):
        clean_text(f"{before}\x00{after}", label="Field", kind=kind)


@given(
    before=st.text(alphabet=st.characters(categories=["L", "N"]), max_size=20),
    after=st.text(alphabet=st.characters(categories=["L", "N"]), max_size=20),
    invisible=st.sampled_from(sorted(INVISIBLE)),
    kind=st.sampled_from(STRICT),
)
def test_invisible_characters_are_refused_in_names_and_identifiers(
    before: str, after: str, invisible: str, kind: TextKind
) -> None:
    with pytest.raises(BadText):
        clean_text(f"{before}{invisible}{after}", label="Field", kind=kind)


@given(
    words=st.text(alphabet=st.characters(categories=["L", "N", "Zs"]), max_size=30),
    invisible=st.sampled_from(sorted(INVISIBLE - {"\ufeff"})),
    kind=st.sampled_from((TEXT, LINE)),
)
def test_free_text_keeps_them(words: str, invisible: str, kind: TextKind) -> None:
    value = f"a{words}{invisible}b"
    assert clean_text(value, label="Comment", kind=kind) == unicodedata.normalize(
        "NFC", value
    )


@given(address=st.emails())
def test_ordinary_e_mail_addresses_are_taken(address: str) -> None:
    if len(address) <= 254:
        assert clean_text(address, label="E-mail address", kind=EMAIL) == address


@given(
    values=st.dictionaries(
        st.sampled_from(["issuer", "client_id", "secret", "decision", "roles", "page",
                         "membership", "other"]),
        st.lists(st.one_of(any_text, st.binary(max_size=12)), max_size=3),
    )
)
def test_the_decoder_answers_a_form_or_its_problems_and_nothing_else(
    values: dict[str, list[str | bytes]],
) -> None:
    try:
        form = decode(values, Example)
    except FormErrors as errors:
        keys = {"issuer", "client_id", "secret", "decision", "roles", "page", "membership"}
        assert errors.problems and {p.path for p in errors.problems} <= keys
        assert all(p.message for p in errors.problems)
        return
    assert isinstance(form, Example)
    assert 1 <= form.page <= 100
