"""The camera wall's layout form: how many columns, and which of the user's own cameras, in order."""

from __future__ import annotations

from typing import cast

from django import forms

from surveillance.models import Camera, WallLayout


class WallLayoutForm(forms.Form):
    columns = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in WallLayout.COLUMNS],
        coerce=int,
        help_text="Tiles a row.",
    )
    cameras = forms.ModelMultipleChoiceField(
        queryset=Camera.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None chosen: every camera.",
    )

    def __init__(self, *args, cameras, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only the user's own cameras are choices: another user's id is refused as an invalid choice.
        cast(forms.ModelMultipleChoiceField, self.fields["cameras"]).queryset = cameras
