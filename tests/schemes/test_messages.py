"""A tenant file's own wording of messages (`[messages.<kind>]`): validated by the scheme
engine like every other rule — an unknown kind, an unknown variable, a syntax error or
anything beyond a `{{ variable }}` placeholder is a problem with its key path."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mentorhub.schemes import SchemeError, parse_tenant_file
from mentorhub.schemes.cli import scheme
from mentorhub.schemes.messages import MESSAGE_VARIABLES, MessageText, check_messages
from tests.schemes.conftest import TENANTS_DIR, raw, tenant

SOURCE = "tenants/alberta-museums.toml"


def problems(messages: object) -> list[str]:
    data = raw("alberta-museums")
    data["messages"] = messages
    with pytest.raises(SchemeError) as caught:
        parse_tenant_file(data, SOURCE, expected_slug="alberta-museums")
    return [str(p) for p in caught.value.problems]


def test_alberta_rewords_its_reminders_in_its_own_words() -> None:
    [reminder] = tenant("alberta-museums").messages
    assert reminder.kind == "reminder"
    assert reminder.subject == "Don't forget to send in your {{ title }} by {{ due_on }}"
    assert reminder.body is not None
    assert "only one submission is required for each pair" in reminder.body
    # The other reference tenants keep the product's own wording.
    assert tenant("ahep").messages == ()


def test_the_wording_is_not_part_of_the_versioned_scheme() -> None:
    data = raw("alberta-museums")
    data.pop("messages")
    plain = parse_tenant_file(data, SOURCE, expected_slug="alberta-museums")
    assert plain.messages == ()
    assert plain.scheme == tenant("alberta-museums").scheme


def test_an_unknown_variable_is_named_with_its_key_path() -> None:
    found = problems({"reminder": {"subject": "Due: {{ foo }}", "body": "{{ title }} {{ bar }}"}})
    assert found == [
        f"{SOURCE}: messages.reminder.subject: unknown variable {{{{ foo }}}} (allowed: "
        "association, due_on, link, note, recipient_name, scheme_name, title, unsubscribe_url)",
        f"{SOURCE}: messages.reminder.body: unknown variable {{{{ bar }}}} (allowed: "
        "association, due_on, link, note, recipient_name, scheme_name, title, unsubscribe_url)",
    ]


def test_an_unknown_kind_key_or_syntax_error_is_named_with_its_key_path() -> None:
    found = problems(
        {
            "check_in": {"subject": "Hello"},
            "role_change": {"body": "{{ roles", "colour": "red", "subject": ""},
            "approval_request": "Please approve",
            "roster_rejected": {},
        }
    )
    assert found == [
        # The known kinds grow as areas add messages: the list is the registry's.
        f"{SOURCE}: messages.check_in: unknown message kind (known: "
        f"{', '.join(sorted(MESSAGE_VARIABLES))})",
        f"{SOURCE}: messages.role_change.body: is not a valid template: unexpected end of "
        "template, expected 'end of print statement'. (line 1)",
        f"{SOURCE}: messages.role_change.colour: unknown key (allowed here: body, subject)",
        f"{SOURCE}: messages.role_change.subject: must be non-empty text",
        f"{SOURCE}: messages.approval_request: must be a table with subject and/or body",
        f"{SOURCE}: messages.roster_rejected: give a subject, a body or both",
    ]


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("{{ ''.__class__ }}", "reads the attribute '__class__'"),
        ("{{ title.__class__.__mro__ }}", "reads the attribute '__mro__'"),
        ("{{ title.upper() }}", "calls 'upper'"),
        ("{{ link['x'] }}", "reads an item"),
        ("{{ title | attr('__class__') }}", "uses 'attr'"),
        ("{{ title ~ link }}", "is an expression"),
        ("{{ 'text' }}", "is a constant"),
        ("{% for c in title %}{{ c }}{% endfor %}", "not {% … %} blocks"),
        ("{% set x = 1 %}", "not {% … %} blocks"),
    ],
)
def test_anything_beyond_a_placeholder_is_refused(source: str, says: str) -> None:
    [problem] = problems({"reminder": {"body": f"Hello\n{source}"}})
    assert problem.startswith(f"{SOURCE}: messages.reminder.body: line 2: only {{{{ variable }}}}")
    assert says in problem


def test_jinja_globals_are_not_variables() -> None:
    found = check_messages({"reminder": {"body": "{{ range }} {{ lipsum }} {{ cycler }}"}})
    assert [message.split(" (")[0] for _, message in found] == [
        "unknown variable {{ range }}",
        "unknown variable {{ lipsum }}",
        "unknown variable {{ cycler }}",
    ]


def test_text_checks_subject_one_line_no_control_characters() -> None:
    found = check_messages(
        {
            "reminder": {"subject": "Two\nlines", "body": "NUL \x00 here"},
            "role_change": {"subject": "x" * 201},
        }
    )
    assert [path for path, _ in found] == [
        "messages.reminder.subject",
        "messages.reminder.body",
        "messages.role_change.subject",
    ]
    assert "control characters" in found[0][1] and "control characters" in found[1][1]
    assert "200 characters or fewer" in found[2][1]


def test_messages_must_be_a_table() -> None:
    assert problems("reminder") == [
        f"{SOURCE}: messages: must be a table of message kinds, e.g. [messages.reminder]"
    ]


def test_a_sound_override_is_kept_trimmed() -> None:
    data = raw("ahep")
    data["messages"] = {"role_change": {"body": "\nHello {{ recipient_name }}\n"}}
    parsed = parse_tenant_file(data, "tenants/ahep.toml", expected_slug="ahep")
    assert parsed.messages == (MessageText(kind="role_change", body="Hello {{ recipient_name }}"),)


def test_scheme_check_reports_an_override_problem_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "alberta-museums.toml"
    text = (TENANTS_DIR / "alberta-museums.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace("by {{ due_on }}\"", "by {{ foo }}\""), encoding="utf-8")
    result = CliRunner().invoke(scheme, ["check", str(bad), str(TENANTS_DIR / "ahep.toml")])
    assert result.exit_code == 1
    assert f"{bad}: messages.reminder.subject: unknown variable {{{{ foo }}}}" in result.output
    assert f"ok {TENANTS_DIR / 'ahep.toml'}" in result.output
    good = CliRunner().invoke(scheme, ["check", str(TENANTS_DIR / "alberta-museums.toml")])
    assert good.exit_code == 0
    assert "own wording of: reminder" in good.output
