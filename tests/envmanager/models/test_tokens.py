"""What the two bearer-token models (`HashedToken`) say about themselves: their name and prefix, never the token."""

from envmanager.services import personal_tokens as pat_services
from envmanager.services import tokens as token_services
from tests.factories import UserFactory


def test_an_api_token_is_named_by_its_name_and_prefix_never_its_value(dev):
    issued = token_services.api_token_create(actor=None, name="airflow-dev", target=dev)
    token = issued.api_token
    assert str(token) == "airflow-dev"
    assert repr(token) == f"<ApiToken {token.pk} 'airflow-dev' {token.prefix}…>"
    assert issued.plain not in repr(token) and token.token_hash not in repr(token)


def test_a_personal_access_token_is_named_by_its_name_and_prefix_never_its_value(db):
    issued = pat_services.personal_token_create(user=UserFactory(username="alice"), name="ci-pipeline")
    token = issued.api_token
    assert str(token) == "ci-pipeline"
    assert repr(token) == f"<PersonalAccessToken {token.pk} 'ci-pipeline' {token.prefix}…>"
    assert issued.plain not in repr(token) and token.token_hash not in repr(token)
