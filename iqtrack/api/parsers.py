"""The API's JSON parser: strict JSON (iqtrack.validation.load_json), refusals in the one error
shape. A duplicated key is a 400 naming the field; a body nested past MAX_JSON_DEPTH, NaN or
Infinity is a 400 `parse_error` (before, 10,000 levels of nesting were a RecursionError: 500)."""

from __future__ import annotations

import codecs

from django.conf import settings
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser

from iqtrack.validation import DuplicateKey, load_json


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        try:
            return load_json(text)
        except DuplicateKey as exc:
            message = "Given twice in the body; give each field once."
            raise serializers.ValidationError({exc.key: [message]}) from None
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
