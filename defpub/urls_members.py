"""Signed-in pages: accounts, organisations, invitations, filing and approval.

tests/defpub/test_tenancy.py checks every pattern here against another organisation's
member: add a new pattern there too.
"""

from django.urls import path

from defpub.accounts import views as accounts
from defpub.examiners import views as api_keys
from defpub.filing import views as filing
from defpub.organisations import views as organisations

urlpatterns = [
    # accounts
    path("accounts/signup", accounts.signup, name="signup"),
    path("accounts/signup/sent", accounts.signup_sent, name="signup_sent"),
    path("accounts/verify/<str:token>", accounts.email_verify_view, name="email_verify"),
    path("accounts/verification/resend", accounts.verification_resend_view,
         name="verification_resend"),
    path("accounts/login", accounts.SignInView.as_view(), name="login"),
    path("accounts/logout", accounts.SignOutView.as_view(), name="logout"),
    path("accounts/password", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("dashboard/", accounts.dashboard, name="dashboard"),
    # the examiner API's keys (each person's own)
    path("accounts/api-keys", api_keys.api_keys, name="api_keys"),
    path("accounts/api-keys/<str:prefix>/rotate", api_keys.api_key_rotate_view,
         name="api_key_rotate"),
    path("accounts/api-keys/<str:prefix>/revoke", api_keys.api_key_revoke_view,
         name="api_key_revoke"),
    # organisations and members
    path("orgs/new", organisations.organisation_new, name="organisation_new"),
    path("orgs/<slug:slug>/", organisations.organisation_detail, name="organisation_detail"),
    path(
        "orgs/<slug:slug>/members", organisations.organisation_members, name="organisation_members"
    ),
    path("orgs/<slug:slug>/invite", organisations.invitation_new, name="invitation_new"),
    path(
        "orgs/<slug:slug>/members/<int:pk>/role",
        organisations.membership_role,
        name="membership_role",
    ),
    path(
        "orgs/<slug:slug>/members/<int:pk>/remove",
        organisations.membership_delete,
        name="membership_remove",
    ),
    path(
        "orgs/<slug:slug>/invitations/<int:pk>/revoke",
        organisations.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path(
        "orgs/<slug:slug>/invitations/<int:pk>/resend",
        organisations.invitation_resend_view,
        name="invitation_resend",
    ),
    path("invitations/<str:token>", organisations.invitation_detail, name="invitation"),
    # filing
    path("orgs/<slug:slug>/disclosures/new", filing.disclosure_new, name="disclosure_new"),
    path("disclosures/<int:pk>/", filing.disclosure_detail, name="disclosure_detail"),
    path("disclosures/<int:pk>/edit", filing.disclosure_edit, name="disclosure_edit"),
    path("disclosures/<int:pk>/autosave", filing.disclosure_autosave, name="disclosure_autosave"),
    path("disclosures/<int:pk>/preview", filing.disclosure_preview, name="disclosure_preview"),
    path("disclosures/<int:pk>/attachments", filing.attachment_upload, name="attachment_upload"),
    path(
        "disclosures/<int:pk>/attachments/<int:attachment_id>",
        filing.attachment_download,
        name="attachment_download",
    ),
    path(
        "disclosures/<int:pk>/attachments/<int:attachment_id>/remove",
        filing.attachment_remove,
        name="attachment_remove",
    ),
    path("disclosures/<int:pk>/submit", filing.disclosure_submit, name="disclosure_submit"),
    path("disclosures/<int:pk>/return", filing.disclosure_return, name="disclosure_return"),
    path("disclosures/<int:pk>/approve", filing.disclosure_approve, name="disclosure_approve"),
    path("disclosures/<int:pk>/delete", filing.disclosure_delete, name="disclosure_delete"),
    path("disclosures/<int:pk>/correct", filing.disclosure_correct, name="disclosure_correct"),
]
