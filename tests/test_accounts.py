from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from django.contrib.auth.models import User

from accounts.magic_link import make_token
from tests.conftest import make_case
from tickets.models import Case


def link_in(mail) -> str:
    return re.search(r"https?://[^/\s]+(/account/sign-in/[^\s]+/)", mail.body)[1]


@pytest.mark.django_db
def test_the_magic_link_signs_in_and_claims_the_sessions_cases(client, runway, mailoutbox):
    mine = make_case(runway)
    someone_elses = make_case(runway, owner=User.objects.create(username="b@example.com"))
    client.get(mine.get_absolute_url())
    client.get(someone_elses.get_absolute_url())

    response = client.post("/account/sign-in/", {"email": " Me@Example.com "})
    assert "Check your e-mail" in response.content.decode()
    assert mailoutbox[0].to == ["me@example.com"]
    link = link_in(mailoutbox[0])
    # Opening the link (or a mail scanner fetching it) signs nobody in.
    assert "Sign in as me@example.com" in client.get(link).content.decode()
    assert not User.objects.filter(username="me@example.com").exists()

    response = client.post(link)
    assert "1 case from this browser is now in your account" in response.content.decode()
    user = User.objects.get(username="me@example.com")
    assert not user.has_usable_password()
    assert Case.objects.get(pk=mine.pk).owner == user
    assert Case.objects.get(pk=someone_elses.pk).owner.username == "b@example.com"
    assert "Signed in as me@example.com" in client.get("/cases/").content.decode()


@pytest.mark.django_db
def test_the_magic_link_works_only_once(client, mailoutbox):
    client.post("/account/sign-in/", {"email": "me@example.com"})
    link = link_in(mailoutbox[0])
    assert client.post(link).status_code == 200
    client.post("/account/sign-out/")
    response = client.post(link)
    assert response.status_code == 400
    assert "already been used" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_magic_link_expires(client, settings):
    token = make_token("me@example.com")
    # Signing reads time.time(), not Django's clock.
    later = time.time() + settings.MAGIC_LINK_MAX_AGE + 5
    with mock.patch("time.time", return_value=later):
        response = client.post(f"/account/sign-in/{token}/")
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert client.post(f"/account/sign-in/{token}/").status_code == 200


@pytest.mark.django_db
def test_an_altered_link_signs_nobody_in(client):
    token = make_token("me@example.com")
    response = client.post(f"/account/sign-in/{token[:-1]}x/")
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_account_sees_its_cases_on_another_device(client, runway, mailoutbox):
    case = make_case(runway)
    client.get(case.get_absolute_url())
    client.post("/account/sign-in/", {"email": "me@example.com"})
    client.post(link_in(mailoutbox[0]))

    from django.test import Client

    phone = Client()
    assert case.reference not in phone.get("/cases/").content.decode()
    phone.post("/account/sign-in/", {"email": "me@example.com"})
    phone.post(link_in(mailoutbox[1]))
    assert case.reference in phone.get("/cases/").content.decode()


@pytest.mark.django_db
def test_sign_in_and_case_link_e_mails_are_rate_limited(client, runway, settings, mailoutbox):
    settings.RATE_EMAILS = "2/h"
    case = make_case(runway)
    client.post("/account/sign-in/", {"email": "me@example.com"})
    client.post(f"/cases/{case.token}/email-link/", {"email": "me@example.com"})
    response = client.post("/account/sign-in/", {"email": "me@example.com"})
    assert response.status_code == 429
    assert len(mailoutbox) == 2
