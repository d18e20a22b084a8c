"""defpub.settings.production: the one production configuration the docs name (issue 14)."""

from django.conf import settings

from tests.conftest import manage

KEY = "x7!" * 20 + "a-long-random-production-key"


def production_env(tmp_path, **extra) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "defpub.settings.production",
        "SECRET_KEY": KEY,
        "ALLOWED_HOSTS": "defpub.example.org",
        "DATABASE_URL": settings.DATABASE_URL,
        "DATABASE_OWNER_URL": settings.DATABASE_OWNER_URL,
        "REDIS_URL": settings.REDIS_URL,
        "DEFPUB_HOME": str(tmp_path),
        **extra,
    }


def test_check_deploy_is_clean_even_when_the_environment_asks_for_less(tmp_path):
    # DEBUG=1 and DEFPUB_TLS=0 would weaken base; production does not listen to them.
    env = production_env(tmp_path, DEBUG="1", DEFPUB_TLS="0")

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_are_strict(tmp_path):
    code = ("from django.conf import settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT, "
            "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
            f"s.ALLOWED_HOSTS, s.SECRET_KEY == {KEY!r})")
    result = manage("shell", "-v", "0", "-c", code, env=production_env(tmp_path, DEBUG="1"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False", "True", "True", "True", "31536000", "['defpub.example.org']", "True"]


def test_production_refuses_to_start_without_a_secret_key_or_hosts(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"], env["ALLOWED_HOSTS"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "needs SECRET_KEY and ALLOWED_HOSTS in the environment" in result.stderr
    assert not (tmp_path / "secret_key").exists()  # no key made up behind the operator's back
