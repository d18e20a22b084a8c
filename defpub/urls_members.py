"""Signed-in pages: accounts, organisations, invitations, filing and approval."""

urlpatterns: list = []
