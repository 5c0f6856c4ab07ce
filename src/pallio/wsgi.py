import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pallio.settings")
application = get_wsgi_application()

# What is loaded at start (modules, the URL map, settings, instrument definitions) lives as
# long as the process: kept out of the garbage collector's full passes, which otherwise
# walked it all every few requests and held one chart in ten for about 150 ms
# (docs/performance.md).
gc.collect()
gc.freeze()
