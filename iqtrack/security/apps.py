from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "iqtrack.security"
    label = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from iqtrack.security import receivers

        receivers.connect()
