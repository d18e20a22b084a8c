"""The panel's mail when a feed ends: the count of new cases and a link to the dashboard,
in each panelist's language when DefPub knows it (the uploader's, from the upload), else
English. Sent by a retrying task after commit; a mail failure never fails the feed."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from review.access import panelists
from review.models import Feed

DASHBOARD_PATH = "/review/"


def panelist_language(*, user, feed: Feed) -> str:
    if feed.uploaded_by_id == user.pk and feed.language:
        return feed.language
    return "en"


def feed_mail_send(*, feed_id: int) -> int:
    """Mail every active panelist with an address who has not had this feed's mail yet;
    returns how many were sent. Each one sent is recorded at once, so a retry after an
    error mails only the rest."""
    feed = Feed.objects.filter(pk=feed_id).first()
    if feed is None or feed.is_running:
        return 0
    sent = 0
    link = settings.DEFPUB_PUBLIC_URL + DASHBOARD_PATH
    for user in panelists().exclude(email="").exclude(pk__in=feed.mailed_to).order_by("pk"):
        with translation.override(panelist_language(user=user, feed=feed)):
            context = {"feed": feed, "user": user, "link": link}
            if feed.status == Feed.Status.DONE:
                subject = _("DefPub watch: %(file)s screened, %(cases)s new case(s)") % {
                    "file": feed.file_name, "cases": feed.cases_opened}
            else:
                subject = _("DefPub watch: %(file)s could not be read") % {
                    "file": feed.file_name}
            message = render_to_string("review/feed_mail.txt", context)
        send_mail(subject=subject.replace("\n", " "), message=message, from_email=None,
                  recipient_list=[user.email], fail_silently=False)
        feed.mailed_to = [*feed.mailed_to, user.pk]
        Feed.objects.filter(pk=feed.pk).update(mailed_to=feed.mailed_to)
        sent += 1
    return sent
