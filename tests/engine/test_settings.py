"""Settings: a secret key strong enough for production; problems as one line each, naming the variable, no value."""

import pytest

from partnerflow.engine.settings import PLACEHOLDER_SECRET, SettingsError, get_settings, secret_key_problem

PASSWORD = "hunter2-smtp-password-never-shown"


@pytest.fixture
def environment(monkeypatch):
    """Set PARTNERFLOW_ variables (None unsets one); the settings' cache is cleared before and after."""
    def use(**variables: str | None) -> None:
        for name, value in variables.items():
            if value is None:
                monkeypatch.delenv(f"PARTNERFLOW_{name.upper()}", raising=False)
            else:
                monkeypatch.setenv(f"PARTNERFLOW_{name.upper()}", value)
        get_settings.cache_clear()
    yield use
    get_settings.cache_clear()


@pytest.mark.parametrize(("key", "reason"), [
    ("", "is empty"),
    (PLACEHOLDER_SECRET, "is the development placeholder"),
    ("correct horse battery staple", "is too short for production: about 184 bits where 256"),
    ("6d534f0be47aa7c5be99edf5950fa144", "is too short for production: about 128 bits"),  # token_hex(16): 32 chars
    ("Ss5jQRutwgzRRa9I18u57aojglhDz_wW", "is too short for production: about 192 bits"),  # token_urlsafe(24)
    ("1234567890" * 7, "is too short for production: about 233 bits"),  # digits carry 3.3 bits each
    ("a" * 64, "repeats a few characters"),
    ("ab" * 40, "repeats a few characters"),
    ("abcdefgh" * 4 + "a" * 32, "repeats a few characters"),
])
def test_a_weak_production_key_is_refused_with_the_reason(key, reason):
    assert reason in secret_key_problem(key)


@pytest.mark.parametrize("key", [
    "00f29985a846357963559c6797e63e780396fa08a603ceac3bfdd60b04ef1359",  # secrets.token_hex(32)
    "gCO2byRAfv5qNMTYj9m6GqJVvGRmTkCYmceDu5J8xtw",  # secrets.token_urlsafe(32)
    "xgli6SFLo7RvgjcEGwwVQ9FBt2S1RTnRPsUa9E2PmJdquNN5FJ4cwgeGkC98wyD727d8nubsAVaHQVuV-wUqIg=",
    "Tr0ub4dor&3-pqwV0VlDgNqDafksOd8h82AU2GOJjppy",
])
def test_a_random_key_of_32_bytes_is_accepted(key):
    assert secret_key_problem(key) is None


def test_production_refuses_an_empty_key_in_one_line_naming_the_variable(environment):
    environment(environment="production", secret_key="", smtp_password=PASSWORD)
    with pytest.raises(SettingsError) as refused:
        get_settings()
    [line] = refused.value.problems
    assert line.startswith("PARTNERFLOW_SECRET_KEY: is empty;")
    assert str(refused.value) == line and refused.value.__cause__ is None and refused.value.__suppress_context__


def test_every_problem_is_one_line_naming_its_variable_and_never_a_value(environment):
    environment(environment="production", secret_key=None, smtp_password=PASSWORD, smtp_port="25x",
                retry_schedule_s="5,soon", dispatch_batch_size="0", smtp_security="tls-please")
    with pytest.raises(SettingsError) as refused:
        get_settings()
    problems = refused.value.problems
    assert [line.split(":")[0] for line in problems] == [
        "PARTNERFLOW_SECRET_KEY", "PARTNERFLOW_SMTP_PORT", "PARTNERFLOW_SMTP_SECURITY",
        "PARTNERFLOW_DISPATCH_BATCH_SIZE", "PARTNERFLOW_RETRY_SCHEDULE_S"]
    assert problems[-1] == "PARTNERFLOW_RETRY_SCHEDULE_S: a comma-separated list of whole seconds, e.g. 5,300,1800"
    for value in (PASSWORD, "25x", "soon", "tls-please"):
        assert value not in str(refused.value)
    assert all("\n" not in line for line in problems)


def test_other_environments_take_any_key(environment):
    environment(environment="test", secret_key="")
    assert get_settings().secret_key == ""
    environment(environment="development", secret_key=None)
    assert get_settings().secret_key == PLACEHOLDER_SECRET
