"""What every app's API shares: the base viewset and serializer, errors, ETags, the schema."""
