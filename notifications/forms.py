from __future__ import annotations

from django import forms

from iqtrack.validation import TextPolicyForm
from notifications.choices import Delivery, Kind


class PreferencesForm(TextPolicyForm, forms.Form):
    """One delivery choice per kind of notice."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in Kind:
            self.fields[kind.value] = forms.ChoiceField(label=kind.label, choices=Delivery.choices)
