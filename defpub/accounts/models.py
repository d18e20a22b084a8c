from django.conf import settings
from django.db import models


class UserProfile(models.Model):
    """What DefPub knows about an account beyond Django's user: whether its e-mail address
    was proven. A user without a profile, or whose address changed since, is unverified."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
        related_name="profile",
    )
    email_verified_at = models.DateTimeField(null=True, blank=True)
    verified_email = models.EmailField(blank=True)  # the address the link was sent to

    def __str__(self) -> str:
        return f"profile of {self.user}"

    @property
    def email_verified(self) -> bool:
        return bool(
            self.email_verified_at
            and self.verified_email.lower() == (self.user.email or "").lower()
        )
