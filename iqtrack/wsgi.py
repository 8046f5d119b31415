import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iqtrack.settings")
application = get_wsgi_application()

# What a web process has made by now — settings, apps, models, and (imported here rather than by
# the first request) the URLconf with every view and serializer it reaches — lives as long as
# the process. Frozen, it is left out of the garbage collector's full collections, which
# otherwise walked all of it (~125,000 objects) every few dozen requests: a pause of ~70 ms of
# CPU each time, stalling every request queued behind it, against ~10 ms frozen (measured
# in-process over the question list). What is garbage already is collected first.
get_resolver().url_patterns  # noqa: B018 (imports the views)
gc.collect()
gc.freeze()
