from tests.search.conftest import indexed, publish  # noqa: F401  (the publishing fixtures)
