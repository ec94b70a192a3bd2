"""What django-cors-headers' sdist leaves out of its tests: settings, URLs, views, utils.

Written for this harness from what ``tests/test_middleware.py`` uses; the URL paths and the
views' answers are the ones the suite's assertions expect.
"""
