"""Sign-up."""

import re

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

User = get_user_model()

_LINES = re.compile(r"\s*\n\s*")
_LIST = re.compile(r"\s*[\n,;，；、]\s*")  # Chinese punctuation too: people type it in IPC lists


class SignUpForm(forms.Form):
    """Checks what was typed, and nothing about other accounts: whether the name or the
    address is taken is told by e-mail only (defpub/accounts/services.py)."""

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @ . + - _ only."),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("We send a link to this address to confirm it. Invitations to your "
                    "firm's organisation are sent here too."),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password confirmation"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Enter the same password as before, for verification."),
    )

    def clean_password2(self) -> str:
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            raise ValidationError(_("The two password fields didn’t match."),
                                  code="password_mismatch")
        return password2

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password2")
        if password:
            # The same validators as Django's own form, against the account to be made.
            candidate = User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as error:
                self.add_error("password2", error)
        return cleaned
