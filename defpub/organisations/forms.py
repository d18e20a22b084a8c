"""Organisations, invitations and roles."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from defpub.organisations.models import Role
from defpub.validators import validate_no_control_characters

_LINES = re.compile(r"\s*\n\s*")
_LIST = re.compile(r"\s*[\n,;，；、]\s*")  # Chinese punctuation too: people type it in IPC lists


class OrganisationForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=200, validators=[validate_no_control_characters]
    )
    slug = forms.SlugField(
        label=_("Short name (optional)"),
        max_length=64,
        required=False,
        help_text=_(
            "Letters, digits and hyphens, used in addresses such as /orgs/acme/. "
            "Made from the name when left empty."
        ),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.SUBMITTER)

    def __init__(self, *args, may_invite_owners: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_invite_owners:
            self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.OWNER]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
