"""The panel pages' forms: list filters (a bad value is dropped, never an error page) and
the case actions (their rules are the services'; the forms only bound the input)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from review.cases import NOTES_MAX
from review.models import WatchCase

OFFICE = r"^[A-Za-z]{2,4}$"


class ListFilters(forms.Form):
    """GET filters whose invalid values are ignored: `values()` keeps the valid ones."""

    def values(self) -> dict:
        self.is_valid()
        return {name: None if name in self.errors else self.cleaned_data.get(name) or None
                for name in self.fields}

    @property
    def ignored(self) -> list[str]:
        self.is_valid()
        return sorted(self.errors)


class CaseFilterForm(ListFilters):
    status = forms.ChoiceField(required=False, choices=[("", "")] + WatchCase.Status.choices)
    office = forms.RegexField(required=False, regex=OFFICE, max_length=4)

    def clean_office(self) -> str:
        return self.cleaned_data["office"].upper()


class FilingFilterForm(ListFilters):
    q = forms.CharField(required=False, max_length=60)
    office = forms.RegexField(required=False, regex=OFFICE, max_length=4)

    def clean_office(self) -> str:
        return self.cleaned_data["office"].upper()


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=WatchCase.Status.choices)
    reason = forms.CharField(required=False, max_length=2000, label=_("Reason"))


class NotesForm(forms.Form):
    notes = forms.CharField(required=False, max_length=NOTES_MAX, strip=False,
                            widget=forms.Textarea(attrs={"rows": 5}), label=_("Notes"))
